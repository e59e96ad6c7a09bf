"""Authentication comes before everything else: an anonymous caller (or a bad credential) gets the spec's
401 on every authenticated route, whatever body or query it sends, so it learns none of the input rules
and makes the server read no body. The same at the GraphQL door, for every root field."""

from __future__ import annotations

import re

import pytest

from app.db.models import Customer, Flow, Webhook
from compat_rest.routes import ROUTES, RestRoute

UNAUTHENTICATED = {"detail": "Invalid or expired token"}
AUTHENTICATED_ROWS = [route for route in ROUTES if not route.public and not route.websocket]
PUBLIC_ROWS = {f"{route.method} {route.path}" for route in ROUTES if route.public}


def concrete(route: RestRoute) -> str:
    """The row's path with a plausible id (or speaker name) in each parameter."""
    return re.sub(r"{(\w+)}", lambda m: "aria" if m.group(1) == "name" else "agt_000000000000", route.path)


BAD_INPUTS = {
    "empty": dict(data=b"", headers={"Content-Type": "application/json"}),
    "malformed JSON and unknown query parameters": dict(
        data=b'{"name": ', params={"limit": "minus one", "nope": "1"}, headers={"Content-Type": "application/json"}
    ),
    "a body of the wrong shape": dict(json={"name": None, "phone": 7, "nope": [1]}, params={"limit": "0"}),
    "a broken multipart body": dict(
        data=b"--x\r\nnot a part", headers={"Content-Type": "multipart/form-data; boundary=x"}
    ),
}


def test_only_the_carrier_callbacks_are_public():
    """The table's public rows validate their caller themselves; every other row needs a bearer token."""
    assert {
        "POST /webhooks/exotel/status",
        "GET /webhooks/exotel/passthru",
        "GET /webhooks/exotel/stream",
        "GET /webhooks/exotel/connect",
    } == PUBLIC_ROWS


@pytest.mark.parametrize("bad", list(BAD_INPUTS))
@pytest.mark.parametrize("credential", [None, "nn_k_not-a-key", "not-a-firebase-token"])
async def test_every_authenticated_row_answers_401_before_reading_the_input(anonymous, bad, credential):
    if credential:
        anonymous.token = credential
    answers = {}
    for route in AUTHENTICATED_ROWS:
        answer = await anonymous.request(route.method, concrete(route), **BAD_INPUTS[bad])
        answers[f"{route.method} {route.path}"] = (answer.status, answer.body)
    wrong = {row: answer for row, answer in answers.items() if answer != (401, UNAUTHENTICATED)}
    assert wrong == {}
    assert len(answers) >= 60


async def test_an_anonymous_write_leaves_nothing_behind(anonymous):
    for path, body in (
        ("/customers", {"name": "Ann", "phone": "+919800000001"}),
        ("/flows", {"name": "F", "kind": "outbound"}),
        ("/webhooks", {"url": "https://example.com/hook", "events": ["call.ended"]}),
    ):
        answer = await anonymous.post(path, json=body)
        assert (answer.status, answer.body) == (401, UNAUTHENTICATED)
    assert not await Customer.filter(name="Ann", phone="+919800000001").exists()
    assert not await Webhook.filter(url="https://example.com/hook").exists()
    assert not await Flow.filter(name="F").exists()


async def test_an_authenticated_caller_still_gets_the_input_rules(client):
    answer = await client.post("/customers", data=b"", headers={"Content-Type": "application/json"})
    assert (answer.status, answer.body) == (400, {"detail": "request body must be a JSON object"})
    answer = await client.put("/integrations/telephony/exotel", json={})
    assert answer.status == 400 and "is required" in answer.body["detail"]
