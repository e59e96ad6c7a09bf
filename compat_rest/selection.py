"""The GraphQL selection a REST route asks for: every plain field of the result type, aliased to its
snake_case name, so the JSON that comes back is the documented REST shape field for field."""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    GraphQLField,
    GraphQLInputField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLType,
)

from compat_rest.coercion import python_name
from compat_rest.routes import GRAPHQL_ONLY, INCLUDE_ONLY

MAX_NESTING = 4


def named_type(type_: GraphQLType) -> GraphQLNamedType:
    """The type under any list and non-null wrappers."""
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    assert isinstance(type_, GraphQLNamedType)  # every unwrapped GraphQL type is a named one
    return type_


def rest_visible(type_name: str, field: GraphQLField, name: str) -> bool:
    """Fields with arguments, or GraphQL-only in the route table (relations, GraphQL extras), are skipped."""
    if field.args:
        return False
    return python_name(field, name) not in GRAPHQL_ONLY.get(type_name, ())


def include_only(type_name: str, field: GraphQLField | GraphQLInputField, name: str) -> bool:
    """Include-only in the route table: answered only by routes whose `include` gates it (costly extras such
    as flow metrics or a customer's calls), absent from every other route's answer."""
    return python_name(field, name) in INCLUDE_ONLY.get(type_name, ())


def selection_set(type_: GraphQLType, *, include: Mapping[str, str] | None = None, depth: int = 0) -> str:
    """`{ uuid name avatar_color: avatarColor ... }`; `include` maps a field, at any depth, to the Boolean
    variable that gates it (so `include_calls` also gates the calls of customers nested in a page)."""
    named = named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        return ""
    if depth >= MAX_NESTING:
        raise ValueError(f"REST selection of {named.name} nests deeper than {MAX_NESTING}")
    parts = []
    for name, field in named.fields.items():
        if not rest_visible(named.name, field, name):
            continue
        alias = python_name(field, name)
        if include_only(named.name, field, name) and not (include and alias in include):
            continue
        part = name if alias == name else f"{alias}: {name}"
        if include and alias in include:
            part += f" @include(if: ${include[alias]})"
        part += selection_set(field.type, include=include, depth=depth + 1)
        parts.append(part)
    return " { " + " ".join(parts) + " }"
