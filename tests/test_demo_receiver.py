"""`voiceai demo --url` with a `--webhook-url` the server accepts but cannot deliver to: no delivery arrives,
so the demo says so, removes its hook and follows the campaign through `GET /calls` instead of waiting out
its timeout."""

from __future__ import annotations

import io

import aiohttp

from app import demo
from app.db.models import Webhook
from app.organisations.service import create_organisation
from tests.conftest import free_port
from tests.dialer.test_demo_remote import DEPLOYMENT


async def test_a_receiver_the_server_never_reaches_is_given_up_for_polling(start_server, monkeypatch):
    monkeypatch.setattr(demo, "RECEIVER_SILENCE_SECONDS", 1.5)
    monkeypatch.setattr(demo, "POLL_SECONDS", 0.5)
    deployment = await start_server(**DEPLOYMENT)
    created = await create_organisation("Silent receiver")
    platform = deployment.platform
    dialer = platform.scoped_dialer([created.organisation.id], settings=deployment.settings)
    dialer.start()
    receiver = await demo.Receiver().start()
    receiver.url = f"http://127.0.0.1:{free_port()}/hooks"  # accepted, but nothing listens there
    out = io.StringIO()
    try:
        async with aiohttp.ClientSession() as http:
            result = await demo.Demo(
                demo.Api(http, deployment.base_url, created.api_key),
                receiver,
                customers=2,
                seed=12,
                timeout=90,
                out=out,
            ).run()
    finally:
        await receiver.stop()
        await dialer.aclose()
        await platform.webhook_worker.stop()  # the suite's servers share one outbox: this worker leaves with the test
    text = out.getvalue()
    assert "No webhook delivery reached the receiver" in text and "Skipped: webhook deliveries" in text, text
    assert result["completed"] and not result["receiver"] and result["stats"]["total_calls"] == 2, text
    assert not await Webhook.exists(organisation_id=created.organisation.id)
