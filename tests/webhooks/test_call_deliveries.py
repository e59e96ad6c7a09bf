"""callWebhookDeliveries: the webhook deliveries one call's events fired, with how the latest attempt went;
only the caller's organisation's calls, and only that call's events."""

from __future__ import annotations

import asyncio

from app.calls.contract import CallAnalysis, CallEnd
from tests.calls.conftest import now, start_call
from tests.conftest import Client, new_client
from tests.webhooks.test_delivery import subscribe

QUERY = """query($id: ID!) { callWebhookDeliveries(callUuid: $id) { deliveryId webhookUuid webhookName eventType
  status attempts createdAt finishedAt lastResponseStatus lastError lastAttemptAt } }"""


async def deliveries(client, call_id):
    answer = await client.graphql(QUERY, {"id": call_id})
    assert not answer.get("errors"), answer
    return answer["data"]["callWebhookDeliveries"]


async def settled(client, call_id, statuses, timeout=5.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await deliveries(client, call_id)
        if [item["status"] for item in found] == statuses:
            return found
        assert loop.time() < deadline, found
        await asyncio.sleep(0.05)


async def ended_call(platform, organisation_id):
    call_id = await start_call(platform, organisation_id)
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=5))
    await platform.reporter.analysed(call_id, CallAnalysis(summary="s", sentiment="positive"))
    return call_id


async def test_a_calls_deliveries_with_their_last_attempt(hooks_client, hooks_server, hook):
    platform = hooks_server.platform
    crm = await subscribe(hooks_client, hook, "/crm", events=["call.started", "call.ended"])
    failing = await subscribe(hooks_client, hook, "/down", events=["call.ended"])
    hook.respond = lambda path, count: 500 if path == "/down" else 200
    call_id = await ended_call(platform, hooks_client.organisation_id)
    other_call = await ended_call(platform, hooks_client.organisation_id)

    found = await settled(hooks_client, call_id, ["delivered", "delivered", "failed"], timeout=10)
    started, ended, down = found
    assert (started["eventType"], started["webhookUuid"], started["webhookName"]) == (
        "call.started",
        crm["uuid"],
        "/crm",
    )
    assert (ended["eventType"], ended["webhookUuid"]) == ("call.ended", crm["uuid"])
    assert (started["attempts"], started["lastResponseStatus"], started["lastError"]) == (1, 200, None)
    assert started["finishedAt"] and started["lastAttemptAt"]
    assert (down["eventType"], down["webhookUuid"], down["attempts"], down["lastResponseStatus"]) == (
        "call.ended",
        failing["uuid"],
        4,
        500,
    )
    received = {item.headers["webhook-id"] for item in hook.received}
    assert {started["deliveryId"], ended["deliveryId"], down["deliveryId"]} <= received
    theirs = {item["deliveryId"] for item in await deliveries(hooks_client, other_call)}
    assert len(theirs) == 3 and not theirs & {item["deliveryId"] for item in found}


async def test_a_call_without_webhooks_has_none_and_pending_ones_show(hooks_client, hooks_server, hook):
    platform = hooks_server.platform
    call_id = await ended_call(platform, hooks_client.organisation_id)
    assert await deliveries(hooks_client, call_id) == []
    await subscribe(hooks_client, hook, "/slow", events=["call.started"])
    gate = asyncio.Event()  # a receiver that hangs keeps the row pending (each try times out)

    async def hang(path, count):
        await gate.wait()
        return 200

    hook.respond = hang
    pending = await start_call(platform, hooks_client.organisation_id)
    found = await deliveries(hooks_client, pending)
    assert [(item["eventType"], item["status"], item["attempts"], item["lastAttemptAt"]) for item in found] == [
        ("call.started", "pending", 0, None)
    ]
    gate.set()
    await settled(hooks_client, pending, ["delivered"])
    await platform.reporter.ended(pending, CallEnd(outcome="connected", ended_at=now(), duration_seconds=1))


async def test_only_the_callers_organisation(hooks_client, hooks_server, http):
    stranger = await new_client(http, hooks_server, "Stranger Org")
    call_id = await ended_call(hooks_server.platform, hooks_client.organisation_id)
    answer = await stranger.graphql(QUERY, {"id": call_id})
    assert (answer["errors"][0]["message"], answer["errors"][0]["extensions"]["code"]) == (
        "Call not found",
        "NOT_FOUND",
    )
    answer = await hooks_client.graphql(QUERY, {"id": "cal_000000000000"})
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    answer = await Client(http, hooks_server, None).graphql(QUERY, {"id": call_id})
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_lookup_uses_the_indexes_of_migration_0007(database_url):
    """Deliveries name their call only inside the payload: without the expression index every call page
    would scan the whole outbox (see docs/performance.md)."""
    from tortoise import connections
    from tortoise.transactions import in_transaction

    from app.db.sql import dialect
    from app.webhooks.call_deliveries import delivery_ids_sql

    kind = dialect()
    params = ["org_x", "cal_x", 10]
    if kind == "postgres":
        sql = delivery_ids_sql(kind)
        for number in (1, 2, 3):
            sql = sql.replace("?", f"${number}", 1)
        async with in_transaction() as connection:
            await connection.execute_script("SET LOCAL enable_seqscan = off")
            plan = str(await connection.execute_query_dict("EXPLAIN " + sql, params))
            logs = str(
                await connection.execute_query_dict(
                    "EXPLAIN SELECT * FROM webhook_logs WHERE delivery_id = $1", ["msg_x"]
                )
            )
    else:
        connection = connections.get("default")
        plan = str(await connection.execute_query_dict("EXPLAIN QUERY PLAN " + delivery_ids_sql(kind), params))
        logs = str(
            await connection.execute_query_dict(
                "EXPLAIN QUERY PLAN SELECT * FROM webhook_logs WHERE delivery_id = ?", ["msg_x"]
            )
        )
    assert "webhook_deliveries_call_uuid" in plan, plan
    assert "webhook_logs_delivery_id" in logs, logs
