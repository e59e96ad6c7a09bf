"""`config.turn_taking` is checked when a flow is saved, through both doors: a bad value is a 400 naming the
field and nothing is stored; a good one is stored as sent."""

from __future__ import annotations

import pytest

from app.db.models import Flow
from tests.flows.conftest import SPRING

BAD = [
    (
        {"max_endpoint_ms": 99999},
        "config.turn_taking.max_endpoint_ms must be an integer from 200 to 5000",
    ),
    (
        {"max_endpoint_ms": "long"},
        "config.turn_taking.max_endpoint_ms must be an integer",
    ),
    (
        {"min_endpoint_ms": 900, "max_endpoint_ms": 400},
        "config.turn_taking.max_endpoint_ms: min_endpoint_ms must not be above max_endpoint_ms",
    ),
    (
        {"rising_endpoint_ms": 100},
        "config.turn_taking.rising_endpoint_ms must be an integer from 200 to 3000",
    ),
    ({"vad": "neural"}, "config.turn_taking.vad must be one of: webrtc, silero"),
    (
        {"interruption_sensitivity": 3},
        "config.turn_taking.interruption_sensitivity must be one of",
    ),
    (
        {"noise_suppression": "yes"},
        "config.turn_taking.noise_suppression must be true or false",
    ),
    (
        {"backchannel_words": {"hi-IN": "haan"}},
        "config.turn_taking.backchannel_words.hi-IN must be a list",
    ),
    ({"endpointing": 300}, "unknown field: config.turn_taking.endpointing"),
]


@pytest.mark.parametrize("turn_taking, detail", BAD, ids=[d for _, d in BAD])
async def test_a_bad_turn_taking_config_is_400_and_stores_nothing(door, client, turn_taking, detail):
    answer = await door.call("POST", "/flows", json={**SPRING, "config": {"turn_taking": turn_taking}})
    assert answer.status == 400, answer.body
    assert answer.body["detail"].startswith(detail)
    assert not await Flow.filter(organisation_id=client.organisation_id).exists()


async def test_a_bad_turn_taking_patch_changes_nothing(door):
    created = (await door.call("POST", "/flows", json=SPRING)).body
    answer = await door.call(
        "PATCH",
        f"/flows/{created['uuid']}",
        json={"config": {"turn_taking": {"max_endpoint_ms": -1}}},
    )
    assert answer.status == 400
    assert "config.turn_taking.max_endpoint_ms" in answer.body["detail"]
    assert (await door.call("GET", f"/flows/{created['uuid']}")).body == created


async def test_a_good_turn_taking_config_is_stored(door):
    turn_taking = {
        "vad": "webrtc",
        "max_endpoint_ms": 1800,
        "rising_endpoint_ms": 600,
        "interruption_sensitivity": "high",
        "backchannel_words": {"hi-IN": ["bilkul"]},
        "noise_suppression": False,
    }
    created = await door.call("POST", "/flows", json={**SPRING, "config": {"turn_taking": turn_taking}})
    assert created.status in (200, 201), created.body
    assert created.body["config"]["turn_taking"] == turn_taking
