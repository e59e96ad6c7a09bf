"""Id-shaped arguments are checked once, at the schema edge, before any resolver or the ORM sees them.

Every public id is a short prefix, `_` and hex digits, stored in a 24-character column; a value that
cannot be one (too long, CR/LF, no prefix, other characters) would otherwise reach the ORM's column validation and
fail as a server error. The rule, for every root field of every operation (so both doors and every REST
row that runs GraphQL):

- the field's own `uuid` (the resource it addresses; a path parameter in REST) -> NotFound,
  because no such resource can exist;
- any other id argument or input field (`flow_uuid`, `voice_agent_id`, ... ; a query parameter or body
  field in REST) -> Invalid naming the snake_case field.

The root resolvers are wrapped when the schema is built, so fields below the root pay nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLSchema

from app.errors import Invalid, NotFound
from schema import strawberry_internals

ID_MAX_LENGTH = 24  # the id columns' max_length
# A 2-3 letter prefix (app/ids.py), `_`, then at most what the column has room for. The prefix also keeps
# literal path segments (`/customers/bulk`, `/calls/live`) from reading as ids.
ID_PATTERN = f"[a-z]{{2,3}}_[A-Za-z0-9_-]{{1,{ID_MAX_LENGTH - 4}}}"
PUBLIC_ID = re.compile(ID_PATTERN)
MALFORMED_PATH_ID = "Not found"


def is_public_id(value: object) -> bool:
    return isinstance(value, str) and PUBLIC_ID.fullmatch(value) is not None


def is_id_name(graphql_name: str) -> bool:
    """`uuid`, `flowUuid`, `voiceAgentId`... (not `accountSid`, which is Exotel's)."""
    return graphql_name == "uuid" or graphql_name.endswith(("Uuid", "Id"))


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _python_name(field: Any, graphql_name: str) -> str:
    return strawberry_internals.python_name(field) or _snake(graphql_name)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _check_value(value: Any, type_: Any, path: str, id_named: bool) -> None:
    """Walk an argument value alongside its input type; inputs arrive as strawberry objects or dicts."""
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if value is None:
        return
    if isinstance(type_, GraphQLList):
        if isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                _check_value(item, type_.of_type, _join(path, index), id_named)
        return
    if isinstance(type_, GraphQLInputObjectType):
        for name, field in type_.fields.items():
            key = _python_name(field, name)
            item = value.get(name, value.get(key)) if isinstance(value, dict) else getattr(value, key, None)
            _check_value(item, field.type, _join(path, key), is_id_name(name))
        return
    if id_named and isinstance(value, str) and not is_public_id(value):
        raise Invalid(f"{path} is not a valid id")


def check_id_arguments(field: GraphQLField, arguments: dict[str, Any]) -> None:
    for name, argument in field.args.items():
        if name not in arguments:
            continue
        value = arguments[name]
        if name == "uuid" and value is not None and not is_public_id(value):
            raise NotFound(MALFORMED_PATH_ID)
        # A body argument (`input`) is not named in REST errors: its fields are the body's top level.
        path = "" if isinstance(_unwrap(argument.type), GraphQLInputObjectType) and name == "input" else _snake(name)
        _check_value(value, argument.type, path, is_id_name(name))


def _unwrap(type_: Any) -> Any:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_


def _guarded(field: GraphQLField, call: Callable[..., Any]) -> Callable[..., Any]:
    def checked(root: Any, info: Any, **arguments: Any) -> Any:
        check_id_arguments(field, arguments)
        return call(root, info, **arguments)

    return checked


def guard_id_arguments(schema: GraphQLSchema) -> None:
    """Wrap the resolver (and subscriber) of every root field that takes an id-shaped argument."""
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        for field in root.fields.values() if root is not None else ():
            if not _takes_ids(field):
                continue
            if field.resolve is not None:
                field.resolve = _guarded(field, field.resolve)
            if field.subscribe is not None:
                field.subscribe = _guarded(field, field.subscribe)


def _takes_ids(field: GraphQLField) -> bool:
    def has_ids(type_: Any, seen: frozenset[str]) -> bool:
        named = _unwrap(type_)
        if not isinstance(named, GraphQLInputObjectType) or named.name in seen:
            return False
        return any(is_id_name(name) or has_ids(f.type, seen | {named.name}) for name, f in named.fields.items())

    return any(is_id_name(name) or has_ids(argument.type, frozenset()) for name, argument in field.args.items())
