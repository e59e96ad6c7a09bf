"""Scoring one benchmark call and summarising a category: what a caller would notice.

The line is modelled as Exotel plays it: agent chunks play back to back from their arrival; a `clear` drops
what had arrived but not yet played (those are the **words lost**); an **audible gap** is silence in that
playout between two chunks of the same agent speech.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field
from typing import Any

from scripts.turnbench.caller import Heard
from scripts.turnbench.corpus import Category, Scenario

SLOW_BARGE_IN = 0.3
AUDIBLE_GAP = 0.3


@dataclass
class Score:
    category: Category
    reply_delay: float | None = None  # end of the caller's speech -> first agent audio after it
    premature: bool = False  # agent audio while the caller was still in the middle of the turn
    replies: int = 0
    false_clear: bool = False
    clear_latency: float | None = None  # barge-in: onset -> clear
    talked_on: bool = False  # barge-in: agent audio after the clear while the caller still spoke
    resume_delay: float | None = None  # end of a backchannel -> agent audio again (when it had paused)
    lost_ms: float = 0.0  # agent audio dropped by clears that were not a real interruption
    max_gap: float = 0.0  # longest audible gap in the agent's speech after the caller's onset
    greeting_paused: int = 0  # noisy call: clears or audible gaps during the greeting
    error: str | None = None


def playout(chunks: list[tuple[float, float]], clears: list[float], since: float) -> tuple[float, float]:
    """(longest gap after `since`, seconds dropped by clears) for the given agent chunks."""
    cursor, started, gap, lost = None, False, 0.0, 0.0
    pending = sorted(clears)
    for arrival, seconds in chunks:
        while pending and pending[0] <= arrival:
            clear = pending.pop(0)
            if cursor is not None and cursor > clear:
                lost += cursor - clear
                cursor = clear
        if cursor is not None and arrival > cursor and started and arrival >= since:
            gap = max(gap, arrival - max(cursor, since))
        begin = arrival if cursor is None else max(arrival, cursor)
        cursor, started = begin + seconds, True
    return gap, lost


def score(scenario: Scenario, heard: Heard) -> Score:
    result = Score(scenario.category, error=heard.error)
    if not heard.spans:
        result.error = result.error or "never spoke"
        return result
    onset, speech_end = heard.spans[0][0], heard.spans[-1][1]
    greeting_end = heard.marks[0] if heard.marks else float("inf")
    greeting = [c for c in heard.chunks if c[0] <= greeting_end]
    result.greeting_heard = sum(seconds for _, seconds in greeting) - playout(greeting, heard.clears, 0.0)[1]
    after = [t for t, _ in heard.chunks if t > onset + 0.05]
    if scenario.category in (Category.QUESTION, Category.MID_PAUSE, Category.NOISY_CALL):
        inside = [t for t in after if t < speech_end]
        result.premature = bool(inside)
        later = [t for t in after if t >= speech_end]
        result.reply_delay = (later[0] - speech_end) if later and not inside else None
        result.replies = sum(1 for t in heard.marks if t > onset)
        if scenario.category == Category.NOISY_CALL:
            greeting_end = heard.marks[0] if heard.marks else onset
            greeting = [c for c in heard.chunks if c[0] <= greeting_end]
            gap, _ = playout(greeting, [], 0.0)
            result.greeting_paused = sum(1 for t in heard.clears if t <= greeting_end) + (gap > AUDIBLE_GAP)
        return result
    clears = [t for t in heard.clears if t >= onset - 0.1]
    greeting_end = heard.marks[0] if heard.marks else float("inf")
    agent = [c for c in heard.chunks if c[0] <= greeting_end]
    result.max_gap, lost = playout(agent, clears, onset)
    if scenario.category == Category.BARGE_IN:
        result.clear_latency = (clears[0] - onset) if clears else None
        result.talked_on = bool(clears) and any(clears[0] + 0.25 < t < speech_end for t, _ in heard.chunks)
        return result
    result.false_clear = bool(clears)
    result.lost_ms = lost * 1000  # until the run compares with the whole greeting (bench: words_lost)
    stops = [(a, b) for (a, _), (b, _) in itertools.pairwise(agent) if b - a > 0.15 and b > onset]
    if stops:
        result.resume_delay = max(0.0, stops[0][1] - speech_end)
    return result


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 3)


@dataclass
class Summary:
    category: Category
    scores: list[Score] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        s = self.scores
        delays = [x.reply_delay for x in s if x.reply_delay is not None]
        out: dict[str, Any] = {"calls": len(s), "errors": sum(1 for x in s if x.error)}
        if self.category in (Category.QUESTION, Category.MID_PAUSE, Category.NOISY_CALL):
            out.update(
                {
                    "reply_p50": round(statistics.median(delays), 3) if delays else None,
                    "reply_p95": _pct(delays, 0.95),
                    "reply_max": round(max(delays), 3) if delays else None,
                    "premature": sum(x.premature for x in s),
                    "not_one_reply": sum(1 for x in s if x.replies != 1),
                }
            )
        if self.category == Category.NOISY_CALL:
            out["greeting_paused"] = sum(x.greeting_paused for x in s)
        if self.category in (Category.BACKCHANNEL, Category.NOISE):
            resumes = [x.resume_delay for x in s if x.resume_delay is not None]
            out.update(
                {
                    "false_clears": sum(x.false_clear for x in s),
                    "paused": len(resumes),
                    "resume_max": round(max(resumes), 3) if resumes else None,
                    "lost_ms_max": round(max(x.lost_ms for x in s), 0) if s else None,
                    "gap_max": round(max(x.max_gap for x in s), 3) if s else None,
                }
            )
        if self.category == Category.BARGE_IN:
            latencies = [x.clear_latency for x in s if x.clear_latency is not None]
            out.update(
                {
                    "missed": sum(1 for x in s if x.clear_latency is None),
                    "slow": sum(1 for x in latencies if x > SLOW_BARGE_IN),
                    "clear_p50": round(statistics.median(latencies), 3) if latencies else None,
                    "clear_max": round(max(latencies), 3) if latencies else None,
                    "talked_on": sum(x.talked_on for x in s),
                }
            )
        return out
