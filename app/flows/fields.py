"""Checking flow input: kinds, statuses, dates, the daily time window and the inbound line number."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app import field_checks as check
from app.errors import Invalid
from app.flows.options import check_in_call_options
from app.turn_taking.config import parse_turn_taking
from app.voice_catalog.catalog import VoiceProvider

KINDS = ("inbound", "outbound")
STATUSES = ("draft", "active", "paused")
PROVIDERS = tuple(p.value for p in VoiceProvider)
CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(name: str, value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(f"{name} must be a date like 2026-05-01")


def time_window(value: Any) -> dict[str, str] | None:
    """`{start, end, timezone}`: HH:MM clock times, start before end, an IANA timezone."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise Invalid("time_window must be an object with start, end and timezone")
    unknown = sorted(set(value) - {"start", "end", "timezone"})
    if unknown:
        raise Invalid(f"unknown field: time_window.{unknown[0]}")
    window = {}
    for key in ("start", "end"):
        clock = value.get(key)
        if not isinstance(clock, str) or not CLOCK.match(clock):
            raise Invalid(f"time_window.{key} must be a time like 09:00")
        window[key] = clock
    if window["start"] >= window["end"]:
        raise Invalid("time_window.start must be before time_window.end")
    zone = value.get("timezone")
    if not isinstance(zone, str) or not zone:
        raise Invalid("time_window.timezone must be an IANA timezone like Asia/Kolkata")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("time_window.timezone must be an IANA timezone like Asia/Kolkata") from None
    window["timezone"] = zone
    return window


def plain_fields(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The fields that need no database lookup; references (agent, speaker, script) are the service's."""
    fields: dict[str, Any] = {}
    if not partial or "kind" in data:
        fields["kind"] = check.one_of("kind", data.get("kind"), KINDS)
    if not partial or "name" in data:
        fields["name"] = check.text("name", data.get("name"), max_length=200)
    if not partial or "provider" in data:
        fields["provider"] = check.one_of("provider", data.get("provider"), PROVIDERS)
    if "status" in data or not partial:
        fields["status"] = check.one_of("status", data.get("status", "draft"), STATUSES)
    if "phone_number" in data:
        number = data["phone_number"]
        fields["phone_number"] = None if number is None else check.e164("phone_number", number, numbering_plan=False)
    if "branches" in data:
        fields["branches"] = check.string_list("branches", data["branches"] or [], max_items=50, max_length=100)
    for name in ("start_date", "end_date"):
        if name in data:
            fields[name] = _date(name, data[name])
    if "time_window" in data:
        fields["time_window"] = time_window(data["time_window"])
    if "config" in data:
        fields["config"] = {} if data["config"] is None else check.json_object("config", data["config"])
        check_in_call_options(fields["config"])
        parse_turn_taking(fields["config"].get("turn_taking"))
    if "language_code" in data:
        check.language_tag("language_code", data["language_code"])
    return fields


def check_dates(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise Invalid("start_date must not be after end_date")
