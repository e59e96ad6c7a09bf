"""Every GraphQL error carries `extensions.code`; unexpected failures are logged and masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from graphql.execution import SubsequentIncrementalExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.types import StreamExecutionResult
from tortoise.exceptions import ValidationError

from app.errors import DomainError, Invalid, RateLimited

log = logging.getLogger("schema.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"


def coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        extensions: dict[str, Any] = {"code": original.code}
        if isinstance(original, RateLimited):
            extensions["retryAfter"] = original.retry_after
        return GraphQLError(
            original.detail,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=original,
            extensions=extensions,
        )
    if isinstance(original, ValidationError):
        # A value its column cannot hold (the ORM's own check): the client's input, never a fault.
        field = str(original).split(":", 1)[0].strip() or "a value"
        log.warning("the ORM refused %s in %s", field, error.path)
        return coded(
            GraphQLError(
                "",
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                original_error=Invalid(f"{field} does not fit: too long or malformed"),
            )
        )
    if original is None:
        # Syntax, validation and variable coercion errors: the client sent something wrong.
        error.extensions = {**(error.extensions or {}), "code": "BAD_REQUEST"}
        return error
    if isinstance(original, GraphQLError):
        return coded(original)
    log.error("unexpected error in %s", error.path, exc_info=original)
    return GraphQLError(
        "Internal server error",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": INTERNAL},
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(error) for error in result.errors]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:  # subscriptions
        if not isinstance(result, SubsequentIncrementalExecutionResult) and result.errors:
            result.errors = [coded(error) for error in result.errors]
        yield None
