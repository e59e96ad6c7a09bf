"""Voice Agents, as the spec tells them: list (active only), get, create, partial update, soft delete."""

from __future__ import annotations

import re

from app.db.models import VoiceAgent

ARIA = {
    "name": "Aria",
    "role": "Outbound Sales",
    "description": "Multilingual outbound agent for retail sales",
    "avatar_color": "#6366f1",
    "avatar_initials": "AR",
    "voice_config": {"provider": "sarvam", "model": "bulbul:v3", "speaker": "shubh", "language_code": "hi-IN"},
}
AGENT_KEYS = {
    "uuid",
    "name",
    "role",
    "description",
    "avatar_color",
    "avatar_initials",
    "voice_config",
    "is_active",
    "created_at",
}


async def test_create_answers_201_with_the_documented_shape(door):
    created = await door.call("POST", "/agents", json=ARIA)
    assert created.status == 201
    agent = created.body
    assert set(agent) == AGENT_KEYS
    assert re.fullmatch(r"agt_[0-9a-f]{12}", agent["uuid"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", agent["created_at"])
    assert agent["is_active"] is True
    voice = agent["voice_config"]
    assert {k: voice[k] for k in ("provider", "model", "speaker", "language_code")} == ARIA["voice_config"]
    assert voice["sample_url"].endswith("/preview")


async def test_model_defaults_to_the_providers_current_model(door):
    created = await door.call(
        "POST", "/agents", json={"name": "A", "role": "r", "voice_config": {"provider": "sarvam"}}
    )
    assert created.status == 201
    assert created.body["voice_config"]["model"] == "bulbul:v3"


async def test_list_returns_active_agents_only(door):
    first = (await door.call("POST", "/agents", json=ARIA)).body
    second = (await door.call("POST", "/agents", json={**ARIA, "name": "Ravi"})).body
    assert (await door.call("DELETE", f"/agents/{first['uuid']}")).status == 200
    listed = await door.call("GET", "/agents")
    assert listed.status == 200
    assert [agent["uuid"] for agent in listed.body] == [second["uuid"]]


async def test_get_returns_one_agent(door):
    created = (await door.call("POST", "/agents", json=ARIA)).body
    fetched = await door.call("GET", f"/agents/{created['uuid']}")
    assert fetched.status == 200
    assert fetched.body == created


async def test_get_unknown_agent_is_404(door):
    missing = await door.call("GET", "/agents/agt_000000000000")
    assert missing.status == 404
    assert missing.body == {"detail": "Voice agent not found"}


async def test_another_organisations_agent_is_404(door, other_client):
    theirs = (await other_client.post("/agents", json=ARIA)).body
    for method in ("GET", "PATCH", "DELETE"):
        answer = await door.call(
            method, f"/agents/{theirs['uuid']}", json={"name": "Mine now"} if method == "PATCH" else None
        )
        assert answer.status == 404, method
    untouched = await other_client.get(f"/agents/{theirs['uuid']}")
    assert untouched.body["name"] == "Aria" and untouched.body["is_active"] is True


async def test_patch_changes_only_the_fields_sent(door):
    created = (await door.call("POST", "/agents", json=ARIA)).body
    patched = await door.call("PATCH", f"/agents/{created['uuid']}", json={"role": "Retention"})
    assert patched.status == 200
    assert patched.body["role"] == "Retention"
    assert {k: v for k, v in patched.body.items() if k != "role"} == {k: v for k, v in created.items() if k != "role"}


async def test_patch_null_clears_an_optional_field(door):
    created = (await door.call("POST", "/agents", json=ARIA)).body
    patched = await door.call("PATCH", f"/agents/{created['uuid']}", json={"description": None})
    assert patched.body["description"] is None


async def test_patch_voice_config_merges_with_the_current_voice(door):
    created = (await door.call("POST", "/agents", json=ARIA)).body
    patched = await door.call("PATCH", f"/agents/{created['uuid']}", json={"voice_config": {"speaker": "priya"}})
    assert patched.status == 200
    assert patched.body["voice_config"]["speaker"] == "priya"
    assert patched.body["voice_config"]["language_code"] == "hi-IN"


async def test_patch_to_a_new_provider_starts_from_its_defaults(door):
    created = (await door.call("POST", "/agents", json=ARIA)).body
    patched = await door.call(
        "PATCH",
        f"/agents/{created['uuid']}",
        json={"voice_config": {"provider": "elevenlabs", "speaker": "21m00Tcm4TlvDq8ikWAM"}},
    )
    assert patched.status == 200
    assert patched.body["voice_config"]["model"] == "eleven_multilingual_v2"


async def test_delete_is_soft(door):
    created = (await door.call("POST", "/agents", json=ARIA)).body
    deleted = await door.call("DELETE", f"/agents/{created['uuid']}")
    assert deleted.status == 200 and deleted.body["is_active"] is False
    fetched = await door.call("GET", f"/agents/{created['uuid']}")
    assert fetched.status == 200 and fetched.body["is_active"] is False
    assert await VoiceAgent.exists(id=created["uuid"])
    again = await door.call("DELETE", f"/agents/{created['uuid']}")
    assert again.status == 404


BAD_AGENTS = [
    ({"role": "r"}, "name is required"),
    ({"name": "  ", "role": "r"}, "name must not be empty"),
    ({"name": 5, "role": "r"}, "name must be a string"),
    ({"name": "A", "role": "r", "avatar_color": "blue"}, "avatar_color must be a hex colour like #6366f1"),
    ({"name": "A", "role": "r", "avatar_initials": "ABC"}, "avatar_initials must be 1 or 2 characters"),
    (
        {"name": "A", "role": "r", "voice_config": {"provider": "acme"}},
        "voice_config.provider must be one of sarvam, nextneural, elevenlabs",
    ),
    (
        {"name": "A", "role": "r", "voice_config": {"provider": "sarvam", "speaker": "anushka"}},
        "voice_config.speaker 'anushka' is not a Sarvam bulbul:v3 voice",
    ),
    (
        {"name": "A", "role": "r", "voice_config": {"provider": "sarvam", "language_code": "fr-FR"}},
        "voice_config.language_code must be one of bn-IN, en-IN, gu-IN, hi-IN, kn-IN, ml-IN, mr-IN, od-IN, pa-IN, "
        "ta-IN, te-IN for sarvam",
    ),
    (
        {"name": "A", "role": "r", "voice_config": {"provider": "sarvam", "model": "bulbul:v9"}},
        "voice_config.model must be one of bulbul:v2, bulbul:v3",
    ),
    (
        {
            "name": "A",
            "role": "r",
            "voice_config": {"provider": "nextneural", "speaker": "nn-hi-in-f", "language_code": "ta-IN"},
        },
        "voice_config.language_code ta-IN does not match speaker 'nn-hi-in-f' (hi-IN)",
    ),
    (
        {"name": "A", "role": "r", "voice_config": {"provider": "elevenlabs", "language_code": "hindi"}},
        "voice_config.language_code must be a BCP-47 language code like hi-IN",
    ),
    ({"name": "A", "role": "r", "voice_config": {"speaker": "x"}}, "voice_config.provider is required"),
    ({"name": "A", "role": "r", "colour": "#fff"}, "unknown field: colour"),
]


SHAPE_ERRORS = {
    "name is required",
    "name must be a string",
    "unknown field: colour",
    "voice_config.provider is required",
}


async def test_bad_agents_are_400_with_a_clear_detail_and_write_nothing(door):
    for body, detail in BAD_AGENTS:
        answer = await door.call("POST", "/agents", json=body)
        if door.name == "graphql" and detail in SHAPE_ERRORS:
            assert answer.status == 400, body  # GraphQL's own type checking words these itself
            continue
        assert (answer.status, answer.body) == (400, {"detail": detail}), body
    assert (await door.call("GET", "/agents")).body == []
    assert not await VoiceAgent.filter(organisation_id=door.client.organisation_id).exists()


async def test_a_bad_patch_changes_nothing(door):
    created = (await door.call("POST", "/agents", json=ARIA)).body
    answer = await door.call(
        "PATCH", f"/agents/{created['uuid']}", json={"name": "Renamed", "avatar_color": "not-a-colour"}
    )
    assert answer.status == 400
    assert (await door.call("GET", f"/agents/{created['uuid']}")).body == created
