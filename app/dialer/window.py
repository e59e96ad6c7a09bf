"""When a campaign may dial: inside start_date..end_date and the daily time window, both read in the flow's
timezone. `zoneinfo` converts each instant, so DST changes move the window with the wall clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _zone(time_window: Mapping[str, Any] | None) -> ZoneInfo:
    name = (time_window or {}).get("timezone") or "UTC"
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(value: Any) -> time | None:
    if not value:
        return None
    hours, _, minutes = str(value).partition(":")
    return time(int(hours), int(minutes or 0))


def local_now(now_utc: datetime, time_window: Mapping[str, Any] | None) -> datetime:
    return now_utc.astimezone(_zone(time_window))


def past_end(now_utc: datetime, end_date: date | None, time_window: Mapping[str, Any] | None) -> bool:
    """The campaign can never dial again: its last local day is over."""
    return end_date is not None and local_now(now_utc, time_window).date() > end_date


def may_dial(
    now_utc: datetime, start_date: date | None, end_date: date | None, time_window: Mapping[str, Any] | None
) -> bool:
    local = local_now(now_utc, time_window)
    if start_date is not None and local.date() < start_date:
        return False
    if end_date is not None and local.date() > end_date:
        return False
    start, end = _clock((time_window or {}).get("start")), _clock((time_window or {}).get("end"))
    if start is None or end is None or start == end:
        return True
    moment = local.time().replace(tzinfo=None)
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # a window across midnight, e.g. 20:00-02:00


def next_dial_time(
    due_utc: datetime, start_date: date | None, end_date: date | None, time_window: Mapping[str, Any] | None
) -> datetime | None:
    """The first instant at or after `due_utc` the campaign may dial (a callback moved into the calling
    window), or None when the campaign's dates are over by then."""
    if may_dial(due_utc, start_date, end_date, time_window):
        return due_utc
    zone = _zone(time_window)
    start = _clock((time_window or {}).get("start")) or time(0, 0)
    local = due_utc.astimezone(zone)
    for days in range(0, 15):
        day = local.date() + timedelta(days=days)
        if start_date is not None and day < start_date:
            continue
        if end_date is not None and day > end_date:
            return None
        candidate = datetime.combine(day, start, tzinfo=zone).astimezone(due_utc.tzinfo)
        if candidate >= due_utc and may_dial(candidate, start_date, end_date, time_window):
            return candidate
    return None
