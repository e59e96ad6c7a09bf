"""Per-operation rate limits, declared on the root field so every door shares one budget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types import Info


class RateLimit(FieldExtension):
    def __init__(self, limit: str) -> None:
        self.limit = limit

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any) -> Any:
        context = info.context
        await context.platform.rate_limiter.hit(self.limit, info.field_name, context.client_ip)
        return await next_(source, info, **kwargs)


def limit_of(field: Any) -> str | None:
    """The limit declared on a strawberry field, for the route table and the OpenAPI document."""
    for extension in getattr(field, "extensions", None) or ():
        if isinstance(extension, RateLimit):
            return extension.limit
    return None
