"""The OpenAPI document carries the constraints the services enforce (issue 12, point 9): each one here was
missing, so a request valid by the document was refused."""

from __future__ import annotations

import re

from app.field_checks import HEX_COLOUR
from compat_rest.openapi import openapi_document
from schema import build_schema

DOCUMENT = openapi_document(build_schema())
PATHS = DOCUMENT["paths"]


def body(path: str, method: str) -> dict:
    return PATHS[path][method]["requestBody"]["content"]["application/json"]["schema"]


def parameter(path: str, method: str, name: str) -> dict:
    return next(p for p in PATHS[path][method]["parameters"] if p["name"] == name)["schema"]


def test_patterns_the_services_check():
    assert body("/agents", "post")["properties"]["avatar_color"]["pattern"] == HEX_COLOUR.pattern
    phone = body("/customers", "post")["properties"]["phone"]
    assert re.match(phone["pattern"], "+919876543210") and not re.match(phone["pattern"], "98765 43210")
    assert body("/customers", "post")["properties"]["name"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "pattern": r"\S",
    }


def test_enums_and_ranges():
    assert parameter("/flows", "get", "status")["enum"] == ["draft", "active", "paused"]
    assert parameter("/calls", "get", "limit") == {"type": "integer", "minimum": 1, "maximum": 100}
    assert parameter("/customers", "get", "offset")["minimum"] == 0
    assert body("/flows", "post")["properties"]["kind"]["enum"] == ["inbound", "outbound"]
    assert "call.ended" in body("/webhooks", "post")["properties"]["events"]["items"]["enum"]


def test_a_patch_may_omit_but_not_null_what_the_service_requires():
    patch = body("/agents/{agent_uuid}", "patch")["properties"]
    assert patch["name"]["type"] == "string"  # omit it, or send a name; null is refused
    assert patch["description"]["type"] == ["string", "null"]  # null clears it
    assert body("/customers/{customer_uuid}", "patch")["properties"]["phone"]["type"] == "string"


def test_path_ids_carry_the_pattern_the_router_matches():
    uuid = PATHS["/agents/{agent_uuid}"]["get"]["parameters"][0]["schema"]
    assert uuid["maxLength"] == 24 and re.match(uuid["pattern"], "agt_0123456789ab")
    assert not re.match(uuid["pattern"], "bulk")


def test_the_exotel_callbacks_are_documented_as_they_answer():
    status = PATHS["/webhooks/exotel/status"]["post"]
    form = status["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"CallSid", "AccountSid", "Status"} <= set(form["required"])
    assert "403" in status["responses"] and "401" not in status["responses"]
    stream = PATHS["/webhooks/exotel/stream"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert stream["properties"] == {"url": {"type": "string"}}
    assert "302" in PATHS["/webhooks/exotel/passthru"]["get"]["responses"]
    assert "206" in PATHS["/calls/{call_uuid}/recording"]["get"]["responses"]
