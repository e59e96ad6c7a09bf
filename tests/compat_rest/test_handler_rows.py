"""Rows served by a Starlette handler are bound to it by name, and REST shaping names real GraphQL fields."""

from __future__ import annotations

import pytest

from compat_rest.handler_answers import HANDLER_ANSWERS
from compat_rest.handlers import handler_endpoints
from compat_rest.routes import GRAPHQL_ONLY, INCLUDE_ONLY, ROUTES, Handler
from compat_rest.shim import build_routes
from schema import build_schema
from schema.strawberry_internals import core_schema, python_name


async def test_every_handler_row_is_bound_and_every_binding_has_its_row(server):
    bound = handler_endpoints(build_schema(), server.platform)
    named = [route.handler for route in ROUTES if route.handler]
    assert sorted(set(named)) == sorted(Handler)  # each handler serves a row ...
    assert len(named) == len(set(named))  # ... and only one
    assert sorted(bound) == sorted(Handler)  # every one is bound
    assert set(HANDLER_ANSWERS) <= set(named)  # documented answers belong to a handler row


async def test_a_handler_row_left_unbound_stops_the_start_naming_the_row(server):
    schema = build_schema()
    bound = handler_endpoints(schema, server.platform)
    del bound[Handler.CALL_RECORDING]
    with pytest.raises(LookupError, match=r"GET /calls/\{call_uuid\}/recording: no endpoint bound"):
        build_routes(schema, server.platform, handlers=bound)


def test_rest_shaping_names_fields_the_graphql_types_have():
    types = core_schema(build_schema()).type_map
    unknown = []
    for table in (GRAPHQL_ONLY, INCLUDE_ONLY):
        for type_name, names in table.items():
            graphql_type = types.get(type_name)
            fields = getattr(graphql_type, "fields", {})
            known = {python_name(field) or name for name, field in fields.items()}
            unknown += [f"{type_name}.{name}" for name in names if name not in known]
    assert unknown == []
