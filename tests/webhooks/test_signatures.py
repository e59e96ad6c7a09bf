"""Both signatures on a real delivery: `X-NN-Signature` exactly as the spec reads (HMAC-SHA256 of the raw
body with the secret string as handed over), and the Standard Webhooks headers through that standard's own
verifier (`standardwebhooks`)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from tests.calls.conftest import start_call


async def a_delivery(client, server, hook, path: str):
    created = (
        await client.post("/webhooks", json={"name": path, "url": hook.at(path), "events": ["call.started"]})
    ).body
    await start_call(server.platform, client.organisation_id)
    [delivery] = await hook.wait_for(path, 1)
    return created["secret"], delivery


async def test_x_nn_signature_is_the_hmac_of_the_raw_body_with_the_whole_secret(hooks_client, hooks_server, hook):
    secret, delivery = await a_delivery(hooks_client, hooks_server, hook, "/spec")
    assert secret.startswith("whsec_")
    expected = hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(delivery.headers["X-NN-Signature"], expected)
    tampered = hmac.new(secret.encode(), delivery.body + b" ", hashlib.sha256).hexdigest()
    assert delivery.headers["X-NN-Signature"] != tampered


async def test_standard_webhooks_headers_pass_the_standard_verifier(hooks_client, hooks_server, hook):
    secret, delivery = await a_delivery(hooks_client, hooks_server, hook, "/standard")
    assert delivery.headers["webhook-id"].startswith("msg_")
    payload = Webhook(secret).verify(delivery.body, delivery.headers)
    assert payload["event"] == "call.started"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(delivery.body + b" ", delivery.headers)
    other = "whsec_" + "A" * 32
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(delivery.body, delivery.headers)
