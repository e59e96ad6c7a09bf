"""Live calls: the registry (GET /calls/live), the live WebSocket and the GraphQL subscriptions, in process
and through Redis."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import pytest_asyncio

from app.calls.channels import call_events, live_calls
from app.calls.contract import CallEnd, Speaker
from tests.calls.conftest import now, start_call
from tests.conftest import REDIS_URL, new_client

PROTOCOL = "graphql-transport-ws"


async def ws_events(client, call_id, token=None, timeout=5.0):
    """Every JSON message until the server closes the socket, plus the close code."""
    url = client.server.ws_url(f"/api/voice/ws/live/{call_id}?token={token or client.token}")
    events = []
    async with client.http.ws_connect(url) as ws:
        while True:
            message = await asyncio.wait_for(ws.receive(), timeout)
            if message.type == aiohttp.WSMsgType.TEXT:
                events.append(message.json())
            else:
                return events, ws.close_code


async def until(condition, timeout=15.0):
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    assert condition()


@pytest.fixture
def max_lag(platform):
    """Set how far behind a follower may fall on the shared server, restored afterwards."""
    fanout = platform.call_events.fanout
    before = fanout.max_lag

    def set_to(value: int) -> None:
        fanout.max_lag = value

    yield set_to
    fanout.max_lag = before


async def test_live_calls_lists_calls_in_progress_of_the_organisation(door, client, other_client, platform):
    mine = await start_call(platform, client.organisation_id, call_type="inbound")
    await start_call(platform, other_client.organisation_id)
    answer = await door.call("GET", "/calls/live")
    assert answer.status == 200
    assert [call["uuid"] for call in answer.body["calls"]] == [mine]
    assert answer.body["calls"][0]["call_type"] == "inbound" and answer.body["calls"][0]["status"] == "in-progress"
    await platform.reporter.ended(mine, CallEnd(outcome="connected", ended_at=now(), duration_seconds=3))
    assert (await door.call("GET", "/calls/live")).body == {"calls": []}


async def test_a_late_client_gets_the_replay_then_live_events_without_gap_or_duplicate(client, platform):
    call_id = await start_call(platform, client.organisation_id)
    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
    reader = asyncio.create_task(ws_events(client, call_id))
    await asyncio.sleep(0.2)
    for i in range(5):
        await platform.reporter.transcript(call_id, Speaker.CUSTOMER, f"turn {i}", 1.0 + i)
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=9))
    events, code = await reader
    assert [event["seq"] for event in events] == list(range(1, 9))
    assert events[0]["type"] == "start" and events[0]["call_uuid"] == call_id
    assert events[1] == {
        "type": "transcript",
        "call_uuid": call_id,
        "speaker": "agent",
        "text": "Hello",
        "timestamp": 0.0,
        "seq": 2,
    }
    assert events[-1]["type"] == "end" and events[-1]["duration_seconds"] == 9
    assert code == 1000


async def test_connecting_after_the_end_replays_the_buffer(client, platform):
    call_id = await start_call(platform, client.organisation_id)
    for i in range(250):
        await platform.reporter.transcript(call_id, Speaker.AGENT, f"{i}", float(i))
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=9))
    events, code = await ws_events(client, call_id)
    assert len(events) == 200
    assert events[-1]["type"] == "end" and events[0]["seq"] == 252 - 199
    assert code == 1000


async def test_a_bad_token_is_a_policy_violation_before_any_data(client, platform):
    call_id = await start_call(platform, client.organisation_id)
    events, code = await ws_events(client, call_id, token="nn_k_not-a-key")
    assert (events, code) == ([], 1008)


async def test_another_organisations_call_is_closed_as_not_found(client, other_client, platform):
    theirs = await start_call(platform, other_client.organisation_id)
    events, code = await ws_events(client, theirs)
    assert (events, code) == ([], 4404)
    events, code = await ws_events(client, "cal_doesnotexist")
    assert (events, code) == ([], 4404)


async def graphql_ws(client):
    ws = await client.http.ws_connect(client.server.ws_url("/api/voice/graphql"), protocols=(PROTOCOL,))
    await ws.send_json({"type": "connection_init", "payload": {"token": client.token}})
    assert (await next_message(ws))["type"] == "connection_ack"
    return ws


async def next_message(ws, timeout=5.0):
    while True:
        message = await asyncio.wait_for(ws.receive(), timeout)
        if message.type != aiohttp.WSMsgType.TEXT:
            return message
        data = message.json()
        if data["type"] not in ("ping", "pong", "ka"):
            return data


async def test_graphql_call_events_replay_then_live_and_complete_after_end(client, platform):
    call_id = await start_call(platform, client.organisation_id)
    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
    ws = await graphql_ws(client)
    await ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($id: ID!) { callEvents(callUuid: $id) { type seq callUuid event } }",
                "variables": {"id": call_id},
            },
        }
    )
    first = await next_message(ws)
    second = await next_message(ws)
    assert [m["payload"]["data"]["callEvents"]["seq"] for m in (first, second)] == [1, 2]
    await platform.reporter.status(call_id, "on_hold")
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=2))
    third, fourth, done = await next_message(ws), await next_message(ws), await next_message(ws)
    assert third["payload"]["data"]["callEvents"]["event"]["status"] == "on_hold"
    assert fourth["payload"]["data"]["callEvents"]["type"] == "end"
    assert done == {"id": "1", "type": "complete"}
    await ws.close()


async def test_graphql_call_events_of_another_organisation_are_not_found(client, other_client, platform):
    theirs = await start_call(platform, other_client.organisation_id)
    ws = await graphql_ws(client)
    await ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($id: ID!) { callEvents(callUuid: $id) { seq } }",
                "variables": {"id": theirs},
            },
        }
    )
    message = await next_message(ws)
    assert message["type"] == "error" or message["payload"].get("errors")
    await ws.close()


async def test_graphql_live_calls_tells_dashboards_of_starts_and_ends(client, other_client, platform):
    ws = await graphql_ws(client)
    await ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": "subscription { liveCalls { change call { uuid callType status outcome } } }"},
        }
    )
    await asyncio.sleep(0.2)
    await start_call(platform, other_client.organisation_id)
    call_id = await start_call(platform, client.organisation_id, call_type="inbound")
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=2))
    started, ended = await next_message(ws), await next_message(ws)
    assert started["payload"]["data"]["liveCalls"] == {
        "change": "started",
        "call": {"uuid": call_id, "callType": "inbound", "status": "in-progress", "outcome": None},
    }
    assert ended["payload"]["data"]["liveCalls"]["change"] == "ended"
    assert ended["payload"]["data"]["liveCalls"]["call"]["outcome"] == "connected"
    await ws.close()


async def test_a_live_socket_that_falls_behind_is_closed_to_reconnect_later(client, platform, max_lag):
    call_id = await start_call(platform, client.organisation_id)
    max_lag(0)  # no room at all: the first live event finds the socket behind
    reader = asyncio.create_task(ws_events(client, call_id))
    await until(lambda: platform.call_events.fanout.followers(call_id) == 1)
    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
    events, code = await reader
    assert [event["type"] for event in events] == ["start"]
    assert code == 1013


async def test_a_graphql_subscriber_that_falls_behind_gets_unavailable_then_complete(client, platform, max_lag):
    call_id = await start_call(platform, client.organisation_id)
    max_lag(0)
    ws = await graphql_ws(client)
    await ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($id: ID!) { callEvents(callUuid: $id) { type } }",
                "variables": {"id": call_id},
            },
        }
    )
    assert (await next_message(ws))["payload"]["data"]["callEvents"] == {"type": "start"}
    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
    failed, done = await next_message(ws), await next_message(ws)
    assert failed["payload"]["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert done == {"id": "1", "type": "complete"}
    await ws.close()


def operations_counted(text: str, operation: str) -> float:
    prefix = f'voiceai_graphql_operations_total{{operation="{operation}",outcome="ok",type="subscription"}} '
    return sum(float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix))


async def test_graphql_subscribers_of_one_call_each_get_their_own_selection(client, platform, server):
    """Payloads are shared between subscribers of the same operation only: the selection, aliases and
    variables of each subscriber shape what it receives."""
    call_id = await start_call(platform, client.organisation_id)
    metrics_before = await (await client.http.get(server.url("/metrics"))).text()
    first, second = await graphql_ws(client), await graphql_ws(client)
    plain = {"query": "subscription($id: ID!) { callEvents(callUuid: $id) { type seq } }", "variables": {"id": call_id}}
    aliased = {
        "query": "subscription Aliased($id: ID!) { events: callEvents(callUuid: $id) { seq callUuid } }",
        "operationName": "Aliased",
        "variables": {"id": call_id},
    }
    await first.send_json({"id": "a", "type": "subscribe", "payload": plain})
    await first.send_json({"id": "b", "type": "subscribe", "payload": aliased})
    await second.send_json({"id": "c", "type": "subscribe", "payload": plain})
    await until(lambda: platform.call_events.fanout.followers(call_id) == 3)
    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=2))
    received: dict[str, list] = {"a": [], "b": [], "c": []}
    for ws, ids in ((first, {"a", "b"}), (second, {"c"})):
        while ids:
            message = await next_message(ws)
            if message["type"] == "complete":
                ids.discard(message["id"])
            else:
                received[message["id"]].append(message["payload"]["data"])
        await ws.close()
    assert (
        received["a"]
        == received["c"]
        == [{"callEvents": {"type": kind, "seq": seq}} for seq, kind in ((1, "start"), (2, "transcript"), (3, "end"))]
    )
    assert received["b"] == [{"events": {"seq": seq, "callUuid": call_id}} for seq in (1, 2, 3)]
    metrics_after = await (await client.http.get(server.url("/metrics"))).text()
    assert operations_counted(metrics_after, "callEvents") - operations_counted(metrics_before, "callEvents") == 3


async def graphql_texts(client, call_id, query, count):
    ws = await graphql_ws(client)
    await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": call_id}}})
    texts = []
    while len(texts) < count:
        message = await asyncio.wait_for(ws.receive(), 5)
        if '"type":"next"' in message.data or '"type":"complete"' in message.data:
            texts.append(message.data)
    await ws.close()
    return texts


async def test_shared_graphql_payloads_are_the_same_bytes_as_strawberrys_own(client, platform):
    """The shared path (payload executed once per event) and Strawberry's per-subscriber pipeline send
    identical text."""
    query = "subscription($id: ID!) { callEvents(callUuid: $id) { type seq callUuid event } }"
    call_id = await start_call(platform, client.organisation_id)
    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=2))
    fanout = platform.call_events.fanout
    shared = await graphql_texts(client, call_id, query, 4)
    fanout.shared = False
    try:
        alone = await graphql_texts(client, call_id, query, 4)
    finally:
        fanout.shared = True
    assert shared == alone
    assert shared[-1] == '{"id":"1","type":"complete"}'


async def test_each_event_is_encoded_once_per_door_and_operation_however_many_follow(client, platform):
    """Two sockets and two subscriptions of the same operation on one call: the event they all receive
    was encoded twice, once as the socket's JSON text and once as the operation's `next` payload."""
    call_id = await start_call(platform, client.organisation_id)
    fanout = platform.call_events.fanout
    readers = [asyncio.create_task(ws_events(client, call_id)) for _ in range(2)]
    query = "subscription($id: ID!) { callEvents(callUuid: $id) { type seq } }"
    subscriptions = [await graphql_ws(client) for _ in range(2)]
    for ws in subscriptions:
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": call_id}}})
    async with fanout.follow(call_id) as watching:
        await until(lambda: fanout.followers(call_id) == 5)
        await platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
        for ws in subscriptions:
            assert (await next_message(ws))["payload"]["data"]["callEvents"]["seq"] == 1
            assert (await next_message(ws))["payload"]["data"]["callEvents"] == {"type": "transcript", "seq": 2}
        _start, transcript = await anext(watching), await anext(watching)
        await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=2))
        for reader in readers:
            assert [event["seq"] for event in (await reader)[0]] == [1, 2, 3]
    assert transcript.seq == 2 and transcript.encodings == 2
    for ws in subscriptions:
        await ws.close()


async def test_sockets_and_subscriptions_of_a_call_share_one_bus_subscription_until_the_last_leaves(client, platform):
    call_id = await start_call(platform, client.organisation_id)
    fanout, channel = platform.call_events.fanout, call_events(call_id)
    reader = asyncio.create_task(ws_events(client, call_id))
    ws = await graphql_ws(client)
    await ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($id: ID!) { callEvents(callUuid: $id) { seq } }",
                "variables": {"id": call_id},
            },
        }
    )
    await until(lambda: fanout.followers(call_id) == 2)
    assert platform.bus.subscribers(channel) == 1
    await ws.send_json({"id": "1", "type": "complete"})
    await until(lambda: fanout.followers(call_id) == 1)
    assert platform.bus.subscribers(channel) == 1
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=2))
    events, code = await reader
    assert ([event["seq"] for event in events], code) == ([1, 2], 1000)
    await until(lambda: fanout.followers(call_id) == 0 and platform.bus.subscribers(channel) == 0)
    await ws.close()


@pytest_asyncio.fixture
async def redis_pair(start_server, http):
    """Two instances sharing Redis: the call runs on one, clients talk to the other."""
    first = await start_server(redis_url=REDIS_URL)
    second = await start_server(redis_url=REDIS_URL)
    return first, second


async def test_through_redis_every_instance_sees_live_calls_and_events(redis_pair, http):
    first, second = redis_pair
    client = await new_client(http, second)
    call_id = await start_call(first.platform, client.organisation_id)
    await first.platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
    live = await client.get("/calls/live")
    assert [call["uuid"] for call in live.body["calls"]] == [call_id]
    reader = asyncio.create_task(ws_events(client, call_id))
    ws = await graphql_ws(client)
    await ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($id: ID!) { callEvents(callUuid: $id) { seq } }",
                "variables": {"id": call_id},
            },
        }
    )
    await until(lambda: second.platform.call_events.fanout.followers(call_id) == 2)
    for i in range(3):
        await first.platform.reporter.transcript(call_id, Speaker.CUSTOMER, f"turn {i}", 1.0 + i)
    await first.platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=4))
    events, code = await reader
    assert [event["seq"] for event in events] == [1, 2, 3, 4, 5, 6]
    assert code == 1000
    subscribed = [(await next_message(ws))["payload"]["data"]["callEvents"]["seq"] for _ in range(6)]
    assert subscribed == [1, 2, 3, 4, 5, 6] and (await next_message(ws))["type"] == "complete"
    await ws.close()
    assert (await client.get("/calls/live")).body == {"calls": []}


async def test_graphql_live_calls_tells_dashboards_when_a_live_calls_status_changes(client, platform):
    ws = await graphql_ws(client)
    await ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": "subscription { liveCalls { change call { uuid callType status target outcome } } }"},
        }
    )
    await until(lambda: platform.bus.subscribers(live_calls(client.organisation_id)) == 1)
    call_id = await start_call(platform, client.organisation_id, call_type="inbound")
    await platform.reporter.status(call_id, "transfer_initiated", {"target": "sales_specialist", "agent_brief": "Hi"})
    await platform.reporter.ended(call_id, CallEnd(outcome="warm_transfer", ended_at=now(), duration_seconds=2))
    changes = [(await next_message(ws))["payload"]["data"]["liveCalls"] for _ in range(3)]
    assert [change["change"] for change in changes] == ["started", "updated", "ended"]
    assert changes[1]["call"] == {
        "uuid": call_id,
        "callType": "inbound",
        "status": "transfer_initiated",
        "target": "sales_specialist",
        "outcome": None,
    }
    listed = await client.graphql("{ liveCalls { uuid } }")
    assert listed["data"]["liveCalls"] == []
    await platform.reporter.status(call_id, "on_hold")  # no longer live: nothing to tell dashboards
    assert await client.graphql("{ liveCalls { uuid } }") == {"data": {"liveCalls": []}}
    with pytest.raises(asyncio.TimeoutError):
        await next_message(ws, timeout=0.3)
    await ws.close()


async def test_a_dashboard_that_missed_live_call_changes_gets_unavailable_to_reload(client, platform):
    ws = await graphql_ws(client)
    await ws.send_json(
        {"id": "1", "type": "subscribe", "payload": {"query": "subscription { liveCalls { change call { uuid } } }"}}
    )
    channel = live_calls(client.organisation_id)
    await until(lambda: platform.bus.subscribers(channel) == 1)
    for n in range(1010):  # nothing yields in between: more than the subscription holds
        await platform.bus.publish(channel, {"change": "updated", "call": {"uuid": f"cal_{n}", "status": "x"}})
    failed, done = await next_message(ws), await next_message(ws)
    assert failed["payload"]["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert failed["payload"]["errors"][0]["message"] == "10 live call changes were lost; reload the live calls"
    assert done == {"id": "1", "type": "complete"}
    await ws.close()


async def test_a_live_socket_whose_lost_events_the_replay_cannot_cover_is_closed_to_reconnect(client, platform, server):
    """The call's shared bus subscription overflows (1,000 events) by more than the replay holds (200):
    the socket closes with 1013 like a slow one, and the overflow is counted in the metrics."""
    call_id = await start_call(platform, client.organisation_id)
    before = await (await client.http.get(server.url("/metrics"))).text()
    reader = asyncio.create_task(ws_events(client, call_id))
    await until(lambda: platform.call_events.fanout.followers(call_id) == 1)
    for i in range(1100):  # appends do not yield: the hub reads only once they are all published
        await platform.call_events.append(call_id, {"type": "transcript", "call_uuid": call_id, "text": str(i)})
    events, code = await reader
    assert ([event["seq"] for event in events], code) == ([1], 1013)
    after = await (await client.http.get(server.url("/metrics"))).text()
    dropped, cut_off = "voiceai_live_events_dropped_total", 'voiceai_live_followers_recovered_total{outcome="cut_off"}'
    assert metric(after, dropped) - metric(before, dropped) == 1100 - 1000  # the 1,000 newest were queued
    assert metric(after, cut_off) - metric(before, cut_off) == 1


def metric(text: str, name: str) -> float:
    return sum(float(line.removeprefix(name + " ")) for line in text.splitlines() if line.startswith(name + " "))
