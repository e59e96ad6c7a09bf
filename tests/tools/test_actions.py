"""Issue 16 §2 over the Exotel socket: a caller who asks to be called later gets a callback on the flow's
campaign at the time they meant (their time zone, the calling window), the call ends `callback_requested`;
one who asks not to be called again is on the do-not-call list (`dnc_request`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest_asyncio

from app.db.models import Call, DialJob, DoNotCall
from tests.tools.test_in_call_tools import world, world_session  # noqa: F401  (the shared world)
from tests.voice.conftest import fresh_line
from tests.voice.speech import silent_frames, speech_frames, tone_frames

KOLKATA = ZoneInfo("Asia/Kolkata")
WINDOW = {"start": "09:00", "end": "18:00", "timezone": "Asia/Kolkata"}


@pytest_asyncio.fixture
async def campaign_flow(world):
    flow = await world.flow(flow_fields={"time_window": WINDOW, "branches": ["Region:Nowhere"]})
    launched = await world.client.post(f"/flows/{flow['uuid']}/launch")
    assert launched.status == 200, launched.body
    return flow


async def test_call_me_tomorrow_at_5_books_a_callback_and_ends_the_call(http, world, campaign_flow):
    customer = (
        await world.client.post(
            "/customers", json={"name": "Ravi", "phone": fresh_line(), "metadata": {"timezone": "Asia/Kolkata"}}
        )
    ).body
    caller, call_id = await world.call(http, campaign_flow, customer)
    await world.say(caller, "I am busy now, call me tomorrow at 5")
    ended = await world.ended(call_id)
    assert (ended["outcome"], ended["endReason"]) == ("connected", "callback_requested")
    [callback] = ended["callbacks"]
    due = datetime.fromisoformat(callback["dueAt"].replace("Z", "+00:00")).astimezone(KOLKATA)
    tomorrow = (datetime.now(UTC).astimezone(KOLKATA) + timedelta(days=1)).date()
    assert (due.date(), due.hour, due.minute) == (tomorrow, 17, 0)
    assert callback["status"] == "queued" and callback["customerUuid"] == customer["uuid"]
    assert "tomorrow at 5" in callback["note"]
    turns = await world.transcript(call_id, "call you back")
    assert turns[-1] == ("agent", "Sure, I will call you back then. Thank you, goodbye!")

    listed = await world.client.get(f"/flows/{campaign_flow['uuid']}/callbacks")
    assert [c["uuid"] for c in listed.body["callbacks"]] == [callback["uuid"]]

    # asking again moves the one callback instead of adding another; outside the window it moves into it
    caller, second = await world.call(http, campaign_flow, customer)
    await world.say(caller, "call me back tonight at 11 pm")
    assert (await world.ended(second))["endReason"] == "callback_requested"
    jobs = await DialJob.filter(customer_id=customer["uuid"], kind="callback")
    assert len(jobs) == 1 and jobs[0].requested_by == second
    moved = jobs[0].next_attempt_at.astimezone(KOLKATA)
    assert (moved.hour, moved.minute) == (9, 0)  # 23:00 is outside 09:00-18:00: the next morning
    await caller.close()


async def test_please_dont_call_me_again_is_a_do_not_call_request(http, world, campaign_flow):
    customer = (await world.client.post("/customers", json={"name": "Meera", "phone": fresh_line()})).body
    caller, call_id = await world.call(http, campaign_flow, customer)
    await world.say(caller, "Please don't call me again")
    ended = await world.ended(call_id)
    assert (ended["outcome"], ended["endReason"]) == ("connected", "dnc_request")
    assert await DoNotCall.filter(customer_id=customer["uuid"], call_id=call_id).exists()
    turns = await world.transcript(call_id, "We will not call you again")  # the end never cuts it off
    assert turns[-1] == ("agent", "I am sorry for the trouble. We will not call you again. Goodbye!")
    await caller.close()


async def test_hindi_mein_baat_karo_switches_the_call_and_the_record_shows_it(http, world):
    flow = await world.flow(flow_fields={"config": {"test_llm": "scripted", "languages": ["en-IN", "hi-IN"]}})
    caller, call_id = await world.call(http, flow)
    await world.say(caller, "Hindi mein baat karo")
    turns = await world.transcript(call_id, "Hindi mein baat karti hoon")
    assert turns[-1] == ("agent", "Theek hai, ab main Hindi mein baat karti hoon.")
    events = await world.client.server.platform.call_events.replay(call_id)
    assert {"status": "language_switched", "language": "hi-IN", "reason": "caller_asked"}.items() <= next(
        e for e in events if e.get("status") == "language_switched"
    ).items()
    await caller.stop()
    await caller.close()
    await world.ended(call_id)
    assert (await Call.get(id=call_id)).language_detected == "hi-IN"


async def test_a_voicemail_box_gets_the_message_over_the_exotel_socket(http, world):
    flow = await world.flow(
        flow_fields={
            "config": {
                "test_llm": "scripted",
                "voicemail_message": "Hi {name}, this is Acme about order {order_id}. Call us back.",
            }
        }
    )
    customer = (
        await world.client.post(
            "/customers", json={"name": "Asha", "phone": fresh_line(), "metadata": {"order_id": "4512"}}
        )
    ).body
    caller, call_id = await world.call(http, flow, customer)
    rate = 8000
    greeting = "Hi, you have reached Asha. I cannot take your call right now, please leave a message after the tone."
    pcm = b"".join(
        speech_frames(greeting, rate)
        + silent_frames(200, rate)
        + tone_frames(500, rate, 1000)
        + silent_frames(3000, rate)
    )
    await caller.play(pcm, realtime=0.3)
    ended = await world.ended(call_id, timeout=20)
    assert (ended["outcome"], ended["endReason"]) == ("voicemail", "voicemail_message_left")
    turns = await world.transcript(call_id, "Call us back.")
    assert turns[-1] == ("agent", "Hi Asha, this is Acme about order 4512. Call us back.")
    await caller.close()


async def test_a_voicemail_box_that_never_beeps_gets_the_message_at_the_end_of_its_greeting(http, world):
    flow = await world.flow(
        flow_fields={"config": {"test_llm": "scripted", "voicemail_message": "Hi {name}, Acme here. Call us back."}}
    )
    customer = (await world.client.post("/customers", json={"name": "Ravi", "phone": fresh_line()})).body
    caller, call_id = await world.call(http, flow, customer)
    greeting = "Hi, you have reached Ravi. I am not available right now. Please leave your name and number."
    # no beep: the greeting, then the quiet of a box that records (the message starts ~1.3 s into it)
    await caller.play(b"".join(speech_frames(greeting, 8000) + silent_frames(6000, 8000)), realtime=0.3)
    ended = await world.ended(call_id, timeout=20)
    assert (ended["outcome"], ended["endReason"]) == ("voicemail", "voicemail_message_left")
    turns = await world.transcript(call_id, "Call us back.")
    assert turns[-1] == ("agent", "Hi Ravi, Acme here. Call us back.")
    await caller.close()
