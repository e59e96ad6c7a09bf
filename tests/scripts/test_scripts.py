"""Scripts (an extension of the spec): CRUD in GraphQL and at REST /scripts, referenced by flows."""

from __future__ import annotations

import re

from compat_rest.routes import ROUTES

SCRIPT = {
    "name": "Spring reactivation",
    "opening_line": "Hi, this is Aria from Luminary Home.",
    "talking_points": ["Standing Desk Pro is back in stock", "Free delivery this month"],
    "faq": [{"question": "Do you deliver to 94107?", "answer": "Yes, within five days."}],
    "closing_line": "Thanks for your time!",
}
SCRIPT_KEYS = {"uuid", "name", "opening_line", "talking_points", "faq", "closing_line", "created_at", "updated_at"}


async def test_create_get_list_update_delete(door):
    created = await door.call("POST", "/scripts", json=SCRIPT)
    assert created.status == 201, created.body
    assert set(created.body) == SCRIPT_KEYS
    assert re.fullmatch(r"scr_[0-9a-f]{12}", created.body["uuid"])
    assert {k: created.body[k] for k in SCRIPT} == SCRIPT
    uuid = created.body["uuid"]
    assert (await door.call("GET", f"/scripts/{uuid}")).body == created.body
    assert [s["uuid"] for s in (await door.call("GET", "/scripts")).body] == [uuid]
    patched = await door.call("PATCH", f"/scripts/{uuid}", json={"closing_line": None, "talking_points": ["One"]})
    assert patched.status == 200
    assert (patched.body["closing_line"], patched.body["talking_points"], patched.body["name"]) == (
        None,
        ["One"],
        SCRIPT["name"],
    )
    assert (await door.call("DELETE", f"/scripts/{uuid}")).status == 200
    assert (await door.call("GET", f"/scripts/{uuid}")).body == {"detail": "Script not found"}


async def test_bad_input_is_400_and_writes_nothing(door):
    for body, detail in (
        ({**SCRIPT, "name": " "}, "name must not be empty"),
        ({**SCRIPT, "talking_points": ["ok", ""]}, "talking_points must contain only non-empty"),
        ({**SCRIPT, "faq": [{"question": "Q?", "answer": ""}]}, "faq[0].answer must not be empty"),
    ):
        answer = await door.call("POST", "/scripts", json=body)
        assert answer.status == 400 and answer.body["detail"].startswith(detail)
    assert (await door.call("GET", "/scripts")).body == []


async def test_a_script_a_flow_uses_cannot_be_deleted(door):
    script = (await door.call("POST", "/scripts", json=SCRIPT)).body
    flow = (
        await door.call(
            "POST", "/flows", json={"kind": "outbound", "name": "F", "provider": "sarvam", "script_id": script["uuid"]}
        )
    ).body
    assert flow["script_id"] == script["uuid"]
    refused = await door.call("DELETE", f"/scripts/{script['uuid']}")
    assert refused.status == 409 and refused.body == {"detail": "Script is used by a flow"}
    await door.call("PATCH", f"/flows/{flow['uuid']}", json={"script_id": None})
    assert (await door.call("DELETE", f"/scripts/{script['uuid']}")).status == 200


async def test_another_organisations_script_is_404(door, other_client):
    theirs = (await other_client.post("/scripts", json=SCRIPT)).body
    for method in ("GET", "PATCH", "DELETE"):
        answer = await door.call(
            method, f"/scripts/{theirs['uuid']}", json={"name": "x"} if method == "PATCH" else None
        )
        assert answer.status == 404, method
    assert (await door.call("GET", "/scripts")).body == []


async def test_openapi_marks_scripts_as_an_extension(anonymous):
    document = (await anonymous.get("/openapi.json")).body
    for route in ROUTES:
        if route.path.startswith("/scripts"):
            assert document["paths"][route.path][route.method.lower()]["x-extension"] is True
    assert "x-extension" not in document["paths"]["/flows"]["get"]
