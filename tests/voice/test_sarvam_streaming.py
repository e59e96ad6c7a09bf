"""Sarvam over WebSockets: bulbul TTS (one socket per call, a text + flush per sentence) and saaras STT
(audio streamed during the turn, flushed at its end), against the loopback fake over real sockets."""

from __future__ import annotations

import asyncio
import base64
from contextlib import aclosing

import aiohttp
import pytest
import pytest_asyncio

from app.voice.audio import tone
from app.voice.providers.base import ProviderError, StreamingSpeechToText, Voice
from app.voice.providers.sarvam_ws_stt import SarvamStreamingSTT
from app.voice.providers.sarvam_ws_tts import SarvamStreamingTTS
from tests.fakes.sarvam_server import FakeSarvam

VOICE = Voice("hi-IN", "Anushka")


@pytest_asyncio.fixture
async def sarvam():
    server = await FakeSarvam().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def tts(sarvam):
    provider = SarvamStreamingTTS(sarvam.key, sarvam.url, timeout=5)
    yield provider
    await provider.aclose()


@pytest_asyncio.fixture
async def stt(sarvam):
    provider = SarvamStreamingSTT(sarvam.key, sarvam.url, timeout=5)
    yield provider
    await provider.aclose()


async def speak(tts: SarvamStreamingTTS, text: str, rate: int = 8000) -> bytes:
    return await speak_voice(tts, text, VOICE, rate)


async def speak_voice(tts: SarvamStreamingTTS, text: str, voice: Voice, rate: int = 8000) -> bytes:
    return b"".join([chunk async for chunk in tts.synthesize(text, voice, rate)])


async def eventually(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


def fake_audio(words: int, rate: int = 8000) -> bytes:
    """What the fake answers for a sentence of `words` words."""
    return tone(rate, 100 * words, 300 + 40 * words, 5000)


# --- TTS ---------------------------------------------------------------------------------------------
async def test_tts_configures_once_and_speaks_sentence_after_sentence_on_one_socket(sarvam, tts):
    assert await speak(tts, "Namaste, kaise hain aap") == fake_audio(4)
    assert await speak(tts, "Aapka order aa gaya") == fake_audio(4)
    assert len(sarvam.tts_sockets) == 1 and tts.connections == 1
    assert [c async for c in tts.synthesize("a v3 voice", Voice("hi-IN", "Shubh", "bulbul:v3"), 8000)]
    assert [s["query"]["model"] for s in sarvam.tts_sockets] == ["bulbul:v2", "bulbul:v3"]  # a new voice, a new socket
    socket = sarvam.tts_sockets[0]
    assert socket["query"] == {"model": "bulbul:v2", "send_completion_event": "true"}
    kinds = [m["type"] for m in socket["messages"]]
    assert kinds == ["config", "text", "flush", "text", "flush"]
    config = socket["messages"][0]["data"]
    assert (
        config["target_language_code"],
        config["speaker"],
        config["speech_sample_rate"],
        config["output_audio_codec"],
    ) == ("hi-IN", "anushka", 8000, "linear16")


async def test_tts_keeps_samples_whole_across_odd_sized_audio_frames(tts):
    chunks = [chunk async for chunk in tts.synthesize("one two three", VOICE, 16000)]
    assert len(chunks) > 3 and all(len(chunk) % 2 == 0 for chunk in chunks)
    assert b"".join(chunks) == fake_audio(3, 16000)


async def test_tts_wrong_key_is_a_provider_error(sarvam):
    tts = SarvamStreamingTTS("wrong", sarvam.url)
    with pytest.raises(ProviderError, match="403"):
        await speak(tts, "hello there")
    await tts.aclose()
    assert sarvam.tts_sockets == []


async def test_tts_error_frame_mid_sentence_raises_and_the_next_sentence_gets_a_clean_socket(sarvam, tts):
    sarvam.tts_error_on = "broken"
    with pytest.raises(ProviderError, match="synthesis failed"):
        await speak(tts, "this one is broken")
    assert await speak(tts, "this one works") == fake_audio(3)
    assert tts.connections == 2


async def test_tts_reconnects_when_the_server_dropped_the_idle_socket(sarvam, tts):
    assert await speak(tts, "first sentence") == fake_audio(2)
    await sarvam.drop_sockets()
    assert await speak(tts, "after the drop") == fake_audio(3)
    assert tts.connections == 2
    assert [m["type"] for m in sarvam.tts_sockets[1]["messages"]] == ["config", "text", "flush"]


async def test_tts_socket_lost_after_audio_went_out_is_an_error_not_a_repeat(sarvam, tts):
    sarvam.tts_drop_on = "cut"
    with pytest.raises(ProviderError, match="middle of a sentence"):
        await speak(tts, "this gets cut off")
    assert await speak(tts, "next one") == fake_audio(2)


async def test_a_cancelled_sentence_never_leaks_audio_into_the_next_one(sarvam, tts):
    """Barge-in: the reply task is cancelled while the sentence is still arriving."""
    sarvam.tts_chunk_delay = 0.05
    first_chunk = asyncio.Event()

    async def reply() -> None:
        async with aclosing(
            tts.synthesize("a long sentence that the caller interrupts right away", VOICE, 8000)
        ) as chunks:
            async for _ in chunks:
                first_chunk.set()

    task = asyncio.create_task(reply())
    await first_chunk.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    sarvam.tts_chunk_delay = 0.0
    assert await speak(tts, "yes tell me") == fake_audio(3)
    assert tts.connections == 2


async def test_a_sentence_abandoned_by_its_reader_is_not_read_as_the_next_one(sarvam, tts):
    async with aclosing(tts.synthesize("eight words that nobody will hear at all", VOICE, 8000)) as chunks:
        async for _ in chunks:
            break
    assert await speak(tts, "short one") == fake_audio(2)


@pytest.mark.parametrize("model,speaker", [("bulbul:v2", "anushka"), ("bulbul:v3", "shubh")])
async def test_tts_config_always_names_a_speaker_the_models_default_when_the_agent_has_none(
    sarvam, tts, model, speaker
):
    assert await speak_voice(tts, "Vanakkam", Voice("ta-IN", None, model)) == fake_audio(1)
    config = sarvam.tts_sockets[0]["messages"][0]["data"]
    assert (config["speaker"], config["target_language_code"]) == (speaker, "ta-IN")


async def test_the_fake_refuses_a_config_without_a_speaker(sarvam):
    async with aiohttp.ClientSession() as http:
        url = sarvam.url.replace("http", "ws") + "/text-to-speech/ws?model=bulbul:v2"
        async with http.ws_connect(url, headers={"api-subscription-key": sarvam.key}) as ws:
            await ws.send_json(
                {"type": "config", "data": {"target_language_code": "hi-IN", "output_audio_codec": "linear16"}}
            )
            answer = await ws.receive_json()
    assert answer == {"type": "error", "data": {"message": "speaker is required", "code": 422}}


async def test_the_fake_refuses_text_before_config(sarvam):
    async with aiohttp.ClientSession() as http:
        url = sarvam.url.replace("http", "ws") + "/text-to-speech/ws?model=bulbul:v2"
        async with http.ws_connect(url, headers={"api-subscription-key": sarvam.key}) as ws:
            await ws.send_json({"type": "text", "data": {"text": "hi"}})
            answer = await ws.receive_json()
    assert answer == {"type": "error", "data": {"message": "config must be the first message", "code": 400}}


async def test_tts_idle_socket_is_pinged_then_closed_and_aclose_leaves_no_task(sarvam):
    tts = SarvamStreamingTTS(sarvam.key, sarvam.url, ping_seconds=0.05, idle_seconds=0.3)
    assert await speak(tts, "hello") == fake_audio(1)
    await eventually(lambda: tts._keepalive.done() and not sarvam._open)
    assert "ping" in [m["type"] for m in sarvam.tts_sockets[0]["messages"]]
    assert tts._keepalive.done() and not sarvam._open  # idle: closed by the client
    assert await speak(tts, "hello again") == fake_audio(2)
    await tts.aclose()
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("sarvam-")]


# --- STT ---------------------------------------------------------------------------------------------
async def test_stt_streams_the_utterance_and_reads_the_detected_language(sarvam, stt):
    transcript = await stt.transcribe(tone(8000, 1500), 8000, "hi-en")
    assert (transcript.text, transcript.language, transcript.confidence) == ("namaste", "hi-IN", 0.93)
    socket = sarvam.stt_sockets[0]
    # flush_signal only: our endpointing ends turns, and vad_signals as well would race our flush
    assert socket["query"] == {
        "language-code": "unknown",
        "model": "saaras:v3",
        "sample_rate": "8000",
        "input_audio_codec": "pcm_s16le",
        "flush_signal": "true",
    }
    audio = [m["audio"] for m in socket["messages"] if "audio" in m]
    assert {(a["sample_rate"], a["encoding"]) for a in audio} == {(8000, "audio/wav")}
    assert b"".join(base64.b64decode(a["data"]) for a in audio) == tone(8000, 1500)
    assert socket["messages"][-1] == {"type": "flush"} and sarvam.stt_flushes == [1.5]


async def test_stt_asks_for_the_calls_language_and_reports_the_one_detected(sarvam, stt):
    sarvam.language_code, sarvam.transcript = "ta-IN", "vanakkam"
    transcript = await stt.transcribe(tone(16000, 600), 16000, "ta")
    assert (transcript.text, transcript.language) == ("vanakkam", "ta-IN")
    assert sarvam.stt_sockets[0]["query"]["language-code"] == "ta-IN"


async def test_audio_reaches_sarvam_while_the_caller_is_still_speaking(sarvam, stt):
    assert isinstance(stt, StreamingSpeechToText)
    turn = stt.open_turn(8000, "hi-IN")
    for _ in range(25):
        turn.push(tone(8000, 20))
        await asyncio.sleep(0.002)
    for _ in range(100):
        if sarvam.stt_sockets and any("audio" in m for m in sarvam.stt_sockets[0]["messages"]):
            break
        await asyncio.sleep(0.01)
    assert any("audio" in m for m in sarvam.stt_sockets[0]["messages"])
    assert sarvam.stt_flushes == []  # the turn has not ended yet
    assert (await turn.finish()).text == "namaste"
    assert sarvam.stt_flushes == [0.5]


async def test_turns_share_one_socket_and_a_cancelled_noise_turn_is_thrown_away(sarvam, stt):
    sarvam.stt_transcripts = ["(cough)", "haan bilkul", "theek hai"]
    noise = stt.open_turn(8000, "hi-IN")
    noise.push(tone(8000, 300))
    for _ in range(200):  # the noise reached Sarvam before it was found to be noise, as on a real call
        if sarvam.stt_sockets and any("audio" in m for m in sarvam.stt_sockets[0]["messages"]):
            break
        await asyncio.sleep(0.01)
    noise.cancel()
    turn = stt.open_turn(8000, "hi-IN")
    turn.push(tone(8000, 1000))
    assert (await turn.finish()).text == "haan bilkul"
    assert (await stt.transcribe(tone(8000, 400), 8000, "hi-IN")).text == "theek hai"
    assert sarvam.stt_flushes == [0.3, 1.0, 0.4]  # no audio of one turn mixed into another
    assert stt.connections == 1


async def test_a_segment_closed_by_the_servers_vad_is_joined_with_the_final_one(sarvam, stt):
    sarvam.stt_segments, sarvam.transcript = ["mujhe ek sofa"], "chahiye"
    turn = stt.open_turn(8000, "hi-IN")
    for _ in range(10):
        turn.push(tone(8000, 100))
        await asyncio.sleep(0.005)
    assert (await turn.finish()).text == "mujhe ek sofa chahiye"


async def test_a_turn_the_servers_vad_finalised_before_our_flush_ends_at_once(sarvam, stt):
    """With vad_signals on as well, Sarvam left such a flush unanswered: the turn waited out its timeout."""
    sarvam.stt_segments = ["mujhe ek sofa chahiye"]
    turn = stt.open_turn(8000, "hi-IN")
    turn.push(tone(8000, 500))
    await eventually(lambda: turn.texts)  # Sarvam's VAD closed the segment while the caller was still on it
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert (await turn.finish()).text == "mujhe ek sofa chahiye"
    assert loop.time() - began < 1.5  # the fixture's timeout is 5 s
    assert "vad_signals" not in sarvam.stt_sockets[0]["query"]


async def test_an_unanswered_flush_waits_only_the_grace_when_the_turn_already_has_text(sarvam):
    sarvam.stt_segments, sarvam.stt_silent_flushes = ["haan ji"], 1
    stt = SarvamStreamingSTT(sarvam.key, sarvam.url, timeout=5, flush_grace=0.3)
    turn = stt.open_turn(8000, "hi-IN")
    turn.push(tone(8000, 500))
    await eventually(lambda: turn.texts)
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert (await turn.finish()).text == "haan ji"
    assert 0.25 < loop.time() - began < 1.5
    await stt.aclose()


async def test_a_handshake_that_never_completes_is_bounded(sarvam):
    from aiohttp import web

    from tests.fakes.loopback import serve

    release = asyncio.Event()

    async def stall(request):
        await release.wait()
        return web.Response()

    app = web.Application()
    app.router.add_get("/speech-to-text/ws", stall)
    runner, url = await serve(app)
    stt = SarvamStreamingSTT(sarvam.key, url, timeout=0.5)
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        with pytest.raises(ProviderError, match="handshake"):
            await stt.transcribe(tone(8000, 300), 8000, "hi-IN")
        assert loop.time() - began < 2.0
    finally:
        release.set()
        await stt.aclose()
        await runner.cleanup()


async def test_a_24_khz_call_is_streamed_to_sarvam_at_16_khz(sarvam, stt):
    turn = stt.open_turn(24000, "hi-IN")
    for _ in range(30):  # 20 ms frames of the call, 600 ms in all
        turn.push(tone(24000, 20))
    assert (await turn.finish()).text == "namaste"
    socket = sarvam.stt_sockets[0]
    assert socket["query"]["sample_rate"] == "16000"
    audio = [m["audio"] for m in socket["messages"] if "audio" in m]
    assert {a["sample_rate"] for a in audio} == {16000}
    assert sum(len(base64.b64decode(a["data"])) for a in audio) == 16000 * 2 * 0.6
    assert sarvam.stt_flushes == [0.6]


async def test_the_fake_refuses_a_24_khz_stt_socket_as_sarvam_does(sarvam):
    async with aiohttp.ClientSession() as http:
        url = sarvam.url.replace("http", "ws") + "/speech-to-text/ws?language-code=hi-IN&sample_rate=24000"
        async with http.ws_connect(url, headers={"api-subscription-key": sarvam.key}) as ws:
            answer = await ws.receive_json()
            assert answer["type"] == "error" and answer["data"]["code"] == 400
            assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_stt_wrong_key_is_a_provider_error(sarvam):
    stt = SarvamStreamingSTT("wrong", sarvam.url)
    with pytest.raises(ProviderError, match="403"):
        await stt.transcribe(tone(8000, 300), 8000, "hi-IN")
    await stt.aclose()


async def test_stt_error_frame_fails_the_turn_and_the_next_turn_recovers(sarvam, stt):
    sarvam.stt_error_on_flush = True
    with pytest.raises(ProviderError, match="Internal error"):
        await stt.transcribe(tone(8000, 300), 8000, "hi-IN")
    sarvam.stt_error_on_flush = False
    assert (await stt.transcribe(tone(8000, 300), 8000, "hi-IN")).text == "namaste"
    assert stt.connections == 2


async def test_stt_replays_the_turn_on_a_new_socket_when_the_old_one_drops(sarvam, stt):
    sarvam.stt_drop_flushes = 1
    assert (await stt.transcribe(tone(8000, 1000), 8000, "hi-IN")).text == "namaste"
    assert stt.connections == 2 and sarvam.stt_flushes == [1.0]


async def test_stt_gives_up_when_the_socket_keeps_dropping(sarvam, stt):
    sarvam.stt_drop_flushes = 5
    with pytest.raises(ProviderError, match="dropped twice"):
        await stt.transcribe(tone(8000, 300), 8000, "hi-IN")


async def test_stt_closes_its_idle_socket_and_its_task_ends(sarvam):
    stt = SarvamStreamingSTT(sarvam.key, sarvam.url, idle_seconds=0.1)
    assert (await stt.transcribe(tone(8000, 300), 8000, "hi-IN")).text == "namaste"
    await eventually(lambda: stt._pump.done() and not sarvam._open)
    assert stt._pump.done() and not sarvam._open
    assert (await stt.transcribe(tone(8000, 300), 8000, "hi-IN")).text == "namaste"
    await stt.aclose()
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("sarvam-")]


# --- a whole call ------------------------------------------------------------------------------------
async def test_a_call_speaks_and_listens_through_the_sarvam_sockets(sarvam):
    """The session streams the caller's turn to the socket while it is spoken (its `TurnListener`), and
    speaks through the TTS socket: one socket each for the whole call."""
    from app.calls.contract import Speaker as Who
    from app.voice.providers.base import Providers
    from app.voice.providers.scripted_llm import ScriptedPolicy
    from app.voice.session import CallSession
    from app.voice.session_config import SessionConfig
    from tests.voice.fakes import FakeClock, FakeOutput, RecordingReporter
    from tests.voice.harness import RATE, Call, context
    from tests.voice.speech import speech_frames

    sarvam.stt_transcripts, sarvam.language_code = ["Do you deliver to Mumbai?"], "hi-IN"
    ctx = context()
    providers = Providers(
        stt=SarvamStreamingSTT(sarvam.key, sarvam.url),
        llm=ScriptedPolicy(ctx.script),
        tts=SarvamStreamingTTS(sarvam.key, sarvam.url),
    )
    clock, reporter = FakeClock(), RecordingReporter()
    output = FakeOutput(clock)
    session = CallSession(ctx, providers, reporter, output, SessionConfig(rate=RATE, silence_timeout=30), clock)
    output.session = session
    call = await Call(session, clock, output, reporter, stt=providers.stt, tts=providers.tts).start()
    spoke = False
    for _ in range(600):  # real sockets: give the loop real time between fake-clock frames
        if len(call.agent_said()) >= 2:
            break
        await call.silence(20)
        await asyncio.sleep(0.003)
        if len(call.agent_said()) == 1 and not spoke:
            spoke = True
            await call.feed(speech_frames("Do you deliver to Mumbai?", RATE))
    assert call.caller_said() == ["Do you deliver to Mumbai?"]
    assert call.agent_said() == [ctx.script.opening_line, "Yes, we deliver to Mumbai within five days."]
    assert output.count("audio") == (11 + 8) * 5  # the fake's 100 ms per word, in 20 ms frames: nothing else
    end = await call.end()
    await providers.aclose()
    assert end.language_detected == "hi-IN"
    assert len(sarvam.tts_sockets) == 1 and len(sarvam.stt_sockets) == 1
    texts = [m["data"]["text"] for m in sarvam.tts_sockets[0]["messages"] if m["type"] == "text"]
    assert texts[-1] == "Yes, we deliver to Mumbai within five days."
    assert reporter.said(Who.CUSTOMER) == ["Do you deliver to Mumbai?"]
    audio_messages = [m for m in sarvam.stt_sockets[0]["messages"] if "audio" in m]
    assert len(audio_messages) > 10  # frames went out as they were spoken, not one upload at the end


# --- listening during the turn (the session's optional streaming hook) ---------------------------------
async def listen(listener, frames: list[bytes], vad, endpoint, sarvam=None) -> list:
    """What `CallSession.feed` does per frame, with the listener wired in; returns the ended turns."""
    from app.voice.vad import TurnEvent

    ended = []
    for frame in frames:
        listener.frame(frame)
        for event in endpoint.push(frame, vad.is_speech(frame)):
            if event == TurnEvent.SPEECH_STARTED:
                listener.speech_started()
            elif event == TurnEvent.TURN_ENDED:
                endpoint.take_audio()
                ended.append((listener.turn_ended(), len(sarvam.stt_flushes) if sarvam else None))
            else:
                listener.noise()
        await asyncio.sleep(0.001)
    return ended


async def test_the_turn_is_streamed_while_spoken_so_only_the_flush_is_left_at_its_end(sarvam, stt):
    from app.voice.providers.listening import TurnListener
    from app.voice.vad import EndpointConfig, EndpointDetector, VoiceActivityDetector
    from tests.voice.speech import noise_frames, silent_frames, speech_frames

    sarvam.stt_transcripts = ["(noise)", "Do you deliver to Mumbai?"]
    listener = TurnListener(stt, 16000, "en-IN")
    vad, endpoint = VoiceActivityDetector(16000, 2), EndpointDetector(EndpointConfig(endpoint_ms=300))
    speech = speech_frames("Do you deliver to Mumbai?")
    frames = [*silent_frames(300), *noise_frames(100), *silent_frames(400), *speech, *silent_frames(400)]
    ended = await listen(listener, frames, vad, endpoint, sarvam)
    assert len(ended) == 1
    turn, flushes_when_it_ended = ended[0]
    streamed = sum(
        len(base64.b64decode(m["audio"]["data"])) for m in sarvam.stt_sockets[-1]["messages"] if "audio" in m
    )
    assert streamed > len(b"".join(speech))  # the whole turn was already on the socket at its end
    transcript = await turn.finish()
    assert (transcript.text, transcript.language) == ("Do you deliver to Mumbai?", "hi-IN")
    noise, spoken = sarvam.stt_flushes  # the noise: 200 ms pre-roll + 100 ms + the 300 ms window
    assert noise == pytest.approx(0.6) and spoken >= len(b"".join(speech)) / 32000
    assert flushes_when_it_ended == 1  # only the noise had been answered when the turn ended
    assert stt.connections == 1


async def test_without_a_streaming_stt_the_listener_stays_out_of_the_way():
    from app.voice.providers.listening import TurnListener
    from app.voice.vad import EndpointConfig, EndpointDetector, VoiceActivityDetector
    from tests.voice.fakes import ScriptedSTT
    from tests.voice.speech import silent_frames, speech_frames

    listener = TurnListener(ScriptedSTT(), 16000, "en-IN")
    vad, endpoint = VoiceActivityDetector(16000, 2), EndpointDetector(EndpointConfig(endpoint_ms=300))
    ended = await listen(listener, [*speech_frames("Hello there"), *silent_frames(400)], vad, endpoint)
    assert not listener.streaming and [turn for turn, _ in ended] == [None]
