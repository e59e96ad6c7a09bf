"""Callbacks callers asked for during calls (issue 16 `schedule_callback`): per flow for the campaign board,
and on the call record. REST serves the flow's list at /flows/{uuid}/callbacks as an extension."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.dialer.callbacks import Callback
from schema.context import Info, org_of


@strawberry.type(name="Callback", description="A call the caller asked for, queued on the flow's campaign.")
class CallbackType:
    uuid: strawberry.ID
    flow_uuid: str
    customer_uuid: str
    call_uuid: str | None = strawberry.field(description="The call in which the caller asked.")
    due_at: datetime = strawberry.field(description="When it is placed (inside the flow's calling window).")
    note: str | None
    status: str = strawberry.field(description="queued, dialling, done, failed, cancelled")

    @classmethod
    def of(cls, callback: Callback) -> CallbackType:
        return cls(
            uuid=strawberry.ID(callback.uuid),
            flow_uuid=callback.flow_uuid,
            customer_uuid=callback.customer_uuid,
            call_uuid=callback.call_uuid,
            due_at=callback.due_at,
            note=callback.note,
            status=callback.status,
        )


@strawberry.type
class CallbackQueries:
    @strawberry.field(description="The flow's callbacks, soonest first.")
    async def flow_callbacks(self, info: Info, uuid: strawberry.ID) -> list[CallbackType]:
        callbacks = await info.context.platform.callbacks.of_flow(await org_of(info), uuid)
        return [CallbackType.of(callback) for callback in callbacks]
