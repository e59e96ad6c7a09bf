"""Firebase ID token verification without firebase-admin.

Google signs Firebase ID tokens with rotating RSA keys and publishes the matching x509
certificates at `GOOGLE_CERTS_URL`. We fetch them with aiohttp, keep them for the `max-age`
Google sets, and check the claims Firebase documents. Every rejection is the same
`Unauthenticated()`; the reason only goes to the debug log, so callers learn nothing useful.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import aiohttp
import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from app.errors import Unauthenticated

GOOGLE_CERTS_URL = "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
ISSUER_PREFIX = "https://securetoken.google.com/"
MAX_UID_LENGTH = 128
FETCH_TIMEOUT_SECONDS = 5.0

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d+)", re.IGNORECASE)

log = logging.getLogger("app.auth.firebase")


@dataclass(frozen=True)
class FirebaseIdentity:
    """Who a verified ID token says the caller is; `uid` is the token's `sub`."""

    uid: str
    email: str | None
    claims: dict[str, Any]


class _CertFetchFailed(Exception):
    """The cert endpoint gave no usable answer; the current cache stays as it was."""


class FirebaseTokenVerifier:
    """Verifies Firebase ID tokens against Google's published certificates.

    Keys are cached for the answer's `max-age`. An unknown `kid` forces a refetch, but at most
    once per `min_refetch_interval` seconds after the previous request, so a flood of forged
    tokens cannot turn us into a hammer on Google; a failed fetch is not retried sooner either.
    A fetch failure leaves an unexpired cache in use. Concurrent verifies share one fetch.
    """

    def __init__(
        self,
        project_id: str,
        certs_url: str,
        *,
        clock: Callable[[], float] = time.time,
        max_clock_skew: float = 60.0,
        min_refetch_interval: float = 30.0,
    ) -> None:
        self._project_id = project_id
        self._issuer = ISSUER_PREFIX + project_id
        self._certs_url = certs_url
        self._clock = clock
        self._max_clock_skew = max_clock_skew
        self._min_refetch_interval = min_refetch_interval
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()
        self._keys: dict[str, RSAPublicKey] = {}
        self._expires_at = 0.0
        self._last_attempt_at: float | None = None
        self._last_attempt_failed = False
        self._attempts = 0

    async def verify(self, token: str) -> FirebaseIdentity:
        """Return the identity in `token`, or raise `Unauthenticated` for any flaw."""
        kid = _checked_kid(token)
        key = await self._public_key(kid)
        claims = self._verified_claims(token, key)
        email = claims.get("email")
        return FirebaseIdentity(uid=claims["sub"], email=email if isinstance(email, str) else None, claims=claims)

    async def aclose(self) -> None:
        """Close the HTTP session, if a fetch ever opened one."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _verified_claims(self, token: str, key: RSAPublicKey) -> dict[str, Any]:
        """Signature, audience and issuer via PyJWT; times against our own clock."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self._project_id,
                issuer=self._issuer,
                options={
                    "require": ["aud", "iss", "sub", "iat", "exp", "auth_time"],
                    "strict_aud": True,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except (jwt.PyJWTError, ValueError) as exc:  # ValueError: e.g. unencodable surrogates
            _reject("jwt check failed: %s", exc)
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub or len(sub) > MAX_UID_LENGTH:
            _reject("sub must be a non-empty string of at most %d chars", MAX_UID_LENGTH)
        now = self._clock()
        skew = self._max_clock_skew
        exp, iat, auth_time = (_timestamp(claims, name) for name in ("exp", "iat", "auth_time"))
        if exp + skew < now:
            _reject("token expired at %s (now %s)", exp, now)
        if iat - skew > now:
            _reject("token issued in the future at %s (now %s)", iat, now)
        if auth_time - skew > now:
            _reject("auth_time in the future at %s (now %s)", auth_time, now)
        return claims

    async def _public_key(self, kid: str) -> RSAPublicKey:
        """Find the key for `kid`, fetching certs only when the rules allow it."""
        now = self._clock()
        if self._is_fresh(now):
            key = self._keys.get(kid)
            if key is not None:
                return key
            if self._recently_attempted(now):
                _reject("unknown kid %r; refetch rate-limited", kid)
        elif self._last_attempt_failed and self._recently_attempted(now):
            _reject("certs expired and last fetch failed; backing off")

        attempts_seen = self._attempts
        async with self._lock:
            if self._attempts == attempts_seen:  # no fetch finished while we waited: our turn
                await self._refresh()

        if self._last_attempt_failed and not self._is_fresh(self._clock()):
            _reject("certs unavailable for kid %r", kid)
        key = self._keys.get(kid)
        if key is None:
            _reject("no certificate for kid %r", kid)
        return key

    def _is_fresh(self, now: float) -> bool:
        return bool(self._keys) and now < self._expires_at

    def _recently_attempted(self, now: float) -> bool:
        last = self._last_attempt_at
        return last is not None and now - last < self._min_refetch_interval

    async def _refresh(self) -> None:
        """One request to the cert endpoint; on failure keep whatever cache we had.

        `_attempts` counts finished fetches, so coroutines queued on the lock behind this one
        see it change and reuse the result instead of fetching again.
        """
        started = self._clock()
        self._last_attempt_at = started
        try:
            keys, max_age = await self._fetch()
        except _CertFetchFailed as exc:
            self._last_attempt_failed = True
            log.debug("fetching Firebase certs failed: %s", exc)
            return
        finally:
            self._attempts += 1
        self._last_attempt_failed = False
        self._keys = keys
        self._expires_at = started + max_age
        log.debug("fetched %d Firebase certs, cached for %ss", len(keys), max_age)

    async def _fetch(self) -> tuple[dict[str, RSAPublicKey], float]:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
            self._session = aiohttp.ClientSession(timeout=timeout)
        try:
            async with self._session.get(self._certs_url) as response:
                if response.status != 200:
                    raise _CertFetchFailed(f"HTTP {response.status}")
                body = await response.json(content_type=None)
                cache_control = response.headers.get("Cache-Control", "")
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise _CertFetchFailed(repr(exc)) from exc
        return _public_keys(body), self._max_age(cache_control)

    def _max_age(self, cache_control: str) -> float:
        """Seconds to trust the answer; without a max-age, one refetch interval."""
        match = _MAX_AGE.search(cache_control)
        return float(match.group(1)) if match else self._min_refetch_interval


def _checked_kid(token: str) -> str:
    """Reject malformed tokens and wrong algorithms before any network work."""
    if not isinstance(token, str) or token.count(".") != 2:
        _reject("token is not three dot-separated segments")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError) as exc:
        _reject("unreadable header: %s", exc)
    if header.get("alg") != "RS256":
        _reject("alg must be RS256, got %r", header.get("alg"))
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        _reject("header has no kid")
    return kid


def _public_keys(body: object) -> dict[str, RSAPublicKey]:
    """Parse `{kid: PEM certificate}` once per fetch; any bad entry spoils the answer."""
    if not isinstance(body, Mapping) or not body:
        raise _CertFetchFailed("answer is not a non-empty JSON object")
    keys: dict[str, RSAPublicKey] = {}
    for kid, pem in body.items():
        if not isinstance(pem, str):
            raise _CertFetchFailed(f"certificate for {kid!r} is not a string")
        try:
            key = x509.load_pem_x509_certificate(pem.encode()).public_key()
        except ValueError as exc:
            raise _CertFetchFailed(f"certificate for {kid!r} does not parse: {exc}") from exc
        if not isinstance(key, RSAPublicKey):
            raise _CertFetchFailed(f"certificate for {kid!r} is not RSA")
        keys[kid] = key
    return keys


def _timestamp(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _reject("%s is not a number", name)
    return float(value)


def _reject(reason: str, *args: object) -> NoReturn:
    log.debug("rejecting Firebase token: " + reason, *args)
    raise Unauthenticated() from None
