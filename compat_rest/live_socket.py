"""`WebSocket /ws/live/{call_uuid}?token=`: one call's events as JSON, the replay buffer first.

States: CONNECTING -> (authenticated, call found) STREAMING -> CLOSED. A bad token closes with 1008
(policy violation) before any data; another organisation's call or an unknown one closes with 4404.
The socket closes normally (1000) after the `end` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from enum import Enum

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from app.calls.stream import follow_call
from app.errors import DomainError, NotFound
from app.platform import Platform

POLICY_VIOLATION = 1008
NOT_FOUND = 4404


class LiveSocketState(Enum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    CLOSED = "closed"


def live_socket(platform: Platform):
    async def endpoint(websocket: WebSocket) -> None:
        state = LiveSocketState.CONNECTING
        await websocket.accept()
        call_id = websocket.path_params["call_uuid"]
        try:
            principal = await platform.authenticator.authenticate(websocket.query_params.get("token"))
        except DomainError as error:
            await websocket.close(POLICY_VIOLATION, reason=error.detail[:120])
            return
        try:
            await platform.calls.get(principal.organisation_id, call_id)
        except NotFound as error:
            await websocket.close(NOT_FOUND, reason=error.detail)
            return
        state = LiveSocketState.STREAMING
        watcher = asyncio.create_task(_until_disconnect(websocket))
        try:
            async for event in _until(watcher, follow_call(platform.bus, platform.call_events, call_id)):
                await websocket.send_text(json.dumps(event, separators=(",", ":")))
        except (WebSocketDisconnect, RuntimeError):
            state = LiveSocketState.CLOSED
        finally:
            watcher.cancel()
            with contextlib.suppress(BaseException):
                await watcher
        if state is LiveSocketState.STREAMING and websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close(1000)

    return endpoint


async def _until_disconnect(websocket: WebSocket) -> None:
    """Clients send nothing; reading is how a disconnect is noticed."""
    with contextlib.suppress(Exception):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


async def _until(watcher: asyncio.Task, events):
    """The events, until the client goes away (then the bus subscription is released at once)."""
    iterator = events.__aiter__()
    try:
        while True:
            step = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait({step, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if step not in done:
                step.cancel()
                with contextlib.suppress(BaseException):
                    await step
                raise WebSocketDisconnect(1001)
            try:
                yield step.result()
            except StopAsyncIteration:
                return
    finally:
        await iterator.aclose()
