"""The two doors of the platform behind one test interface, so behavioural tests run through both.

The GraphQL door finds the route's GraphQL operation in the route table and sends it to /graphql
over HTTP, mapping `extensions.code` back to the status the REST door would answer.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull
from starlette.routing import compile_path

from app.errors import ERROR_BY_CODE
from compat_rest.coercion import python_name, query_value
from compat_rest.routes import API_ROUTES
from compat_rest.shim import compile_route
from tests.conftest import Client, Response

_MATCHERS = [(route, compile_path(route.path)[0]) for route in API_ROUTES]


class RestDoor:
    name = "rest"

    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Response:
        return await self.client.request(method, path, json=json, params=params)


class GraphQLDoor:
    name = "graphql"

    def __init__(self, client: Client) -> None:
        self.client = client

    def _route(self, method: str, path: str):
        for route, pattern in _MATCHERS:
            match = pattern.match(path)
            if route.method == method and match:
                return route, match.groupdict()
        raise AssertionError(f"no route {method} {path}")

    async def call(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Response:
        route, path_params = self._route(method, path)
        compiled = compile_route(_schema(), route)
        args = compiled.root.args
        variables = {argument: path_params[param] for param, argument in route.path_args.items()}
        for param, value in (params or {}).items():
            raw = value if isinstance(value, list) else [str(value).lower() if isinstance(value, bool) else str(value)]
            if param in compiled.include_params:
                variables[compiled.include_params[param]] = raw[0] == "true"
            else:
                argument = compiled.query_args[param]
                variables[argument] = query_value(raw, args[argument].type, param)
        if route.body_arg:
            variables[route.body_arg] = graphql_names(json, args[route.body_arg].type)
        result = await self.client.graphql(compiled.document, variables)
        if result.get("errors"):
            error = result["errors"][0]
            code = error.get("extensions", {}).get("code", "BAD_REQUEST")
            status = ERROR_BY_CODE[code].status if code in ERROR_BY_CODE else 500
            return Response(status, {"detail": error["message"]}, {})
        data = result["data"]["result"]
        if route.envelope:
            data = {route.envelope: data}
        return Response(route.status, data, {})


def graphql_names(value: Any, type_: Any) -> Any:
    """Rename snake_case keys to GraphQL names and check nothing: GraphQL must do its own checking."""
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList) and isinstance(value, list):
        return [graphql_names(item, type_.of_type) for item in value]
    if isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        names = {python_name(field, name): (name, field) for name, field in type_.fields.items()}
        renamed = {}
        for key, item in value.items():
            name, field = names.get(key, (key, None))
            renamed[name] = graphql_names(item, field.type) if field is not None else item
        return renamed
    return value


_SCHEMA = None


def _schema():
    global _SCHEMA
    if _SCHEMA is None:
        from schema import build_schema

        _SCHEMA = build_schema()
    return _SCHEMA


def door_for(name: str, client: Client):
    return RestDoor(client) if name == "rest" else GraphQLDoor(client)


__all__ = ["GraphQLDoor", "RestDoor", "door_for"]
