"""The checks of a tool definition; each raises Invalid naming the field, before anything is stored."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from app.errors import Invalid
from app.tools.definitions import (
    BUILTIN_NAMES,
    DEFAULT_TIMEOUT_SECONDS,
    MASK,
    MAX_DESCRIPTION,
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    MAX_NAME,
    MAX_PARAMETERS_BYTES,
    MAX_TIMEOUT_SECONDS,
    MAX_WAITING_LINE,
    ToolMethod,
)
from app.webhooks.addresses import AddressPolicy, check_url


def _text(field: str, value: Any, *, max_length: int, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise Invalid(f"{field} is required")
        return None
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string")
    value = value.strip()
    if required and not value:
        raise Invalid(f"{field} must not be empty")
    if len(value) > max_length:
        raise Invalid(f"{field} must be at most {max_length} characters")
    return value or None


NAME = re.compile(r"^[a-z][a-z0-9_]*$")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
# Set by the platform on every request: a tool may not override what the receiver verifies.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "x-nn-signature",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)


def name(value: Any) -> str:
    text = _text("name", value, max_length=MAX_NAME)
    assert text is not None
    if not NAME.match(text):
        raise Invalid("name must be snake_case: lowercase letters, digits and '_', starting with a letter")
    if text in BUILTIN_NAMES:
        raise Invalid(f"name '{text}' is a built-in action")
    return text


def description(value: Any) -> str:
    text = _text("description", value, max_length=MAX_DESCRIPTION)
    assert text is not None
    return text


def parameters(value: Any) -> dict[str, Any]:
    """A JSON Schema object describing the arguments; checked against the 2020-12 meta-schema."""
    if value is None:
        return {"type": "object", "properties": {}}
    if not isinstance(value, Mapping):
        raise Invalid("parameters must be a JSON Schema object")
    schema = dict(value)
    if len(json.dumps(schema)) > MAX_PARAMETERS_BYTES:
        raise Invalid(f"parameters must be at most {MAX_PARAMETERS_BYTES} bytes of JSON")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path)
        raise Invalid(
            f"parameters is not a valid JSON Schema: {error.message}" + (f" (at {where})" if where else "")
        ) from None
    if schema.get("type") != "object":
        raise Invalid('parameters must describe an object: "type": "object"')
    return schema


def method(value: Any) -> ToolMethod:
    if value is None:
        return ToolMethod.POST
    if not isinstance(value, str) or value.upper() not in ToolMethod.__members__:
        raise Invalid(f"method must be one of {', '.join(m.value for m in ToolMethod)}")
    return ToolMethod[value.upper()]


async def url(value: Any, policy: AddressPolicy) -> str:
    """Same rules as webhooks (HTTPS; no private, loopback or link-local address unless allowed)."""
    return await check_url(value, policy)


def headers(value: Any, stored: Mapping[str, str] | None = None) -> dict[str, str]:
    """Header values are secrets: a value sent back masked (as reads show it) keeps the stored one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Invalid("headers must be an object of header names to string values")
    if len(value) > MAX_HEADERS:
        raise Invalid(f"headers must have at most {MAX_HEADERS} entries")
    result: dict[str, str] = {}
    for key, text in value.items():
        if not isinstance(key, str) or not HEADER_NAME.match(key):
            raise Invalid(f"headers: '{str(key)[:40]}' is not a valid header name")
        if key.lower() in RESERVED_HEADERS:
            raise Invalid(f"headers.{key} is set by the platform")
        if not isinstance(text, str):
            raise Invalid(f"headers.{key} must be a string")
        if "\r" in text or "\n" in text:
            raise Invalid(f"headers.{key} must not contain line breaks")
        if text.startswith(MASK) and stored is not None and key in stored:
            text = stored[key]
        result[key] = text
    if sum(len(key) + len(text) for key, text in result.items()) > MAX_HEADER_BYTES:
        raise Invalid(f"headers must be at most {MAX_HEADER_BYTES} bytes in total")
    return result


def timeout_seconds(value: Any) -> float:
    if value is None:
        return DEFAULT_TIMEOUT_SECONDS
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid("timeout_seconds must be a number")
    if value <= 0:
        raise Invalid("timeout_seconds must be greater than 0")
    if value > MAX_TIMEOUT_SECONDS:
        raise Invalid(f"timeout_seconds must be at most {MAX_TIMEOUT_SECONDS:g}")
    return float(value)


def speak_while_waiting(value: Any) -> str | None:
    return _text("speak_while_waiting", value, max_length=MAX_WAITING_LINE, required=False)
