"""Organisations and their members: the tenants every other row belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from app.auth.api_keys import create_api_key
from app.db.models import Organisation, User
from app.errors import Conflict, Invalid, NotFound
from app.ids import new_id


@dataclass(frozen=True)
class NewOrganisation:
    organisation: Organisation
    api_key: str


async def create_organisation(name: str) -> NewOrganisation:
    name = name.strip()
    if not name:
        raise Invalid("name must not be empty")
    async with in_transaction():
        organisation = await Organisation.create(id=new_id("org"), name=name)
        _, plaintext = await create_api_key(organisation.id, name="initial")
    return NewOrganisation(organisation, plaintext)


async def add_member(organisation_id: str, firebase_uid: str, email: str | None = None) -> User:
    if not await Organisation.exists(id=organisation_id):
        raise NotFound("Organisation not found")
    if not firebase_uid or len(firebase_uid) > 128:
        raise Invalid("firebase_uid must be 1 to 128 characters")
    if await User.exists(firebase_uid=firebase_uid):
        raise Conflict("This Firebase user already belongs to an organisation")
    return await User.create(id=new_id("usr"), organisation_id=organisation_id, firebase_uid=firebase_uid, email=email)


async def get_organisation(organisation_id: str) -> Organisation:
    organisation = await Organisation.get_or_none(id=organisation_id)
    if organisation is None:
        raise NotFound("Organisation not found")
    return organisation
