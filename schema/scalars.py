"""Scalars with the wire formats of the spec: UTC timestamps ending in Z."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry


def _serialize(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


UtcDateTime = strawberry.scalar(
    datetime,
    name="DateTime",
    description="ISO 8601 timestamp in UTC, e.g. 2026-05-01T10:00:00Z",
    serialize=_serialize,
    parse_value=_parse,
)
