"""Malformed ids never reach the ORM: in a path they are a JSON 404, in a query or body a 400 naming the
field, through both doors. The router's own 404 and 405 are JSON too, and a 405 lists every method."""

from __future__ import annotations

import re

import pytest

from app.db.models import Flow
from compat_rest.routes import ROUTES

MALFORMED = {"too long": "agt_" + "0" * 21, "CR/LF": "agt_0000%0D%0A0000", "spaces": "agt%20000", "NUL": "a%00b"}
PATH_ROWS = [route for route in ROUTES if "{" in route.path and not route.websocket]


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_a_malformed_path_id_is_a_json_404_on_every_row(client, kind):
    wrong = {}
    for route in PATH_ROWS:
        path = re.sub(r"{\w+}", MALFORMED[kind] if "name" not in route.path else "x" * 65, route.path)
        answer = await client.request(route.method, path, json={} if route.method in ("POST", "PATCH") else None)
        if (answer.status, answer.body) != (404, {"detail": "Not found"}):
            wrong[f"{route.method} {route.path}"] = (answer.status, answer.body)
    assert wrong == {}


async def test_the_recording_route_takes_its_token_and_answers_json_for_a_long_id(client):
    answer = await client.get(f"/calls/{'c' * 30}/recording", params={"token": client.token})
    assert (answer.status, answer.body) == (404, {"detail": "Not found"})


async def test_malformed_query_ids_name_the_parameter(client):
    for path, param in (("/calls", "flow_uuid"), ("/calls", "customer_uuid"), ("/calls/statistics", "flow_uuid")):
        answer = await client.get(path, params={param: "flw_" + "0" * 30})
        assert (answer.status, answer.body) == (400, {"detail": f"{param} is not a valid id"}), path


async def test_malformed_body_ids_name_the_field_and_write_nothing(client):
    for field in ("voice_agent_id", "script_id"):
        answer = await client.post(
            "/flows", json={"kind": "outbound", "name": "Long ids", "provider": "sarvam", field: "agt_" + "0" * 30}
        )
        assert (answer.status, answer.body) == (400, {"detail": f"{field} is not a valid id"})
    assert not await Flow.filter(organisation_id=client.organisation_id).exists()


async def test_the_graphql_door_answers_the_same(client):
    missing = await client.graphql('{ agent(uuid: "%s") { uuid } }' % ("a" * 40))
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    invalid = await client.graphql('{ calls(flowUuid: "flw_\\r\\n") { total } }')
    assert invalid["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert invalid["errors"][0]["message"] == "flow_uuid is not a valid id"


async def test_well_formed_unknown_ids_still_get_the_services_message(client):
    answer = await client.get("/agents/agt_000000000000")
    assert (answer.status, answer.body) == (404, {"detail": "Voice agent not found"})


async def test_the_routers_own_errors_are_json(client):
    answer = await client.get("/agentz")
    assert (answer.status, answer.body) == (404, {"detail": "Not found"})
    assert answer.headers["Content-Type"].startswith("application/json")
    answer = await client.put("/agents")
    assert (answer.status, answer.body) == (405, {"detail": "Method not allowed"})
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST"}


@pytest.mark.parametrize(
    "path, methods",
    [
        ("/agents/agt_000000000000", {"GET", "HEAD", "PATCH", "DELETE"}),
        ("/customers/bulk", {"POST"}),
        ("/calls/live", {"GET", "HEAD"}),
        ("/integrations/telephony/exotel", {"GET", "HEAD", "PUT", "DELETE"}),
        ("/models/speakers/aria/deploy", {"POST", "DELETE"}),
    ],
)
async def test_a_405_lists_every_method_the_path_takes(client, path, methods):
    answer = await client.request("OPTIONS", path)
    assert answer.status == 405
    assert set(answer.headers["Allow"].split(", ")) == methods


async def test_the_live_socket_closes_a_malformed_call_id_as_not_found(client):
    from tests.calls.test_live import ws_events

    assert await ws_events(client, "cal_" + "0" * 30) == ([], 4404)


async def test_any_value_a_column_cannot_hold_is_a_400_not_a_server_error(client):
    """The safety net under the id checks: the ORM's own length check maps to Invalid in one place."""
    answer = await client.graphql('{ speaker(name: "%s") { name } }' % ("x" * 100))
    assert answer["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert answer["errors"][0]["message"] == "name does not fit: too long or malformed"
