"""Remote providers against local servers that speak their real protocols over real sockets."""

from __future__ import annotations

import pytest
import pytest_asyncio

from app.calls.contract import CallType
from app.voice.audio import rms, tone
from app.voice.context import CallContext, ScriptView, VoiceConfig
from app.voice.prompt import TOOLS
from app.voice.providers.base import ProviderError, TextDelta, ToolCall, Voice
from app.voice.providers.elevenlabs import ElevenLabsTTS
from app.voice.providers.espeak_tts import EspeakTTS
from app.voice.providers.openai_llm import OpenAICompatibleLLM
from app.voice.providers.pocketsphinx_stt import PocketsphinxSTT
from app.voice.providers.sarvam import SarvamSTT, SarvamTTS
from app.voice.providers.scripted_llm import ScriptedPolicy
from app.voice.providers.selection import ProviderSelector, VoiceKeys
from tests.fakes.elevenlabs_server import FakeElevenLabs
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sarvam_server import FakeSarvam


@pytest_asyncio.fixture
async def openai_server():
    server = await FakeOpenAI().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def sarvam_server():
    server = await FakeSarvam().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def elevenlabs_server():
    server = await FakeElevenLabs().start()
    yield server
    await server.stop()


async def collect(iterator) -> list:
    return [item async for item in iterator]


async def test_openai_compatible_llm_streams_text_then_joined_tool_calls(openai_server):
    openai_server.text_pieces = ["Thanks", " for calling,", " goodbye!"]
    openai_server.tool_calls = [{"name": "end_call", "arguments": {"reason": "caller_goodbye"}}]
    llm = OpenAICompatibleLLM("sk-local", "small-model", base_url=openai_server.url)
    events = await collect(llm.stream([{"role": "user", "content": "bye"}], TOOLS))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Thanks", " for calling,", " goodbye!"]
    assert next(e for e in events if not isinstance(e, TextDelta)) == ToolCall(
        "end_call", {"reason": "caller_goodbye"}, "call_0"
    )  # then the usage (issue 17)
    request = openai_server.requests[0]
    assert request["stream"] is True and request["model"] == "small-model"
    assert [t["function"]["name"] for t in request["tools"]] == [
        "end_call",
        "transfer_to_human",
        "schedule_callback",
        "mark_do_not_call",
        "switch_language",
    ]
    assert openai_server.headers[0]["Authorization"] == "Bearer sk-local"


async def test_openai_llm_asks_for_the_usage_and_reports_the_providers_token_counts_last(openai_server):
    from app.voice.providers.base import LLMUsage

    openai_server.text_pieces = ["Sure,", " tomorrow."]
    llm = OpenAICompatibleLLM("sk-local", "small-model", base_url=openai_server.url)
    events = await collect(llm.stream([{"role": "user", "content": "when?"}], TOOLS))
    assert openai_server.requests[0]["stream_options"] == {"include_usage": True}
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Sure,", " tomorrow."]
    assert events[-1] == LLMUsage(input_tokens=57, output_tokens=2)


async def test_openai_errors_become_provider_errors(openai_server):
    openai_server.fail_status = 400
    llm = OpenAICompatibleLLM("sk-local", "m", base_url=openai_server.url)
    with pytest.raises(ProviderError):
        await collect(llm.stream([{"role": "user", "content": "hi"}], TOOLS))


async def test_sarvam_tts_returns_audio_at_the_call_rate(sarvam_server):
    tts = SarvamTTS(sarvam_server.key, sarvam_server.url)
    audio = b"".join(
        await collect(tts.synthesize("Namaste, kaise hain aap", Voice("hi-IN", "Anushka", "bulbul:v2"), 8000))
    )
    assert abs(len(audio) / 2 / 8000 - 0.4) < 0.01 and rms(audio) > 1000
    request = sarvam_server.tts_requests[0]
    assert (request["target_language_code"], request["speaker"], request["model"], request["speech_sample_rate"]) == (
        "hi-IN",
        "anushka",
        "bulbul:v2",
        8000,
    )


async def test_sarvam_tts_names_the_models_default_speaker_when_the_agent_has_none(sarvam_server):
    tts = SarvamTTS(sarvam_server.key, sarvam_server.url)
    assert await collect(tts.synthesize("Namaste", Voice("hi-IN", None, "bulbul:v3"), 8000))
    assert await collect(tts.synthesize("Namaste", Voice("bn-IN"), 8000))  # the provider's model: bulbul:v2
    assert [(r["speaker"], r["model"]) for r in sarvam_server.tts_requests] == [
        ("shubh", "bulbul:v3"),
        ("anushka", "bulbul:v2"),
    ]


async def test_sarvam_rejects_a_wrong_key_as_a_provider_error(sarvam_server):
    with pytest.raises(ProviderError):
        await collect(SarvamTTS("wrong", sarvam_server.url).synthesize("hi", Voice(), 8000))
    with pytest.raises(ProviderError):
        await SarvamSTT("wrong", sarvam_server.url).transcribe(tone(8000, 100), 8000, "hi-IN")


async def test_sarvam_stt_uploads_a_wav_and_reads_the_transcript_and_language(sarvam_server):
    stt = SarvamSTT(sarvam_server.key, sarvam_server.url)
    transcript = await stt.transcribe(tone(8000, 1500), 8000, "hi-en")
    assert (transcript.text, transcript.language, transcript.confidence) == ("namaste", "hi-IN", 0.93)
    assert sarvam_server.stt_requests[0] == {
        "model": "saaras:v3",
        "mode": "transcribe",
        "language_code": "unknown",
        "seconds": 1.5,
    }  # saarika:v2.5 is the legacy model


async def test_elevenlabs_without_a_speaker_uses_the_default_voice_a_current_premade_one(elevenlabs_server):
    from app.voice_catalog.catalog import RETIRED_ELEVENLABS_VOICES, find_voice

    tts = ElevenLabsTTS(elevenlabs_server.key, elevenlabs_server.url)
    assert tts.voice_id not in RETIRED_ELEVENLABS_VOICES and find_voice("elevenlabs", tts.voice_id) is not None
    assert rms(b"".join(await collect(tts.synthesize("Hello there", Voice("en-IN"), 8000)))) > 1000
    assert elevenlabs_server.requests[0]["voice_id"] == "JBFqnCBsd6RMkjVDRZzb"


def test_the_elevenlabs_default_voice_is_a_setting():
    from app.config import Settings

    assert VoiceKeys.from_settings(Settings.from_env({})).elevenlabs_default_voice == "JBFqnCBsd6RMkjVDRZzb"
    settings = Settings.from_env(
        {"VOICEAI_ELEVENLABS_API_KEY": "xi", "VOICEAI_ELEVENLABS_DEFAULT_VOICE": "EXAVITQu4vr4xnSDxMaL"}
    )
    tts = ProviderSelector(settings).tts(context("elevenlabs"))
    assert isinstance(tts, ElevenLabsTTS) and tts.voice_id == "EXAVITQu4vr4xnSDxMaL"


async def test_a_retired_elevenlabs_voice_is_a_voice_not_found_error_naming_it(elevenlabs_server):
    from app.voice.providers.elevenlabs import VoiceNotFound

    tts = ElevenLabsTTS(elevenlabs_server.key, elevenlabs_server.url)
    with pytest.raises(VoiceNotFound, match=r"21m00Tcm4TlvDq8ikWAM.*404") as raised:
        await collect(tts.synthesize("Hello", Voice("en-IN", "21m00Tcm4TlvDq8ikWAM"), 8000))
    assert isinstance(raised.value, ProviderError) and raised.value.permanent
    assert "VOICEAI_ELEVENLABS_DEFAULT_VOICE" in str(raised.value)


@pytest.mark.parametrize(
    "model,sent",
    [
        ("eleven_multilingual_v2", None),
        ("eleven_turbo_v2", None),
        ("eleven_flash_v2_5", "hi"),
        ("eleven_turbo_v2_5", "hi"),
        ("eleven_v3", "hi"),
    ],
)
async def test_elevenlabs_sends_language_code_only_to_models_that_take_it(elevenlabs_server, model, sent):
    tts = ElevenLabsTTS(elevenlabs_server.key, elevenlabs_server.url)
    audio = b"".join(await collect(tts.synthesize("Namaste ji", Voice("hi-IN", "EXAVITQu4vr4xnSDxMaL", model), 8000)))
    assert rms(audio) > 1000
    request = elevenlabs_server.requests[0]
    assert request["model_id"] == model and request.get("language_code") == sent


async def test_the_elevenlabs_fake_refuses_what_the_service_refuses(elevenlabs_server):
    import aiohttp

    async with aiohttp.ClientSession(headers={"xi-api-key": elevenlabs_server.key}) as http:
        base = f"{elevenlabs_server.url}/v1/text-to-speech"
        async with http.post(
            f"{base}/21m00Tcm4TlvDq8ikWAM/stream?output_format=pcm_8000",
            json={"text": "hi", "model_id": "eleven_flash_v2_5"},
        ) as answer:
            assert answer.status == 404 and (await answer.json())["detail"]["status"] == "voice_not_found"
        body = {"text": "hi", "model_id": "eleven_multilingual_v2", "language_code": "hi"}
        async with http.post(f"{base}/EXAVITQu4vr4xnSDxMaL/stream?output_format=pcm_8000", json=body) as answer:
            assert answer.status == 400


async def test_elevenlabs_streams_raw_pcm_chunks_as_they_arrive(elevenlabs_server):
    tts = ElevenLabsTTS(elevenlabs_server.key, elevenlabs_server.url)
    chunks = await collect(tts.synthesize("Hello from the stream", Voice("en-IN", "voice123"), 16000))
    audio = b"".join(chunks)
    assert len(chunks) > 3 and all(len(c) % 2 == 0 for c in chunks)
    assert audio == tone(16000, 400, 440, 5000)
    assert elevenlabs_server.requests[0]["voice_id"] == "voice123"
    assert elevenlabs_server.requests[0]["output_format"] == "pcm_16000"


def context(provider: str | None) -> CallContext:
    return CallContext("org", CallType.INBOUND, script=ScriptView(), voice=VoiceConfig(provider=provider))


def test_without_keys_everything_is_local():
    providers = ProviderSelector(keys=VoiceKeys()).providers(context("sarvam"))
    assert isinstance(providers.stt, PocketsphinxSTT) and isinstance(providers.tts, EspeakTTS)
    assert isinstance(providers.llm, ScriptedPolicy)


def test_keys_and_the_agents_voice_pick_remote_providers():
    keys = VoiceKeys(openai_api_key="sk", sarvam_api_key="sv", elevenlabs_api_key="xi")
    sarvam = ProviderSelector(keys=keys).providers(context("sarvam"))
    assert isinstance(sarvam.tts.primary, SarvamTTS) and isinstance(sarvam.stt.primary, SarvamSTT)  # + local fallback
    assert isinstance(sarvam.llm, OpenAICompatibleLLM)
    assert isinstance(ProviderSelector(keys=keys).tts(context("elevenlabs")), ElevenLabsTTS)
    assert isinstance(ProviderSelector(keys=keys).tts(context("nextneural")), EspeakTTS)


def test_keys_come_from_the_settings_extras():
    class Settings:
        extra = {"VOICEAI_LLM_API_KEY": "sk", "VOICEAI_LLM_BASE_URL": "http://x/v1", "VOICEAI_SARVAM_API_KEY": "sv"}

    keys = VoiceKeys.from_settings(Settings())
    assert (keys.openai_api_key, keys.openai_base_url, keys.sarvam_api_key, keys.elevenlabs_api_key) == (
        "sk",
        "http://x/v1",
        "sv",
        None,
    )


async def test_a_call_turn_through_the_remote_llm_and_tts(openai_server, sarvam_server):
    import asyncio

    from tests.voice.harness import Call

    openai_server.text_pieces = ["We deliver", " in five days.", " Anything else?"]
    call = await Call.make(
        llm=OpenAICompatibleLLM("sk", "m", base_url=openai_server.url),
        tts=SarvamTTS(sarvam_server.key, sarvam_server.url),
    ).start()
    for _ in range(400):  # real sockets: give the loop real time between fake-clock frames
        if len(call.agent_said()) >= 2:
            break
        await call.silence(20)
        await asyncio.sleep(0.005)
        if len(call.agent_said()) == 1 and not call.caller_said():
            await call.say("Do you deliver?")
    assert call.agent_said()[1] == "We deliver in five days. Anything else?"
    assert [t["text"] for t in sarvam_server.tts_requests[2:]] == ["We deliver in five days.", "Anything else?"]
    assert openai_server.requests[0]["messages"][0]["role"] == "system"
    await call.end()


def test_sarvam_streaming_is_picked_by_the_setting_and_a_flow_can_opt_in_or_out():
    from app.voice.providers.sarvam_ws_stt import SarvamStreamingSTT
    from app.voice.providers.sarvam_ws_tts import SarvamStreamingTTS

    rest, streaming = VoiceKeys(sarvam_api_key="sv"), VoiceKeys(sarvam_api_key="sv", sarvam_streaming=True)
    picked = ProviderSelector(keys=streaming).providers(context("sarvam"))
    assert isinstance(picked.tts.primary, SarvamStreamingTTS) and isinstance(picked.stt.primary, SarvamStreamingSTT)
    assert isinstance(ProviderSelector(keys=rest).tts(context("sarvam")), SarvamTTS)  # REST stays the default
    opted_in = CallContext(
        "org", CallType.INBOUND, voice=VoiceConfig(provider="sarvam"), flow_config={"sarvam_streaming": True}
    )
    assert isinstance(ProviderSelector(keys=rest).stt(opted_in), SarvamStreamingSTT)
    opted_out = CallContext(
        "org", CallType.INBOUND, voice=VoiceConfig(provider="sarvam"), flow_config={"sarvam_streaming": False}
    )
    assert isinstance(ProviderSelector(keys=streaming).tts(opted_out), SarvamTTS)
    with_org_key = CallContext("org", CallType.INBOUND, voice=VoiceConfig(provider="sarvam"), sarvam_api_key="org")
    assert ProviderSelector(keys=VoiceKeys(sarvam_streaming=True)).tts(with_org_key).api_key == "org"


def test_a_nextneural_voice_goes_to_the_voice_server_when_one_is_configured():
    from app.voice.providers.nextneural_tts import NextNeuralTTS

    tts = ProviderSelector(keys=VoiceKeys(nextneural_url="http://voices:9000")).tts(context("nextneural"))
    assert isinstance(tts, NextNeuralTTS) and isinstance(tts.fallback, EspeakTTS)
    assert (tts.base_url, tts.organisation_id) == ("http://voices:9000", "org")


def test_streaming_and_the_voice_server_come_from_the_settings():
    class Settings:
        extra = {"VOICEAI_SARVAM_API_KEY": "sv", "VOICEAI_SARVAM_STREAMING": "on"}
        nextneural_url = "http://voices:9000"

    keys = VoiceKeys.from_settings(Settings())
    assert (keys.sarvam_streaming, keys.nextneural_url) == (True, "http://voices:9000")
    Settings.extra = {"VOICEAI_SARVAM_STREAMING": "maybe"}
    with pytest.raises(ValueError, match="VOICEAI_SARVAM_STREAMING"):
        VoiceKeys.from_settings(Settings())


async def test_llm_requests_reuse_the_loops_kept_alive_connection(openai_server):
    """A connection (and, to a real endpoint, a TLS handshake) per request put a round trip on every reply."""
    first = OpenAICompatibleLLM("sk-local", "small-model", base_url=openai_server.url)
    second = OpenAICompatibleLLM("sk-other", "other-model", base_url=openai_server.url)
    for llm in (first, second, first):
        events = await collect(llm.stream([{"role": "user", "content": "hi"}], []))
        assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hello", " there."]
    assert len(set(openai_server.peers[-3:])) == 1
    assert [h["Authorization"] for h in openai_server.headers[-3:]] == [
        "Bearer sk-local",
        "Bearer sk-other",
        "Bearer sk-local",
    ]
