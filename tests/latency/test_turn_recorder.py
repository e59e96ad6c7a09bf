"""The per-turn recorder on a scripted sequence of marks (no clocks, no timing): stages add up to
voice-to-voice, interruptions are kept, speech that answers no caller turn has no latency."""

from __future__ import annotations

from app.latency.marks import LatencyMark, MarkKind, TurnProviders
from app.latency.summary import summarise
from app.latency.turns import STAGES, TurnLatency, TurnLatencyRecorder


def reply(recorder: TurnLatencyRecorder, utterance: str, at: float, *, interrupted: bool = False):
    voiced = at
    recorder.mark(LatencyMark(MarkKind.ENDPOINT, at + 0.300, voiced_until=voiced))
    recorder.mark(LatencyMark(MarkKind.STT_FINAL, at + 0.420))
    recorder.mark(LatencyMark(MarkKind.REPLY_STARTED, at + 0.425, utterance))
    recorder.mark(LatencyMark(MarkKind.LLM_FIRST_TOKEN, at + 0.725, utterance))
    recorder.mark(LatencyMark(MarkKind.LLM_FIRST_TOKEN, at + 0.800, utterance))  # only the first counts
    recorder.mark(LatencyMark(MarkKind.FIRST_SENTENCE, at + 0.760, utterance))
    recorder.mark(LatencyMark(MarkKind.TTS_FIRST_AUDIO, at + 0.900, utterance))
    recorder.mark(LatencyMark(MarkKind.FIRST_FRAME_SENT, at + 0.910, utterance))
    return recorder.mark(
        LatencyMark(
            MarkKind.SETTLED,
            at + 3,
            utterance,
            interrupted=interrupted,
            heard_ms=800 if interrupted else 2000,
            spoken_ms=2000,
        )
    )


def test_a_reply_gets_every_stage_and_they_add_up_to_voice_to_voice():
    seen: list[TurnLatency] = []
    recorder = TurnLatencyRecorder(TurnProviders("sarvam", "openai", "elevenlabs"), sink=seen.append)
    latency = reply(recorder, "utt-7", 10.0)
    assert latency is not None and seen == [latency]
    assert (
        latency.endpoint_ms,
        latency.stt_ms,
        latency.queue_ms,
        latency.llm_ms,
        latency.sentence_ms,
        latency.tts_ms,
        latency.send_ms,
        latency.voice_to_voice_ms,
    ) == (300, 120, 5, 300, 35, 140, 10, 910)
    assert sum(getattr(latency, stage) for stage in STAGES) == latency.voice_to_voice_ms
    assert latency.providers.llm == "openai" and not latency.interrupted
    assert TurnLatency.from_dict(latency.as_dict()) == latency


def test_an_interrupted_reply_says_how_much_was_heard():
    recorder = TurnLatencyRecorder()
    latency = reply(recorder, "utt-1", 0.0, interrupted=True)
    assert (latency.interrupted, latency.heard_ms, latency.spoken_ms) == (True, 800, 2000)


def test_the_greeting_has_no_latency_and_a_reply_without_a_caller_turn_has_no_voice_to_voice():
    recorder = TurnLatencyRecorder()
    assert recorder.mark(LatencyMark(MarkKind.FIRST_FRAME_SENT, 0.5, "utt-1")) is None  # greeting: never started
    assert recorder.mark(LatencyMark(MarkKind.SETTLED, 2.0, "utt-1")) is None
    recorder.mark(LatencyMark(MarkKind.REPLY_STARTED, 3.0, "utt-2"))  # a keypad digit's reply
    recorder.mark(LatencyMark(MarkKind.FIRST_FRAME_SENT, 3.5, "utt-2"))
    latency = recorder.mark(LatencyMark(MarkKind.SETTLED, 4.0, "utt-2"))
    assert latency is not None and latency.voice_to_voice_ms is None and latency.queue_ms is None
    assert recorder.turns == [latency]


def test_the_summary_is_nearest_rank_percentiles():
    recorder = TurnLatencyRecorder()
    for index in range(20):
        recorder.turns.append(TurnLatency(voice_to_voice_ms=100 * (index + 1), interrupted=index == 0))
    summary = summarise(recorder.turns)
    assert (
        summary.turns,
        summary.interrupted,
        summary.p50_voice_to_voice_ms,
        summary.p95_voice_to_voice_ms,
        summary.max_voice_to_voice_ms,
    ) == (20, 1, 1000, 1900, 2000)
    assert summarise([]).p50_voice_to_voice_ms is None
