"""`voiceai demo --url`: the same run against a deployment at a URL. The suite starts a separate server with
the simulated carrier; the demo (the real CLI, in its own process) reaches it only over HTTP with an API key."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys

from app.db.models import Call, Campaign, Webhook
from app.organisations.service import create_organisation

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOYMENT = dict(
    telephony="simulator",
    rate_limits=False,
    dialer_poll_seconds=0.2,
    dialer_calls_per_second=4.0,
    dialer_flow_concurrency=8,
    dialer_org_concurrency=8,
    dialer_max_attempts=1,
    webhook_worker=True,
    webhook_poll_seconds=0.2,
    webhook_timeout_seconds=2.0,
    allow_http_webhooks=True,
    allow_private_webhooks=True,
    simulator_seed=11,
    simulator_realtime=0.5,
)


async def test_the_demo_drives_a_deployment_through_its_url(start_server, tmp_path):
    deployment = await start_server(**DEPLOYMENT)
    created = await create_organisation("Demo customer")
    organisation = created.organisation.id
    # the suite's servers share one database: this deployment's dialer serves only the demo's organisation
    platform = deployment.platform
    dialer = platform.scoped_dialer([organisation], settings=deployment.settings)
    dialer.start()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "demo",
            "--url",
            deployment.base_url,
            "--api-key",
            created.api_key,
            "--customers",
            "5",
            "--seed",
            "5",
            "--timeout",
            "90",
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": ROOT},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 150)
    finally:
        await dialer.aclose()
        await platform.webhook_worker.stop()
    text = output.decode()
    assert process.returncode == 0, text
    assert "Launched: 5 customers queued" in text, text
    # campaign.completed reached the demo's receiver as a signed delivery, and nothing failed the signature
    assert "Campaign completed" in text and "bad signature: 0" in text, text
    assert f"Recordings: GET {deployment.base_url}/api/voice/calls/{{uuid}}/recording" in text, text

    campaign = await Campaign.get(organisation_id=organisation)
    assert campaign.status == "completed"
    calls = await Call.filter(organisation_id=organisation).values("id", "outcome", "key_details")
    assert len(calls) == 5 and all(call["outcome"] for call in calls)

    stats = json.loads(re.search(r"Campaign statistics: (\{.*\})", text).group(1))
    assert stats["total_calls"] == 5, stats

    # every connected call's extraction came back through POST /calls/{uuid}/metadata
    connected = [call for call in calls if call["outcome"] == "connected"]
    written = int(re.search(r"Post-call extractions written back: (\d+)", text).group(1))
    assert connected and written == len(connected), text
    assert all(call["key_details"].get("extraction", {}).get("schema_version") == "1.0" for call in connected)
    assert not await Webhook.exists(organisation_id=organisation)  # the demo took its receiver's hook away
