"""Validation and masking of integration fields; pure functions so the rules are easy to test."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from app import field_checks as check
from app.errors import Invalid

MASK = "••••••••"
ACCOUNT_SID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HOST = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def mask(secret: str | None) -> str | None:
    """Only the last 4 characters are ever shown again."""
    if not secret:
        return None
    return MASK + secret[-4:]


def credential(name: str, value: Any) -> str:
    text = check.text(name, value, max_length=200)
    if any(char.isspace() for char in text):
        raise Invalid(f"{name} must not contain whitespace")
    return text


def account_sid(value: Any) -> str:
    text = check.text("account_sid", value, max_length=64)
    if not ACCOUNT_SID.match(text):
        raise Invalid("account_sid may only contain letters, digits, '-' and '_'")
    return text


def subdomain(value: Any) -> str:
    """`api.exotel.com`, or with a scheme and port (`http://127.0.0.1:8123`) for tests and private setups."""
    text = check.text("subdomain", value, max_length=255)
    detail = "subdomain must be a host name such as api.exotel.com, optionally with scheme and port"
    url = text if "://" in text else "https://" + text
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Invalid(detail) from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not HOST.match(host) or parts.username or parts.password:
        raise Invalid(detail)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise Invalid(detail)
    if port == 0:
        raise Invalid(detail)
    return text.rstrip("/")


def base_url(subdomain_value: str) -> str:
    """The REST base of a stored subdomain: https unless the subdomain names its scheme."""
    return subdomain_value if "://" in subdomain_value else "https://" + subdomain_value


def phone(value: Any) -> str:
    return check.e164("phone_number", value, numbering_plan=False)


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{name} must be true or false")
    return value
