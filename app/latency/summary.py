"""A call's latency in three numbers: p50, p95 and max voice-to-voice over its agent replies."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from app.latency.turns import TurnLatency


@dataclass(frozen=True)
class LatencySummary:
    turns: int  # replies with a voice-to-voice figure
    interrupted: int  # replies the caller cut off
    p50_voice_to_voice_ms: int | None
    p95_voice_to_voice_ms: int | None
    max_voice_to_voice_ms: int | None
    total_voice_to_voice_ms: int  # for averages across calls (statistics)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile of sorted `values` (the value a share of turns did not exceed)."""
    if not values:
        return None
    rank = max(1, math.ceil(share * len(values)))
    return values[rank - 1]


def summarise(turns: Iterable[TurnLatency]) -> LatencySummary:
    turns = list(turns)
    figures = sorted(t.voice_to_voice_ms for t in turns if t.voice_to_voice_ms is not None)
    return LatencySummary(
        turns=len(figures),
        interrupted=sum(1 for t in turns if t.interrupted),
        p50_voice_to_voice_ms=percentile(figures, 0.5),
        p95_voice_to_voice_ms=percentile(figures, 0.95),
        max_voice_to_voice_ms=figures[-1] if figures else None,
        total_voice_to_voice_ms=sum(figures),
    )
