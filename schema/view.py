"""The GraphQL door over HTTP and graphql-transport-ws, with GraphiQL for browsers.

Authentication comes first, as at the REST door: an HTTP operation is authenticated from its headers
(or `?token=`) before its body is read, parsed, validated or its variables coerced, so an anonymous
caller gets `UNAUTHENTICATED` and nothing else, introspection included (GraphiQL sends the key from its
Headers pane). The GraphiQL page itself is static and stays open. Sockets authenticate at
`connection_init`, before any `subscribe` is read.

Subscriptions whose `next` payload depends only on the event (not on who is watching) can use
`shared_next()`: the payload is executed and encoded once per event and operation, then sent as the
same text to every subscriber, instead of running the selection and Strawberry's per-result hooks
once per subscriber. Authentication, validation, limits and operation metrics still run per
operation, through the ordinary pipeline.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable, Callable, Hashable
from contextvars import ContextVar
from typing import Any

import strawberry
from cross_web import HTTPException
from graphql import DocumentNode, ExecutionResult, GraphQLError, parse
from graphql.execution import Executor, execute_subscription_event
from graphql.execution.executor_throwing_on_incremental import ExecutorThrowingOnIncremental
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation

from app.auth.authenticator import bearer_token
from app.auth.principal import Principal
from app.calls.stream import CallEventItem
from app.errors import DomainError, Invalid
from app.events import Event
from app.platform import Platform
from schema.context import RequestContext
from schema.errors import coded
from schema.storable_json import check_storable
from schema.strawberry_internals import core_schema

_shared_next: ContextVar[SharedNext | None] = ContextVar("graphql_shared_next", default=None)


def shared_next() -> SharedNext | None:
    """The running graphql-transport-ws operation, when the resolver runs inside one."""
    return _shared_next.get()


class SharedNext:
    """One graphql-transport-ws operation, able to send `next` payloads encoded once for many subscribers.

    `key` names everything the payload depends on besides the event (document, operation name,
    variables); `payload(root)` executes the operation for one event the way graphql-core executes
    each subscription event, with the platform's error codes; `send` frames it for this operation.
    """

    def __init__(self, handler: PlatformTransportWS, operation: Operation[RequestContext, None]) -> None:
        self._handler = handler
        self._operation = operation
        variables = json.dumps(operation.variables or {}, sort_keys=True, separators=(",", ":"), default=str)
        self.key: Hashable = ("graphql-next", operation.query, operation.operation_name, variables)
        self._prefix = '{"id":' + json.dumps(operation.id) + ',"type":"next","payload":'
        self._executor: Executor[Any] | None = None

    def payload(self, root_value: Any) -> str:
        result = execute_subscription_event(self._event_executor().build_per_event_executor(root_value))
        if not isinstance(result, ExecutionResult):  # an awaitable: some resolver of the selection is async
            raise TypeError("shared `next` payloads need a selection that resolves synchronously")
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            errors = list(result.errors)
            self._handler.schema.process_errors(errors, None)
            payload["errors"] = [coded(error).formatted for error in errors]
        return self._handler.view.encode_json_string(payload)

    async def forward(self, items: AsyncIterable[CallEventItem], encode: Callable[[Event], str]) -> None:
        """Send every item's payload, encoded once per item and key, until the items end.

        The loop runs in a task of its own: per event only that shallow task resumes, rather than the
        resolver under Strawberry's and graphql-core's stacked generators (cancelled with the operation).
        """
        sender = asyncio.create_task(self._send_each(items, encode))
        try:
            await sender
        finally:
            sender.cancel()

    async def _send_each(self, items: AsyncIterable[CallEventItem], encode: Callable[[Event], str]) -> None:
        key = self.key
        async for item in items:
            await self.send(item.encoded(key, encode))

    async def send(self, payload: str) -> None:
        if self._operation.completed:
            return
        adapter = self._handler.websocket
        if not isinstance(adapter, ASGIWebSocketAdapter):  # PlatformGraphQL serves ASGI sockets only
            raise TypeError(f"shared `next` payloads need Starlette's WebSocket, not {type(adapter).__name__}")
        try:
            await adapter.ws.send_text(self._prefix + payload + "}")
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error

    def _event_executor(self) -> Executor[Any]:
        if self._executor is None:
            schema = self._handler.schema
            if not isinstance(schema, strawberry.Schema):  # the platform's schema always is one
                raise TypeError(f"shared `next` payloads need a strawberry.Schema, not {type(schema).__name__}")
            document: DocumentNode = parse(self._operation.query)  # already parsed and validated once by now
            built = ExecutorThrowingOnIncremental.build(
                core_schema(schema),
                document,
                context_value=self._handler.context,
                raw_variable_values=self._operation.variables,
                operation_name=self._operation.operation_name,
            )
            if isinstance(built, list):  # cannot happen after validation; fail loudly rather than send nothing
                raise GraphQLError(built[0].message)
            self._executor = built
        return self._executor


class PlatformTransportWS(BaseGraphQLTransportWSHandler[RequestContext, None]):
    async def run_operation(self, operation: Operation[RequestContext, None]) -> None:
        _shared_next.set(SharedNext(self, operation))  # the operation's own task: its context, not the connection's
        await super().run_operation(operation)


class PlatformGraphQL(GraphQL[RequestContext, None]):
    graphql_transport_ws_handler_class = PlatformTransportWS

    def decode_json(self, data: str | bytes) -> object:
        """Variables the databases cannot store (NUL, unpaired surrogates) are a 400 before execution."""
        value = super().decode_json(data)
        try:
            return check_storable(value)
        except Invalid as error:
            raise HTTPException(400, str(error)) from None

    def __init__(self, schema: strawberry.Schema, platform: Platform) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
            multipart_uploads_enabled=True,
        )
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        if not self.should_render_graphql_ide(self.request_adapter_class(request)):
            try:
                scope["state"][PRINCIPAL] = await self.platform.authenticator.authenticate(_token(request))
            except DomainError as error:
                await rejected(error)(scope, receive, send)
                return
        try:
            response = await self.run(request)
        except HTTPException as error:  # a body that is not a GraphQL request: the contract's JSON error
            response = JSONResponse({"detail": error.reason}, status_code=error.status_code)
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        principal: Principal | None = request.scope["state"].get(PRINCIPAL)
        return RequestContext(
            self.platform, request.scope["state"]["client_ip"], _token(request), request, response, principal=principal
        )

    async def on_ws_connect(self, context: RequestContext) -> None:
        """Authenticate the connection once; operations on it then run as that principal."""
        context.use_connection_token()
        try:
            await context.principal()
        except DomainError as error:
            raise ConnectionRejectionError({"detail": error.detail, "code": error.code}) from None
        return None


PRINCIPAL = "graphql_principal"  # request-state key: who the HTTP door authenticated


def _token(request: Request | WebSocket) -> str | None:
    return bearer_token(request.headers.get("authorization")) or request.query_params.get("token")


def rejected(error: DomainError) -> JSONResponse:
    """A GraphQL answer (status 200, as for any other operation error) naming only the credential problem."""
    return JSONResponse({"data": None, "errors": [{"message": error.detail, "extensions": {"code": error.code}}]})
