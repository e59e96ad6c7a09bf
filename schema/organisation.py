"""The caller's organisation and its API keys (GraphQL only: the REST contract has no key routes)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.auth import api_keys
from app.db.models import ApiKey
from app.organisations.service import get_organisation
from schema.context import Info, org_of
from schema.rate_limit import RateLimit


@strawberry.type(name="Organisation")
class OrganisationType:
    uuid: strawberry.ID
    name: str
    created_at: datetime


@strawberry.type(name="ApiKey")
class ApiKeyType:
    prefix: str
    name: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyType:
        return cls(
            prefix=key.prefix,
            name=key.name,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


@strawberry.type
class NewApiKey:
    api_key: str = strawberry.field(description="The key itself; it is shown only this once.")
    key: ApiKeyType


@strawberry.type
class OrganisationQueries:
    @strawberry.field
    async def organisation(self, info: Info) -> OrganisationType:
        organisation = await get_organisation(await org_of(info))
        return OrganisationType(
            uuid=strawberry.ID(organisation.id), name=organisation.name, created_at=organisation.created_at
        )

    @strawberry.field
    async def api_keys(self, info: Info) -> list[ApiKeyType]:
        return [ApiKeyType.of(key) for key in await api_keys.list_api_keys(await org_of(info))]


@strawberry.type
class OrganisationMutations:
    @strawberry.mutation(extensions=[RateLimit("20/minute")])
    async def create_api_key(self, info: Info, name: str | None = None) -> NewApiKey:
        key, plaintext = await api_keys.create_api_key(await org_of(info), name)
        return NewApiKey(api_key=plaintext, key=ApiKeyType.of(key))

    @strawberry.mutation
    async def revoke_api_key(self, info: Info, prefix: str) -> ApiKeyType:
        return ApiKeyType.of(await api_keys.revoke_api_key(prefix, await org_of(info)))
