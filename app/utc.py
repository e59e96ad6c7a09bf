"""The wall clock the services stamp rows with: always timezone-aware UTC, so no naive datetime reaches the DB."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
