"""Checking one customer record (create, patch, bulk row or import row) into model fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app import field_checks as check
from app.errors import Invalid

LANGUAGES = ("hi", "en", "hi-en", "ta", "te", "kn", "mr", "bn", "gu", "ml", "pa")
MAX_TAGS = 50
MAX_TAG_LENGTH = 100
KNOWN = frozenset({"name", "phone", "email", "tags", "preferred_language", "metadata"})


def search_key(text: str) -> str:
    """Names are searched casefolded, so 'ÉLODIE' finds 'élodie' on SQLite too (its LIKE folds ASCII only)."""
    return text.casefold()


def _email(value: Any) -> str | None:
    email = check.text("email", value, max_length=320, required=False)
    if email is not None and ("@" not in email or email.startswith("@") or email.endswith("@") or " " in email):
        raise Invalid("email must be an email address")
    return email


def customer_fields(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Model fields for the keys present in `data`; for a create, name and phone are required.

    `metadata` comes back as given: the caller merges it into what is stored.
    """
    fields: dict[str, Any] = {}
    if not partial or "name" in data:
        fields["name"] = check.text("name", data.get("name"), max_length=200)
        fields["search_name"] = search_key(fields["name"])
    if not partial or "phone" in data:
        if data.get("phone") is None:
            raise Invalid("phone is required")
        fields["phone"] = check.e164("phone", data.get("phone"))
    if "email" in data:
        fields["email"] = _email(data["email"])
    if "tags" in data:
        fields["tags"] = check.string_list("tags", data["tags"], max_items=MAX_TAGS, max_length=MAX_TAG_LENGTH)
    if "preferred_language" in data and data["preferred_language"] is not None:
        fields["preferred_language"] = check.one_of("preferred_language", data["preferred_language"], LANGUAGES)
    elif "preferred_language" in data:
        fields["preferred_language"] = None
    if "metadata" in data:
        fields["metadata"] = check.json_object("metadata", data["metadata"])
    return fields


def merged(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` applied over `current`, metadata merged key by key (a key sent as null is stored as null)."""
    result = {key: value for key, value in changes.items() if key != "metadata"}
    if "metadata" in changes:
        result["metadata"] = {**(current.get("metadata") or {}), **changes["metadata"]}
    return result
