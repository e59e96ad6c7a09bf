"""Scripts in GraphQL: what an agent says on a flow. REST serves them at /scripts as an extension."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import UNSET

from app.db.models import Script
from schema.context import Info, org_of
from schema.inputs import provided


@strawberry.type
class FaqEntry:
    question: str
    answer: str


@strawberry.type(name="Script")
class ScriptType:
    uuid: strawberry.ID
    name: str
    opening_line: str | None
    talking_points: list[str]
    faq: list[FaqEntry]
    closing_line: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, script: Script) -> ScriptType:
        return cls(
            uuid=strawberry.ID(script.id),
            name=script.name,
            opening_line=script.opening_line,
            talking_points=list(script.talking_points or []),
            faq=[FaqEntry(question=e["question"], answer=e["answer"]) for e in script.faq or []],
            closing_line=script.closing_line,
            created_at=script.created_at,
            updated_at=script.updated_at,
        )


@strawberry.input
class FaqEntryInput:
    question: str
    answer: str


@strawberry.input
class CreateScriptInput:
    name: str
    opening_line: str | None = UNSET
    talking_points: list[str] | None = UNSET
    faq: list[FaqEntryInput] | None = UNSET
    closing_line: str | None = UNSET


@strawberry.input
class UpdateScriptInput:
    name: str | None = UNSET
    opening_line: str | None = UNSET
    talking_points: list[str] | None = UNSET
    faq: list[FaqEntryInput] | None = UNSET
    closing_line: str | None = UNSET


@strawberry.type
class ScriptQueries:
    @strawberry.field(description="Scripts of the organisation, oldest first.")
    async def scripts(self, info: Info) -> list[ScriptType]:
        return [ScriptType.of(s) for s in await info.context.platform.scripts.list(await org_of(info))]

    @strawberry.field
    async def script(self, info: Info, uuid: strawberry.ID) -> ScriptType:
        return ScriptType.of(await info.context.platform.scripts.get(await org_of(info), uuid))


@strawberry.type
class ScriptMutations:
    @strawberry.mutation
    async def create_script(self, info: Info, input: CreateScriptInput) -> ScriptType:
        return ScriptType.of(await info.context.platform.scripts.create(await org_of(info), provided(input)))

    @strawberry.mutation(description="Partial update: only the fields sent change.")
    async def update_script(self, info: Info, uuid: strawberry.ID, input: UpdateScriptInput) -> ScriptType:
        organisation = await org_of(info)
        return ScriptType.of(await info.context.platform.scripts.update(organisation, uuid, provided(input)))

    @strawberry.mutation(description="Deletes a script no flow uses (409 otherwise).")
    async def delete_script(self, info: Info, uuid: strawberry.ID) -> ScriptType:
        return ScriptType.of(await info.context.platform.scripts.delete(await org_of(info), uuid))
