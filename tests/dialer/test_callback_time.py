"""Issue 16 §2: what the caller's "call me later" means, in their local time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.dialer.callback_time import parse_when

KOLKATA = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 12, 7, 11, 30, tzinfo=KOLKATA)  # a Monday


@pytest.mark.parametrize(
    "said, expected",
    [
        ("call me tomorrow at 5", datetime(2026, 12, 8, 17, 0)),
        ("Call me tomorrow at 5 pm", datetime(2026, 12, 8, 17, 0)),
        ("tomorrow morning", datetime(2026, 12, 8, 10, 0)),
        ("kal shaam 6 baje", datetime(2026, 12, 8, 18, 0)),
        ("call me in the evening", datetime(2026, 12, 7, 18, 0)),
        ("at 10:15 am", datetime(2026, 12, 8, 10, 15)),  # already past today: tomorrow
        ("in 2 hours", datetime(2026, 12, 7, 13, 30)),
        ("in an hour", datetime(2026, 12, 7, 12, 30)),
        ("do ghante baad", datetime(2026, 12, 7, 13, 30)),
        ("on friday", datetime(2026, 12, 11, 10, 0)),
        ("next monday at 4", datetime(2026, 12, 14, 16, 0)),
        ("baad mein", datetime(2026, 12, 7, 13, 30)),  # "later": two hours on
        ("I'm busy, call me later", datetime(2026, 12, 7, 13, 30)),
        ("2026-12-09T15:00", datetime(2026, 12, 9, 15, 0)),
    ],
)
def test_the_callers_words_become_a_local_time(said, expected):
    assert parse_when(said, NOW) == expected.replace(tzinfo=KOLKATA)


def test_a_time_in_the_past_is_never_returned():
    assert parse_when("2020-01-01T10:00", NOW) == NOW
    assert parse_when("at 9 am", NOW) > NOW and parse_when("at 9 am", NOW) - NOW < timedelta(days=1)
