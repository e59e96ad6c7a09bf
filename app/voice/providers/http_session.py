"""One pooled HTTP session per event loop for the providers' REST calls (Sarvam, ElevenLabs, NextNeural).

A session per request opened a new TCP connection, and against a real provider a new TLS handshake, for every
utterance and every turn's transcript: an extra round trip or two on the reply's critical path, and at 200
calls a noticeable share of the event loop in connection set-up. Shared, the connections stay open
(keep-alive) between requests; each request still carries its own timeout.
"""

from __future__ import annotations

import asyncio
import weakref

import aiohttp

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = weakref.WeakKeyDictionary()


def shared_session() -> aiohttp.ClientSession:
    """The running loop's session, created on first use."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=30, ttl_dns_cache=300)
        session = _sessions[loop] = aiohttp.ClientSession(connector=connector)
    return session


async def close_shared_session() -> None:
    """Closes the running loop's session (the server's shutdown)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()
