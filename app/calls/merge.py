"""The deep merge of `POST /calls/{uuid}/metadata`: nested objects merge, scalars and lists replace."""

from __future__ import annotations

from typing import Any


def deep_merge(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    merged = dict(stored)
    for key, value in incoming.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged
