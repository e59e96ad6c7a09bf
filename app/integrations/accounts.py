"""Which carrier accounts may open the voicebot socket for an organisation's flow.

An organisation that connected Exotel only accepts its own account SID. Without an Exotel integration the
simulated carrier stands in (unless `VOICEAI_TELEPHONY=exotel` forbids it), so any SID is accepted.
"""

from __future__ import annotations

from app.integrations.service import IntegrationService


class IntegrationAccounts:
    def __init__(self, integrations: IntegrationService, telephony: str = "auto") -> None:
        self._integrations = integrations
        self._telephony = telephony

    async def allows(self, account_sid: str | None, organisation_id: str) -> bool:
        account = await self._integrations.exotel_account(organisation_id)
        if account is not None and self._telephony != "simulator":
            return bool(account_sid) and account_sid == account.account_sid
        return self._telephony != "exotel"
