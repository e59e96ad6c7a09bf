"""A fake of Google's securetoken cert endpoint, on a real socket, plus a token minter.

It serves `{kid: PEM certificate}` for locally generated RSA keys with a `Cache-Control:
max-age` header, counts requests so tests can assert caching, can publish new keys (rotation),
fail with 500, answer with a broken body, or answer slowly so concurrent fetches overlap.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.fakes.loopback import serve

ABSENT: Any = object()
"""Pass as a claim override to leave that claim out of the token."""


class FakeCertServer:
    """Stands in for Google's cert URL; `mint` signs tokens the verifier should accept."""

    def __init__(self, project_id: str, *, max_age: int = 3600, clock: Callable[[], float] = time.time) -> None:
        self.project_id = project_id
        self.max_age = max_age
        self.requests = 0
        self.fail = False
        self.broken_body: bytes | None = None
        self.delay = 0.0
        self._clock = clock
        self._private_keys: dict[str, rsa.RSAPrivateKey] = {}
        self._published: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/certs", self._serve)
        self._runner, base = await serve(app)
        self.url = f"{base}/certs"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_key(self, kid: str, *, published: bool = True) -> None:
        """Generate a key for `kid`; unpublished keys sign tokens Google never vouched for."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._private_keys[kid] = key
        if published:
            self._published[kid] = _self_signed_pem(key)

    def pem(self, kid: str) -> str:
        """The published certificate for `kid`, as an attacker could download it."""
        return self._published[kid]

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """Claims of a fresh password sign-in for this project, with `overrides` applied."""
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": f"https://securetoken.google.com/{self.project_id}",
            "aud": self.project_id,
            "auth_time": now - 60,
            "user_id": "uid-ada",
            "sub": "uid-ada",
            "iat": now,
            "exp": now + 3600,
            "email": "ada@example.com",
            "email_verified": True,
            "firebase": {
                "identities": {"email": ["ada@example.com"]},
                "sign_in_provider": "password",
            },
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not ABSENT}

    def mint(self, kid: str, **claim_overrides: Any) -> str:
        """An RS256 ID token signed with the key for `kid`."""
        return jwt.encode(
            self.claims(**claim_overrides),
            self._private_keys[kid],
            algorithm="RS256",
            headers={"kid": kid},
        )

    async def _serve(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            return web.Response(status=500, text="backend error")
        if self.broken_body is not None:
            return web.Response(body=self.broken_body, content_type="application/json")
        cache_control = f"public, max-age={self.max_age}, must-revalidate, no-transform"
        return web.json_response(self._published, headers={"Cache-Control": cache_control})


def _self_signed_pem(key: rsa.RSAPrivateKey) -> str:
    common_name = x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.system.gserviceaccount.com")
    name = x509.Name([common_name])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
