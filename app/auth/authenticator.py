"""Turns a bearer credential (API key or Firebase ID token) into a Principal."""

from __future__ import annotations

from typing import Protocol

from app.auth.api_keys import KEY_PREFIX, authenticate_api_key
from app.auth.principal import CredentialKind, Principal
from app.db.models import User
from app.errors import Unauthenticated


class VerifiedIdentity(Protocol):
    """What the authenticator reads from a verified ID token."""

    @property
    def uid(self) -> str: ...


class IdentityVerifier(Protocol):
    async def verify(self, token: str) -> VerifiedIdentity: ...

    async def aclose(self) -> None: ...


class Authenticator:
    def __init__(self, firebase: IdentityVerifier | None = None) -> None:
        self._firebase = firebase

    async def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthenticated()
        if token.startswith(KEY_PREFIX):
            return await authenticate_api_key(token)
        if self._firebase is None:
            raise Unauthenticated()
        identity = await self._firebase.verify(token)
        user = await User.filter(firebase_uid=identity.uid).values("id", "organisation_id")
        if not user:
            raise Unauthenticated()
        return Principal(user[0]["organisation_id"], CredentialKind.FIREBASE, user[0]["id"])

    async def aclose(self) -> None:
        if self._firebase is not None:
            await self._firebase.aclose()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
