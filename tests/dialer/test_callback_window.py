"""Issue 16 §2: a callback is moved into the flow's calling window, never past its last day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.dialer.window import next_dial_time

WINDOW = {"start": "09:00", "end": "18:00", "timezone": "Asia/Kolkata"}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_inside_the_window_it_stays():
    assert next_dial_time(utc(2026, 12, 7, 6, 0), None, None, WINDOW) == utc(2026, 12, 7, 6, 0)  # 11:30 IST


def test_after_hours_it_moves_to_the_next_morning():
    assert next_dial_time(utc(2026, 12, 7, 17, 30), None, None, WINDOW) == utc(2026, 12, 8, 3, 30)  # 09:00 IST


def test_before_the_start_date_it_waits_for_it_and_after_the_end_date_it_is_refused():
    assert next_dial_time(utc(2026, 12, 7, 6, 0), date(2026, 12, 10), None, WINDOW) == utc(2026, 12, 10, 3, 30)
    assert next_dial_time(utc(2026, 12, 7, 17, 30), None, date(2026, 12, 7), WINDOW) is None
