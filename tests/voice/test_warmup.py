"""The served process loads, before its first call, what that call would otherwise load on the event loop."""

from __future__ import annotations

import asyncio

from app.turn_taking.detectors import SileroModel
from app.voice.providers import openai_llm
from app.voice.providers.selection import VoiceKeys
from app.voice.warmup import warm_up


async def test_warm_up_loads_the_silero_model_and_the_loops_llm_client(monkeypatch):
    monkeypatch.setattr(SileroModel, "_shared", None)
    keys = VoiceKeys(openai_api_key="sk-test", openai_base_url="http://127.0.0.1:9/v1")
    warm_up(keys)
    assert SileroModel._shared is not None
    clients = openai_llm._clients[asyncio.get_running_loop()]
    assert ("sk-test", "http://127.0.0.1:9/v1", openai_llm.DEFAULT_TIMEOUT_SECONDS) in clients


async def test_without_an_llm_key_no_client_is_built():
    before = dict(openai_llm._clients.get(asyncio.get_running_loop(), {}))
    warm_up(VoiceKeys())
    assert openai_llm._clients.get(asyncio.get_running_loop(), {}) == before
