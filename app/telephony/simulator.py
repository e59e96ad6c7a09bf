"""The simulated carrier (telephony provider `simulator`): acts as Exotel does for a real call, so the demo
and tests run the real path offline.

Placing a call rings for a moment, then, decided by a seeded RNG per customer, the customer does not answer,
is busy, is a voicemail box, hangs up early, or talks. An answered call opens the platform's real
`/ws/exotel` socket with the dialer's custom parameters, streams the customer's voice (an utterance script
derived from their metadata, spoken with the local TTS) as continuous 100 ms frames with silence between
turns, and closes. Status callbacks are POSTed to the real endpoint, like Exotel's, with the simulator's
account SID, which only this server knows (an HMAC of its secret key).

`base_url` is where this process's own server listens (not the public URL, which may front another port).
A call the simulator cannot connect (the socket or the callback endpoint unreachable, or a socket the server
closed without starting a session) ends at once as `failed` through the `CallReporter`, with the reason in
the call's summary, so its events fire and the dialer frees its slot instead of waiting for the stale timeout.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from app.calls.contract import CallEnd, CallReporter
from app.calls.lifecycle import CallOutcome
from app.db.models import Call, Customer
from app.telephony.base import CallDetails, DetailsUnavailable, DialRequest, DialResult

log = logging.getLogger("app.telephony.simulator")
RATE = 8000
FRAME = RATE * 2 // 10  # 100 ms of 16-bit mono PCM, as Exotel sends
STATUS_PATH = "/api/voice/webhooks/exotel/status"
SOCKET_PATH = "/api/voice/ws/exotel?sample-rate=8000"
CALL_SID_PREFIX = "SIMCA"  # tells reconciliation which calls the simulator placed


class StreamFailed(Exception):
    """The simulated call could not reach a voice session; `reason` is the call's short end reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def simulator_account_sid(secret_key: str) -> str:
    return "SIM" + hmac.new(secret_key.encode(), b"telephony-simulator", hashlib.sha256).hexdigest()[:29]


@dataclass(frozen=True)
class Behaviour:
    """Shares of simulated customers; the rest answer and talk."""

    no_answer: float = 0.12
    busy: float = 0.05
    voicemail: float = 0.08
    early_hangup: float = 0.08

    def pick(self, rng: random.Random) -> str:
        roll = rng.random()
        for name, share in (
            ("no-answer", self.no_answer),
            ("busy", self.busy),
            ("voicemail", self.voicemail),
            ("early-hangup", self.early_hangup),
        ):
            if roll < share:
                return name
            roll -= share
        return "talk"


ORDER_LINES = ("Where is my order?", "When will my order arrive?")  # pocketsphinx hears "order" in both
CALLBACK_LINE = "Phone me later."  # pocketsphinx hears "laid"/"latest"/"late" in it, and nothing in "call me back"


def has_errand(metadata: dict[str, Any]) -> bool:
    """A customer with something to ask (an order, a callback) always answers and talks: the demo shows the
    in-call tool and the callback every run, whatever the RNG would have picked."""
    return bool(metadata.get("order_id") or metadata.get("asks_for_callback"))


def utterances(name: str, metadata: dict[str, Any], rng: random.Random, called_back: bool = False) -> list[str]:
    """What the synthetic customer says, built from their metadata so calls differ. A customer who asked for a
    callback (`asks_for_callback`) says so on the first call and talks as usual when `called_back`.
    The errand lines are ones the offline recogniser transcribes in a call (measured: docs/in-call-tools.md)."""
    interest = metadata.get("product_interest") or metadata.get("last_order") or metadata.get("interest")
    first = name.split()[0] if name else "there"
    lines = [rng.choice(["Hello, who is this?", "Hi, yes, speaking.", f"Hello, this is {first}."])]
    if metadata.get("asks_for_callback") and not called_back:
        lines.append(CALLBACK_LINE)
    elif metadata.get("order_id"):  # the demo's in-call tool: the agent looks the order up
        lines.append(rng.choice(ORDER_LINES))
    elif interest:
        lines.append(
            rng.choice([f"Oh yes, I was looking at the {interest}.", f"Right, the {interest}. Is it still available?"])
        )
    else:
        lines.append("Okay, tell me more.")
    lines.append(rng.choice(["That sounds good, thank you. Goodbye.", "Not right now, thanks. Bye."]))
    return lines


class SimulatedCarrier:
    def __init__(
        self,
        base_url: str,
        account_sid: str,
        *,
        seed: int = 7,
        realtime: float = 1.0,
        ring_seconds: float = 0.5,
        behaviour: Behaviour | None = None,
        max_call_seconds: float = 90.0,
        reporter: CallReporter | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._reporter = reporter
        self.account_sid = account_sid
        self._seed = seed
        self._realtime = realtime
        self._ring = ring_seconds
        self._behaviour = behaviour or Behaviour()
        self._max_call = max_call_seconds
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.placed: list[tuple[DialRequest, str]] = []  # (request, behaviour), for tests and the demo
        self.states: dict[str, str] = {}  # CallSid -> Exotel status, what reconciliation reads
        self._called_back: set[str] = set()  # CallSids of calls to a customer this carrier has called before

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    def behaviour_of(self, customer_id: str) -> str:
        return self._behaviour.pick(random.Random(f"{self._seed}:{customer_id}"))

    async def place_call(self, request: DialRequest) -> DialResult:
        sid = CALL_SID_PREFIX + secrets.token_hex(12)
        customer = await Customer.get_or_none(id=request.customer_id)
        errand = customer is not None and has_errand(dict(customer.metadata or {}))
        behaviour = "talk" if errand else self.behaviour_of(request.customer_id)
        called_back = any(placed.customer_id == request.customer_id for placed, _ in self.placed)
        self.placed.append((request, behaviour))
        self.states[sid] = "ringing"
        if called_back:
            self._called_back.add(sid)
        task = asyncio.get_running_loop().create_task(self._run(request, sid, behaviour), name=f"sim-{sid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return DialResult("queued", provider_call_id=sid)

    async def call_details(self, call_sid: str) -> CallDetails:
        """This process's own record of its calls; a call it never placed (another process, a restart) is
        unknown, and reconciliation ends it as failed."""
        status = self.states.get(call_sid)
        if status is None:
            raise DetailsUnavailable("simulator_call_lost")
        return CallDetails(account_sid=self.account_sid, call_sid=call_sid, status=status)

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    # one call -----------------------------------------------------------------------------------------
    async def _run(self, request: DialRequest, sid: str, behaviour: str) -> None:
        try:
            await asyncio.sleep(self._ring * self._realtime)
            if behaviour in ("no-answer", "busy"):
                await self._status(request, sid, behaviour)
                return
            await self._status(request, sid, "in-progress", EventType="answered")
            started = time.monotonic()
            try:
                await asyncio.wait_for(self._converse(request, sid, behaviour), self._max_call)
            except TimeoutError:
                log.info("simulated call %s hit the time limit", request.call_id)
            await self._status(request, sid, "completed", ConversationDuration=str(int(time.monotonic() - started)))
        except asyncio.CancelledError:
            raise
        except StreamFailed as error:
            log.warning("simulated call %s failed: %s", request.call_id, error.detail)
            await self._fail(request, sid, error.reason, error.detail)
        except Exception as error:
            log.exception("simulated call %s failed", request.call_id)
            await self._fail(request, sid, "simulator_error", f"simulated call failed: {type(error).__name__}: {error}")

    async def _fail(self, request: DialRequest, sid: str, reason: str, detail: str) -> None:
        """Ends the call as failed with its reason; then tells the status endpoint, as Exotel would (a late
        callback on an ended call changes nothing)."""
        self.states[sid] = "failed"
        if self._reporter is not None:
            try:
                await Call.filter(id=request.call_id, ended_at__isnull=True).update(summary=detail[:1000])
                await self._reporter.ended(
                    request.call_id,
                    CallEnd(
                        outcome=CallOutcome.FAILED, ended_at=datetime.now(UTC), duration_seconds=0, end_reason=reason
                    ),
                )
            except Exception:
                log.exception("ending the failed simulated call %s failed", request.call_id)
        with contextlib.suppress(Exception):
            await self._status(request, sid, "failed")

    async def _status(self, request: DialRequest, sid: str, status: str, **extra: str) -> None:
        self.states[sid] = status
        form = {
            "CallSid": sid,
            "AccountSid": self.account_sid,
            "Status": status,
            "CustomField": request.call_id,
            "DateUpdated": time.strftime("%Y-%m-%d %H:%M:%S"),
            "RecordingUrl": "",
            "To": request.caller_id or "",
            "From": request.to_number,
            "Direction": "outbound-api",
            **extra,
        }
        try:
            async with self._http().post(self._base + STATUS_PATH, data=form) as answer:
                if answer.status >= 400:
                    log.warning(
                        "status callback for %s answered %s: %s", request.call_id, answer.status, await answer.text()
                    )
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise StreamFailed(
                "status_callback_failed",
                f"the simulated carrier could not reach the status "
                f"callback {self._base + STATUS_PATH}: "
                f"{type(error).__name__}: {error}",
            ) from error

    async def _converse(self, request: DialRequest, sid: str, behaviour: str) -> None:
        from app.voice.audio import tone
        from app.voice.providers.cpu import run_cpu
        from app.voice.providers.espeak_tts import synthesize_blocking

        customer = await Customer.get_or_none(id=request.customer_id)
        rng = random.Random(f"{self._seed}:{request.customer_id}:script")
        name = customer.name if customer else ""
        metadata = dict(customer.metadata or {}) if customer else {}
        ws_url = "ws" + self._base.removeprefix("http") + SOCKET_PATH
        try:
            # the socket's Basic credentials, as Exotel sends them for `wss://KEY:TOKEN@host/...` (exotel_auth.py)
            ws = await self._http().ws_connect(ws_url, auth=aiohttp.BasicAuth("simulator", self.account_sid))
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise StreamFailed(
                "stream_connect_failed",
                f"the simulated carrier could not open the voice socket {ws_url}: {type(error).__name__}: {error}",
            ) from error
        async with ws:
            line = _Line(ws, sid, self.account_sid, self._realtime)
            await line.start(request)
            try:
                if behaviour == "voicemail":
                    greeting = (
                        f"Hi, you have reached {name or 'me'}. I can't take your call right now. "
                        "Please leave a message after the tone."
                    )
                    line.say(await run_cpu(synthesize_blocking, greeting, "en", RATE) + tone(RATE, 600, 1000.0))
                    await line.wait_for_close(20)
                    return
                await line.wait_for_bot_turn(10)
                if behaviour == "early-hangup":
                    return
                for text in utterances(name, metadata, rng, called_back=sid in self._called_back):
                    line.say(await run_cpu(synthesize_blocking, text, "en", RATE))
                    await line.drained()
                    if not await line.wait_for_bot_turn(12):
                        break
                await line.wait_for_close(8)
            finally:
                await line.hang_up()
        if not await Call.filter(id=request.call_id, started_at__isnull=False).exists():
            raise StreamFailed(
                "stream_refused",
                f"the voice socket {ws_url} closed (code {ws.close_code}) without starting a call session",
            )


class _Line:
    """Exotel's side of one stream: a pump sending a 100 ms frame per tick (speech when queued, else silence),
    and a reader that acknowledges marks and notices when the bot has finished a turn or closed."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, sid: str, account_sid: str, realtime: float) -> None:
        self._ws = ws
        self._sid = sid
        self._account = account_sid
        self._realtime = realtime
        self._pending = bytearray()
        self._sequence = 0
        self._bot_marks = asyncio.Event()
        self._closed = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, request: DialRequest) -> None:
        await self._send({"event": "connected"})
        await self._send(
            {
                "event": "start",
                "sequence_number": "1",
                "stream_sid": self._sid,
                "start": {
                    "stream_sid": self._sid,
                    "call_sid": self._sid,
                    "account_sid": self._account,
                    "from": request.to_number,
                    "to": request.caller_id or "",
                    "custom_parameters": {
                        "call_id": request.call_id,
                        "flow_id": request.flow_id,
                        "customer_id": request.customer_id,
                    },
                    "media_format": {"encoding": "audio/x-raw", "sample_rate": str(RATE), "bit_rate": "16"},
                },
            }
        )
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._pump()), loop.create_task(self._read())]

    def say(self, pcm: bytes) -> None:
        self._pending.extend(pcm)
        self._empty.clear()
        self._bot_marks.clear()

    async def drained(self) -> None:
        await self._wait_any(self._empty, None)

    async def wait_for_bot_turn(self, timeout: float) -> bool:
        """True when the bot finished speaking (its mark came back); False if it closed or went quiet."""
        self._bot_marks.clear()
        return await self._wait_any(self._bot_marks, timeout) and not self._closed.is_set()

    async def wait_for_close(self, timeout: float) -> None:
        await self._wait_any(self._closed, timeout)

    async def _wait_any(self, event: asyncio.Event, timeout: float | None) -> bool:
        waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._closed.wait())]
        _done, pending = await asyncio.wait(
            waiters,
            timeout=timeout * max(self._realtime, 0.05) if timeout else None,
            return_when=asyncio.FIRST_COMPLETED,
        )
        for waiter in pending:
            waiter.cancel()
        return event.is_set()

    async def hang_up(self) -> None:
        with contextlib.suppress(Exception):
            await self._send(
                {
                    "event": "stop",
                    "stream_sid": self._sid,
                    "stop": {"call_sid": self._sid, "account_sid": self._account, "reason": "callended"},
                }
            )
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._ws.close()

    async def _send(self, frame: dict[str, Any]) -> None:
        if not self._ws.closed:
            await self._ws.send_str(json.dumps(frame))

    async def _pump(self) -> None:
        silence = bytes(FRAME)
        while not self._closed.is_set():
            if self._pending:
                chunk = bytes(self._pending[:FRAME]).ljust(FRAME, b"\0")
                del self._pending[:FRAME]
                if not self._pending:
                    self._empty.set()
            else:
                chunk = silence
            self._sequence += 1
            await self._send(
                {
                    "event": "media",
                    "sequence_number": str(self._sequence),
                    "stream_sid": self._sid,
                    "media": {
                        "chunk": str(self._sequence),
                        "timestamp": str(self._sequence * 100),
                        "payload": base64.b64encode(chunk).decode(),
                    },
                }
            )
            await asyncio.sleep(0.1 * self._realtime)

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                if frame.get("event") == "mark":
                    await self._send({"event": "mark", "stream_sid": self._sid, "mark": frame.get("mark", {})})
                    self._bot_marks.set()
        finally:
            self._closed.set()
            self._empty.set()
