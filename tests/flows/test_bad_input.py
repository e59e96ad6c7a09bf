"""Every rejected flow input is a 400 whose detail names the field, and nothing is written."""

from __future__ import annotations

import pytest

from app.db.models import Flow, VoiceAgent
from tests.flows.conftest import SPRING

BAD = [
    ({"kind": "sideways"}, "kind must be one of inbound, outbound"),
    ({"provider": "acme"}, "provider must be one of sarvam, nextneural, elevenlabs"),
    ({"status": "running"}, "status must be one of draft, active, paused"),
    ({"name": ""}, "name must not be empty"),
    ({"phone_number": "5550010000"}, "phone_number must be in E.164 format"),
    ({"start_date": "2026-06-01", "end_date": "2026-05-01"}, "start_date must not be after end_date"),
    ({"start_date": "01/05/2026"}, "start_date must be a date like 2026-05-01"),
    ({"end_date": "2026-02-30"}, "end_date must be a date like 2026-05-01"),
    (
        {"time_window": {"start": "18:00", "end": "09:00", "timezone": "UTC"}},
        "time_window.start must be before time_window.end",
    ),
    ({"time_window": {"start": "9am", "end": "18:00", "timezone": "UTC"}}, "time_window.start must be a time"),
    ({"time_window": {"start": "09:00", "end": "24:00", "timezone": "UTC"}}, "time_window.end must be a time"),
    (
        {"time_window": {"start": "09:00", "end": "18:00", "timezone": "Mars/Olympus"}},
        "time_window.timezone must be an IANA timezone",
    ),
    ({"config": ["not", "an", "object"]}, "config must be a JSON object"),
    ({"voice_agent_id": "agt_000000000000"}, "voice_agent_id does not name an active voice agent"),
    ({"script_id": "scr_000000000000"}, "script_id does not name a script of the organisation"),
    ({"speaker": "nobody"}, "speaker 'nobody' is not a sarvam voice"),
    ({"speaker": "anushka", "language_code": "xx-YY"}, "speaker 'anushka' is not a sarvam voice in xx-YY"),
    ({"branches": ["ok", ""]}, "branches must contain only non-empty strings"),
]


@pytest.mark.parametrize("change, detail", BAD, ids=[d for _, d in BAD])
async def test_bad_create_is_400_and_writes_nothing(door, client, change, detail):
    answer = await door.call("POST", "/flows", json={**SPRING, **change})
    assert answer.status == 400, answer.body
    assert answer.body["detail"].startswith(detail)
    assert not await Flow.filter(organisation_id=client.organisation_id).exists()
    assert not await VoiceAgent.filter(organisation_id=client.organisation_id).exists()


async def test_another_organisations_agent_or_script_is_refused(door, other_client):
    agent = (await other_client.post("/agents", json={"name": "Theirs", "role": "r"})).body
    script = (await other_client.post("/scripts", json={"name": "Theirs"})).body
    assert (await door.call("POST", "/flows", json={**SPRING, "voice_agent_id": agent["uuid"]})).status == 400
    assert (await door.call("POST", "/flows", json={**SPRING, "script_id": script["uuid"]})).status == 400


async def test_a_deleted_agent_is_not_active(door, client):
    agent = (await client.post("/agents", json={"name": "Gone", "role": "r"})).body
    await client.delete(f"/agents/{agent['uuid']}")
    answer = await door.call("POST", "/flows", json={**SPRING, "voice_agent_id": agent["uuid"]})
    assert answer.status == 400


async def test_rest_reports_missing_and_mistyped_fields(client):
    missing = await client.post("/flows", json={"name": "No kind", "provider": "sarvam"})
    assert missing.status == 400 and missing.body == {"detail": "kind is required"}
    mistyped = await client.post("/flows", json={**SPRING, "branches": "Region:West"})
    assert mistyped.status == 400 and mistyped.body == {"detail": "branches must be an array"}
    window = await client.post("/flows", json={**SPRING, "time_window": {"start": "09:00", "end": "18:00"}})
    assert window.status == 400 and window.body == {"detail": "time_window.timezone is required"}
    assert not await Flow.filter(organisation_id=client.organisation_id).exists()


async def test_a_bad_patch_changes_nothing(door):
    created = (await door.call("POST", "/flows", json=SPRING)).body
    for change in (
        {"end_date": "2026-04-01"},
        {"kind": "x"},
        {"time_window": {"start": "10:00", "end": "09:00", "timezone": "UTC"}},
    ):
        assert (await door.call("PATCH", f"/flows/{created['uuid']}", json=change)).status == 400, change
    assert (await door.call("GET", f"/flows/{created['uuid']}")).body == created
