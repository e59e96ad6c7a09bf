"""Thread pools for CPU-heavy provider work that releases the GIL (espeak-ng through ctypes, big resamples).

Reply TTS has a pool of its own so a sentence that is due never waits behind other work (previews, the
simulated carrier's callers); speech recognition does not run here at all, it holds the GIL and runs in
worker processes (`speech_pool.py`). Both pools are sized to the machine, so many calls queue instead of
oversubscribing the cores.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_executors: dict[str, ThreadPoolExecutor] = {}


def executor(name: str = "voice-cpu") -> ThreadPoolExecutor:
    pool = _executors.get(name)
    if pool is None:
        pool = _executors[name] = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix=name)
    return pool


async def run_cpu(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(executor(), function, *args)


async def run_tts(function: Callable[..., T], *args: Any) -> T:
    """Synthesis of a reply the caller is about to hear."""
    return await asyncio.get_running_loop().run_in_executor(executor("voice-tts"), function, *args)
