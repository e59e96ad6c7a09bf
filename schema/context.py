"""The GraphQL context: who is calling and from where, shared by HTTP, WebSocket and the REST shim."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info as StrawberryInfo

from app.auth.principal import Principal
from app.errors import Unauthenticated
from app.platform import Platform


class RequestContext:
    """Per HTTP request, or per WebSocket connection: nothing operation-scoped may live here."""

    def __init__(
        self,
        platform: Platform,
        client_ip: str,
        token: str | None,
        request: Any = None,
        response: Any = None,
        principal: Principal | None = None,
    ) -> None:
        self.platform = platform
        self.client_ip = client_ip
        self.token = token
        self.request = request
        self.response = response
        self.connection_params: dict[str, Any] | None = None
        self._principal: Principal | None = principal  # already authenticated by the door

    async def principal(self) -> Principal:
        if self._principal is None:
            self._principal = await self.platform.authenticator.authenticate(self.token)
        return self._principal

    async def organisation_id(self) -> str:
        return (await self.principal()).organisation_id

    def use_connection_token(self) -> None:
        """graphql-transport-ws clients send the token in connection_init, overriding the URL's."""
        params = self.connection_params or {}
        token = params.get("token") or params.get("authToken")
        authorization = params.get("Authorization") or params.get("authorization")
        if isinstance(authorization, str) and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        if isinstance(token, str) and token:
            self.token = token
            self._principal = None


Info = StrawberryInfo[RequestContext, None]


async def org_of(info: Info) -> str:
    """The caller's organisation; raises Unauthenticated when the credential does not hold."""
    return await info.context.organisation_id()


__all__ = ["Info", "RequestContext", "Unauthenticated", "org_of"]
