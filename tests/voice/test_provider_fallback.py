"""A caller never hears silence because a speech provider failed: a remote TTS that fails before its first
audio is replaced by espeak-ng for that sentence, a remote STT that fails by pocketsphinx for that turn, and
after three failures in a row the call stays local. Remote providers run against the loopback fakes over real
sockets; the local ones are the real espeak-ng and pocketsphinx."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from app.config import Settings
from app.metrics import Metrics
from app.voice.audio import rms, tone
from app.voice.providers.base import ProviderError, StreamingSpeechToText, Voice
from app.voice.providers.espeak_tts import EspeakTTS
from app.voice.providers.fallback import FallbackSTT, FallbackTTS, with_local_stt
from app.voice.providers.listening import TurnListener
from app.voice.providers.nextneural_tts import NextNeuralTTS
from app.voice.providers.pocketsphinx_stt import PocketsphinxSTT
from app.voice.providers.sarvam import SarvamSTT, SarvamTTS
from app.voice.providers.sarvam_ws_stt import SarvamStreamingSTT
from app.voice.providers.sarvam_ws_tts import SarvamStreamingTTS
from app.voice.providers.selection import ProviderSelector, VoiceKeys
from tests.conftest import free_port
from tests.fakes.sarvam_server import FakeSarvam
from tests.models.conftest import Uploads, cloning_client, cloning_server, nextneural, wav  # noqa: F401 (fixtures)
from tests.voice.speech import fresh_spoken

VOICE = Voice("en-IN", "Anushka")


@pytest_asyncio.fixture
async def sarvam():
    server = await FakeSarvam().start()
    yield server
    await server.stop()


class Reasons(list):
    """What the wrapper reported each time the local provider stood in."""

    def __call__(self, reason: str) -> None:
        self.append(reason)


async def speak(tts, text: str, rate: int = 8000) -> bytes:
    return b"".join([chunk async for chunk in tts.synthesize(text, VOICE, rate)])


def is_speech(audio: bytes, rate: int = 8000) -> bool:
    return len(audio) > rate * 2 * 0.3 and rms(audio) > 100


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused


async def deployed_speaker(client, nextneural, name: str = "fallback-voice") -> NextNeuralTTS:
    """A speaker deployed on the fake voice server through the API; the voice server speaks it."""
    assert (await Uploads("rest", client).create_speaker(name, "en-US", wav(12))).status == 201
    assert (await client.post(f"/models/speakers/{name}/deploy")).status == 200
    return NextNeuralTTS(nextneural.url, client.organisation_id, fallback=EspeakTTS(), timeout=5)


def nextneural_voice(name: str = "fallback-voice") -> Voice:
    return Voice("en-US", name)


# --- TTS ---------------------------------------------------------------------------------------------
async def test_a_provider_refusing_the_connection_is_replaced_by_espeak_for_the_sentence():
    reasons = Reasons()
    tts = FallbackTTS(SarvamTTS("sk_test", dead_url()), EspeakTTS(), "sarvam", count=reasons)
    audio = await speak(tts, "Your order ships tomorrow.")
    assert is_speech(audio)
    assert reasons == ["error"] and tts.breaker.failures == 1


async def test_an_http_error_falls_back_and_a_good_sentence_resets_the_count(cloning_client, nextneural):
    reasons = Reasons()
    tts = FallbackTTS(await deployed_speaker(cloning_client, nextneural), EspeakTTS(), "nextneural", count=reasons)
    nextneural.fail = True
    try:
        audio = b"".join([c async for c in tts.synthesize("Hello from my own voice", nextneural_voice(), 8000)])
    finally:
        nextneural.fail = False
    assert is_speech(audio) and audio != tone(8000, 500, 220, 5000)
    assert reasons == ["error"] and tts.breaker.failures == 1
    audio = b"".join([c async for c in tts.synthesize("Hello from my own voice", nextneural_voice(), 8000)])
    assert audio == tone(8000, 500, 220, 5000)  # the voice server spoke it
    assert tts.breaker.failures == 0


async def test_a_provider_slower_than_the_first_byte_timeout_is_not_waited_for(cloning_client, nextneural):
    reasons = Reasons()
    tts = FallbackTTS(
        await deployed_speaker(cloning_client, nextneural),
        EspeakTTS(),
        "nextneural",
        first_byte_seconds=0.3,
        count=reasons,
    )
    nextneural.synthesis_delay = 1.5
    try:
        audio = b"".join([c async for c in tts.synthesize("Hello from my own voice", nextneural_voice(), 8000)])
    finally:
        nextneural.synthesis_delay = 0.0
    assert is_speech(audio) and audio != tone(8000, 500, 220, 5000)
    assert reasons == ["timeout"] and nextneural.syntheses[-1]["text"] == "Hello from my own voice"


async def test_a_failure_mid_sentence_stops_the_sentence_without_repeating_it(sarvam):
    sarvam.tts_error_on = "broken"
    reasons = Reasons()
    tts = FallbackTTS(SarvamStreamingTTS(sarvam.key, sarvam.url, timeout=5), EspeakTTS(), "sarvam", count=reasons)
    heard: list[bytes] = []
    with pytest.raises(ProviderError):
        async for chunk in tts.synthesize("this sentence is broken", VOICE, 8000):
            heard.append(chunk)
    whole = tone(8000, 400, 300 + 40 * 4, 5000)  # what the fake would have said for four words
    audio = b"".join(heard)
    assert 0 < len(audio) < len(whole) and audio == whole[: len(audio)]  # only Sarvam's first frame, no espeak
    assert reasons == [] and tts.breaker.failures == 1
    assert await speak(tts, "a good one") == tone(8000, 300, 300 + 40 * 3, 5000)
    await tts.aclose()


async def test_after_three_failures_the_call_stays_on_espeak(cloning_client, nextneural):
    reasons = Reasons()
    primary = await deployed_speaker(cloning_client, nextneural, "fallback-gone")
    tts = FallbackTTS(primary, EspeakTTS(), "nextneural", count=reasons)
    speaker_id = await primary.lookup(cloning_client.organisation_id, "fallback-gone")
    del nextneural.speakers[speaker_id]  # the server lost the speaker: every sentence is a 404
    before = len(nextneural.syntheses)
    for sentence in ("One.", "Two.", "Three.", "Four.", "Five."):
        audio = b"".join([c async for c in tts.synthesize(sentence, nextneural_voice("fallback-gone"), 8000)])
        assert len(audio) > 4000 and rms(audio) > 100  # a word of espeak-ng speech each time
    assert len(nextneural.syntheses) - before == 3  # the primary was not asked again
    assert reasons == ["error", "error", "error", "breaker", "breaker"]
    fresh = FallbackTTS(primary, EspeakTTS(), "nextneural")  # the next call tries the provider again
    assert [c async for c in fresh.synthesize("Six.", nextneural_voice("fallback-gone"), 8000)]
    assert len(nextneural.syntheses) - before == 4


async def test_barge_in_before_the_first_byte_cancels_without_falling_back(cloning_client, nextneural):
    reasons = Reasons()
    tts = FallbackTTS(
        await deployed_speaker(cloning_client, nextneural),
        EspeakTTS(),
        "nextneural",
        first_byte_seconds=1.0,
        count=reasons,
    )
    nextneural.synthesis_delay = 1.5
    before = len(nextneural.syntheses)
    heard: list[bytes] = []

    async def reply() -> None:
        async for chunk in tts.synthesize("Hello from my own voice", nextneural_voice(), 8000):
            heard.append(chunk)

    task = asyncio.create_task(reply())
    try:
        while len(nextneural.syntheses) == before:
            await asyncio.sleep(0.01)
        task.cancel()  # the caller barged in while the provider was still thinking
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(1.2)  # past the first-byte timeout: nothing wakes up to speak
    finally:
        nextneural.synthesis_delay = 0.0
    assert heard == [] and reasons == [] and tts.breaker.failures == 0


async def test_barge_in_mid_sentence_cancels_without_falling_back(sarvam):
    sarvam.tts_chunk_delay = 1.0  # the next frame comes long after the barge-in
    reasons = Reasons()
    tts = FallbackTTS(SarvamStreamingTTS(sarvam.key, sarvam.url, timeout=5), EspeakTTS(), "sarvam", count=reasons)
    heard: list[bytes] = []
    first = asyncio.Event()

    async def reply() -> None:
        async for chunk in tts.synthesize("one two three four five", VOICE, 8000):
            heard.append(chunk)
            first.set()

    task = asyncio.create_task(reply())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(heard) == 1 and reasons == [] and tts.breaker.failures == 0
    await tts.aclose()


# --- STT ---------------------------------------------------------------------------------------------
async def test_a_failing_stt_turn_is_transcribed_by_pocketsphinx(sarvam):
    speech = await asyncio.to_thread(fresh_spoken, "yes please", 16000)
    reasons = Reasons()
    stt = with_local_stt(SarvamSTT("wrong key", sarvam.url), PocketsphinxSTT(), "sarvam", count=reasons)
    assert type(stt) is FallbackSTT and not isinstance(stt, StreamingSpeechToText)
    transcript = await stt.transcribe(speech, 16000, "en-IN")
    assert transcript.text == "yes please" and reasons == ["error"]
    working = with_local_stt(SarvamSTT(sarvam.key, sarvam.url), PocketsphinxSTT(), "sarvam", count=reasons)
    assert (await working.transcribe(speech, 16000, "en-IN")).text == "namaste"  # Sarvam heard it
    assert reasons == ["error"]


async def test_a_streaming_stt_keeps_streaming_and_falls_back_on_finish_errors(sarvam):
    speech = await asyncio.to_thread(fresh_spoken, "yes please", 16000)
    reasons = Reasons()
    primary = SarvamStreamingSTT(sarvam.key, sarvam.url, timeout=5)
    stt = with_local_stt(primary, PocketsphinxSTT(), "sarvam", count=reasons)
    assert isinstance(stt, StreamingSpeechToText) and TurnListener(stt, 16000, "en-IN").streaming

    async def turn() -> str:
        opened = stt.open_turn(16000, "en-IN")
        for start in range(0, len(speech), 640):  # 20 ms frames, as the call feeds them
            opened.push(speech[start : start + 640])
        return (await opened.finish()).text

    assert await turn() == "namaste"  # streamed to Sarvam and answered there
    assert abs(sarvam.stt_flushes[0] - len(speech) / 2 / 16000) < 0.01
    sarvam.stt_error_on_flush = True
    assert await turn() == "yes please"  # Sarvam failed the flush: pocketsphinx heard the same audio
    streamed = [m for m in sarvam.stt_sockets[-1]["messages"] if "audio" in m]
    assert streamed and reasons == ["error"]
    assert [await turn(), await turn()] == ["yes please", "yes please"]
    sockets = len(sarvam.stt_sockets)
    assert await turn() == "yes please"  # the breaker is open: Sarvam is not asked again on this call
    assert len(sarvam.stt_sockets) == sockets and reasons == ["error", "error", "error", "breaker"]
    await stt.aclose()


# --- wiring ------------------------------------------------------------------------------------------
def sarvam_context(provider: str = "sarvam"):
    from app.calls.contract import CallType
    from app.voice.context import CallContext, VoiceConfig

    return CallContext("org", CallType.INBOUND, voice=VoiceConfig(provider=provider))


async def test_selection_puts_every_remote_provider_behind_a_local_one_and_counts_fallbacks(sarvam):
    metrics = Metrics()
    keys = VoiceKeys(sarvam_api_key="wrong key", sarvam_base_url=sarvam.url, tts_first_byte_seconds=0.5)
    providers = ProviderSelector(keys=keys, metrics=metrics).providers(sarvam_context())
    assert isinstance(providers.tts, FallbackTTS) and isinstance(providers.tts.primary, SarvamTTS)
    assert providers.tts.first_byte_seconds == 0.5
    assert isinstance(providers.stt, FallbackSTT) and isinstance(providers.stt.primary, SarvamSTT)
    assert is_speech(await speak(providers.tts, "Your order ships tomorrow."))  # Sarvam said 403
    sample = metrics.registry.get_sample_value
    assert sample("voiceai_provider_fallbacks_total", {"kind": "tts", "provider": "sarvam", "reason": "error"}) == 1
    assert b"voiceai_provider_fallbacks_total" in metrics.render()

    streaming = VoiceKeys(sarvam_api_key="sv", sarvam_streaming=True, elevenlabs_api_key="xi")
    picked = ProviderSelector(keys=streaming).providers(sarvam_context())
    assert isinstance(picked.stt, StreamingSpeechToText) and isinstance(picked.stt.primary, SarvamStreamingSTT)
    assert isinstance(picked.tts.primary, SarvamStreamingTTS)
    assert ProviderSelector(keys=streaming).providers(sarvam_context("elevenlabs")).tts.name == "elevenlabs"
    local = ProviderSelector(keys=VoiceKeys()).providers(sarvam_context())
    assert type(local.tts) is EspeakTTS and type(local.stt) is PocketsphinxSTT  # local ones are not wrapped


def test_the_first_byte_timeout_is_a_setting():
    assert Settings.from_env({}).tts_first_byte_seconds == 2.0
    settings = Settings.from_env({"VOICEAI_TTS_FIRST_BYTE_SECONDS": "0.8"})
    assert VoiceKeys.from_settings(settings).tts_first_byte_seconds == 0.8
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ValueError, match="VOICEAI_TTS_FIRST_BYTE_SECONDS"):
            Settings.from_env({"VOICEAI_TTS_FIRST_BYTE_SECONDS": bad})


async def test_a_missing_elevenlabs_voice_is_logged_on_the_call_and_espeak_speaks_for_the_rest_of_it(caplog):
    import logging

    from app.calls.contract import CallType
    from app.voice.context import CallContext, VoiceConfig
    from app.voice.providers.elevenlabs import ElevenLabsTTS
    from tests.fakes.elevenlabs_server import FakeElevenLabs

    server = await FakeElevenLabs().start()
    try:
        keys = VoiceKeys(elevenlabs_api_key=server.key, elevenlabs_base_url=server.url)
        context = CallContext(
            "org",
            CallType.OUTBOUND,
            call_id="cal_retiredvoice",
            voice=VoiceConfig(provider="elevenlabs", speaker="21m00Tcm4TlvDq8ikWAM"),
        )
        reasons = Reasons()
        tts = ProviderSelector(keys=keys).providers(context).tts
        assert isinstance(tts.primary, ElevenLabsTTS)
        tts._count = reasons
        voice = Voice("en-IN", "21m00Tcm4TlvDq8ikWAM")
        with caplog.at_level(logging.WARNING, logger="app.voice.providers.fallback"):
            first = b"".join([c async for c in tts.synthesize("Your order ships tomorrow.", voice, 8000)])
            second = b"".join([c async for c in tts.synthesize("Anything else?", voice, 8000)])
        assert is_speech(first) and is_speech(second)  # espeak-ng spoke both sentences
        assert len(server.requests) == 1  # a missing voice stays missing: asked once
        assert reasons == ["error", "breaker"] and tts.breaker.open
        logged = [r.getMessage() for r in caplog.records]
        assert any(
            line.startswith("call cal_retiredvoice: elevenlabs TTS failed before any audio")
            and "no voice '21m00Tcm4TlvDq8ikWAM' (404" in line
            for line in logged
        ), logged
    finally:
        await server.stop()


async def test_a_call_whose_tts_is_down_still_greets_the_caller():
    from tests.voice.harness import Call

    call = await Call.make(tts=FallbackTTS(SarvamTTS("sk_test", dead_url()), EspeakTTS(), "sarvam")).start()
    for _ in range(500):  # real sockets and a real espeak-ng: give the loop real time between fake-clock frames
        if call.agent_said():
            break
        await call.silence(20)
        await asyncio.sleep(0.005)
    assert call.agent_said()[0] == "Hi, this is Aria from Luminary Home. How can I help?"
    assert call.output.count("audio") > 50  # 20 ms frames: over a second of espeak-ng speech went out
    await call.end()
