"""Delivery signatures: `X-NN-Signature` (hex HMAC-SHA256 of the raw body, as the spec says) and the
Standard Webhooks headers (HMAC of `id.timestamp.body`, base64), both keyed with the webhook's secret.

Secrets look like `whsec_<base64>`; the HMAC key is the base64-decoded part, as Standard Webhooks
libraries expect, so receivers can verify with those libraries or with a few lines of hmac.
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


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def nn_signature(secret: str, body: bytes) -> str:
    return hmac.new(key_of(secret), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key_of(secret), signed, hashlib.sha256).digest()).decode()


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
