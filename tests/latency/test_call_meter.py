"""The call meter between the session and the recorder: provider labels, the endpoint window, usage counts,
and a reply's latency kept for its transcript turn (taken once)."""

from __future__ import annotations

from app.metrics import Metrics
from app.voice.call_meter import CallMeter
from app.voice.providers.base import Providers, Voice
from app.voice.providers.espeak_tts import EspeakTTS
from app.voice.providers.openai_llm import OpenAICompatibleLLM
from app.voice.providers.sarvam import SarvamSTT


def meter(**options) -> CallMeter:
    providers = Providers(stt=SarvamSTT("k", "http://127.0.0.1:9"), tts=EspeakTTS(),
                          llm=OpenAICompatibleLLM("k", "gpt-4o-mini", "http://127.0.0.1:9/v1"))
    return CallMeter(providers, Voice("en-IN", None, None), endpoint_ms=300, telephony="exotel", **options)


def test_a_reply_is_measured_from_the_callers_last_voiced_frame_and_counted():
    metrics = Metrics()
    call = meter(sink=metrics.observe_turn)
    call.caller_turn_ended(10.3)                                # the last voiced frame was at 10.0
    call.transcript_final(10.45, pcm_bytes=32000, rate=16000)   # one second of caller audio to the STT
    call.reply_started(10.46, "utt-2")
    call.llm_first_token(10.76)
    call.sentence_ready(10.80, "utt-2")
    call.tts_requested("Sure, tomorrow.")
    call.tts_first_audio(10.95, "utt-2")
    call.llm_finished([{"role": "user", "content": "x" * 40}], "Sure, tomorrow.")
    latency = call.utterance_settled(12.0, "utt-2", first_frame_at=10.96, interrupted=False, frames_sent=50,
                                     frames=50)
    assert latency is not None
    assert (latency.endpoint_ms, latency.stt_ms, latency.llm_ms, latency.voice_to_voice_ms) == (300, 150, 300, 960)
    assert (latency.heard_ms, latency.providers.stt, latency.providers.llm, latency.providers.tts) == \
        (1000, "sarvam", "openai", "offline")
    assert call.take("utt-2") == latency and call.take("utt-2") is None
    usage, summary = call.totals(61, recording_bytes=1000)
    assert (usage.stt_audio_seconds, usage.tts_characters, usage.llm_input_tokens, usage.llm_output_tokens,
            usage.llm_tokens_estimated, usage.telephony_seconds) == (1.0, 15, 10, 4, True, 61)
    assert usage.providers["llm"].model == "gpt-4o-mini" and usage.providers["telephony"].provider == "exotel"
    assert summary is not None and summary.p50_voice_to_voice_ms == 960
    rendered = metrics.render().decode()
    assert 'voiceai_turn_stage_seconds_count{provider="openai",stage="llm"} 1.0' in rendered
    assert 'voiceai_voice_to_voice_seconds_count{llm="openai",stt="sarvam",tts="offline"} 1.0' in rendered


def test_provider_usage_wins_over_the_estimate_and_latency_can_be_off():
    call = meter(record_latency=False)
    call.reply_started(1.0, "utt-1")
    call.llm_usage(57, 2)
    call.llm_finished([{"role": "user", "content": "hello"}], "Hi there.")
    assert call.utterance_settled(2.0, "utt-1", first_frame_at=1.5, interrupted=False, frames_sent=1,
                                  frames=1) is None
    usage, summary = call.totals(5)
    assert (usage.llm_input_tokens, usage.llm_output_tokens, usage.llm_tokens_estimated, summary) == \
        (57, 2, False, None)
