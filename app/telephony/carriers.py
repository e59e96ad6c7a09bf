"""Which carrier dials for an organisation: Exotel when it is connected (unless VOICEAI_TELEPHONY=simulator),
else the simulated carrier (unless VOICEAI_TELEPHONY=exotel). Clients are cached per account and closed
at shutdown."""

from __future__ import annotations

from collections.abc import Callable

from app.integrations.service import ExotelAccount, IntegrationService
from app.telephony.base import CallLookup, Carrier, DialRequest, DialResult
from app.telephony.simulator import CALL_SID_PREFIX


class NoCarrier:
    """Dials nothing: every call fails with the reason, so the campaign still completes."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def place_call(self, request: DialRequest) -> DialResult:
        return DialResult("failed", reason=self.reason)

    async def aclose(self) -> None:
        return None


class CarrierDirectory:
    def __init__(
        self,
        integrations: IntegrationService,
        telephony: str,
        public_url: str,
        simulator: Callable[[], Carrier] | None = None,
    ) -> None:
        self._integrations = integrations
        self._telephony = telephony
        self._public_url = public_url
        self._simulator_factory = simulator
        self._simulator: Carrier | None = None
        self._exotel: dict[tuple[str, ...], Carrier] = {}
        self.override: Carrier | None = None  # tests and benchmarks dial through a fake carrier

    @property
    def integrations(self) -> IntegrationService:
        return self._integrations

    async def uses_exotel(self, organisation_id: str) -> ExotelAccount | None:
        if self._telephony == "simulator":
            return None
        return await self._integrations.exotel_account(organisation_id)

    async def for_organisation(self, organisation_id: str) -> Carrier:
        if self.override is not None:
            return self.override
        account = await self.uses_exotel(organisation_id)
        if account is not None:
            return self._exotel_client(account)
        if self._telephony == "exotel":
            return NoCarrier("exotel_not_connected")
        if self._simulator_factory is None:
            return NoCarrier("no_carrier")
        if self._simulator is None:
            self._simulator = self._simulator_factory()
        return self._simulator

    def _exotel_client(self, account: ExotelAccount) -> Carrier:
        key = (account.account_sid, account.api_key, account.api_token, account.subdomain, account.phone_number)
        if key not in self._exotel:
            from app.telephony.exotel import ExotelClient

            self._exotel[key] = ExotelClient(account, self._public_url)
        return self._exotel[key]

    async def lookup_for(self, organisation_id: str, call_sid: str) -> CallLookup | None:
        """Who can say how a placed call went: the simulator for its own CallSids, else the organisation's
        Exotel account; None when neither can (Exotel disconnected since, or a carrier without look-ups)."""
        if self.override is not None:
            carrier: Carrier | None = self.override
        elif call_sid.startswith(CALL_SID_PREFIX):
            carrier = self._simulator
        else:
            account = await self.uses_exotel(organisation_id)
            carrier = self._exotel_client(account) if account is not None else None
        return carrier if isinstance(carrier, CallLookup) else None

    async def aclose(self) -> None:
        carriers = [*self._exotel.values(), *([self._simulator] if self._simulator else [])]
        self._exotel.clear()
        self._simulator = None
        for carrier in carriers:
            await carrier.aclose()
