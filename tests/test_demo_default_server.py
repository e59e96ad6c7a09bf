"""`voiceai serve` with its defaults, then `voiceai demo --url ... --api-key ...` in its own process: the
server rightly refuses the demo's plain-http loopback receiver, so the demo says what the server would need
(the two settings, or a `--webhook-url` it can reach) and runs the campaign without its receiver. And no
`voiceai` command ends in a traceback on the errors a new user meets."""

from __future__ import annotations

import json
import os
import re

import pytest

from tests.cli_process import api_key, environment, serve, voiceai
from tests.conftest import free_port

# These start their own `voiceai serve` on its own SQLite file (tests/cli_process.py), whatever the suite's
# backend: one pass runs them; the PostgreSQL pass would repeat them unchanged.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("VOICEAI_TEST_DATABASE_URL")), reason="own SQLite server: run once, on the SQLite pass"
)


def _explains_the_refusal(text: str) -> None:
    assert "refused the demo's webhook receiver" in text and "url must be an HTTPS URL" in text, text
    assert "VOICEAI_ALLOW_HTTP_WEBHOOKS=on" in text and "VOICEAI_ALLOW_PRIVATE_WEBHOOKS=on" in text, text
    assert "--webhook-url" in text and "Skipped: webhook deliveries" in text, text


async def test_the_demo_against_a_default_server_runs_without_its_receiver(tmp_path):
    env = environment(tmp_path)
    key = await api_key(env)
    async with serve(env, tmp_path) as served:
        code, out, err = await voiceai(
            env, "demo", "--url", served.url, "--api-key", key, "--customers", "2", "--timeout", "150", timeout=200
        )
        text = out + err
        assert code == 0 and "Traceback" not in text, text
        _explains_the_refusal(text)
        assert "Launched: 2 customers queued" in text and "2/2 calls finished" in text, text
        stats = json.loads(re.search(r"Campaign statistics: (\{.*\})", text).group(1))
        assert stats["total_calls"] == 2, stats
        written = int(re.search(r"Post-call extractions written back: (\d+)", text).group(1))
        assert written == stats["connected"], text  # read back through GET /calls/{uuid}, no webhook needed
        assert "webhook deliveries: skipped (no receiver)" in text, text

        # a receiver URL the server may not use is explained the same way; a short run stops its campaign
        refused = f"http://127.0.0.1:{free_port()}/hooks"
        code, out, err = await voiceai(
            env,
            "demo",
            "--url",
            served.url,
            "--api-key",
            key,
            "--customers",
            "1",
            "--seed",
            "8",
            "--timeout",
            "3",
            "--webhook-url",
            refused,
        )
        assert code == 0 and "Traceback" not in out + err, out + err
        _explains_the_refusal(out + err)
        # a call still talking at the time limit is stopped; an unanswered one may end the run first
        assert (
            "Time is up: campaign stopped" in out
            or "Time is up: the campaign had already completed" in out
            or "Every customer was dialled: 1 calls ended" in out
        ), out


@pytest.mark.parametrize(
    "args, expected",
    [
        (["demo", "--url", "http://127.0.0.1:{closed}", "--api-key", "nn_k_x"], "is `voiceai serve` running there?"),
        (["demo", "--url", "127.0.0.1:8000", "--api-key", "nn_k_x"], "--url must be the server's http(s) address"),
        (["demo", "--url", "http://127.0.0.1:8000"], "--api-key is required with --url"),
        (["demo", "--data-dir", "/proc/voiceai-demo"], "demo failed"),
        (["org", "create", "X"], "org create failed: ConnectionRefusedError"),
        (["migrate"], "migrate failed"),
        (["serve", "--port", "{closed}"], "serve failed: ConnectionRefusedError"),
    ],
)
async def test_errors_end_in_one_message_not_a_traceback(tmp_path, args, expected):
    env = environment(tmp_path)
    if args[0] != "demo":
        env["VOICEAI_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{free_port()}/nothing"
    code, out, err = await voiceai(env, *[arg.format(closed=free_port()) for arg in args])
    assert code == 1 and expected in err and "Traceback" not in out + err, (code, out, err)


async def test_a_key_the_server_does_not_know_is_explained(tmp_path):
    env = environment(tmp_path, VOICEAI_DIALER="off")
    await api_key(env)
    async with serve(env, tmp_path) as served:
        code, out, err = await voiceai(env, "demo", "--url", served.url, "--api-key", "nn_k_not_a_key")
    assert code == 1 and "refused the API key" in err and "Traceback" not in out + err, (out, err)
    code, out, err = await voiceai(env, "member", "add", "--org", "org_000000000000", "--firebase-uid", "u1")
    assert code == 1 and json.loads(err) == {"detail": "Organisation not found"}
