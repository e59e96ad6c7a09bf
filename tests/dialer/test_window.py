"""Daily windows and date ranges in the flow's timezone, across DST changes and midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.dialer.pacing import available, spend
from app.dialer.window import may_dial, past_end

NY = {"start": "09:00", "end": "18:00", "timezone": "America/New_York"}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    "moment,allowed",
    [
        (utc(2026, 3, 7, 13, 30), False),  # 08:30 EST, the day before DST starts
        (utc(2026, 3, 7, 14, 30), True),  # 09:30 EST
        (utc(2026, 3, 8, 13, 30), True),  # 09:30 EDT: the same UTC instant is now inside
        (utc(2026, 3, 8, 22, 30), False),  # 18:30 EDT
        (utc(2026, 3, 7, 22, 30), True),  # 17:30 EST
        (utc(2026, 11, 1, 13, 30), False),  # 08:30 EST after DST ends
        (utc(2026, 11, 1, 14, 0), True),  # 09:00 EST: the start is inclusive
        (utc(2026, 11, 1, 23, 0), False),  # 18:00 EST: the end is exclusive
    ],
)
def test_new_york_window_follows_dst(moment, allowed):
    assert may_dial(moment, None, None, NY) is allowed


def test_dates_are_local_days():
    window = {"start": "00:00", "end": "23:59", "timezone": "America/New_York"}
    # 2026-06-01 02:00 UTC is still May 31 in New York: the last day of the campaign
    assert may_dial(utc(2026, 6, 1, 2, 0), date(2026, 5, 1), date(2026, 5, 31), window)
    assert not may_dial(utc(2026, 6, 1, 5, 0), date(2026, 5, 1), date(2026, 5, 31), window)
    assert past_end(utc(2026, 6, 1, 5, 0), date(2026, 5, 31), window)
    assert not past_end(utc(2026, 6, 1, 2, 0), date(2026, 5, 31), window)
    # 2026-04-30 20:00 UTC is already May 1 in Kolkata
    kolkata = {"start": "00:00", "end": "23:59", "timezone": "Asia/Kolkata"}
    assert may_dial(utc(2026, 4, 30, 20, 0), date(2026, 5, 1), None, kolkata)
    assert not may_dial(utc(2026, 4, 30, 18, 0), date(2026, 5, 1), None, kolkata)


def test_window_across_midnight_and_missing_window():
    night = {"start": "20:00", "end": "02:00", "timezone": "Asia/Kolkata"}
    assert may_dial(utc(2026, 5, 2, 16, 0), None, None, night)  # 21:30 IST
    assert may_dial(utc(2026, 5, 2, 20, 0), None, None, night)  # 01:30 IST
    assert not may_dial(utc(2026, 5, 2, 6, 0), None, None, night)  # 11:30 IST
    assert may_dial(utc(2026, 5, 2, 6, 0), None, None, None)


def test_pacing_bucket():
    t0 = utc(2026, 5, 1, 10, 0)
    assert available(None, t0, 2.0, 2.0) == 2
    after = spend(None, t0, 2.0, 2.0, 2)
    assert available(after, t0, 2.0, 2.0) == 0
    assert available(after, utc(2026, 5, 1, 10, 0, 1), 2.0, 2.0) == 2
    # idle time is not saved beyond a full bucket
    assert available(after, utc(2026, 5, 1, 11, 0), 2.0, 2.0) == 2
