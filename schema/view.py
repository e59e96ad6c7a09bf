"""The GraphQL door over HTTP and graphql-transport-ws, with GraphiQL for browsers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from app.auth.authenticator import bearer_token
from app.errors import DomainError
from app.platform import Platform
from schema.context import RequestContext


class PlatformGraphQL(GraphQL):
    def __init__(self, schema, platform: Platform) -> None:
        super().__init__(schema, graphql_ide="graphiql", subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         keep_alive=True, keep_alive_interval=15, multipart_uploads_enabled=True)
        self.platform = platform

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        token = bearer_token(request.headers.get("authorization")) or request.query_params.get("token")
        return RequestContext(self.platform, request.scope["state"]["client_ip"], token, request, response)

    async def on_ws_connect(self, context: RequestContext) -> None:
        """Authenticate the connection once; operations on it then run as that principal."""
        context.use_connection_token()
        try:
            await context.principal()
        except DomainError as error:
            raise ConnectionRejectionError({"detail": error.detail, "code": error.code}) from None
        return None
