"""The verification example of docs/webhooks.md runs, and accepts what the platform actually sends."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from tests.calls.conftest import start_call

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def example() -> str:
    return re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)


async def test_the_example_runs_as_a_script():
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", example(), stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    assert (process.returncode, out.strip()) == (0, b"signature ok")


async def test_the_example_verifies_a_real_delivery(hooks_client, hooks_server, hook):
    namespace: dict = {"__name__": "docs_example"}
    exec(example(), namespace)
    created = (await hooks_client.post("/webhooks", json={"name": "d", "url": hook.at("/docs"),
                                                         "events": ["call.started"]})).body
    await start_call(hooks_server.platform, hooks_client.organisation_id)
    [delivery] = await hook.wait_for("/docs", 1)
    assert namespace["verify"](created["secret"], delivery.body, delivery.headers)
    assert not namespace["verify"]("whsec_" + "A" * 32, delivery.body, delivery.headers)
