"""Outbound campaigns in GraphQL: launch and stop the dialer for a flow."""

from __future__ import annotations

import strawberry

from schema.context import Info, org_of
from schema.rate_limit import RateLimit


@strawberry.type(name="CampaignLaunch")
class CampaignLaunchType:
    status: str
    flow_uuid: strawberry.ID
    customers_queued: int


@strawberry.type(name="CampaignStop")
class CampaignStopType:
    status: str
    flow_uuid: strawberry.ID


@strawberry.type
class CampaignMutations:
    @strawberry.mutation(
        extensions=[RateLimit("5/minute")],
        description="Queue the flow's customers (branches any-of, minus do-not-call and recent "
        "dials) and start dialling inside its dates and time window.",
    )
    async def launch_flow(self, info: Info, uuid: strawberry.ID) -> CampaignLaunchType:
        organisation = await org_of(info)
        launched = await info.context.platform.campaigns.launch(organisation, uuid)
        return CampaignLaunchType(
            status="launched", flow_uuid=strawberry.ID(launched.flow_id), customers_queued=launched.customers_queued
        )

    @strawberry.mutation(extensions=[RateLimit("5/minute")], description="No new dials; calls in progress finish.")
    async def stop_flow(self, info: Info, uuid: strawberry.ID) -> CampaignStopType:
        organisation = await org_of(info)
        flow_id = await info.context.platform.campaigns.stop(organisation, uuid)
        return CampaignStopType(status="stopped", flow_uuid=strawberry.ID(flow_id))
