"""Deliveries: the spec's envelope, signed, from the outbox; retried with backoff; every attempt logged;
a hanging receiver delays nobody else; a worker killed mid-batch loses nothing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time

from tortoise.transactions import in_transaction

from app.calls.contract import CallAnalysis, CallEnd, Speaker
from app.db.models import Call, Webhook, WebhookDelivery, WebhookLog
from app.webhooks.outbox import WebhookOutbox
from app.webhooks.sender import HttpWebhookSender
from tests.calls.conftest import now, start_call

ALL_CALL_EVENTS = ["call.started", "call.ended", "call.transferred", "call.no_answer", "call.voicemail"]


async def subscribe(client, hook, path, events=ALL_CALL_EVENTS, **extra):
    created = await client.post("/webhooks", json={"name": path, "url": hook.at(path), "events": events, **extra})
    assert created.status == 201, created.body
    return created.body


def verify(secret: str, received) -> None:
    assert received.headers["X-NN-Signature"] == hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert received.headers["webhook-signature"] == expected
    assert abs(int(received.headers["webhook-timestamp"]) - time.time()) < 60


async def test_a_call_fires_started_and_ended_with_the_spec_payload(hooks_client, hooks_server, hook):
    platform = hooks_server.platform
    webhook = await subscribe(hooks_client, hook, "/crm", headers={"X-Workflow-Secret": "shh"})
    customer = (
        await hooks_client.post(
            "/customers",
            json={"name": "Jane", "phone": "+14155550192", "metadata": {"lead_id": "LH-1", "cart_value": 850}},
        )
    ).body
    call_id = await start_call(platform, hooks_client.organisation_id, customer_id=customer["uuid"])
    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hi, good morning!", 0.0)
    await platform.reporter.ended(
        call_id,
        CallEnd(
            outcome="connected",
            ended_at=now(),
            duration_seconds=113,
            recording_path=f"recordings/{call_id}.wav",
            language_detected="en",
        ),
    )
    await platform.reporter.analysed(call_id, CallAnalysis(summary="s", sentiment="positive"))
    started, ended = await hook.wait_for("/crm", 2)
    assert started.json["event"] == "call.started" and ended.json["event"] == "call.ended"
    for received in (started, ended):
        verify(webhook["secret"], received)
        assert received.headers["X-Workflow-Secret"] == "shh"
        assert received.headers["Content-Type"] == "application/json"
    body = ended.json
    assert set(body) == {"event", "fired_at", "organisation_uuid", "data"}
    assert body["organisation_uuid"] == hooks_client.organisation_id and body["fired_at"].endswith("Z")
    call = await Call.get(id=call_id)
    data = dict(body["data"])
    extension = {key: data.pop(key) for key in ("usage", "cost", "latency")}  # issue 17
    assert (extension["usage"]["telephony_seconds"], extension["cost"]["total"], extension["latency"]) == (
        113,
        1.2,
        None,
    )  # 2 started minutes at the default INR 0.60; no measured replies
    assert data == {
        "call_uuid": call_id,
        "call_type": "outbound",
        "flow_uuid": None,
        "customer_uuid": customer["uuid"],
        "customer_phone": "+14155550192",
        "customer_metadata": {"lead_id": "LH-1", "cart_value": 850},
        "outcome": "connected",
        "sentiment": "positive",
        "duration_seconds": 113,
        "language_detected": "en",
        "transcript": [{"speaker": "agent", "text": "Hi, good morning!", "timestamp": 0.0}],
        "recording_url": f"{hooks_server.base_url}/api/voice/calls/{call_id}/recording",
        "started_at": call.started_at.isoformat().replace("+00:00", "Z"),
        "ended_at": call.ended_at.isoformat().replace("+00:00", "Z"),
    }
    await asyncio.sleep(0.1)
    logs = (await hooks_client.get(f"/webhooks/{webhook['uuid']}/logs")).body["logs"]
    assert [(log["event_type"], log["response_status"], log["success"]) for log in logs] == [
        ("call.ended", 200, True),
        ("call.started", 200, True),
    ]
    assert set(logs[0]) == {"uuid", "event_type", "payload", "response_status", "success", "triggered_at"}
    assert logs[0]["payload"] == body
    assert (await hooks_client.get(f"/webhooks/{webhook['uuid']}")).body["last_triggered_at"] is not None


async def test_transfer_no_answer_and_voicemail_events(hooks_client, hooks_server, hook):
    platform = hooks_server.platform
    await subscribe(hooks_client, hook, "/flow", events=["call.transferred", "call.no_answer", "call.voicemail"])
    transferred = await start_call(platform, hooks_client.organisation_id)
    await platform.reporter.status(transferred, "transfer_initiated", {"target": "sales", "agent_brief": "b"})
    for outcome in ("no-answer", "voicemail"):
        call_id = await start_call(platform, hooks_client.organisation_id)
        await platform.reporter.ended(call_id, CallEnd(outcome=outcome, ended_at=now(), duration_seconds=0))
    received = await hook.wait_for("/flow", 3)
    assert sorted(item.json["event"] for item in received) == ["call.no_answer", "call.transferred", "call.voicemail"]
    transfer = next(item.json for item in received if item.json["event"] == "call.transferred")
    assert transfer["data"]["target"] == "sales" and transfer["data"]["call_uuid"] == transferred


async def test_non_2xx_is_retried_with_the_same_id_and_every_attempt_logged(hooks_client, hooks_server, hook):
    hook.respond = lambda path, n: 500 if n < 3 else 200
    webhook = await subscribe(hooks_client, hook, "/flaky", events=["call.started"])
    await start_call(hooks_server.platform, hooks_client.organisation_id)
    attempts = await hook.wait_for("/flaky", 3)
    assert len({item.headers["webhook-id"] for item in attempts}) == 1
    await asyncio.sleep(0.1)
    logs = await WebhookLog.filter(webhook_id=webhook["uuid"]).order_by("attempt")
    assert [(log.attempt, log.response_status, log.success) for log in logs] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert (await WebhookDelivery.get(webhook_id=webhook["uuid"])).status == "delivered"


async def test_after_three_retries_the_delivery_fails(hooks_client, hooks_server, hook):
    hook.respond = lambda path, n: 503
    webhook = await subscribe(hooks_client, hook, "/down", events=["call.started"])
    await start_call(hooks_server.platform, hooks_client.organisation_id)
    await hook.wait_for("/down", 4)
    await asyncio.sleep(0.5)
    assert len(hook.on("/down")) == 4
    delivery = await WebhookDelivery.get(webhook_id=webhook["uuid"])
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert await WebhookLog.filter(webhook_id=webhook["uuid"]).count() == 4


async def test_a_hanging_receiver_times_out_is_retried_and_delays_nobody(hooks_client, hooks_server, hook):
    async def respond(path, n):
        if path == "/hang" and n == 1:
            await asyncio.sleep(3)  # longer than the 0.5 s timeout of this server
        return 200

    hook.respond = respond
    slow = await subscribe(hooks_client, hook, "/hang", events=["call.started"])
    await subscribe(hooks_client, hook, "/fast", events=["call.started"])
    began = time.monotonic()
    await start_call(hooks_server.platform, hooks_client.organisation_id)
    await hook.wait_for("/fast", 1)
    assert time.monotonic() - began < 0.5
    await hook.wait_for("/hang", 2, timeout=8)
    await asyncio.sleep(0.1)
    logs = await WebhookLog.filter(webhook_id=slow["uuid"]).order_by("attempt")
    assert [(log.success, log.error) for log in logs][:1] == [(False, "timeout")]
    assert any(log.success for log in logs)


async def test_a_worker_killed_mid_batch_loses_nothing(hooks_client, hooks_server, hook):
    platform = hooks_server.platform
    release = asyncio.Event()

    async def respond(path, n):
        await release.wait()
        return 200

    hook.respond = respond
    await subscribe(hooks_client, hook, "/batch", events=["call.started"])
    for _ in range(5):
        await start_call(platform, hooks_client.organisation_id)
    await asyncio.sleep(0.3)  # the worker has claimed the rows and is waiting on the receiver
    await platform.webhook_worker.stop()
    release.set()
    platform.webhook_worker.start()
    received = await hook.wait_for("/batch", 5, timeout=10)
    assert len({item.headers["webhook-id"] for item in received}) == 5


async def test_the_outbox_row_exists_only_if_the_change_committed(hooks_client):
    webhook = await Webhook.create(
        id="wbh_rollback01",
        organisation_id=hooks_client.organisation_id,
        name="x",
        url="https://example.com",
        events=["call.started"],
        secret="s",
    )
    try:
        async with in_transaction() as connection:
            await WebhookOutbox().enqueue(hooks_client.organisation_id, "call.started", {}, connection=connection)
            raise RuntimeError("the state change failed")
    except RuntimeError:
        pass
    assert await WebhookDelivery.filter(webhook_id=webhook.id).count() == 0
    await webhook.delete()


async def test_inactive_webhooks_and_other_events_get_nothing(hooks_client, hooks_server, hook):
    paused = await subscribe(hooks_client, hook, "/paused", events=["call.started"])
    await hooks_client.graphql(
        "mutation($id: ID!) { updateWebhook(uuid: $id, input: {isActive: false}) { uuid } }", {"id": paused["uuid"]}
    )
    other = await subscribe(hooks_client, hook, "/other", events=["campaign.launched"])
    await start_call(hooks_server.platform, hooks_client.organisation_id)
    assert await WebhookDelivery.filter(webhook_id__in=[paused["uuid"], other["uuid"]]).count() == 0


async def test_the_test_ping_is_signed_and_logged(hooks_client, hook):
    webhook = await subscribe(hooks_client, hook, "/ping", events=["call.ended"])
    answer = await hooks_client.graphql("mutation($id: ID!) { testWebhook(uuid: $id) }", {"id": webhook["uuid"]})
    assert answer["data"]["testWebhook"] is True
    [ping] = await hook.wait_for("/ping", 1)
    assert ping.json["event"] == "webhook.test"
    verify(webhook["secret"], ping)


async def test_delivery_refuses_private_addresses_unless_allowed(hook):
    strict = HttpWebhookSender(timeout_seconds=1, allow_private=False)
    try:
        literal = await strict.send(hook.at("/x"), b"{}", {})
        assert (literal.status, literal.error) == (None, "refused: private, loopback or link-local address")
        named = await strict.send(hook.at("/x").replace("127.0.0.1", "localhost"), b"{}", {})
        assert (named.status, named.error) == (None, "refused: private, loopback or link-local address")
    finally:
        await strict.aclose()
    assert hook.on("/x") == []
