"""Opening a Sarvam WebSocket (`wss://api.sarvam.ai/...`, key header on the handshake) and reading its
JSON frames, with every transport failure turned into a `ProviderError`. Every wait is bounded: the
handshake by the caller's timeout, each send by `SEND_SECONDS` (a peer that stops reading is a closed socket).

Shared by the streaming TTS (`sarvam_ws_tts.py`) and STT (`sarvam_ws_stt.py`); protocol summary in
`../shared/protocols.md` ("Sarvam AI").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp

from app.voice.providers.base import ProviderError

SEND_SECONDS = 10.0
CLOSED_TYPES = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


class SocketClosed(ProviderError):
    """The server closed the socket (idle timeout, restart, network): the caller may reconnect."""


def ws_url(base_url: str, path: str, params: Mapping[str, Any]) -> str:
    """`https://host` -> `wss://host/path?...` (and `http` -> `ws` for loopback fakes)."""
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://") :]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://") :]
    return f"{base}{path}?{urlencode(params)}"


async def open_socket(
    http: aiohttp.ClientSession, url: str, api_key: str, timeout: float
) -> aiohttp.ClientWebSocketResponse:
    try:
        async with asyncio.timeout(timeout):
            return await http.ws_connect(
                url,
                headers={"api-subscription-key": api_key},
                timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
                max_msg_size=16 * 1024 * 1024,
            )
    except TimeoutError:
        raise ProviderError(f"Sarvam WebSocket handshake took over {timeout} s") from None
    except aiohttp.WSServerHandshakeError as error:
        raise ProviderError(f"Sarvam refused the WebSocket ({error.status}): {error.message}") from None
    except (aiohttp.ClientError, OSError) as error:
        raise ProviderError(f"Sarvam WebSocket unreachable: {error.__class__.__name__}") from None


async def receive_json(ws: aiohttp.ClientWebSocketResponse, timeout: float | None) -> dict[str, Any]:
    """The next JSON frame; `SocketClosed` when the socket ends, `ProviderError` on garbage or timeout."""
    try:
        message = await ws.receive(timeout=timeout)
    except TimeoutError:
        raise ProviderError(f"Sarvam WebSocket sent nothing for {timeout} s") from None
    except (aiohttp.ClientError, OSError) as error:
        raise SocketClosed(f"Sarvam WebSocket failed: {error.__class__.__name__}") from None
    if message.type in CLOSED_TYPES:
        raise SocketClosed(f"Sarvam closed the WebSocket ({ws.close_code})")
    if message.type != aiohttp.WSMsgType.TEXT:
        raise ProviderError(f"Sarvam sent an unexpected {message.type.name} frame")
    try:
        payload = json.loads(message.data)
    except ValueError:
        raise ProviderError("Sarvam sent a frame that is not JSON") from None
    if not isinstance(payload, dict):
        raise ProviderError("Sarvam sent a JSON frame that is not an object")
    return payload


async def send_json(ws: aiohttp.ClientWebSocketResponse, payload: dict[str, Any]) -> None:
    if ws.closed:
        raise SocketClosed("Sarvam WebSocket is closed")
    try:
        async with asyncio.timeout(SEND_SECONDS):
            await ws.send_str(json.dumps(payload))
    except TimeoutError:
        raise SocketClosed(f"Sarvam WebSocket took no data for {SEND_SECONDS} s") from None
    except (aiohttp.ClientError, ConnectionError, RuntimeError) as error:
        raise SocketClosed(f"Sarvam WebSocket send failed: {error.__class__.__name__}") from None


def error_text(payload: dict[str, Any]) -> str:
    raw = payload.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    message = data.get("message") or data.get("error") or "unknown error"
    return f"Sarvam error {data.get('code', '?')}: {str(message)[:200]}"
