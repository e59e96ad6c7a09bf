"""Voice samples in GraphQL: the catalog of voices agents can speak with."""

from __future__ import annotations

import dataclasses

import strawberry

from schema.context import Info, org_of


@strawberry.type
class VoiceSample:
    uuid: strawberry.ID
    provider: str
    model: str
    speaker: str
    language_code: str
    language_name: str
    url: str


@strawberry.type
class SampleQueries:
    @strawberry.field(description="Voices from every provider, filtered by provider and language.")
    async def samples(
        self, info: Info, provider: str | None = None, language_code: str | None = None
    ) -> list[VoiceSample]:
        organisation = await org_of(info)
        found = await info.context.platform.samples.list(organisation, provider, language_code)
        return [VoiceSample(**dataclasses.asdict(sample)) for sample in found]
