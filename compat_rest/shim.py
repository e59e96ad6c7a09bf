"""Starlette endpoints generated from the route table: each one turns a REST request into variables,
executes the route's GraphQL document in-process, and shapes the answer as the spec documents it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLBoolean, GraphQLError, GraphQLField, GraphQLNonNull
from graphql.pyutils import Undefined
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from app.auth.authenticator import bearer_token
from app.errors import DomainError, Invalid, RateLimited, TooLarge
from app.platform import Platform
from compat_rest.coercion import body_value, query_value
from compat_rest.path_params import TypedRoute
from compat_rest.routes import BASE_PATH, ROUTES, Handler, RestRoute
from compat_rest.selection import selection_set
from schema.context import RequestContext
from schema.rate_limit import limit_of
from schema.storable_json import check_storable
from schema.strawberry_internals import core_schema, root_strawberry_field

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class CompiledRoute:
    route: RestRoute
    document: str
    operation: str  # "query" or "mutation"
    root: GraphQLField
    query_args: dict[str, str]  # {query parameter: GraphQL argument}
    include_params: dict[str, str]  # {query parameter: GraphQL variable}
    rate_limit: str | None


def snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def root_field(schema: strawberry.Schema, name: str) -> tuple[str, GraphQLField, Any]:
    graphql = core_schema(schema)
    for operation, root in (("query", graphql.query_type), ("mutation", graphql.mutation_type)):
        if root is not None and name in root.fields:
            return operation, root.fields[name], root_strawberry_field(schema, root.name, name, snake(name))
    raise KeyError(f"route table names unknown GraphQL field {name!r}")


def compile_route(schema: strawberry.Schema, route: RestRoute) -> CompiledRoute:
    operation, field, strawberry_field = root_field(schema, route.field or "")
    bound = set(route.path_args.values()) | ({route.body_arg} if route.body_arg else set()) | set(route.graphql_only)
    query_args = {snake(name): name for name in field.args if name not in bound}
    include_params = {param: f"include_{snake(result)}" for result, param in route.include.items()}
    variables = [f"${name}: {argument.type}" for name, argument in field.args.items()]
    variables += [f"${variable}: Boolean! = false" for variable in include_params.values()]
    arguments = ", ".join(f"{name}: ${name}" for name in field.args)
    gates = {result: f"include_{snake(result)}" for result in route.include}
    document = (
        f"{operation} Rest{'(' + ', '.join(variables) + ')' if variables else ''} "
        f"{{ result: {route.field}{'(' + arguments + ')' if arguments else ''}"
        f"{selection_set(field.type, include=gates)} }}"
    )
    return CompiledRoute(route, document, operation, field, query_args, include_params, limit_of(strawberry_field))


def error_response(error: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    return JSONResponse({"detail": error.detail}, status_code=error.status, headers=headers)


async def read_json(request: Request, limit: int, *, required: bool = True) -> Any:
    """The JSON body; an empty body is None when the route's body argument is optional."""
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"request body is larger than {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip() and not required:
        return None
    if not raw.strip():
        raise Invalid("request body must be a JSON object")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type.startswith("multipart/"):
        raise Invalid("request body must be JSON (Content-Type: application/json)")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid(f"malformed JSON: {error}") from None
    return check_storable(body)


class RestEndpoint:
    def __init__(self, compiled: CompiledRoute, schema: strawberry.Schema, platform: Platform) -> None:
        self.compiled = compiled
        self.schema = schema
        self.platform = platform
        self.body_limit = compiled.route.max_body_bytes or platform.settings.max_body_bytes

    async def handle(self, request: Request) -> Response:
        """Authenticate first, then read and check the input, then run the operation: an anonymous caller
        learns nothing of the input rules and makes the server read no body."""
        context = RequestContext(
            self.platform, request.state.client_ip, bearer_token(request.headers.get("authorization")), request
        )
        try:
            await context.principal()
            variables = await self.variables(request)
        except DomainError as error:
            return error_response(error)
        result = await self.schema.execute(self.compiled.document, variable_values=variables, context_value=context)
        if result.errors:
            return self.failure(result.errors[0])
        assert result.data is not None  # graphql-core: an execution without errors carries its data
        data = result.data["result"]
        route = self.compiled.route
        if route.envelope:
            data = {route.envelope: data}
        return JSONResponse(data, status_code=route.status)

    async def variables(self, request: Request) -> dict[str, Any]:
        compiled, route = self.compiled, self.compiled.route
        args = compiled.root.args
        variables: dict[str, Any] = {}
        for param, argument in route.path_args.items():
            variables[argument] = request.path_params[param]
        query = request.query_params
        for param in query:
            if param in compiled.query_args:
                argument = compiled.query_args[param]
                check_storable({param: query.getlist(param)})
                variables[argument] = query_value(query.getlist(param), args[argument].type, param)
            elif param in compiled.include_params:
                variables[compiled.include_params[param]] = query_value(
                    query.getlist(param), GraphQLNonNull(GraphQLBoolean), param
                )
            else:
                raise Invalid(f"unknown query parameter: {param}")
        for param, argument in compiled.query_args.items():
            if (
                argument not in variables
                and isinstance(args[argument].type, GraphQLNonNull)
                and args[argument].default_value is Undefined
            ):
                raise Invalid(f"{param} is required")
        if route.body_arg:
            body_type = args[route.body_arg].type
            body = await read_json(request, self.body_limit, required=isinstance(body_type, GraphQLNonNull))
            if body is not None:
                variables[route.body_arg] = body_value(body, body_type, "")
        return variables

    def failure(self, error: GraphQLError) -> JSONResponse:
        original = error.original_error
        if isinstance(original, DomainError):
            return error_response(original)
        code = (error.extensions or {}).get("code")
        if code == "BAD_REQUEST":
            return JSONResponse({"detail": error.message}, status_code=400)
        return JSONResponse({"detail": "Internal server error"}, status_code=500)


def _pending_endpoint(route: RestRoute) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return JSONResponse({"detail": f"Not implemented yet ({route.pending})"}, status_code=501)

    return endpoint


def compiled_routes(schema: strawberry.Schema) -> list[CompiledRoute]:
    return [compile_route(schema, route) for route in ROUTES if route.field and not route.pending]


def build_routes(
    schema: strawberry.Schema, platform: Platform, handlers: Mapping[Handler, Endpoint] | None = None
) -> list[BaseRoute]:
    """Starlette routes for every row; `handlers` (compat_rest.handlers.handler_endpoints) serves the rows
    that name a handler instead of a GraphQL document."""
    handlers = handlers or {}
    routes: list[BaseRoute] = []
    for route in ROUTES:
        if route.websocket:
            continue  # socket endpoints are mounted by their owners
        if route.handler:
            if route.handler not in handlers:
                raise LookupError(f"{route.method} {route.path}: no endpoint bound for handler {route.handler!r}")
            endpoint = handlers[route.handler]
        elif route.pending:
            endpoint = _pending_endpoint(route)
        else:
            endpoint = RestEndpoint(compile_route(schema, route), schema, platform).handle
        routes.append(TypedRoute(route.path, endpoint, methods=[route.method], name=f"{route.method} {route.path}"))
    return routes


__all__ = ["BASE_PATH", "CompiledRoute", "Endpoint", "build_routes", "compile_route", "compiled_routes"]
