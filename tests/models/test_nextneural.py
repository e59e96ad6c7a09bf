"""With VOICEAI_NEXTNEURAL_URL set, cloning happens on the voice server (a fake one here, on a real socket):
create sends the reference audio, deploy sends the dataset and starts a build whose status is tracked."""

from __future__ import annotations

from tests.models.conftest import Uploads, stored, wav


async def test_create_sends_the_reference_audio_to_the_voice_server(cloning_client, nextneural):
    audio = wav(12)
    assert (await Uploads("rest", cloning_client).create_speaker("aria-custom", "hi-IN", audio)).status == 201
    sent = [s for s in nextneural.speakers.values() if s.reference == audio]
    assert len(sent) == 1 and sent[0].language == "hi-IN" and sent[0].reference_type == "audio/wav"


async def test_deploy_builds_from_the_dataset_and_tracks_the_job(cloning_client, nextneural):
    uploads = Uploads("rest", cloning_client)
    await uploads.create_speaker("aria-custom", "en-US", wav(12))
    sample_ids = [(await uploads.add_sample("aria-custom", wav(6), f"Line {n}.")).body["sample_id"] for n in range(2)]

    deployed = await cloning_client.post("/models/speakers/aria-custom/deploy")
    assert deployed.status == 200, deployed.body
    assert deployed.body["deployed"] is True and deployed.body["training_status"] == "queued"
    build = next(b for b in nextneural.builds.values() if b["sample_ids"] == sample_ids)
    assert build["language"] == "en-US"
    remote = nextneural.speakers[build["speaker_id"]]
    assert [text for text, _ in remote.samples.values()] == ["Line 0.", "Line 1."]

    statuses = [(await cloning_client.get("/models/speakers/aria-custom")).body["training_status"] for _ in range(3)]
    assert statuses == ["running", "succeeded", "succeeded"]
    uuid = deployed.body["voice_sample_uuid"]
    voice = next(s for s in (await cloning_client.get("/samples")).body if s["uuid"] == uuid)
    assert voice["provider"] == "nextneural" and voice["model"] == "nextneural-clone"


async def test_a_failed_build_is_reported(cloning_client, nextneural):
    uploads = Uploads("rest", cloning_client)
    await uploads.create_speaker("aria-custom", "en-US", wav(12))
    nextneural.fail_builds = True
    await cloning_client.post("/models/speakers/aria-custom/deploy")
    statuses = [(await cloning_client.get("/models/speakers/aria-custom")).body["training_status"] for _ in range(2)]
    assert statuses == ["running", "failed"]


async def test_delete_removes_the_speaker_from_the_voice_server(cloning_client, nextneural):
    await Uploads("rest", cloning_client).create_speaker("aria-custom", "en-US", wav(12))
    before = len(nextneural.speakers)
    assert (await cloning_client.delete("/models/speakers/aria-custom")).status == 200
    assert len(nextneural.speakers) == before - 1


async def test_a_voice_server_that_is_down_is_503_and_nothing_is_stored(cloning_client, nextneural):
    nextneural.fail = True
    answer = await Uploads("rest", cloning_client).create_speaker("aria-custom", "en-US", wav(12))
    assert answer.status == 503
    assert answer.body == {"detail": "nextneural voice server answered 500 to POST /v1/speakers"}
    assert await stored(cloning_client) == (0, 0, [])


async def test_a_job_poll_that_fails_keeps_the_last_known_status(cloning_client, nextneural):
    await Uploads("rest", cloning_client).create_speaker("aria-custom", "en-US", wav(12))
    await cloning_client.post("/models/speakers/aria-custom/deploy")
    nextneural.fail = True
    answer = await cloning_client.get("/models/speakers/aria-custom")
    assert answer.status == 200 and answer.body["training_status"] == "queued"


def test_the_voice_server_is_configured_by_url():
    from app.config import Settings
    from app.voice_catalog.nextneural import LocalCloner, NextNeuralClient, cloner_for

    settings = Settings.from_env({"VOICEAI_NEXTNEURAL_URL": "http://voices.internal:9000/"})
    assert settings.nextneural_url == "http://voices.internal:9000"
    assert Settings.from_env({}).nextneural_url is None
    assert isinstance(cloner_for(settings.nextneural_url), NextNeuralClient)
    assert isinstance(cloner_for(None), LocalCloner)
