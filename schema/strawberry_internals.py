"""Every reach into Strawberry's and graphql-core's non-public parts, in one place.

Strawberry keeps the graphql-core schema it builds in `Schema._schema` and hangs each field's Strawberry
definition on the graphql-core field's `extensions["strawberry-definition"]`; neither is public API. The
REST shim, the GraphQL view and the schema's own extensions go through these functions, so a Strawberry
upgrade that moves them changes this module only.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLInputField, GraphQLSchema
from strawberry.types.field import StrawberryField

DEFINITION_KEY = "strawberry-definition"


def core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built (for execution outside Strawberry and schema walks)."""
    core: GraphQLSchema = schema._schema
    return core


def field_definition(field: GraphQLField | GraphQLInputField) -> StrawberryField | None:
    """The Strawberry field behind a graphql-core field; None for fields Strawberry did not define."""
    definition: Any = field.extensions.get(DEFINITION_KEY) if field.extensions else None
    return definition if isinstance(definition, StrawberryField) else None


def python_name(field: GraphQLField | GraphQLInputField) -> str | None:
    """The resolver's Python name of a field (`avatar_color` for `avatarColor`), when Strawberry knows it."""
    definition = field_definition(field)
    return definition.python_name if definition is not None else None


def root_strawberry_field(
    schema: strawberry.Schema, root_name: str, graphql_name: str, python_name: str
) -> StrawberryField:
    """The Strawberry definition of a root (Query or Mutation) field."""
    definition: Any = schema.get_type_by_name(root_name)
    found: StrawberryField = next(
        f for f in definition.fields if f.graphql_name == graphql_name or f.python_name == python_name
    )
    return found
