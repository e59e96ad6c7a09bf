"""Endpointing probe (no server): what the caller side sees, frame by frame, and where a policy closes the turn.

Each question / mid-pause scenario is fed in real time (the STT's partials arrive from its worker as they
would on a call) through the denoiser, the VAD and one streamed STT turn that never closes, recording
(voiced, partial) per 20 ms frame. Any endpoint policy is then replayed on the recording instantly: where it
closes the first turn, whether that is before the caller finished (a premature takeover) and how long after
the end of speech it closes a complete one. It explains takeovers (the partial and reading at the close) and
keeps a policy from being tuned to the handful of calls the full bench runs.

    .venv/bin/python scripts/bench_turn_taking.py --endpoints [--repeat 2]
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass
from typing import Any

from app.turn_taking.config import TurnTakingConfig
from app.turn_taking.denoise import denoiser
from app.turn_taking.detectors import voice_detector
from app.turn_taking.endpointing import EndpointPolicy, read_turn
from app.turn_taking.intonation import Ending, Intonation
from app.voice.audio import mulaw_decode, mulaw_encode
from app.voice.caller_turns import CallerTurns
from app.voice.providers.listening import TurnListener
from app.voice.providers.pocketsphinx_stt import PocketsphinxSTT
from app.voice.vad import EndpointConfig, EndpointDetector, TurnEvent
from scripts.turnbench.corpus import RATE, Category, Scenario

FRAME = 0.02
FRAME_BYTES = RATE * 2 // 50
LEAD_S, TAIL_S = 0.4, 2.2


@dataclass
class Timeline:
    scenario: Scenario
    voiced: list[bool]
    partials: list[str]
    frames: list[bytes]  # as the denoiser left them: the intonation reads these
    spans: list[tuple[float, float]]  # the caller's voiced parts, seconds from the first frame


async def record(scenario: Scenario, config: TurnTakingConfig) -> Timeline:
    audio, spans = scenario.audio()
    lead = bytes(int(LEAD_S * RATE) * 2)
    pcm = lead + audio + bytes(int(TAIL_S * RATE) * 2)
    if scenario.mulaw:
        pcm = mulaw_decode(mulaw_encode(pcm))
    cleaner, vad = denoiser(config.noise_suppression), voice_detector(config.vad, RATE)
    listener = TurnListener(PocketsphinxSTT(), RATE, scenario.language)
    endpoint = EndpointDetector(EndpointConfig())
    voiced_list: list[bool] = []
    partials: list[str] = []
    frames: list[bytes] = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        frame = cleaner.clean(pcm[index : index + FRAME_BYTES])
        voiced = vad.is_speech(frame)
        listener.frame(frame)
        if TurnEvent.SPEECH_STARTED in endpoint.push(frame, voiced, 60_000):
            listener.speech_started()
        voiced_list.append(voiced)
        partials.append(listener.partial)
        frames.append(frame)
        await asyncio.sleep(max(0.0, start + (index // FRAME_BYTES + 1) * FRAME - loop.time()))
    listener.close()
    return Timeline(scenario, voiced_list, partials, frames, [(a + LEAD_S, b + LEAD_S) for a, b in spans])


@dataclass
class Close:
    at: float  # seconds from the first frame
    partial: str
    endpoint_ms: int
    premature: bool  # before the caller's last part began
    delay: float | None  # after the end of the caller's speech, when not premature


def replay(timeline: Timeline, policy: EndpointPolicy) -> Close | None:
    """Where `policy` closes the first turn of the recording (None: never, within the tail)."""
    endpoint = EndpointDetector(EndpointConfig())
    intonation = Intonation(RATE)
    steps = zip(timeline.voiced, timeline.partials, timeline.frames, strict=True)
    for index, (voiced, partial, frame) in enumerate(steps):
        ending = intonation.ending() if endpoint.silence_ms >= CallerTurns.PITCH_AT_MS else Ending.OTHER
        endpoint_ms = policy.silence_ms(partial, ending) if endpoint.in_speech else None
        events = endpoint.push(b"", voiced, endpoint_ms)
        intonation.push(frame, voiced)
        if TurnEvent.TURN_ENDED in events:
            at = (index + 1) * FRAME
            speech_end = timeline.spans[-1][1]
            premature = at < speech_end - 0.1
            return Close(at, partial, endpoint_ms or 0, premature, None if premature else at - speech_end)
    return None


async def record_all(scenarios: list[Scenario], config: TurnTakingConfig, concurrency: int) -> list[Timeline]:
    gate = asyncio.Semaphore(concurrency)

    async def one(scenario: Scenario) -> Timeline:
        async with gate:
            return await record(scenario, config)

    return list(await asyncio.gather(*(one(s) for s in scenarios)))


def summary(timelines: list[Timeline], policy: EndpointPolicy) -> dict[str, Any]:
    delays: list[float] = []
    premature: list[str] = []
    for timeline in timelines:
        close = replay(timeline, policy)
        if close is None:
            continue
        if close.premature:
            premature.append(f"{timeline.scenario.name} <- {close.partial!r} {close.endpoint_ms} ms")
        elif timeline.scenario.category == Category.QUESTION:
            delays.append(close.delay or 0.0)
    delays.sort()
    return {
        "premature": len(premature),
        "of": sum(1 for t in timelines if t.scenario.category == Category.MID_PAUSE),
        "close_p50": round(statistics.median(delays), 3) if delays else None,
        "close_max": round(max(delays), 3) if delays else None,
        "which": premature,
    }


def explain(timeline: Timeline, policy: EndpointPolicy) -> str:
    close = replay(timeline, policy)
    if close is None:
        return f"{timeline.scenario.name}: never closed"
    reading = read_turn(close.partial).value
    verdict = "PREMATURE" if close.premature else f"+{close.delay:.2f}s"
    return f"{verdict:10} {timeline.scenario.name[:60]:60} {close.partial!r} {reading} {close.endpoint_ms} ms"
