"""The call meter as a session observer: typed session events in, a reply's latency (kept for its transcript
turn, taken once), usage counts and Prometheus series out."""

from __future__ import annotations

from app.metrics import Metrics
from app.voice.call_meter import CallMeter
from app.voice.providers.base import Providers, Voice
from app.voice.providers.espeak_tts import EspeakTTS
from app.voice.providers.openai_llm import OpenAICompatibleLLM
from app.voice.providers.sarvam import SarvamSTT
from app.voice.session_events import (
    CallerTurnEnded,
    LlmFirstToken,
    LlmReplyFinished,
    ReplyStarted,
    SentenceReady,
    ToolCalled,
    TranscriptFinal,
    TtsFirstAudio,
    TtsRequested,
    UtteranceSettled,
)
from app.voice.utterance import UtteranceState


def meter(**options) -> CallMeter:
    providers = Providers(
        stt=SarvamSTT("k", "http://127.0.0.1:9"),
        tts=EspeakTTS(),
        llm=OpenAICompatibleLLM("k", "gpt-4o-mini", "http://127.0.0.1:9/v1"),
    )
    return CallMeter(providers, Voice("en-IN", None, None), endpoint_ms=300, telephony="exotel", **options)


def test_a_reply_is_measured_from_the_callers_last_voiced_frame_and_counted():
    metrics = Metrics()
    call = meter(sink=metrics.observe_turn)
    for event in (
        CallerTurnEnded(10.3, 9.0),  # the last voiced frame was at 10.0
        TranscriptFinal(10.45, "when?", "en-IN", audio_seconds=1.0),
        ReplyStarted(10.46, "utt-2"),
        LlmFirstToken(10.76, "utt-2"),
        SentenceReady(10.80, "utt-2", "Sure, tomorrow."),
        TtsRequested(10.80, "utt-2", 15),
        TtsFirstAudio(10.95, "utt-2"),
        LlmReplyFinished(10.9, "utt-2", 40, 15),
        ToolCalled(12.1, "end_call"),
        UtteranceSettled(
            12.0,
            "utt-2",
            "reply",
            UtteranceState.PLAYED,
            "Sure, tomorrow.",
            first_frame_at=10.96,
            frames_sent=50,
            frames=50,
        ),
    ):
        call(event)
    latency = call.take("utt-2")
    assert latency is not None and call.take("utt-2") is None
    assert (latency.endpoint_ms, latency.stt_ms, latency.queue_ms, latency.llm_ms, latency.voice_to_voice_ms) == (
        300,
        150,
        10,
        300,
        960,
    )
    assert (latency.heard_ms, latency.providers.stt, latency.providers.llm, latency.providers.tts) == (
        1000,
        "sarvam",
        "openai",
        "offline",
    )
    usage, summary = call.totals(61, recording_bytes=1000)
    assert (
        usage.stt_audio_seconds,
        usage.tts_characters,
        usage.llm_input_tokens,
        usage.llm_output_tokens,
        usage.llm_tokens_estimated,
        usage.tool_calls,
        usage.telephony_seconds,
    ) == (1.0, 15, 10, 4, True, 1, 61)
    assert usage.providers["llm"].model == "gpt-4o-mini" and usage.providers["telephony"].provider == "exotel"
    assert summary is not None and summary.p50_voice_to_voice_ms == 960
    rendered = metrics.render().decode()
    assert 'voiceai_turn_stage_seconds_count{provider="openai",stage="llm"} 1.0' in rendered
    assert 'voiceai_voice_to_voice_seconds_count{llm="openai",stt="sarvam",tts="offline"} 1.0' in rendered


def test_noise_drops_the_caller_turn_and_provider_usage_wins_over_the_estimate():
    call = meter()
    call(CallerTurnEnded(1.0, 0.5))
    call(TranscriptFinal(1.1, "", None, audio_seconds=0.5))  # noise: no words, no reply follows it
    call(ReplyStarted(3.0, "utt-1"))  # a reply to a keypad digit
    call(LlmReplyFinished(3.5, "utt-1", 100, 10, input_tokens=57, output_tokens=2))
    call(
        UtteranceSettled(
            4.0, "utt-1", "reply", UtteranceState.INTERRUPTED, "Sure", first_frame_at=3.6, frames_sent=10, frames=40
        )
    )
    latency = call.take("utt-1")
    assert latency is not None and latency.voice_to_voice_ms is None and latency.endpoint_ms is None
    assert (latency.interrupted, latency.heard_ms, latency.spoken_ms) == (True, 200, 800)
    usage, _ = call.totals(5)
    assert (usage.llm_input_tokens, usage.llm_output_tokens, usage.llm_tokens_estimated, usage.stt_audio_seconds) == (
        57,
        2,
        False,
        0.5,
    )
