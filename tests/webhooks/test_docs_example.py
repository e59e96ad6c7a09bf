"""The verification example of docs/webhooks.md runs, and accepts what the platform actually sends."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

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
    created = (
        await hooks_client.post("/webhooks", json={"name": "d", "url": hook.at("/docs"), "events": ["call.started"]})
    ).body
    await start_call(hooks_server.platform, hooks_client.organisation_id)
    [delivery] = await hook.wait_for("/docs", 1)
    assert namespace["verify"](created["secret"], delivery.body, delivery.headers)
    assert not namespace["verify"]("whsec_" + "A" * 32, delivery.body, delivery.headers)


def node_example() -> str:
    return re.search(r"```javascript\n(.*?)```", DOC.read_text(), re.S).group(1)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_the_node_example_verifies_a_real_delivery(hooks_client, hooks_server, hook):
    created = (
        await hooks_client.post("/webhooks", json={"name": "n", "url": hook.at("/node"), "events": ["call.started"]})
    ).body
    await start_call(hooks_server.platform, hooks_client.organisation_id)
    [delivery] = await hook.wait_for("/node", 1)
    headers = {name.lower(): value for name, value in delivery.headers.items()}
    script = (
        node_example()
        + """
const [secret, body, headers] = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const raw = Buffer.from(body, "base64");
console.log(JSON.stringify([verify(secret, raw, headers), verify("whsec_" + "A".repeat(32), raw, headers),
                            verify(secret, Buffer.concat([raw, Buffer.from(" ")]), headers)]));
"""
    )
    process = await asyncio.create_subprocess_exec(
        "node", "-e", script, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    given = json.dumps([created["secret"], base64.b64encode(delivery.body).decode(), headers]).encode()
    out, _ = await process.communicate(given)
    assert (process.returncode, json.loads(out)) == (0, [True, False, False])
