"""What a caller hears, computed from when the agent's audio chunks arrived: pacing jitter and stalls.

A reply is every agent chunk between the end of one caller turn and the start of the next (the greeting is
the first), whatever marks the server sent inside it: a pause between two sentences of one reply is silence
on the line and counts. The line is modelled as a playout buffer that starts playing at the first chunk:
each chunk plays when it arrives or when the previous one ends, whichever is later. A **stall** is a gap
in that playout (a chunk that arrived after the previous one finished playing) of at least `STALL_MS`.
**Jitter** is |arrival interval − audio carried by the earlier chunk| for every consecutive pair, except
two kinds that are not on the pacing clock by design (both still count for stalls):
- pairs ending in an utterance's last chunk (the one a mark follows): the server sends that padded remainder
  at once when the utterance ends;
- the first interval of each utterance (of the reply, or after a mark): the player runs one chunk ahead of
  real time, so chunk 1 leaves one chunk after chunk 0 *minus* its lead (140 ms after a 200 ms chunk).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Sequence

STALL_MS = 100.0

# (arrival time in seconds, seconds of audio the chunk carries, 1 if a mark followed it else 0)
Arrival = tuple[float, float, int]


def reply_pacing(arrivals: Sequence[Arrival]) -> tuple[list[float], list[float]]:
    """(jitter of every consecutive pair, gaps in the playout) in milliseconds, for one reply."""
    jitter: list[float] = []
    gaps: list[float] = []
    if not arrivals:
        return jitter, gaps
    plays_until = arrivals[0][0] + arrivals[0][1]
    starts_utterance = True
    for (t0, audio0, mark0), (t1, audio1, last) in itertools.pairwise(arrivals):
        if not last and not starts_utterance:
            jitter.append(abs((t1 - t0) - audio0) * 1000)
        starts_utterance = bool(mark0)  # chunk 1 of the pair is the first of the next utterance
        if t1 > plays_until:
            gaps.append((t1 - plays_until) * 1000)
            plays_until = t1
        plays_until += audio1
    return jitter, gaps


def stalls(gaps: Iterable[float]) -> list[float]:
    return [gap for gap in gaps if gap >= STALL_MS]


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered) - 1e-9) - 1))]


def spread(values: Sequence[float]) -> dict[str, float | int | None]:
    """n, p50, p99 and max of `values`, rounded for a report."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {
        "n": len(values),
        "p50": rounded(statistics.median(values)) if values else None,
        "p99": rounded(percentile(values, 0.99)),
        "max": rounded(max(values)) if values else None,
    }
