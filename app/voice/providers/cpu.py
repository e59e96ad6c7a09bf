"""The bounded thread pool for CPU-heavy provider work (pocketsphinx, espeak-ng, big resamples).

Sized to the machine so many concurrent calls queue instead of oversubscribing the cores.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")
_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="voice-cpu")
    return _executor


async def run_cpu(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(executor(), function, *args)
