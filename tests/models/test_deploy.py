"""Deploy publishes the speaker in the organisation's catalog (offline: the local TTS stands in);
undeploy removes it while agents that already speak with it keep working."""

from __future__ import annotations

from tests.models.conftest import Uploads, wav


async def test_deploy_publishes_the_speaker_as_a_voice_sample(door, speaker, client):
    deployed = await door.call("POST", f"/models/speakers/{speaker}/deploy")
    assert deployed.status == 200, deployed.body
    uuid = deployed.body["voice_sample_uuid"]
    assert deployed.body == {"name": speaker, "deployed": True, "voice_sample_uuid": uuid, "training_status": "local"}
    assert uuid.startswith("vs_")
    samples = (await client.get("/samples", params={"provider": "nextneural", "language_code": "en-US"})).body
    mine = [s for s in samples if s["uuid"] == uuid]
    assert mine == [
        {
            "uuid": uuid,
            "provider": "nextneural",
            "model": "espeak-ng",
            "speaker": speaker,
            "language_code": "en-US",
            "language_name": "English (US)",
            "url": f"{client.server.base_url}/api/voice/samples/{uuid}/preview",
        }
    ]
    listed = (await door.call("GET", "/models/speakers")).body
    assert listed[0]["deployed"] is True and listed[0]["voice_sample_uuid"] == uuid
    again = await door.call("POST", f"/models/speakers/{speaker}/deploy")
    assert again.body["voice_sample_uuid"] == uuid


async def test_a_deployed_voice_is_only_in_its_own_organisations_catalog(speaker, client, other_client):
    await client.post(f"/models/speakers/{speaker}/deploy")
    assert [s for s in (await other_client.get("/samples")).body if s["speaker"] == speaker] == []
    agent = await other_client.post(
        "/agents",
        json={"name": "Aria", "role": "Sales", "voice_config": {"provider": "nextneural", "speaker": speaker}},
    )
    assert agent.status == 400


async def test_agents_use_a_deployed_speaker_and_keep_it_after_undeploy(door, speaker, client):
    voice = {"provider": "nextneural", "speaker": speaker, "language_code": "en-US"}
    refused = await client.post("/agents", json={"name": "Aria", "role": "Sales", "voice_config": voice})
    assert refused.status == 400 and refused.body == {
        "detail": f"voice_config.speaker '{speaker}' is not a nextneural voice"
    }

    uuid = (await door.call("POST", f"/models/speakers/{speaker}/deploy")).body["voice_sample_uuid"]
    agent = await client.post("/agents", json={"name": "Aria", "role": "Sales", "voice_config": voice})
    assert agent.status == 201, agent.body
    assert agent.body["voice_config"] == {
        **voice,
        "model": "espeak-ng",
        "sample_url": f"{client.server.base_url}/api/voice/samples/{uuid}/preview",
    }
    wrong_language = await client.post(
        "/agents", json={"name": "B", "role": "Sales", "voice_config": {**voice, "language_code": "hi-IN"}}
    )
    assert wrong_language.status == 400

    undeployed = await door.call("DELETE", f"/models/speakers/{speaker}/deploy")
    assert undeployed.status == 200
    assert undeployed.body == {
        "name": speaker,
        "deployed": False,
        "voice_sample_uuid": None,
        "training_status": "local",
    }
    assert [s for s in (await client.get("/samples")).body if s["uuid"] == uuid] == []
    kept = await client.patch(
        f"/agents/{agent.body['uuid']}", json={"voice_config": {"language_code": "en-US"}, "role": "Renewals"}
    )
    assert kept.status == 200, kept.body
    assert kept.body["voice_config"]["speaker"] == speaker
    new_agent = await client.post("/agents", json={"name": "C", "role": "Sales", "voice_config": voice})
    assert new_agent.status == 400


async def test_delete_undeploys_first(door, speaker, client):
    uuid = (await door.call("POST", f"/models/speakers/{speaker}/deploy")).body["voice_sample_uuid"]
    assert (await door.call("DELETE", f"/models/speakers/{speaker}")).status == 200
    assert [s for s in (await client.get("/samples")).body if s["uuid"] == uuid] == []


async def test_deploy_shares_a_5_per_minute_budget(client):
    uploads = Uploads("rest", client)
    assert (await uploads.create_speaker("aria-custom", "en-US", wav(12))).status == 201
    for _ in range(5):
        assert (await client.post("/models/speakers/aria-custom/deploy")).status == 200
    limited = await client.post("/models/speakers/aria-custom/deploy")
    assert limited.status == 429 and limited.body == {"detail": "Rate limit exceeded: 5/minute"}


async def test_a_built_in_voice_name_cannot_be_taken(client):
    answer = await Uploads("rest", client).create_speaker("nn-en-us-f", "en-US", wav(12))
    assert answer.status == 409 and answer.body == {"detail": "name 'nn-en-us-f' is a built-in nextneural voice"}


async def test_a_flow_can_speak_with_a_deployed_speaker(door, speaker, client):
    flow = {"kind": "inbound", "name": "Help line", "provider": "nextneural", "speaker": speaker}
    assert (await door.call("POST", "/flows", json=flow)).status == 400
    await client.post(f"/models/speakers/{speaker}/deploy")
    created = await door.call("POST", "/flows", json=flow)
    assert created.status == 201, created.body
    agent = (await client.get(f"/agents/{created.body['voice_agent_id']}")).body
    assert agent["name"] == speaker
    assert agent["voice_config"]["speaker"] == speaker and agent["voice_config"]["language_code"] == "en-US"
