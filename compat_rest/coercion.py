"""REST inputs (snake_case JSON bodies and query strings) to GraphQL variables, checked against the
GraphQL input types so that errors name the snake_case field the client actually sent.

This is plumbing, not business rules: it checks shape and types only; the services check meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from graphql.pyutils import Undefined

from app.errors import Invalid
from schema import strawberry_internals

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_KIND = {
    "String": "a string",
    "ID": "a string",
    "Int": "an integer",
    "Float": "a number",
    "Boolean": "a boolean",
    "DateTime": "an ISO 8601 timestamp",
}


def python_name(field: Any, graphql_name: str) -> str:
    return strawberry_internals.python_name(field) or graphql_name


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def body_value(value: Any, type_: GraphQLInputType, path: str) -> Any:
    """Check a JSON value against a GraphQL input type and rename object keys to GraphQL names."""
    if isinstance(type_, GraphQLNonNull):
        if value is None:
            raise Invalid(f"{path} must not be null")
        return body_value(value, type_.of_type, path)
    if value is None:
        return None
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            raise Invalid(f"{path} must be an array")
        return [body_value(item, type_.of_type, _join(path, index)) for index, item in enumerate(value)]
    if isinstance(type_, GraphQLInputObjectType):
        return _object(value, type_, path)
    return _scalar(value, type_, path)


def _object(value: Any, type_: GraphQLInputObjectType, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{path or 'request body'} must be an object")
    fields = {python_name(field, name): (name, field) for name, field in type_.fields.items()}
    converted: dict[str, Any] = {}
    for key, item in value.items():
        known = fields.get(key)
        if known is None:
            raise Invalid(f"unknown field: {_join(path, key)}")
        name, field = known
        converted[name] = body_value(item, field.type, _join(path, key))
    for key, (name, field) in fields.items():
        if name not in converted and isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined:
            raise Invalid(f"{_join(path, key)} is required")
    return converted


def _scalar(value: Any, type_: Any, path: str) -> Any:
    name = type_.name if isinstance(type_, GraphQLScalarType) else None
    if name in ("String", "ID", "DateTime"):
        ok = isinstance(value, str)
    elif name == "Int":
        ok = isinstance(value, int) and not isinstance(value, bool) and INT_MIN <= value <= INT_MAX
    elif name == "Float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif name == "Boolean":
        ok = isinstance(value, bool)
    else:  # JSON and other free-form scalars: the service decides
        ok = True
    if not ok:
        raise Invalid(f"{path} must be {_KIND.get(name or '', 'valid')}")
    return value


def query_value(raw: list[str], type_: GraphQLInputType, name: str) -> Any:
    """A query parameter's string(s) as the GraphQL argument type asks; repeated keys make lists."""
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        element = inner.of_type.of_type if isinstance(inner.of_type, GraphQLNonNull) else inner.of_type
        return [_query_scalar(item, element, name) for item in raw]
    if len(raw) > 1:
        raise Invalid(f"{name} must be given once")
    return _query_scalar(raw[0], inner, name)


def _query_scalar(text: str, type_: Any, name: str) -> Any:
    kind = getattr(type_, "name", "")
    if kind == "Int":
        try:
            value = int(text)
        except ValueError:
            raise Invalid(f"{name} must be an integer") from None
        if not INT_MIN <= value <= INT_MAX:
            raise Invalid(f"{name} must be an integer")
        return value
    if kind == "Float":
        try:
            return float(text)
        except ValueError:
            raise Invalid(f"{name} must be a number") from None
    if kind == "Boolean":
        lowered = text.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise Invalid(f"{name} must be true or false")
    return text


def required_arguments(arguments: Mapping[str, Any]) -> set[str]:
    return {
        name
        for name, argument in arguments.items()
        if isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
    }
