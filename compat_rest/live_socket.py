"""`WebSocket /ws/live/{call_uuid}?token=`: one call's events as JSON, the replay buffer first.

States: CONNECTING -> (authenticated, call found) STREAMING -> CLOSED. A bad token closes with 1008
(policy violation) before any data; another organisation's call or an unknown one closes with 4404.
The socket closes normally (1000) after the `end` event, and with 1013 (try again later) when the
client reads so slowly that it falls too far behind the live events; reconnecting resumes from the
replay. Each event's JSON text is encoded once and shared by every socket following the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

from starlette.websockets import WebSocket

from app.calls.stream import FollowerTooSlow
from app.errors import DomainError, NotFound
from app.events import Event
from app.platform import Platform
from schema.public_ids import is_public_id

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
NOT_FOUND = 4404


def live_socket(platform: Platform) -> Callable[[WebSocket], Awaitable[None]]:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        call_id = websocket.path_params["call_uuid"]
        try:
            principal = await platform.authenticator.authenticate(websocket.query_params.get("token"))
        except DomainError as error:
            await websocket.close(POLICY_VIOLATION, reason=error.detail[:120])
            return
        try:
            if not is_public_id(call_id):  # could never name a call; the ORM would refuse it as a fault
                raise NotFound("Call not found")
            await platform.calls.get(principal.organisation_id, call_id)
        except NotFound as error:
            await websocket.close(NOT_FOUND, reason=error.detail)
            return
        sender = asyncio.create_task(_send_events(websocket, platform, call_id))
        watcher = asyncio.create_task(_until_disconnect(websocket))
        done, _ = await asyncio.wait({sender, watcher}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sender, watcher):  # the client left, or the call ended: stop the other side
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        if sender in done and not sender.cancelled():
            failure = sender.exception()
            with contextlib.suppress(Exception):
                if failure is None:
                    await websocket.close(1000)
                elif isinstance(failure, FollowerTooSlow):
                    await websocket.close(TRY_AGAIN_LATER, reason=failure.detail[:120])

    return endpoint


async def _until_disconnect(websocket: WebSocket) -> None:
    """Clients send nothing; reading is how a disconnect is noticed."""
    with contextlib.suppress(Exception):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


async def _send_events(websocket: WebSocket, platform: Platform, call_id: str) -> None:
    """Replay then live events; returns after the `end` event (the follower leaves the call then)."""
    async with platform.call_events.fanout.follow(call_id) as events:
        async for item in events:
            await websocket.send_text(item.encoded(WIRE_TEXT, _wire_text))


WIRE_TEXT = "live-socket-json"  # memo key of an event's text on this socket


def _wire_text(event: Event) -> str:
    return json.dumps(event, separators=(",", ":"))
