"""The Exotel voicebot socket, end to end over a real WebSocket: flow resolution, audio both ways in
Exotel's chunk rules, marks, clear on barge-in, DTMF, stop, and frames that are wrong."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.calls.contract import CallType, Speaker
from app.voice.audio import mulaw_decode, rms, silence
from app.voice.transports import exotel_protocol as wire
from tests.voice.conftest import create_flow, fresh_line
from tests.voice.exotel_client import ExotelCaller
from tests.voice.speech import spoken


def check_chunk_rules(caller: ExotelCaller) -> None:
    """Multiples of 320 bytes, 3200..100 KB; one size within an utterance except its (padded) last chunk."""
    sizes_by_utterance: list[list[int]] = [[]]
    for frame in caller.received:
        if frame["event"] == "media":
            sizes_by_utterance[-1].append(len(wire.parse(json.dumps(frame)).payload))
        elif frame["event"] in ("mark", "clear"):
            sizes_by_utterance.append([])
    for sizes in sizes_by_utterance:
        assert all(s % 320 == 0 and 3200 <= s <= 100 * 1024 for s in sizes), sizes
        assert len(set(sizes[:-1])) <= 1


async def test_an_inbound_call_is_answered_on_its_line_and_ends_on_stop(http, client, voice_server):
    flow = await create_flow(client, recording_disclosure="This call is recorded.")
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    await caller.start(to=flow["phone_number"])
    await caller.wait_for(lambda: caller.events("mark"))
    greeting = b"".join(caller.payloads())
    assert rms(greeting) > 500 and len(greeting) / 16000 >= 0.6  # 7 words x 100 ms of 8 kHz audio
    check_chunk_rules(caller)
    await caller.stop()
    reporter = await voice_server.ended()
    start = reporter.starts[0]
    assert (start.call_type, start.flow_id, start.to_number, start.from_number, start.provider_call_id) == (
        CallType.INBOUND,
        flow["uuid"],
        flow["phone_number"],
        "+919812345678",
        "CA123",
    )
    assert start.organisation_id == client.organisation_id
    assert reporter.said(Speaker.AGENT) == ["This call is recorded. Hi, Aria here."]
    end = reporter.ends[0][1]
    assert end.end_reason == "caller_hangup" and end.recording_path.endswith(".wav")
    await caller.closed.wait()
    await caller.close()


@pytest.mark.parametrize("rate,encoding", [(16000, "audio/x-raw"), (24000, "audio/x-raw"), (8000, "audio/x-mulaw")])
async def test_the_stream_rate_and_encoding_come_from_the_start_frame(http, client, voice_server, rate, encoding):
    flow = await create_flow(client)
    mulaw = "mulaw" in encoding
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"), rate=rate, mulaw=mulaw)
    await caller.start(to=flow["phone_number"], encoding=encoding, as_strings=rate != 16000)
    await caller.wait_for(lambda: caller.events("mark"))
    audio = b"".join(caller.payloads())
    if mulaw:
        audio = mulaw_decode(audio)
    seconds = len(audio) / 2 / rate
    assert 0.29 < seconds < 1.5 and rms(audio) > 500  # three words of 100 ms, last chunk padded
    check_chunk_rules(caller)
    await caller.stop()
    await voice_server.ended()
    await caller.close()


async def test_a_question_is_heard_answered_and_the_bot_hangs_up_after_goodbye(http, client, voice_server):
    flow = await create_flow(client)
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    await caller.start(to=flow["phone_number"])
    await caller.wait_for(lambda: caller.events("mark"))
    voice_server.stt.expect("Do you deliver to Mumbai?")
    await caller.play(spoken("Do you deliver to Mumbai?", 8000) + silence(8000, 600), realtime=0)
    await caller.wait_for(lambda: len(caller.events("mark")) >= 2)
    voice_server.stt.expect("okay bye")
    await caller.play(spoken("okay bye", 8000) + silence(8000, 600), realtime=0)
    await asyncio.wait_for(caller.closed.wait(), 10)  # the bot closes: Exotel moves to the next applet
    reporter = await voice_server.ended()
    assert reporter.said(Speaker.AGENT) == ["Hi, Aria here.", "Yes, within five days.", "Thanks, goodbye!"]
    assert reporter.said(Speaker.CUSTOMER) == ["Do you deliver to Mumbai?", "okay bye"]
    assert reporter.ends[0][1].end_reason == "agent_hangup"
    await caller.close()


async def test_caller_speech_over_the_greeting_sends_clear(http, client, voice_server):
    disclosure = (
        "This call is recorded for quality and training purposes, and by staying on the line you agree "
        "to the recording and to our terms of service, which you can read on our website at any time."
    )
    flow = await create_flow(client, recording_disclosure=disclosure)
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"), ack_marks=False)
    await caller.start(to=flow["phone_number"])
    await caller.wait_for(lambda: caller.events("media"))
    voice_server.stt.expect("Sorry, who is this?")
    await caller.play(spoken("Sorry, who is this?", 8000) + silence(8000, 600), realtime=1)
    await caller.wait_for(lambda: caller.events("clear"))
    await caller.wait_for(lambda: len(voice_server.reporter.said(Speaker.AGENT)) >= 1)
    heard = voice_server.reporter.said(Speaker.AGENT)[0]
    assert heard and disclosure.startswith(heard) and len(heard) < len(disclosure)
    await caller.stop()
    await voice_server.ended()
    await caller.close()


async def test_dtmf_reaches_the_agent_as_caller_input(http, client, voice_server):
    flow = await create_flow(client)
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    await caller.start(to=flow["phone_number"])
    await caller.wait_for(lambda: caller.events("media"))
    await caller.send({"event": "dtmf", "stream_sid": "SID1", "dtmf": {"digit": "5", "duration": "300"}})
    await caller.wait_for(lambda: voice_server.reporter.said(Speaker.CUSTOMER))
    assert voice_server.reporter.said(Speaker.CUSTOMER) == ["(keypad) 5"]
    await caller.stop()
    await voice_server.ended()
    await caller.close()


async def test_malformed_frames_are_skipped_and_the_call_goes_on(http, client, voice_server):
    flow = await create_flow(client)
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    await caller.send("not json at all")
    await caller.send({"event": "start"})  # no stream
    await caller.start(to=flow["phone_number"])
    for bad in (
        "[1, 2]",
        {"event": "media", "media": {"payload": "%%%not-base64"}},
        {"event": "dtmf"},
        {"event": "teleport"},
        {"event": "media", "media": "x"},
    ):
        await caller.send(bad)
    await caller.ws.send_bytes(b"\x00\x01")
    await caller.wait_for(lambda: caller.events("mark"))
    await caller.stop()
    reporter = await voice_server.ended()
    assert reporter.ends[0][1].end_reason == "caller_hangup"
    assert len(reporter.starts) == 1
    await caller.close()


async def test_an_unknown_number_closes_cleanly_and_creates_nothing(http, voice_server):
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    await caller.start(to=fresh_line())
    await asyncio.wait_for(caller.closed.wait(), 5)
    assert caller.close_code == 1000
    assert caller.received == [] and voice_server.reporters == []
    await caller.close()


async def test_an_outbound_call_is_resolved_from_the_dialers_custom_parameters(http, client, voice_server):
    flow = await create_flow(client, kind="outbound")
    customer = await client.post(
        "/customers", json={"name": "Priya", "phone": "+919812345670", "metadata": {"last_order": "oak desk"}}
    )
    assert customer.status == 201, customer.body
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    await caller.start(
        to="+918000000000", from_="+919812345670", params={"flow_id": flow["uuid"], "call_id": "cal_fromdialer"}
    )
    await caller.wait_for(lambda: caller.events("mark"))
    await caller.stop()
    reporter = await voice_server.ended()
    start = reporter.starts[0]
    assert (start.call_type, start.flow_id, start.call_id, start.customer_id) == (
        CallType.OUTBOUND,
        flow["uuid"],
        "cal_fromdialer",
        customer.body["uuid"],
    )
    await caller.close()


async def test_an_outbound_stream_naming_an_unknown_flow_closes(http, voice_server):
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    await caller.start(to="+918000000000", params={"flow_id": "flw_nope"})
    await asyncio.wait_for(caller.closed.wait(), 5)
    assert voice_server.reporters == []
    await caller.close()


async def test_a_socket_that_drops_mid_call_ends_the_call(http, client, voice_server):
    flow = await create_flow(client)
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    await caller.start(to=flow["phone_number"])
    await caller.wait_for(lambda: caller.events("media"))
    await caller.close()
    reporter = await voice_server.ended()
    assert reporter.ends[0][1].end_reason == "caller_hangup"


async def test_an_outbound_stream_with_swapped_numbers_keeps_the_dialers_numbers(http, client, voice_server):
    from app.db.models import Call
    from app.ids import new_id

    flow = await create_flow(client, kind="outbound")
    call = await Call.create(
        id=new_id("cal"),
        organisation_id=client.organisation_id,
        call_type="outbound",
        flow_id=flow["uuid"],
        to_number="+919812345672",
        from_number="+918047112345",
        status="ringing",
    )
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    # Exotel's side: `from` is our ExoPhone (national format), `to` the customer
    await caller.start(to="+919812345672", from_="08047112345", params={"flow_id": flow["uuid"], "call_id": call.id})
    await caller.wait_for(lambda: caller.events("mark"))
    await caller.stop()
    start = (await voice_server.ended()).starts[0]
    assert (start.call_id, start.from_number, start.to_number) == (call.id, "+918047112345", "+919812345672")
    await caller.close()


def _start_frame(**start) -> str:
    return json.dumps({"event": "start", "stream_sid": "SID1", "start": {"stream_sid": "SID1", **start}})


@pytest.mark.parametrize(
    "raw,expected",
    [
        ({"flow_id": "flw_1", "call_id": "cal_1"}, {"flow_id": "flw_1", "call_id": "cal_1"}),
        ("", {}),
        (None, {}),
        ("flow_id=flw_1&call_id=cal_1&note=a%20b", {"flow_id": "flw_1", "call_id": "cal_1", "note": "a b"}),
        ("?flow_id=flw_1", {"flow_id": "flw_1"}),
    ],
)
def test_custom_parameters_arrive_as_an_object_an_empty_string_a_query_string_or_not_at_all(raw, expected):
    start = {"custom_parameters": raw} if raw is not None else {}
    assert wire.parse(_start_frame(**start)).custom_parameters == expected


def test_the_sample_rate_is_read_from_the_encoding_when_sample_rate_is_absent():
    def rate(media_format: dict) -> int:
        return wire.parse(_start_frame(media_format=media_format)).media_format.rate

    assert rate({"encoding": "audio/L16;rate=16000"}) == 16000
    assert rate({"encoding": "audio/L16; rate=24000", "sample_rate": ""}) == 24000
    assert rate({"encoding": "audio/L16;rate=16000", "sample_rate": "8000"}) == 8000  # the field wins
    assert rate({"encoding": "audio/x-raw"}) == 8000 and rate({}) == 8000
    with pytest.raises(wire.MalformedFrame, match="unsupported sample rate"):
        rate({"encoding": "audio/L16;rate=44100"})


async def test_an_outbound_stream_with_query_string_parameters_and_an_l16_encoding_is_answered(
    http, client, voice_server
):
    flow = await create_flow(client, kind="outbound")
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"), rate=16000)
    await caller.send({"event": "connected"})
    await caller.send(
        _start_frame(
            call_sid="CA9",
            account_sid="AC1",
            **{"from": "+919812345673", "to": ""},
            custom_parameters=f"flow_id={flow['uuid']}&customer_id=",
            media_format={"encoding": "audio/L16;rate=16000", "bit_rate": "256kbps"},
        )
    )
    await caller.wait_for(lambda: caller.events("mark"))
    audio = b"".join(caller.payloads())
    assert 0.29 < len(audio) / 2 / 16000 < 1.5 and rms(audio) > 500  # the greeting, at 16 kHz
    await caller.stop()
    start = (await voice_server.ended()).starts[0]
    assert (start.call_type, start.flow_id) == (CallType.OUTBOUND, flow["uuid"])
    await caller.close()


async def test_an_inbound_stream_with_empty_custom_parameters_is_answered(http, client, voice_server):
    flow = await create_flow(client)
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"))
    await caller.send(
        _start_frame(
            call_sid="CA10",
            account_sid="AC1",
            **{"from": "+919812345674", "to": flow["phone_number"]},
            custom_parameters="",
            media_format={"encoding": "audio/x-raw"},
        )
    )
    await caller.wait_for(lambda: caller.events("mark"))
    await caller.stop()
    assert (await voice_server.ended()).starts[0].flow_id == flow["uuid"]
    await caller.close()
