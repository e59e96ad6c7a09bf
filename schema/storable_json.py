"""JSON the databases can store: no NUL character and no unpaired surrogate in any key or string.

Python's `json` accepts both (`"\\u0000"`, `"\\ud885"`), PostgreSQL refuses them in text and jsonb, and a lone
surrogate cannot be encoded as UTF-8 at all, so either would surface as a server error deep in a write.
Both doors check a request's JSON once, at the edge, and answer 400 naming where the character is.
"""

from __future__ import annotations

from typing import Any

from app.errors import Invalid


def unstorable_path(value: Any, path: str = "") -> str | None:
    """The first place (`config.voice.name`, `branches[2]`, or `` for the root) holding an unstorable string."""
    if isinstance(value, str):
        return path if not _storable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if not _storable(str(key)):
                return path or "(a key)"
            found = unstorable_path(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def check_storable(value: Any, what: str = "request body") -> Any:
    """`value` itself, or `Invalid` naming the field whose text no database could store."""
    path = unstorable_path(value)
    if path is not None:
        where = path or what
        raise Invalid(f"{where} contains a NUL character or an unpaired surrogate, which cannot be stored")
    return value


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
