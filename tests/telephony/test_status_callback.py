"""POST /webhooks/exotel/status: validated by AccountSid, idempotent, out-of-order safe."""

from __future__ import annotations

from app.db.models import Call, HumanQueue, WebhookDelivery
from app.ids import new_id

STATUS = "/webhooks/exotel/status"


def _form(fake, call, **fields) -> dict[str, str]:
    return {
        "CallSid": call.provider_call_id,
        "AccountSid": fake.account_sid,
        "CustomField": call.id,
        "DateUpdated": "2026-05-12 14:34:00",
        "RecordingUrl": "",
        **fields,
    }


async def _hook(client) -> None:
    answer = await client.post(
        "/webhooks", json={"name": "n", "url": "https://hooks.example.com/x", "events": ["call.no_answer"]}
    )
    assert answer.status == 201, answer.body


async def _no_answer_events(client) -> int:
    return await WebhookDelivery.filter(
        webhook__organisation_id=client.organisation_id, event_type="call.no_answer"
    ).count()


async def test_unknown_account_is_403_and_nothing_changes(anonymous, client, connected, queued_call):
    call = queued_call["call"]
    answer = await anonymous.post(STATUS, data=_form(connected, call, AccountSid="acct_other", Status="no-answer"))
    assert answer.status == 403
    assert answer.body["detail"] == "AccountSid does not match a connected Exotel account"
    missing = await anonymous.post(STATUS, data={"CallSid": call.provider_call_id, "Status": "no-answer"})
    assert missing.status == 403
    fresh = await Call.get(id=call.id)
    assert (fresh.status, fresh.outcome, fresh.ended_at) == ("queued", None, None)


async def test_another_organisations_account_cannot_touch_the_call(anonymous, other_client, queued_call, fake_exotel):
    await other_client.put(
        "/integrations/telephony/exotel",
        json={
            "api_key": "k1234",
            "api_token": "t1234",
            "account_sid": "acct_intruder",
            "subdomain": "api.exotel.com",
            "phone_number": "+918047112345",
        },
    )
    call = queued_call["call"]
    answer = await anonymous.post(STATUS, data=_form(fake_exotel, call, AccountSid="acct_intruder", Status="completed"))
    assert answer.status == 404
    assert (await Call.get(id=call.id)).status == "queued"


async def test_no_answer_ends_the_call_and_fires_once(anonymous, client, connected, queued_call):
    await _hook(client)
    call = queued_call["call"]
    form = _form(connected, call, Status="no-answer", RecordingUrl="https://recordings.exotel.com/x.mp3")
    first = await anonymous.post(STATUS, data=form)
    assert first.status == 200 and first.body == {"status": "ended"}
    again = await anonymous.post(STATUS, data=form)
    assert again.status == 200 and again.body == {"status": "unchanged"}
    fresh = await Call.get(id=call.id)
    assert (fresh.status, fresh.outcome, fresh.end_reason) == ("completed", "no-answer", "no_answer")
    assert fresh.recording_url == "https://recordings.exotel.com/x.mp3"
    assert await _no_answer_events(client) == 1


async def test_busy_is_unanswered(anonymous, client, connected, queued_call):
    call = queued_call["call"]
    assert (await anonymous.post(STATUS, data=_form(connected, call, Status="busy"))).status == 200
    fresh = await Call.get(id=call.id)
    assert (fresh.outcome, fresh.end_reason) == ("no-answer", "busy")


async def test_answered_after_terminal_is_ignored(anonymous, client, connected, queued_call):
    call = queued_call["call"]
    await anonymous.post(STATUS, data=_form(connected, call, Status="failed"))
    late = await anonymous.post(STATUS, data=_form(connected, call, Status="in-progress", EventType="answered"))
    assert late.status == 200 and late.body == {"status": "unchanged"}
    fresh = await Call.get(id=call.id)
    assert (fresh.status, fresh.outcome) == ("failed", "failed")


async def test_answered_then_recording_on_completed_of_a_socket_call(anonymous, client, connected, queued_call):
    call = queued_call["call"]
    answered = await anonymous.post(STATUS, data=_form(connected, call, Status="in-progress", EventType="answered"))
    assert answered.body == {"status": "updated"}
    assert (await Call.get(id=call.id)).status == "in-progress"
    # the voicebot session owns the end of a call it started: completed only fills the recording
    await Call.filter(id=call.id).update(started_at=call.created_at)
    done = await anonymous.post(
        STATUS, data=_form(connected, call, Status="completed", RecordingUrl="https://recordings.exotel.com/y.mp3")
    )
    assert done.body == {"status": "updated"}
    fresh = await Call.get(id=call.id)
    assert fresh.recording_url == "https://recordings.exotel.com/y.mp3" and fresh.ended_at is None


async def test_bad_status_and_json_body_are_400(anonymous, connected, queued_call):
    call = queued_call["call"]
    bad = await anonymous.post(STATUS, data=_form(connected, call, Status="exploded"))
    assert bad.status == 400 and bad.body["detail"].startswith("Status must be one of")
    as_json = await anonymous.post(STATUS, json=_form(connected, call, Status="completed"))
    assert as_json.status == 400
    assert (await Call.get(id=call.id)).status == "queued"


async def test_passthru_and_connect_for_a_warm_transfer(anonymous, client, connected, queued_call):
    call = queued_call["call"]
    await HumanQueue.create(
        id=new_id("que"), organisation_id=client.organisation_id, name="default", transfer_number="+918000000001"
    )
    params = {"CallSid": call.provider_call_id, "CustomField": call.id}
    assert (await anonymous.get("/webhooks/exotel/passthru", params=params)).status == 200
    await Call.filter(id=call.id).update(end_reason="transfer", outcome="warm_transfer")
    async with anonymous.http.get(
        client.server.url("/api/voice/webhooks/exotel/passthru"), params=params, allow_redirects=False
    ) as answer:
        assert answer.status == 302
    connect = await anonymous.get("/webhooks/exotel/connect", params=params)
    assert connect.status == 200 and connect.body["destination"] == {"numbers": ["+918000000001"]}
    forged = await anonymous.get("/webhooks/exotel/passthru", params={"CallSid": "nope"})
    assert forged.status == 403
    mismatch = await anonymous.get("/webhooks/exotel/connect", params={**params, "CustomField": "cal_other"})
    assert mismatch.status == 403


async def test_the_voicebot_applet_fetches_a_socket_url_that_names_the_outbound_call(anonymous, client, queued_call):
    """Exotel echoes the socket URL's query as start.custom_parameters: that is how the socket finds the
    call the dialer placed."""
    from urllib.parse import parse_qs, urlsplit

    call, flow, customer = queued_call["call"], queued_call["flow"], queued_call["customer"]
    answer = await anonymous.get(
        "/webhooks/exotel/stream", params={"CallSid": call.provider_call_id, "CustomField": call.id}
    )
    assert answer.status == 200
    url = urlsplit(answer.body["url"])
    assert url.scheme == "ws" and url.path == "/api/voice/ws/exotel"
    assert parse_qs(url.query) == {"call_id": [call.id], "flow_id": [flow.id], "customer_id": [customer.id]}
    assert len(url.query) <= 256  # Exotel's limit for custom parameters

    inbound = await anonymous.get("/webhooks/exotel/stream", params={"CallSid": "CA-inbound"})
    assert inbound.status == 200 and urlsplit(inbound.body["url"]).query == ""
    forged = await anonymous.get("/webhooks/exotel/stream", params={"CallSid": "nope", "CustomField": call.id})
    assert forged.status == 403


async def test_every_terminal_callback_fires_call_ended_once_after_the_outcome_event(
    anonymous, client, connected, queued_call
):
    """A call that never reached the voice socket still tells a workflow service it ended (issue 12)."""
    answer = await client.post(
        "/webhooks",
        json={"name": "n", "url": "https://hooks.example.com/x", "events": ["call.no_answer", "call.ended"]},
    )
    assert answer.status == 201, answer.body
    call = queued_call["call"]
    for status in ("busy", "busy", "completed", "failed"):  # the first ends the call; the rest are late
        assert (await anonymous.post(STATUS, data=_form(connected, call, Status=status))).status == 200
    rows = await WebhookDelivery.filter(webhook__organisation_id=client.organisation_id).order_by("created_at")
    assert [(row.event_type, row.status) for row in rows] == [("call.no_answer", "pending"), ("call.ended", "pending")]
    ended = rows[1].payload["data"]
    assert (ended["call_uuid"], ended["outcome"], ended["transcript"], ended["recording_url"]) == (
        call.id,
        "no-answer",
        [],
        None,
    )
    assert rows[0].next_attempt_at <= rows[1].next_attempt_at
