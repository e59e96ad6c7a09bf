"""Field checks shared by services; each raises Invalid with a detail that names the field."""

from __future__ import annotations

import re
from typing import Any, Iterable

from app.errors import Invalid

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")


def text(name: str, value: Any, *, max_length: int, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise Invalid(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string")
    value = value.strip()
    if required and not value:
        raise Invalid(f"{name} must not be empty")
    if len(value) > max_length:
        raise Invalid(f"{name} must be at most {max_length} characters")
    return value or None


def one_of(name: str, value: Any, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise Invalid(f"{name} must be one of {', '.join(allowed)}")
    return value


def hex_colour(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not HEX_COLOUR.match(value):
        raise Invalid(f"{name} must be a hex colour like #6366f1")
    return value.lower()


def language_tag(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not LANGUAGE_TAG.match(value):
        raise Invalid(f"{name} must be a BCP-47 language code like hi-IN")
    return value
