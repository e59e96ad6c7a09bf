"""Counts and times each GraphQL operation, labelled by its root fields.

Root field names are bounded by the schema; client-chosen operation names are not, so they never
become label values.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from schema.context import RequestContext
from schema.strawberry_internals import core_schema


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        if not isinstance(context.context, RequestContext):  # executed outside a request (tests, tools)
            return
        platform = context.context.platform
        name, kind = _describe(context)
        result = context.result
        ok = not getattr(result, "errors", None)
        platform.metrics.observe_operation(name, kind, ok, time.perf_counter() - started)


def _describe(context: ExecutionContext) -> tuple[str, str]:
    document = context.graphql_document
    if document is None:
        return "invalid", "unknown"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if context.operation_name and (definition.name is None or definition.name.value != context.operation_name):
                continue
            kind = definition.operation.value
            root = core_schema(context.schema).get_root_type(definition.operation)
            known = root.fields if root is not None else {}
            fields = sorted({s.name.value for s in definition.selection_set.selections if hasattr(s, "name")})
            if not fields or any(field not in known and not field.startswith("__") for field in fields):
                return "invalid", kind
            return ",".join(fields), kind
    return "unknown", "unknown"
