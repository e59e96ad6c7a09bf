"""API keys: `nn_k_` plus 256 random bits, shown once; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from app.auth.principal import CredentialKind, Principal
from app.db.models import ApiKey, Organisation
from app.errors import NotFound, Unauthenticated
from app.ids import new_id

KEY_PREFIX = "nn_k_"
DISPLAY_PREFIX_LENGTH = 13  # "nn_k_" and 8 characters: enough to tell keys apart, useless to an attacker
LAST_USED_RESOLUTION = timedelta(minutes=1)  # spare the database a write on every request


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


async def create_api_key(organisation_id: str, name: str | None = None) -> tuple[ApiKey, str]:
    """Return the stored key and its plaintext, which is never available again."""
    if not await Organisation.exists(id=organisation_id):
        raise NotFound("Organisation not found")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    key = await ApiKey.create(
        id=new_id("key"),
        organisation_id=organisation_id,
        name=name,
        prefix=plaintext[:DISPLAY_PREFIX_LENGTH],
        key_hash=hash_key(plaintext),
    )
    return key, plaintext


async def list_api_keys(organisation_id: str) -> list[ApiKey]:
    return await ApiKey.filter(organisation_id=organisation_id).order_by("created_at", "id")


async def revoke_api_key(prefix: str, organisation_id: str | None = None) -> ApiKey:
    """Revoke by display prefix; with an organisation, only that organisation's keys are found."""
    query = ApiKey.filter(prefix=prefix)
    if organisation_id:
        query = query.filter(organisation_id=organisation_id)
    key = await query.get_or_none()
    if key is None:
        raise NotFound("API key not found")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await key.save(update_fields=["revoked_at"])
    return key


async def authenticate_api_key(plaintext: str) -> Principal:
    row = await ApiKey.filter(key_hash=hash_key(plaintext), revoked_at=None).values(
        "id", "organisation_id", "last_used_at"
    )
    if not row:
        raise Unauthenticated()
    key = row[0]
    now = datetime.now(UTC)
    last_used = key["last_used_at"]
    if last_used is None or now - last_used > LAST_USED_RESOLUTION:
        await ApiKey.filter(id=key["id"]).update(last_used_at=now)
    return Principal(key["organisation_id"], CredentialKind.API_KEY, key["id"])
