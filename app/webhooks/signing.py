"""Delivery signatures: `X-NN-Signature` and the Standard Webhooks headers, both from the webhook's secret.

Secrets look like `whsec_<base64>` and are handed to the integrator whole. Each header follows its own
contract, so a receiver can check either with what it already has:

- `X-NN-Signature` is what the spec says, "HMAC-SHA256 of the raw body signed with your webhook secret":
  hex HMAC keyed with the UTF-8 bytes of the whole secret string, `whsec_` included
  (`hmac.new(secret.encode(), body, sha256).hexdigest()`).
- `webhook-signature` is what Standard Webhooks defines: `v1,` + base64 HMAC of `id.timestamp.body`, keyed
  with the base64-decoded part after `whsec_`, which is what that standard's libraries verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks key: the base64-decoded part after `whsec_`."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def nn_signature(secret: str, body: bytes) -> str:
    """The spec's `X-NN-Signature`: keyed with the secret string exactly as the integrator holds it."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(standard_key(secret), signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "X-NN-Signature": nn_signature(secret, body),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, message_id, timestamp, body),
    }


class SecretBox:
    """Secrets are encrypted at rest with a key derived from the platform secret key; `purpose` keeps the
    keys of different stores (webhook secrets, provider credentials) apart."""

    def __init__(self, secret_key: str, purpose: str = "webhook-secrets") -> None:
        digest = hashlib.sha256((purpose + ":" + secret_key).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()
