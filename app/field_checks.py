"""Field checks shared by services; each raises Invalid with a detail that names the field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal, overload

from app.errors import Invalid

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")


@overload
def text(name: str, value: Any, *, max_length: int, required: Literal[True] = True) -> str: ...


@overload
def text(name: str, value: Any, *, max_length: int, required: bool) -> str | None: ...


def text(name: str, value: Any, *, max_length: int, required: bool = True) -> str | None:
    """Stripped text; a required one is never None or empty, an optional empty one is None."""
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
    return str(value)


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


def e164(name: str, value: Any, *, numbering_plan: bool = True) -> str:
    """An E.164 number checked with libphonenumber's numbering plans.

    `numbering_plan=False` only checks that the length is possible for the country: carrier-owned lines
    (a flow's number) may sit in ranges the library lists as fictional, such as +1 555.
    """
    import phonenumbers

    detail = f"{name} must be in E.164 format"
    if not isinstance(value, str) or not value.startswith("+"):
        raise Invalid(detail)
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise Invalid(detail) from None
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    ok = phonenumbers.is_valid_number(number) if numbering_plan else phonenumbers.is_possible_number(number)
    if not ok or formatted != value:
        raise Invalid(detail)
    return formatted


def json_object(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{name} must be a JSON object")
    return value


def string_list(name: str, value: Any, *, max_items: int, max_length: int) -> list[str]:
    """A list of trimmed, non-empty strings, duplicates dropped, first occurrence kept."""
    if not isinstance(value, list):
        raise Invalid(f"{name} must be an array of strings")
    seen: dict[str, None] = {}
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise Invalid(f"{name} must contain only non-empty strings")
        item = item.strip()
        if len(item) > max_length:
            raise Invalid(f"{name} entries must be at most {max_length} characters")
        seen.setdefault(item, None)
    if len(seen) > max_items:
        raise Invalid(f"{name} must have at most {max_items} entries")
    return list(seen)


def bounded_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{name} must be an integer")
    if minimum is not None and value < minimum:
        raise Invalid(f"{name} must be at least {minimum}" if minimum else f"{name} must not be negative")
    if maximum is not None and value > maximum:
        raise Invalid(f"{name} must be at most {maximum}")
    return value
