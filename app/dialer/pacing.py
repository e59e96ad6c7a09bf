"""Pacing as a token bucket whose only state is one instant (`pace_at`), so it can live on the campaign row
and be shared by every instance: tokens = (now - pace_at) * rate, capped at `burst`."""

from __future__ import annotations

from datetime import datetime, timedelta


def available(pace_at: datetime | None, now: datetime, rate: float, burst: float) -> int:
    if rate <= 0:
        return 0
    if pace_at is None:
        return max(1, int(burst))
    tokens = min(burst, (now - pace_at).total_seconds() * rate)
    return max(0, int(tokens))


def spend(pace_at: datetime | None, now: datetime, rate: float, burst: float, used: int) -> datetime:
    """The new `pace_at` after `used` dials: idle time beyond a full bucket is not saved up."""
    floor = now - timedelta(seconds=burst / rate)
    start = floor if pace_at is None or pace_at < floor else pace_at
    return start + timedelta(seconds=used / rate)
