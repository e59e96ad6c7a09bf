"""A call's caller side frame by frame: real espeak-ng speech, noise and silence through the denoiser, the
detector, adaptive endpointing and the two-step barge-in, with an STT whose partial transcript the test sets."""

from __future__ import annotations

import numpy as np

from app.turn_taking.config import AUTO_SILERO_CALLS, LEGACY, TurnTakingConfig, VadKind
from app.turn_taking.detectors import SileroDetector, WebRtcDetector
from app.voice.caller_turns import CallerCue, CallerTurns
from app.voice.providers.base import Transcript
from app.voice.providers.listening import TurnListener
from app.voice.vad import EndpointConfig
from tests.voice.speech import frames, noise_frames, silent_frames, spoken

RATE = 8000
TRUSTED = TurnTakingConfig(trust_partials=True)


class HeardTurn:
    def __init__(self, stt: ScriptedStt) -> None:
        self._stt = stt

    @property
    def partial(self) -> str:
        return self._stt.partial

    def push(self, pcm: bytes) -> None:
        self._stt.pushed += len(pcm)

    async def finish(self) -> Transcript:
        return Transcript(self._stt.partial)

    def cancel(self) -> None:
        self._stt.cancelled += 1


class ScriptedStt:
    """Says `partial` once it has been fed `after_ms` of a turn's audio."""

    def __init__(self, words: str = "", after_ms: int = 0) -> None:
        self.words, self.after_bytes = words, after_ms * RATE * 2 // 1000
        self.pushed = self.cancelled = 0

    @property
    def partial(self) -> str:
        return self.words if self.pushed >= self.after_bytes else ""

    def open_turn(self, rate: int, language: str | None) -> HeardTurn:
        self.pushed = 0
        return HeardTurn(self)

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        return Transcript(self.words)


def caller(config: TurnTakingConfig, stt: ScriptedStt) -> CallerTurns:
    return CallerTurns(config, RATE, EndpointConfig(), TurnListener(stt, RATE, "en"))


def run(turns: CallerTurns, chunk: list[bytes], agent_active: bool = True) -> list[tuple[int, CallerCue]]:
    out = []
    for index, frame in enumerate(chunk):
        clean = turns.clean(frame)
        out += [(index, cue) for cue in turns.push(clean, turns.is_speech(clean), agent_active)]
    return out


def cues(events: list[tuple[int, CallerCue]]) -> list[CallerCue]:
    return [cue for _, cue in events]


def test_a_real_interruption_pauses_softly_then_clears_within_300_ms():
    audio = frames(spoken("Wait, I need to talk about my refund instead", RATE), RATE)
    events = run(caller(TurnTakingConfig(), ScriptedStt("wait i need", after_ms=300)), silent_frames(400, RATE) + audio)
    assert cues(events)[:3] == [CallerCue.SPEECH_STARTED, CallerCue.SOFT_PAUSE, CallerCue.INTERRUPT]
    onset = events[0][0]
    interrupt = next(i for i, cue in events if cue == CallerCue.INTERRUPT)
    assert (interrupt - onset) * 20 <= 300


def test_a_backchannel_a_trusted_stt_heard_over_the_agent_pauses_then_resumes_without_a_clear():
    audio = frames(spoken("okay", RATE), RATE) + silent_frames(800, RATE)
    events = run(caller(TRUSTED, ScriptedStt("okay", after_ms=100)), silent_frames(200, RATE) + audio)
    seen = cues(events)
    assert CallerCue.SOFT_PAUSE in seen and CallerCue.RESUME in seen
    assert CallerCue.INTERRUPT not in seen


def test_white_noise_over_the_agent_is_not_even_a_pause():
    events = run(caller(TurnTakingConfig(), ScriptedStt()), noise_frames(1000, RATE, level=2500))
    assert events == []


def babble_frames(level: float = 1500.0, rate: int = RATE) -> list[bytes]:
    """Four voices at once, a second long, quieter than a caller: crowd noise."""
    lines = ["the weather was lovely this morning", "we should meet at the station at five", "did you see the match"]
    voices = [np.frombuffer(spoken(line, rate), dtype="<i2").astype(np.float64) for line in [*lines, "pass the salt"]]
    mix = sum(np.roll(np.resize(v, rate), i * rate // 7) for i, v in enumerate(voices))
    mix = mix * level / np.sqrt(np.mean(mix**2))
    return frames(np.clip(mix, -32768, 32767).astype("<i2").tobytes(), rate)


def test_babble_over_the_agent_resumes_it_at_once_and_ends_as_noise_not_a_turn():
    turns = caller(TurnTakingConfig(vad=VadKind.SILERO), ScriptedStt("the weather was lovely", after_ms=300))
    events = run(turns, silent_frames(200, RATE) + babble_frames() + silent_frames(1200, RATE))
    seen = cues(events)
    assert CallerCue.INTERRUPT not in seen and CallerCue.TURN_ENDED not in seen
    assert seen[:3] == [CallerCue.SPEECH_STARTED, CallerCue.SOFT_PAUSE, CallerCue.RESUME]
    paused, resumed = events[1][0], events[2][0]
    assert (resumed - paused) * 20 <= 200  # the agent's audio stops for less than an audible gap
    assert seen[-1] == CallerCue.NOISE


def test_legacy_clears_at_onset_and_hears_noise_as_speech():
    events = run(caller(LEGACY, ScriptedStt()), noise_frames(1000, RATE, level=2500))
    assert cues(events)[:2] == [CallerCue.SPEECH_STARTED, CallerCue.INTERRUPT]


def ended_after(words: str, config: TurnTakingConfig = TRUSTED) -> int | None:
    """Silence (ms) after the speech before the turn ended, with `words` as the partial."""
    speech = frames(spoken("I would like to know about my order", RATE), RATE)
    events = run(caller(config, ScriptedStt(words)), speech + silent_frames(2000, RATE), False)
    ended = [i for i, cue in events if cue == CallerCue.TURN_ENDED]
    return (ended[0] - len(speech)) * 20 if ended else None


def test_a_turn_that_reads_complete_ends_sooner_than_one_that_reads_unfinished_when_the_words_are_trusted():
    complete, unknown, unfinished = ended_after("what is my balance"), ended_after(""), ended_after("i want to pay the")
    assert complete is not None and unknown is not None and unfinished is not None
    assert complete < unknown < unfinished
    assert complete <= 400 and unfinished >= 1200


def test_by_default_every_turn_waits_out_a_mid_sentence_pause_whatever_the_stt_made_of_it():
    endings = [ended_after(words, TurnTakingConfig()) for words in ("what is my balance", "", "i want to pay the")]
    assert endings[0] == endings[1] == endings[2] and (endings[0] or 0) >= 900


def closed_after(text: str, language: str, config: TurnTakingConfig) -> int | None:
    """Silence (ms) after `text`, spoken by espeak-ng, before the turn ended; the STT hears nothing."""
    speech = frames(spoken(text, RATE, language), RATE)
    events = run(caller(config, ScriptedStt()), silent_frames(200, RATE) + speech + silent_frames(2000, RATE), False)
    ended = [i for i, cue in events if cue == CallerCue.TURN_ENDED]
    return (ended[0] - len(speech) - 10) * 20 if ended else None


def test_a_question_whose_pitch_rises_at_the_end_closes_sooner_than_a_half_sentence_without_any_words():
    """Intonation needs no transcript: a question rises, a half sentence said on its own falls; words heard or
    not, the question closes after `rising_endpoint_ms` and the half sentence waits `endpoint_ms`."""
    config = TurnTakingConfig()
    for text, language in (("Is the store open today?", "en"), ("मेरा ऑर्डर कहाँ है?", "hi")):
        closed = closed_after(text, language, config)
        assert closed is not None and closed <= config.rising_endpoint_ms + 200
    for text, language in (("I would like to know about", "en"), ("मेरे ऑर्डर में", "hi")):
        closed = closed_after(text, language, config)
        assert closed is not None and closed >= config.endpoint_ms


def test_a_flow_can_turn_the_rising_end_off():
    config = TurnTakingConfig(rising_endpoint_ms=900)
    closed = closed_after("Is the store open today?", "en", config)
    assert closed is not None and closed >= 900


def test_a_draft_on_a_quiet_partial_is_dropped_when_the_caller_goes_on():
    first = frames(spoken("I would like to know", RATE), RATE)
    second = frames(spoken("about the spring sale", RATE), RATE)
    events = run(
        caller(TurnTakingConfig(), ScriptedStt("i would like to know")),
        first + silent_frames(400, RATE) + second + silent_frames(1600, RATE),
        False,
    )
    seen = cues(events)
    assert seen.index(CallerCue.DRAFT) < seen.index(CallerCue.DRAFT_DROPPED) < seen.index(CallerCue.TURN_ENDED)
    assert seen.count(CallerCue.TURN_ENDED) == 1


def test_auto_vad_is_silero_until_the_process_holds_many_calls_then_webrtcvad():
    """`vad: auto` (the default): the neural VAD while the loop can afford it, the cheap one in a dense process;
    a call that ends gives its place back."""
    config = TurnTakingConfig()
    assert config.vad == VadKind.AUTO
    held = [caller(config, ScriptedStt()) for _ in range(AUTO_SILERO_CALLS - CallerTurns.live)]
    assert all(isinstance(turns.vad, SileroDetector) for turns in held)
    dense = caller(config, ScriptedStt())
    assert isinstance(dense.vad, WebRtcDetector)
    dense.close()
    dense.close()  # closing twice gives back one place
    held.pop().close()
    again = caller(config, ScriptedStt())
    assert isinstance(again.vad, SileroDetector)
    for turns in [*held, again]:
        turns.close()
