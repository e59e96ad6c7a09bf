"""Connect, read (masked) and disconnect provider integrations; decrypted credentials stay in `app/`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from app.db.models import Integration
from app.errors import Conflict, Invalid
from app.ids import new_id
from app.integrations import fields as check
from app.webhooks.signing import SecretBox

TELEPHONY = ("exotel", "simulator")
APP_CATEGORIES = ("telephony", "voice", "crm", "calendar", "messaging")
APPS: tuple[dict[str, str], ...] = (
    {"provider": "exotel", "name": "Exotel", "category": "telephony", "path": "/integrations/telephony/exotel"},
    {"provider": "sarvam", "name": "Sarvam AI", "category": "voice", "path": "/integrations/voice/sarvam"},
)


class RunningCampaigns(Protocol):
    """The dialer answers whether an organisation has a running campaign (Exotel cannot go away then)."""

    async def has_running(self, organisation_id: str) -> bool: ...


class NoRunningCampaigns:
    async def has_running(self, organisation_id: str) -> bool:
        return False


@dataclass(frozen=True)
class ExotelAccount:
    organisation_id: str
    account_sid: str
    api_key: str
    api_token: str
    subdomain: str
    phone_number: str

    @property
    def base_url(self) -> str:
        return check.base_url(self.subdomain)


@dataclass(frozen=True)
class SarvamAccount:
    api_key: str
    streaming: bool | None  # None: the deployment's VOICEAI_SARVAM_STREAMING decides


@dataclass(frozen=True)
class IntegrationView:
    """What reads return: secrets masked."""

    provider: str
    category: str
    is_connected: bool
    connected_at: datetime | None = None
    account_sid: str | None = None
    api_key: str | None = None
    api_token: str | None = None
    subdomain: str | None = None
    phone_number: str | None = None
    streaming: bool | None = None


class IntegrationService:
    def __init__(self, secret_key: str, campaigns: RunningCampaigns | None = None) -> None:
        self._box = SecretBox(secret_key, purpose="integration-credentials")
        self.campaigns: RunningCampaigns = campaigns or NoRunningCampaigns()
        self.exotel_version = 0  # bumped on every Exotel connect/disconnect here: caches of the accounts reload

    # reads ---------------------------------------------------------------------------------------------
    async def view(self, organisation_id: str, provider: str) -> IntegrationView:
        row = await Integration.get_or_none(organisation_id=organisation_id, provider=provider)
        category = "telephony" if provider == "exotel" else "voice"
        if row is None:
            return IntegrationView(provider=provider, category=category, is_connected=False)
        secrets = self._open(row)
        return IntegrationView(
            provider=provider,
            category=category,
            is_connected=True,
            connected_at=row.connected_at,
            account_sid=row.account_sid,
            api_key=check.mask(secrets.get("api_key")),
            api_token=check.mask(secrets.get("api_token")),
            subdomain=row.settings.get("subdomain"),
            phone_number=row.settings.get("phone_number"),
            streaming=row.settings.get("streaming"),
        )

    async def telephony(self, organisation_id: str) -> list[IntegrationView]:
        """Supported carriers; the simulator is always available and is used when Exotel is not connected."""
        exotel = await self.view(organisation_id, "exotel")
        simulator = IntegrationView(provider="simulator", category="telephony", is_connected=not exotel.is_connected)
        return [exotel, simulator]

    async def apps(self, organisation_id: str, category: str | None) -> list[IntegrationView]:
        if category is not None and category not in APP_CATEGORIES:
            raise Invalid(f"category must be one of {', '.join(APP_CATEGORIES)}")
        return [
            await self.view(organisation_id, app["provider"])
            for app in APPS
            if category is None or app["category"] == category
        ]

    async def exotel_account(self, organisation_id: str) -> ExotelAccount | None:
        row = await Integration.get_or_none(organisation_id=organisation_id, provider="exotel")
        return None if row is None else self._account(row)

    async def connected_exotel_accounts(self) -> list[ExotelAccount]:
        """Every organisation's connected Exotel account (the voice socket's credential check reads them all)."""
        organisations = await Integration.filter(provider="exotel").values_list("organisation_id", flat=True)
        accounts = []
        for organisation_id in dict.fromkeys(organisations):
            account = await self.exotel_account(str(organisation_id))
            if account is not None:
                accounts.append(account)
        return accounts

    async def exotel_by_account_sid(self, account_sid: str) -> list[ExotelAccount]:
        """Every organisation that connected this Exotel account (callbacks carry only the SID)."""
        if not isinstance(account_sid, str) or not account_sid:
            return []
        rows = await Integration.filter(provider="exotel", account_sid=account_sid)
        return [self._account(row) for row in rows]

    async def sarvam_account(self, organisation_id: str) -> SarvamAccount | None:
        row = await Integration.get_or_none(organisation_id=organisation_id, provider="sarvam")
        if row is None or not self._open(row).get("api_key"):
            return None
        return SarvamAccount(self._open(row)["api_key"], row.settings.get("streaming"))

    # writes --------------------------------------------------------------------------------------------
    async def connect_exotel(self, organisation_id: str, data: Mapping[str, Any]) -> IntegrationView:
        _only(data, {"api_key", "api_token", "account_sid", "subdomain", "phone_number"})
        secrets = {
            "api_key": check.credential("api_key", data.get("api_key")),
            "api_token": check.credential("api_token", data.get("api_token")),
        }
        sid = check.account_sid(data.get("account_sid"))
        settings = {
            "subdomain": check.subdomain(data.get("subdomain")),
            "phone_number": check.phone(data.get("phone_number")),
        }
        await self._upsert(organisation_id, "exotel", "telephony", secrets, settings, sid)
        self.exotel_version += 1
        return await self.view(organisation_id, "exotel")

    async def connect_sarvam(self, organisation_id: str, data: Mapping[str, Any]) -> IntegrationView:
        _only(data, {"api_key", "streaming"})
        secrets = {"api_key": check.credential("api_key", data.get("api_key"))}
        settings = {} if data.get("streaming") is None else {"streaming": check.flag("streaming", data["streaming"])}
        await self._upsert(organisation_id, "sarvam", "voice", secrets, settings, None)
        return await self.view(organisation_id, "sarvam")

    async def disconnect(self, organisation_id: str, provider: str) -> IntegrationView:
        if provider == "exotel" and await self.campaigns.has_running(organisation_id):
            raise Conflict("A campaign is running: stop it (POST /flows/{uuid}/stop) before disconnecting Exotel")
        await Integration.filter(organisation_id=organisation_id, provider=provider).delete()
        if provider == "exotel":
            self.exotel_version += 1
        return await self.view(organisation_id, provider)

    async def _upsert(
        self,
        organisation_id: str,
        provider: str,
        category: str,
        secrets: dict[str, str],
        settings: dict[str, Any],
        account_sid: str | None,
    ) -> None:
        sealed = self._box.seal(json.dumps(secrets))
        row = await Integration.get_or_none(organisation_id=organisation_id, provider=provider)
        if row is None:
            await Integration.create(
                id=new_id("int"),
                organisation_id=organisation_id,
                provider=provider,
                category=category,
                account_sid=account_sid,
                settings=settings,
                credentials=sealed,
                connected_at=datetime.now(UTC),
            )
            return
        row.update_from_dict({"account_sid": account_sid, "settings": settings, "credentials": sealed})
        await row.save()

    def _open(self, row: Integration) -> dict[str, str]:
        credentials: dict[str, str] = json.loads(self._box.open(row.credentials))
        return credentials

    def _account(self, row: Integration) -> ExotelAccount:
        secrets = self._open(row)
        return ExotelAccount(
            organisation_id=row.organisation_id,
            account_sid=row.account_sid or "",
            api_key=secrets["api_key"],
            api_token=secrets["api_token"],
            subdomain=row.settings["subdomain"],
            phone_number=row.settings["phone_number"],
        )


def _only(data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise Invalid(f"unknown field: {unknown[0]}")
