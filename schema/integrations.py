"""Integrations in GraphQL: connect, read (masked) and disconnect Exotel and Sarvam."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import UNSET

from app.integrations.service import IntegrationView
from schema.context import Info, org_of
from schema.inputs import provided


@strawberry.type(name="Integration", description="A provider connection; secrets show only their last 4 characters.")
class IntegrationType:
    provider: str
    category: str
    is_connected: bool
    connected_at: datetime | None

    @classmethod
    def of(cls, view: IntegrationView) -> IntegrationType:
        return cls(
            provider=view.provider,
            category=view.category,
            is_connected=view.is_connected,
            connected_at=view.connected_at,
        )


@strawberry.type(name="ExotelIntegration")
class ExotelIntegrationType:
    provider: str
    account_sid: str | None
    api_key: str | None
    api_token: str | None
    subdomain: str | None
    phone_number: str | None
    is_connected: bool
    connected_at: datetime | None

    @classmethod
    def of(cls, view: IntegrationView) -> ExotelIntegrationType:
        return cls(
            provider=view.provider,
            account_sid=view.account_sid,
            api_key=view.api_key,
            api_token=view.api_token,
            subdomain=view.subdomain,
            phone_number=view.phone_number,
            is_connected=view.is_connected,
            connected_at=view.connected_at,
        )


@strawberry.type(name="SarvamIntegration")
class SarvamIntegrationType:
    provider: str
    api_key: str | None
    is_connected: bool
    connected_at: datetime | None
    streaming: bool | None = strawberry.field(
        description="Calls use Sarvam's WebSockets (true) or REST (false); null: the deployment's default."
    )

    @classmethod
    def of(cls, view: IntegrationView) -> SarvamIntegrationType:
        return cls(
            provider=view.provider,
            api_key=view.api_key,
            is_connected=view.is_connected,
            connected_at=view.connected_at,
            streaming=view.streaming,
        )


@strawberry.input
class ExotelInput:
    api_key: str
    api_token: str
    account_sid: str
    subdomain: str
    phone_number: str


@strawberry.input
class SarvamInput:
    api_key: str
    streaming: bool | None = strawberry.field(
        default=UNSET, description="Stream speech over Sarvam's WebSockets instead of REST (extension)."
    )


@strawberry.type
class IntegrationQueries:
    @strawberry.field(description="Supported telephony providers and the organisation's connection status.")
    async def telephony_providers(self, info: Info) -> list[IntegrationType]:
        organisation = await org_of(info)
        return [IntegrationType.of(view) for view in await info.context.platform.integrations.telephony(organisation)]

    @strawberry.field(description="App integrations, optionally of one category.")
    async def app_integrations(self, info: Info, category: str | None = None) -> list[IntegrationType]:
        organisation = await org_of(info)
        views = await info.context.platform.integrations.apps(organisation, category)
        return [IntegrationType.of(view) for view in views]

    @strawberry.field
    async def exotel_integration(self, info: Info) -> ExotelIntegrationType:
        organisation = await org_of(info)
        return ExotelIntegrationType.of(await info.context.platform.integrations.view(organisation, "exotel"))

    @strawberry.field
    async def sarvam_integration(self, info: Info) -> SarvamIntegrationType:
        organisation = await org_of(info)
        return SarvamIntegrationType.of(await info.context.platform.integrations.view(organisation, "sarvam"))


@strawberry.type
class IntegrationMutations:
    @strawberry.mutation(description="Connect (or replace) the Exotel account; credentials are encrypted at rest.")
    async def connect_exotel(self, info: Info, input: ExotelInput) -> ExotelIntegrationType:
        organisation = await org_of(info)
        view = await info.context.platform.integrations.connect_exotel(organisation, provided(input))
        return ExotelIntegrationType.of(view)

    @strawberry.mutation(description="Disconnect Exotel; running campaigns must be stopped first.")
    async def disconnect_exotel(self, info: Info) -> ExotelIntegrationType:
        organisation = await org_of(info)
        return ExotelIntegrationType.of(await info.context.platform.integrations.disconnect(organisation, "exotel"))

    @strawberry.mutation
    async def connect_sarvam(self, info: Info, input: SarvamInput) -> SarvamIntegrationType:
        organisation = await org_of(info)
        view = await info.context.platform.integrations.connect_sarvam(organisation, provided(input))
        return SarvamIntegrationType.of(view)

    @strawberry.mutation
    async def disconnect_sarvam(self, info: Info) -> SarvamIntegrationType:
        organisation = await org_of(info)
        return SarvamIntegrationType.of(await info.context.platform.integrations.disconnect(organisation, "sarvam"))
