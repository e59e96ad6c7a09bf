"""POST /calls/{uuid}/metadata: deep merge, answered with the merged result; concurrent writers keep every key."""

from __future__ import annotations

import asyncio

from app.db.models import Call
from tests.calls.conftest import finished_call


async def test_nested_objects_merge_and_scalars_and_lists_replace(door, client, platform):
    call_id = await finished_call(platform, client.organisation_id)
    await door.call(
        "POST",
        f"/calls/{call_id}/metadata",
        json={
            "key_details": {
                "extraction": {"outcome": {"intent_score": 50, "tags": ["a", "b"]}, "schema_version": "1.0"}
            }
        },
    )
    answer = await door.call(
        "POST",
        f"/calls/{call_id}/metadata",
        json={
            "key_details": {
                "extraction": {"outcome": {"intent_score": 88, "tags": ["c"]}},
                "qms_scores": {"opening": 3},
            }
        },
    )
    assert answer.status == 200
    expected = {
        "extraction": {"intent": 88, "schema_version": "1.0", "outcome": {"intent_score": 88, "tags": ["c"]}},
        "qms_scores": {"opening": 3},
    }
    assert answer.body["uuid"] == call_id
    assert answer.body["key_details"] == expected
    assert answer.body["updated_at"].endswith("Z")
    assert set(answer.body) == {"uuid", "key_details", "updated_at"}
    assert (await Call.get(id=call_id)).key_details == expected


async def test_concurrent_writers_lose_nothing(client, platform):
    call_id = await finished_call(platform, client.organisation_id)
    writes = [
        client.post(f"/calls/{call_id}/metadata", json={"key_details": {"extraction": {f"k{i}": i}}}) for i in range(20)
    ]
    answers = await asyncio.gather(*writes)
    assert [answer.status for answer in answers] == [200] * 20
    stored = (await Call.get(id=call_id)).key_details["extraction"]
    assert {f"k{i}": i for i in range(20)}.items() <= stored.items()


async def test_a_body_that_is_not_an_object_merges_nothing(client, platform):
    call_id = await finished_call(platform, client.organisation_id)
    for body, detail in [
        ([1, 2], "request body must be an object"),
        ({"key_details": [1]}, "key_details must be a JSON object"),
        ({"key_details": "x"}, "key_details must be a JSON object"),
        ({}, "key_details is required"),
        ({"key_details": {}, "extra": 1}, "unknown field: extra"),
    ]:
        answer = await client.post(f"/calls/{call_id}/metadata", json=body)
        assert (answer.status, answer.body) == (400, {"detail": detail})
    assert (await Call.get(id=call_id)).key_details == {"extraction": {"intent": 88}}


async def test_graphql_rejects_a_non_object_too(door, client, platform):
    call_id = await finished_call(platform, client.organisation_id)
    answer = await door.call("POST", f"/calls/{call_id}/metadata", json={"key_details": 5})
    assert (answer.status, answer.body) == (400, {"detail": "key_details must be a JSON object"})


async def test_another_organisations_call_is_404(door, other_client, platform):
    theirs = await finished_call(platform, other_client.organisation_id)
    answer = await door.call("POST", f"/calls/{theirs}/metadata", json={"key_details": {"x": 1}})
    assert (answer.status, answer.body) == (404, {"detail": "Call not found"})
    assert (await Call.get(id=theirs)).key_details == {"extraction": {"intent": 88}}
