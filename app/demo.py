"""`voiceai demo`: the first thing a new user runs. Offline by default: an embedded server on loopback with
SQLite in a temporary directory and the simulated carrier. It creates an organisation, an agent, a script,
an outbound flow and a few dozen customers, starts a local webhook receiver that verifies `X-NN-Signature`,
launches the campaign, shows progress and live transcripts, runs a small post-call extraction and writes it
back with `POST /calls/{uuid}/metadata` as a workflow service would, then prints the campaign statistics.

With `--url` and `--api-key` the same run drives a real deployment (Exotel, Sarvam and OpenAI keys
configured there); the webhook receiver must then be reachable from it (`--webhook-url`). A deployment that
refuses the receiver's URL (a default server takes only public HTTPS webhook URLs), or never delivers to it,
gets an explanation of what it needs, and the demo carries on without the receiver, following the calls
through `GET /calls`. Every problem it can explain ends as a `DemoError` message, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import secrets
import socket
import sys
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from aiohttp import web

from app.calls.lifecycle import CallOutcome

API = "/api/voice"
PRODUCTS = ["standing desk", "oak bookshelf", "ergonomic chair", "walnut dining table", "floor lamp"]
FIRST = ["Asha", "Ravi", "Meera", "Arjun", "Priya", "Kiran", "Neha", "Vikram", "Divya", "Rahul", "Sana", "Aman"]
LAST = ["Sharma", "Iyer", "Patel", "Reddy", "Khan", "Das", "Mehta", "Nair"]
AFTER_COMPLETION_SECONDS = 30.0  # how long the last calls' post-call events may trail campaign.completed
RECEIVER_SILENCE_SECONDS = 20.0  # campaign.launched is delivered at once: this long without it, nothing comes
POLL_SECONDS = 2.0  # GET /calls while following without a receiver (the API is rate limited)
CALLBACK_CUSTOMER = 1  # the customer (by position) who asks to be called later, when the demo books a callback
# The demo flow's scripted tool calls. The offline recogniser (pocketsphinx on espeak-ng speech at 8 kHz, in a
# call) hears "order" in "Where is my order?" every time, and "Phone me later." as "... really laid" (or
# "latest", "late"), but never "call me back" or "in a minute" (docs/in-call-tools.md): so the keywords allow
# for its confusions, and the callback's time is the flow's script ("in 1 minute": placed while the demo runs).
ORDER_TRIGGER = {
    "tool": "order_status",
    "keywords": ["order", "orders", "ordered", "delivery"],
    "arguments": {"order_id": "{digits}"},
    "say": "Let me check your order.",
    "reply": "Your order is {status}, arriving {eta}.",
}
CALLBACK_TRIGGER = {
    "tool": "schedule_callback",
    "keywords": ["later", "latest", "late", "laid"],
    "arguments": {"when": "in 1 minute", "note": "The caller asked to be phoned later ({text})"},
    "say": "Sure, I will call you back in a minute. Goodbye!",
}
EVENTS = [
    "call.started",
    "call.ended",
    "call.no_answer",
    "call.voicemail",
    "campaign.launched",
    "campaign.stopped",
    "campaign.completed",
]


class DemoError(Exception):
    """What went wrong, said to the demo's user in a sentence or two (`voiceai demo` prints it and exits 1)."""


class ApiError(DemoError):
    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.status = status
        self.detail = body.get("detail") if isinstance(body, dict) else None
        super().__init__(f"{method} {path} answered {status}: {self.detail or body}")


def refused_receiver_help(url: str, detail: str | None, listening: str) -> str:
    """Why a deployment refused the receiver's URL, and the two ways to let the demo's receiver in."""
    return (
        f"The server refused the demo's webhook receiver {url}: {detail}.\n"
        "  A server accepts only webhook URLs it can deliver to safely (HTTPS, on a public address). "
        "To see the signed deliveries, either\n"
        "  - start the server with VOICEAI_ALLOW_HTTP_WEBHOOKS=on and VOICEAI_ALLOW_PRIVATE_WEBHOOKS=on "
        "(development only: plain http and private addresses such as this machine), or\n"
        f"  - pass --webhook-url https://... : a public HTTPS address that forwards to this receiver "
        f"({listening})."
    )


SKIPPED = (
    "Carrying on without the receiver: following the calls through GET /calls. Skipped: webhook "
    "deliveries and their X-NN-Signature check, live transcripts."
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def extract(transcript: list[dict[str, Any]]) -> dict[str, Any]:
    """A deliberately small, local post-call extraction (a workflow would use an LLM here)."""
    said = " ".join(turn["text"].lower() for turn in transcript if turn.get("speaker") == "customer")
    product = next((p for p in PRODUCTS if p.split()[-1] in said), None)
    positive = any(word in said for word in ("good", "yes", "available", "thank"))
    declined = any(word in said for word in ("not right now", "no thanks", "not interested"))
    return {
        "extraction": {
            "schema_version": "1.0",
            "outcome": {
                "call_outcome": "declined" if declined else ("interested" if positive else "unclear"),
                "intent_score": 20 if declined else (75 if positive else 40),
            },
            "requirement": {"product_category": product or "unknown"},
        }
    }


@dataclass
class Receiver:
    """The local webhook receiver: verifies every delivery's signature and queues the events."""

    secret: str = ""
    tools_secret: str = ""  # signs the in-call tool requests (GET /tools/secret)
    tool_calls: int = 0
    events: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    rejected: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Receiver:
        app = web.Application()
        app.router.add_post("/hooks", self._hook)
        app.router.add_post("/tools/order-status", self._order_status)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.url = f"http://{host}:{self._runner.addresses[0][1]}/hooks"
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def verify(self, body: bytes, signature: str | None) -> bool:

        key = self.secret.encode() if self.secret else b""  # the whole secret string, as the spec says
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        return signature is not None and hmac.compare_digest(expected, signature)

    @property
    def tool_url(self) -> str:
        return self.url.removesuffix("/hooks") + "/tools/order-status"

    async def _order_status(self, request: web.Request) -> web.Response:
        """The workflow service's in-call tool: an order's status, for a signed request only."""
        body = await request.read()
        key = self.tools_secret.encode()
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        if not self.tools_secret or not hmac.compare_digest(expected, request.headers.get("X-NN-Signature", "")):
            self.rejected += 1
            return web.json_response({"detail": "bad signature"}, status=401)
        self.tool_calls += 1
        order = str(json.loads(body).get("arguments", {}).get("order_id") or "")
        return web.json_response({"order_id": order, "status": "out for delivery", "eta": "tomorrow evening"})

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self.verify(body, request.headers.get("X-NN-Signature")):
            self.rejected += 1
            return web.json_response({"detail": "bad signature"}, status=401)
        await self.events.put(json.loads(body))
        return web.json_response({"ok": True})


class Api:
    def __init__(self, http: aiohttp.ClientSession, base: str, key: str) -> None:
        self.http, self.base, self.key = http, base.rstrip("/"), key

    async def call(self, method: str, path: str, **options: Any) -> Any:
        """The answer's JSON; `ApiError` for a 4xx/5xx (a 429 is waited out a few times first)."""
        headers = {"Authorization": f"Bearer {self.key}"}
        for attempt in range(4):
            async with self.http.request(method, self.base + API + path, headers=headers, **options) as answer:
                try:
                    body = await answer.json(content_type=None)
                except ValueError:
                    body = {"detail": (await answer.text())[:200] or answer.reason}
                if answer.status == 429 and attempt < 3:
                    await asyncio.sleep(min(float(answer.headers.get("Retry-After") or 2), 30))
                    continue
                if answer.status == 401:
                    raise DemoError(
                        f"{self.base} refused the API key ({(body or {}).get('detail')}): pass an "
                        "nn_k_ key of that server, e.g. from `voiceai org create NAME` run there"
                    )
                if answer.status >= 400:
                    raise ApiError(method, path, answer.status, body)
                return body
        raise AssertionError("unreachable")


def _customers(count: int, rng: random.Random, callback: bool = False) -> list[dict[str, Any]]:
    phones: set[str] = set()
    records: list[dict[str, Any]] = []
    while len(records) < count:
        phone = f"+9198{rng.randrange(10**8):08d}"
        if phone in phones:
            continue
        phones.add(phone)
        product = rng.choice(PRODUCTS)
        metadata: dict[str, Any] = {"product_interest": product, "cart_value": rng.randrange(80, 1200)}
        if len(records) % 3 == 0:  # every third customer asks about an order: the in-call tool looks it up
            metadata["order_id"] = "4512"
        elif callback and len(records) == CALLBACK_CUSTOMER:  # asks to be phoned later: a callback is booked
            metadata["asks_for_callback"] = True
        records.append(
            {
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "phone": phone,
                "tags": ["Demo:Spring"],
                "preferred_language": "en",
                "metadata": metadata,
            }
        )
    return records


class Demo:
    def __init__(
        self,
        api: Api,
        receiver: Receiver | None,
        *,
        customers: int,
        seed: int,
        timeout: float,
        out: TextIO = sys.stdout,
        show_transcripts: int = 3,
        receiver_listens: str = "",
        callback: bool = False,
    ) -> None:
        """`callback`: one customer asks to be called later and the run waits for the callback to be placed
        (the embedded demo, whose dialer and carrier it runs)."""
        self.api, self.receiver = api, receiver
        self.callback = callback
        self.receiver_listens = receiver_listens
        self.count, self.seed, self.timeout, self.out = customers, seed, timeout, out
        self.show_transcripts = show_transcripts
        self.watched = 0
        self.done: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.metadata_written = 0
        self.tool_added = False
        self.hook_id: str | None = None
        self.flow_id = ""
        self._told_callbacks = False  # the run said it waits for callbacks after the customers' first calls
        self._shown: int | None = None  # finished calls the progress line last showed; -1: text came after it

    def say(self, text: str) -> None:
        clear = "\r" + " " * 78 + "\r" if self._tty() else ""
        print(clear + text, file=self.out, flush=True)
        self._shown = -1

    def _tty(self) -> bool:
        return self.out.isatty()

    def progress(self, queued: int) -> None:
        """A bar redrawn in place on a terminal; a line per change otherwise (logs, CI)."""
        if len(self.done) == self._shown:
            return
        self._shown = len(self.done)
        width = 30
        filled = int(width * len(self.done) / max(queued, 1))
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {len(self.done)}/{queued} calls finished"
        if self._tty():
            print("\r" + bar, end="", file=self.out, flush=True)
        else:
            print(bar, file=self.out, flush=True)

    async def _register_receiver(self) -> None:
        """The receiver's webhook; a refused URL is explained and the run goes on without it."""
        if self.receiver is None:
            return
        try:
            hook = await self.api.call(
                "POST", "/webhooks", json={"name": "demo receiver", "url": self.receiver.url, "events": EVENTS}
            )
        except ApiError as error:
            if error.status != 400:
                raise
            self.say(refused_receiver_help(self.receiver.url, error.detail, self.receiver_listens))
            self.say(SKIPPED)
            return
        self.receiver.secret = hook["secret"]
        self.hook_id = hook.get("uuid")

    async def setup(self) -> dict[str, Any]:
        rng = random.Random(self.seed)
        await self._register_receiver()
        agent = await self.api.call(
            "POST",
            "/agents",
            json={"name": "Aria", "role": "Outbound sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}},
        )
        script = await self.api.call(
            "POST",
            "/scripts",
            json={
                "name": "Spring reactivation",
                "opening_line": "Hi, this is Aria from Luminary Home.",
                "talking_points": ["Spring offers on furniture you looked at"],
                "faq": [{"question": "Is it available?", "answer": "Yes, it ships within five days."}],
                "closing_line": "Thanks for your time, goodbye!",
            },
        )
        flow: dict[str, Any] = await self.api.call(
            "POST",
            "/flows",
            json={
                "kind": "outbound",
                "name": "Spring Reactivation (demo)",
                "provider": "sarvam",
                "voice_agent_id": agent["uuid"],
                "script_id": script["uuid"],
                "branches": ["Demo:Spring"],
                "config": {
                    "persona_prompt": "You are Aria, a friendly advisor at Luminary Home.",
                    "tool_triggers": [ORDER_TRIGGER, CALLBACK_TRIGGER] if self.callback else [ORDER_TRIGGER],
                },
                "status": "active",
            },
        )
        await self._add_tool(agent["uuid"])
        customers = _customers(self.count, rng, self.callback)
        written = await self.api.call("POST", "/customers/bulk", json={"customers": customers})
        if written.get("errors"):
            raise DemoError(f"customers were refused: {written['errors'][:3]}")
        return flow

    async def _add_tool(self, agent_id: str) -> None:
        """The agent's in-call tool `order_status`, answered by the receiver; a refused URL is explained."""
        if self.receiver is None or not self.hook_id:
            return
        self.receiver.tools_secret = (await self.api.call("GET", "/tools/secret"))["secret"]
        try:
            await self.api.call(
                "POST",
                f"/agents/{agent_id}/tools",
                json={
                    "name": "order_status",
                    "description": "The status of the caller's order by its number.",
                    "parameters": {
                        "type": "object",
                        "properties": {"order_id": {"type": "string"}},
                        "required": ["order_id"],
                    },
                    "url": self.receiver.tool_url,
                    "timeout_seconds": 5,
                    "speak_while_waiting": "One moment while I look up your order.",
                },
            )
            self.tool_added = True
        except ApiError as error:
            self.say(f"The in-call tool was refused ({error.detail}): the calls go on without it.")

    async def run(self) -> dict[str, Any]:
        started = time.monotonic()
        flow = await self.setup()
        self.flow_id = flow["uuid"]
        where = f"webhook receiver at {self.receiver.url}" if self.hook_id and self.receiver else "no webhook receiver"
        self.say(f"Flow {flow['uuid']}: {self.count} customers, {where}")
        launched = await self.api.call("POST", f"/flows/{flow['uuid']}/launch")
        queued = launched["customers_queued"]
        self.say(f"Launched: {queued} customers queued")
        if queued == 0:
            self.say(
                "No customer was queued: all were dialled recently (the deployment's "
                "VOICEAI_DIALER_DEDUP_HOURS); run with another --seed for new customers."
            )
            completed: bool | None = True
        else:
            completed = await self._follow(queued, started) if self.hook_id else None
        if completed is None:  # no receiver, or one the server never delivered to
            completed = await self._poll(flow["uuid"], queued, started)
        if not completed:
            try:
                await self.api.call("POST", f"/flows/{flow['uuid']}/stop")
                self.say("Time is up: campaign stopped (calls in progress finish).")
            except ApiError as error:
                if error.status != 409:  # 409: it completed on its own between our last look and the stop
                    raise
                self.say("Time is up: the campaign had already completed.")
        for task in list(self.tasks):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 15)
        stats = await self.api.call("GET", "/calls/statistics", params={"flow_uuid": flow["uuid"]})
        await self._forget_webhook()
        self.say("")
        self.say("Campaign statistics: " + json.dumps(stats))
        rejected = self.receiver.rejected if self.receiver is not None else 0
        checked = (
            f"webhook deliveries with a bad signature: {rejected}"
            if self.hook_id
            else "webhook deliveries: skipped (no receiver)"
        )
        self.say(f"Post-call extractions written back: {self.metadata_written}; {checked}")
        if self.tool_added and self.receiver is not None:
            self.say(f"In-call tool requests answered by the receiver (order_status): {self.receiver.tool_calls}")
        callbacks = await self._callbacks(flow["uuid"])
        self.say(f"Finished in {time.monotonic() - started:.1f} s")
        return {
            "flow": flow,
            "queued": queued,
            "stats": stats,
            "completed": completed,
            "metadata_written": self.metadata_written,
            "rejected": rejected,
            "receiver": bool(self.hook_id),
            "tool_calls": self.receiver.tool_calls if self.receiver is not None else 0,
            "callbacks": callbacks,
        }

    async def _callbacks(self, flow_id: str) -> list[dict[str, Any]]:
        """The callbacks callers asked for, and whether the dialer placed them (`done`: the call was made)."""
        try:
            callbacks: list[dict[str, Any]] = (await self.api.call("GET", f"/flows/{flow_id}/callbacks"))["callbacks"]
        except ApiError as error:  # a deployment without in-call tools (issue 16) has no such route
            self.say(f"Callbacks: not available on this server ({error.status})")
            return []
        placed = sum(1 for callback in callbacks if callback["status"] == "done")
        self.say(f"Callbacks booked during calls: {len(callbacks)}; placed: {placed}")
        for callback in callbacks:
            self.say(
                f"  callback {callback['uuid']} asked in {callback['call_uuid']}, due {callback['due_at']}: "
                f"{callback['status']} ({callback['note']})"
            )
        return callbacks

    async def _follow(self, queued: int, started: float) -> bool | None:
        """Until `campaign.completed`, then until the calls it counts have reported: a connected call's
        `call.ended` (and so its extraction) follows post-call analysis, which can finish after the campaign.
        None when no delivery arrives at all (the server cannot reach the receiver): the caller polls."""
        receiver = self.receiver
        if receiver is None:  # registered webhooks imply a receiver; without one the caller polls
            return None
        self.progress(queued)
        completed, expected, grace, heard = False, 0, 0.0, False
        launched_at = time.monotonic()
        while time.monotonic() - started < self.timeout:
            if completed and (len(self.done) >= expected or time.monotonic() > grace):
                return True
            try:
                event = await asyncio.wait_for(receiver.events.get(), 1.0)
            except TimeoutError:
                if not heard and time.monotonic() - launched_at > RECEIVER_SILENCE_SECONDS:
                    self.say(
                        f"No webhook delivery reached the receiver {receiver.url} in "
                        f"{RECEIVER_SILENCE_SECONDS:.0f} s: the server cannot reach it (with --webhook-url, "
                        "check that address forwards to this receiver)."
                    )
                    self.say(SKIPPED)
                    await self._forget_webhook()
                    self.hook_id = None
                    return None
                continue
            heard = True
            kind, data = event["event"], event["data"]
            if kind == "call.ended" and not completed and len(self.done) + 1 >= queued:
                self._spawn(self._waiting_for_callbacks())
            if kind == "call.started" and self.watched < self.show_transcripts:
                self.watched += 1
                self._spawn(self._watch(data["call_uuid"], data.get("customer_uuid")))
            elif kind in ("call.ended", "call.no_answer", "call.voicemail"):
                if data["call_uuid"] not in self.done:
                    self.done.add(data["call_uuid"])
                    if kind == "call.ended" and data.get("outcome") == CallOutcome.CONNECTED:
                        self._spawn(self._extract(data))
                    elif kind != "call.ended":
                        self.say(f"  {data.get('customer_phone')}: {kind.split('.')[1].replace('_', ' ')}")
            elif kind == "campaign.completed":
                self.progress(queued)
                self.say(f"Campaign completed: {json.dumps({k: v for k, v in data.items() if k != 'flow_uuid'})}")
                completed, grace = True, time.monotonic() + AFTER_COMPLETION_SECONDS
                expected = sum(int(data.get(key) or 0) for key in ("connected", "no_answer", "voicemail"))
            self.progress(queued)
        return completed

    async def _waiting_for_callbacks(self) -> None:
        """Every customer had a first call but the campaign runs on: it places the callbacks asked for."""
        await asyncio.sleep(2.0)  # the last call's callback, if it asked for one, is booked by then
        if self._told_callbacks:
            return
        with contextlib.suppress(ApiError):
            callbacks = (await self.api.call("GET", f"/flows/{self.flow_id}/callbacks"))["callbacks"]
            queued = [callback["due_at"] for callback in callbacks if callback["status"] == "queued"]
            if queued:
                self._told_callbacks = True
                self.say(f"Every customer had a call; waiting for {len(queued)} callback(s) due at {min(queued)}")

    async def _poll(self, flow_id: str, queued: int, started: float) -> bool:
        """Without a receiver: each customer's first call, read from `GET /calls` until all have ended."""
        customers: set[str] = set()
        while time.monotonic() - started < self.timeout:
            offset = 0
            while True:
                page = await self.api.call(
                    "GET", "/calls", params={"flow_uuid": flow_id, "limit": 100, "offset": offset}
                )
                for call in page["calls"]:
                    if call.get("ended_at") and call["uuid"] not in self.done:
                        self.done.add(call["uuid"])
                        customers.add(call.get("customer_uuid") or call["uuid"])
                        if call.get("outcome") == CallOutcome.CONNECTED:
                            self._spawn(self._extract({"call_uuid": call["uuid"]}))
                        self.say(f"  {call.get('to_number') or call.get('customer_uuid')}: {call.get('outcome')}")
                offset += len(page["calls"])
                if not page["calls"] or offset >= page.get("total", 0):
                    break
            self.progress(queued)
            if len(customers) >= queued:
                self.say(
                    f"Every customer was dialled: {len(self.done)} calls ended (the campaign may still "
                    "retry unanswered customers later; POST /flows/{uuid}/stop stops it)."
                )
                return True
            await asyncio.sleep(POLL_SECONDS)
        return False

    async def _forget_webhook(self) -> None:
        """The receiver goes away with the demo: a deployment must not keep retrying deliveries to it."""
        if self.hook_id:
            with contextlib.suppress(Exception):
                await self.api.call(
                    "POST",
                    "/graphql",
                    json={
                        "query": "mutation($uuid: ID!) { deleteWebhook(uuid: $uuid) { uuid } }",
                        "variables": {"uuid": self.hook_id},
                    },
                )

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _watch(self, call_id: str, customer: str | None) -> None:
        url = "ws" + self.api.base.removeprefix("http") + f"{API}/ws/live/{call_id}?token={self.api.key}"
        with contextlib.suppress(Exception):
            async with self.api.http.ws_connect(url) as ws:
                async for message in ws:
                    event = json.loads(message.data)
                    if event.get("type") == "transcript":
                        self.say(f"  [{call_id}] {event['speaker']:>8}: {event['text']}")
                    elif event.get("type") == "end":
                        self.say(f"  [{call_id}] ended: {event.get('outcome')}, {event.get('duration_seconds')} s")
                        return

    async def _extract(self, data: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            if "transcript" not in data:  # followed by polling: the call record has it
                data = {**data, **await self.api.call("GET", f"/calls/{data['call_uuid']}")}
            payload = extract(data.get("transcript") or [])
            await self.api.call("POST", f"/calls/{data['call_uuid']}/metadata", json={"key_details": payload})
            self.metadata_written += 1


async def run_embedded(customers: int, seed: int, timeout: float, data_dir: Path | None = None) -> dict[str, Any]:
    """Everything on loopback: SQLite, the server, the simulated carrier and the webhook receiver."""
    import uvicorn

    from app.config import Settings
    from app.db.setup import close_database, open_database
    from app.main import create_app
    from app.organisations.service import create_organisation

    directory = data_dir or Path(tempfile.mkdtemp(prefix="voiceai-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    settings = Settings(
        database_url=f"sqlite://{directory}/demo.db",
        data_dir=directory,
        public_url=f"http://127.0.0.1:{port}",
        secret_key=secrets.token_urlsafe(32),
        rate_limits=False,
        telephony="simulator",
        dialer=True,
        dialer_poll_seconds=0.2,
        dialer_calls_per_second=4.0,
        dialer_flow_concurrency=8,
        dialer_org_concurrency=8,
        dialer_max_attempts=1,
        webhook_worker=True,
        webhook_poll_seconds=0.2,
        allow_http_webhooks=True,
        allow_private_webhooks=True,
        simulator_seed=seed,
        simulator_realtime=0.5,
        log_level="WARNING",
    )
    await open_database(settings.database_url)
    app = create_app(settings, manage_database=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    receiver = await Receiver().start()
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.02)
        created = await create_organisation("Luminary Home (demo)")
        async with aiohttp.ClientSession() as http:
            demo = Demo(
                Api(http, settings.public_url, created.api_key),
                receiver,
                customers=customers,
                seed=seed,
                timeout=timeout,
                callback=True,
            )
            result = await demo.run()
        recordings = settings.blob_root() / "recordings" / created.organisation.id
        print(f"Recordings: {recordings} (and GET {API}/calls/{{uuid}}/recording)", flush=True)
        print(f"Database: {directory / 'demo.db'}", flush=True)
        return {**result, "recordings": str(recordings)}
    finally:
        await receiver.stop()
        server.should_exit = True
        await asyncio.gather(serving, return_exceptions=True)
        await close_database()


async def run_remote(
    url: str,
    api_key: str,
    customers: int,
    seed: int,
    timeout: float,
    webhook_host: str,
    webhook_port: int,
    webhook_url: str | None,
) -> dict[str, Any]:
    """The demo against a deployment; what it cannot do is explained as a `DemoError`."""
    if not url.startswith(("http://", "https://")):
        raise DemoError(f"--url must be the server's http(s) address, e.g. http://127.0.0.1:8000, not {url!r}")
    try:
        receiver = await Receiver().start(webhook_host, webhook_port)
    except OSError as error:
        raise DemoError(
            f"the webhook receiver cannot listen on {webhook_host}:{webhook_port}: {error.strerror}"
        ) from None
    listening = receiver.url
    if webhook_url:
        receiver.url = webhook_url
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            try:
                result = await Demo(
                    Api(http, url, api_key),
                    receiver,
                    customers=customers,
                    seed=seed,
                    timeout=timeout,
                    receiver_listens=f"it listens on {listening}",
                ).run()
            except (TimeoutError, aiohttp.ClientError) as error:
                raise DemoError(
                    f"cannot reach {url} ({type(error).__name__}: {error}): is `voiceai serve` running there?"
                ) from None
        print(f"Recordings: GET {url.rstrip('/')}{API}/calls/{{uuid}}/recording", flush=True)
        return result
    finally:
        await receiver.stop()
