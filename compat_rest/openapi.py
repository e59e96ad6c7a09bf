"""The OpenAPI 3.1 document of the REST contract, generated from the route table and the GraphQL types."""

from __future__ import annotations

import re
from typing import Any

import strawberry
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from graphql.pyutils import Undefined

from compat_rest.coercion import python_name
from compat_rest.constraints import ARGUMENTS, FORM_PARTS, INPUT_FIELDS, OBJECT_RULES, constrain
from compat_rest.handler_answers import HANDLER_ANSWERS
from compat_rest.path_params import parameter_schema
from compat_rest.routes import BASE_PATH, ROUTES, RestRoute
from compat_rest.selection import include_only, rest_visible
from compat_rest.shim import compile_route

SCALARS: dict[str, dict[str, Any]] = {
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "Int": {"type": "integer"},
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "DateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date"},
    "JSON": {},
}
ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
ERROR_STATUSES = {
    "400": "Invalid input",
    "401": "Invalid or expired token",
    "404": "Not found",
    "409": "Conflict",
    "413": "Body too large",
    "429": "Rate limit exceeded",
    "503": "A dependency (queue, provider) cannot serve now",
}
CALLBACK_ERRORS = {
    "400": "Invalid input",
    "403": "The caller is not a connected account or the call is not its",
    "404": "Not found",
    "413": "Body too large",
    "503": "No agent available",
}


def json_schema(type_: Any, *, nullable: bool = True, depth: int = 0) -> dict[str, Any]:
    if isinstance(type_, GraphQLNonNull):
        return json_schema(type_.of_type, nullable=False, depth=depth)
    if isinstance(type_, GraphQLList):
        schema: dict[str, Any] = {"type": "array", "items": json_schema(type_.of_type, depth=depth)}
    elif isinstance(type_, GraphQLScalarType):
        schema = dict(SCALARS.get(type_.name, {}))
    elif isinstance(type_, (GraphQLObjectType, GraphQLInputObjectType)) and depth < 5:
        properties, required = {}, []
        for name, field in type_.fields.items():
            if isinstance(type_, GraphQLObjectType) and not rest_visible(type_.name, field, name):
                continue
            key = python_name(field, name)
            properties[key] = json_schema(field.type, depth=depth + 1)
            if isinstance(type_, GraphQLInputObjectType):
                properties[key] = constrain(properties[key], INPUT_FIELDS.get(type_.name, {}).get(key))
            if field.description:
                properties[key]["description"] = field.description
            if (
                isinstance(field.type, GraphQLNonNull)
                and not include_only(type_.name, field, name)
                and (isinstance(type_, GraphQLObjectType) or field.default_value is Undefined)
            ):
                required.append(key)
        schema = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
            **OBJECT_RULES.get(type_.name, {}),
        }
        if required:
            schema["required"] = required
    else:
        schema = {}
    if nullable and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value: it has no null."""
    kinds = schema.get("type")
    if isinstance(kinds, list):
        schema = {**schema, "type": next(kind for kind in kinds if kind != "null")}
        if "enum" in schema:
            schema["enum"] = [value for value in schema["enum"] if value is not None]
    return schema


def _errors(route: RestRoute) -> dict[str, Any]:
    statuses = CALLBACK_ERRORS if route.public else ERROR_STATUSES
    return {
        status: {"description": text, "content": {"application/json": {"schema": ERROR}}}
        for status, text in statuses.items()
    }


def _handler_answers(route: RestRoute, operation: dict[str, Any]) -> None:
    answers = HANDLER_ANSWERS.get(route.handler) if route.handler else None
    if answers is not None:
        operation["responses"].update(answers.responses)
        if answers.request_body is not None:
            operation["requestBody"] = answers.request_body


def _operation(schema: strawberry.Schema, route: RestRoute) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": re.sub(r"\W+", "_", f"{route.method}{route.path}").strip("_").lower(),
        "tags": [route.tag] if route.tag else [],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": parameter_schema(name)}
            for name in re.findall(r"{(\w+)}", route.path)
        ],
        "security": [] if route.public else [{"bearer": []}],
    }
    if route.pending:
        operation["description"] = f"Not implemented yet ({route.pending})."
        operation["responses"] = {"501": {"description": "Not implemented yet"}}
        return operation
    if route.field is None:  # a handler with no GraphQL twin: binary media (or its own answers, below)
        operation["responses"] = {
            str(route.status): {
                "description": "Success",
                "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in route.media_types},
            },
            **_errors(route),
        }
        _handler_answers(route, operation)
        if route.extension:
            operation["x-extension"] = True
        return operation
    compiled = compile_route(schema, route)
    args = compiled.root.args
    for param, argument in ({} if route.handler else compiled.query_args).items():
        operation["parameters"].append(
            {
                "name": param,
                "in": "query",
                "required": isinstance(args[argument].type, GraphQLNonNull),
                "schema": _not_null(
                    constrain(json_schema(args[argument].type), ARGUMENTS.get(route.field or "", {}).get(param))
                ),
            }
        )
    for param in compiled.include_params:
        operation["parameters"].append({"name": param, "in": "query", "schema": {"type": "boolean", "default": False}})
    if route.handler and route.method != "GET":
        form = route.form or {"file": "file"}
        operation["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            part: {
                                "type": "string",
                                **({"format": "binary"} if kind == "file" else {}),
                                **FORM_PARTS.get(route.field or "", {}).get(part, {}),
                            }
                            for part, kind in form.items()
                        },
                        "required": [part for part, kind in form.items() if not kind.startswith("optional")],
                    }
                }
            },
        }
    elif route.body_arg:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": json_schema(args[route.body_arg].type)}},
        }
    result = json_schema(compiled.root.type)
    if route.envelope:
        result = {"type": "object", "properties": {route.envelope: result}, "required": [route.envelope]}
    content = {media: {"schema": {"type": "string", "format": "binary"}} for media in route.media_types} or {
        "application/json": {"schema": result}
    }
    operation["responses"] = {
        str(route.status): {"description": "Success", "content": content},
        **_errors(route),
    }
    _handler_answers(route, operation)
    if compiled.rate_limit:
        operation["x-rate-limit"] = compiled.rate_limit
    if route.extension:
        operation["x-extension"] = True
    return operation


def openapi_document(schema: strawberry.Schema) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        if route.websocket:
            continue
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(schema, route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Voice AI",
            "version": "1.0.0",
            "description": "REST contract of the voice platform; the GraphQL schema at /api/voice/graphql "
            "is the primary model and every route here runs a GraphQL operation.",
        },
        "servers": [{"url": BASE_PATH}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API key (nn_k_...) or Firebase ID token"}
            }
        },
    }
