"""The delivery worker: claims due outbox rows and sends each in its own task.

In-flight sends are capped overall and per webhook, and webhooks at their cap are skipped when
claiming, so a slow or dead receiver only ever holds its own slots, never other webhooks' deliveries.
Owned by the platform: started in the app lifespan, cancelled on shutdown (leased rows come back).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from app.db.models import Webhook, WebhookDelivery
from app.utc import utc_now
from app.webhooks.outbox import WebhookOutbox
from app.webhooks.sender import SendResult, WebhookSender
from app.webhooks.signing import SecretBox, signed_headers

log = logging.getLogger("app.webhooks")

MAX_IN_FLIGHT = 200
PER_WEBHOOK = 16


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookWorker:
    def __init__(
        self,
        outbox: WebhookOutbox,
        sender: WebhookSender,
        box: SecretBox,
        *,
        timeout_seconds: float,
        backoff_seconds: float,
        poll_seconds: float,
    ) -> None:
        self._outbox = outbox
        self._sender = sender
        self._box = box
        self._timeout = timeout_seconds
        self._backoff = backoff_seconds
        self._poll = poll_seconds
        self._tasks: set[asyncio.Task[None]] = set()
        self._per_webhook: Counter[str] = Counter()
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._run(), name="webhook-worker")

    async def stop(self) -> None:
        """Cancel the loop and every send in flight; their rows are retried after the lease."""
        tasks = [task for task in (self._loop_task, *self._tasks) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None
        self._tasks.clear()
        self._per_webhook.clear()

    async def aclose(self) -> None:
        await self.stop()
        await self._sender.aclose()

    async def _run(self) -> None:
        while True:
            try:
                claimed = await self._claim_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be briefly unreachable: try again on the next tick
                log.exception("claiming webhook deliveries failed")
                claimed = 0
            if not claimed:
                await self._outbox.wait(self._poll)

    async def _claim_once(self) -> int:
        free = MAX_IN_FLIGHT - len(self._tasks)
        if free <= 0:
            return 0
        busy = [hook for hook, count in self._per_webhook.items() if count >= PER_WEBHOOK]
        lease = self._timeout + 5
        due = await self._outbox.claim(free, lease, busy)
        over: list[WebhookDelivery] = []
        for delivery in due:
            if self._per_webhook[delivery.webhook_id] >= PER_WEBHOOK:
                over.append(delivery)
                continue
            self._per_webhook[delivery.webhook_id] += 1
            task = asyncio.create_task(self._deliver(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._done(delivery.webhook_id))
        if over:
            # Claimed beyond the webhook's cap: hand the rows back at once rather than leaving them leased
            # (a backlog on one webhook would otherwise wait out the lease in batches). The next claim skips
            # the webhook until a slot frees, so this does not spin.
            await self._outbox.release(over)
        return len(due) - len(over)

    def _done(self, webhook_id: str) -> Callable[[asyncio.Task[None]], None]:
        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            self._per_webhook[webhook_id] -= 1
            if self._per_webhook[webhook_id] <= 0:
                del self._per_webhook[webhook_id]
            self._outbox.notify()

        return done

    async def _deliver(self, delivery: WebhookDelivery) -> None:
        try:
            webhook = await Webhook.get_or_none(id=delivery.webhook_id)
            triggered_at = utc_now()
            if webhook is None:
                return
            body = body_of(delivery.payload)
            headers = {
                **(webhook.headers or {}),
                "Content-Type": "application/json",
                "User-Agent": "NextNeural-Webhooks/1.0",
                **signed_headers(self._box.open(webhook.secret), delivery.id, int(time.time()), body),
            }
            result = await self._sender.send(webhook.url, body, headers)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a broken row must not stop the worker: log it as a failed attempt
            log.exception("webhook delivery %s failed unexpectedly", delivery.id)
            result, triggered_at = SendResult(None, f"internal error: {type(error).__name__}"), utc_now()
        await self._outbox.record(
            delivery,
            response_status=result.status,
            success=result.success,
            error=result.error,
            triggered_at=triggered_at,
            backoff_seconds=self._backoff,
        )
