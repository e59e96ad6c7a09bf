"""Turning strawberry inputs into the plain mappings app services take."""

from __future__ import annotations

import dataclasses
from typing import Any

from strawberry import UNSET


def provided(value: Any) -> Any:
    """The fields a client actually sent (UNSET ones dropped), nested inputs as dicts; explicit nulls kept."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: provided(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if getattr(value, field.name) is not UNSET
        }
    if isinstance(value, list):
        return [provided(item) for item in value]
    return value
