"""The route table covers the whole REST contract, with the spec's rate limits."""

from __future__ import annotations

from compat_rest.routes import ROUTES
from compat_rest.shim import compile_route
from schema import build_schema
from tests.compat_rest.spec import COPY, SHARED_SPEC, documented_limits, documented_routes, normalise

TABLE = {(route.method, normalise(route.path)): route for route in ROUTES}


def test_every_documented_route_is_in_the_table():
    documented = documented_routes()
    assert len(documented) >= 58
    missing = [f"{method} {path}" for method, path in documented if (method, normalise(path)) not in TABLE]
    assert missing == []
    pending = sorted(f"{route.method} {route.path} ({route.pending})" for route in ROUTES if route.pending)
    print(f"\n{len(pending)} routes pending a later issue:\n  " + "\n  ".join(pending))


def test_every_built_route_has_the_spec_rate_limit_on_its_graphql_field():
    schema = build_schema()
    wrong = []
    for (method, path), limit in documented_limits().items():
        route = TABLE[(method, path)]
        if route.pending or not route.field:
            continue
        declared = compile_route(schema, route).rate_limit
        if declared != limit:
            wrong.append((method, path, limit, declared))
    assert wrong == []


def test_routes_without_a_spec_limit_declare_none():
    schema = build_schema()
    limited = set(documented_limits())
    extra = [
        (route.method, route.path)
        for route in ROUTES
        if route.field
        and not route.pending
        and (route.method, normalise(route.path)) not in limited
        and compile_route(schema, route).rate_limit is not None
    ]
    assert extra == []


def test_the_checked_in_spec_copy_matches_shared():
    if SHARED_SPEC.exists():
        assert COPY.read_text() == SHARED_SPEC.read_text(), "docs/voice-api.md is stale: copy the shared spec again"
