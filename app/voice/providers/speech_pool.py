"""The pool of pocketsphinx worker processes (`speech_worker.py`) and the turns bound to them.

A turn is opened on the least busy live worker and stays on it; `push()` only appends to a buffer and, every
`BATCH_MS` of audio, hands a batch to the worker's writer thread, so the event loop never waits on a pipe. Two
threads per worker own its pipes: the writer drains a queue, the reader resolves each turn's
`concurrent.futures.Future` (awaitable from any loop, or blocking for scripts). A worker that dies fails its
turns with `ProviderError` (the session's fallback / empty-turn path runs) and is replaced. `nice` lowers the
workers' OS priority below the server's (its event loop and reply TTS); 0 by default, because a waking event
loop already gets a core ahead of busy decoders, and on a shared machine niced decoders starve.

The platform owns one pool when `VOICEAI_STT_WORKERS` is set (the server: one per core) and installs it as
the shared pool; otherwise `shared_pool()` starts one on first use (tests, scripts).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import enum
import logging
import os
import queue
import subprocess
import sys
import threading
import time
import weakref
from typing import Final

from app.voice.audio import rms
from app.voice.providers.base import ProviderError
from app.voice.providers.speech_protocol import HEADER, OPENING, Mode, Op, Reply, encode, read_exactly

log = logging.getLogger("app.voice.providers.speech_pool")

BATCH_MS = 100
QUIET_RMS = 200.0  # a batch this quiet (line noise, the endpoint's silence) waits for speech to follow
TRAILING_QUIET_MS = 300  # quiet kept at the end of a streamed turn: enough to close its last word
FINISH_TIMEOUT = 15.0


class _Stop(enum.Enum):
    """The one message that ends a writer or the keeper thread (an enum, so the queues' types say it)."""

    STOP = enum.auto()


_STOP: Final = _Stop.STOP


class SpeechWorker:
    """One worker process and its two pipe threads."""

    def __init__(self, pool: SpeechPool, index: int) -> None:
        self.pool, self.index = pool, index
        # Weak: a turn its session dropped unsettled (the call ended first) is cancelled by its finalizer.
        self.turns: weakref.WeakValueDictionary[int, PoolTurn] = weakref.WeakValueDictionary()
        self.ready = threading.Event()
        self.alive = True
        self._outbox: queue.SimpleQueue[bytes | _Stop] = queue.SimpleQueue()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.voice.providers.speech_worker",
                "--parent",
                str(os.getpid()),
                "--warm",
                str(pool.warm_decoders),
                "--nice",
                str(pool.nice),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
        )
        self.pid = self.process.pid
        threading.Thread(target=self._write_loop, name=f"speech-worker-{index}-out", daemon=True).start()
        threading.Thread(target=self._read_loop, name=f"speech-worker-{index}-in", daemon=True).start()

    def send(self, kind: Op, turn: int, payload: bytes = b"") -> None:
        if self.alive:
            self._outbox.put(encode(kind, turn, payload))

    def close(self) -> None:
        self._outbox.put(_STOP)

    def _write_loop(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            while (message := self._outbox.get()) is not _STOP:
                stdin.write(message)
        except (BrokenPipeError, OSError, ValueError):
            pass  # the worker is gone; the reader notices and fails its turns
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _read_loop(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        fd = stdout.fileno()
        try:
            while (header := read_exactly(fd, HEADER.size)) is not None:
                kind, turn_id, length = HEADER.unpack(header)
                payload = read_exactly(fd, length) if length else b""
                if payload is None:
                    break
                if kind == Reply.READY:
                    self.ready.set()
                    continue
                turn = self.turns.get(turn_id)
                if turn is not None:
                    turn._answer(kind, payload.decode("utf-8", "replace"))
        except OSError:
            pass
        self.process.wait()
        self._died()

    def _died(self) -> None:
        self.alive = False
        turns, self.turns = list(self.turns.values()), weakref.WeakValueDictionary()
        for turn in turns:
            turn._fail(ProviderError(f"speech worker {self.pid} ended (exit {self.process.returncode})"))
        self.pool._worker_ended(self)


_Spawn = tuple[int, "concurrent.futures.Future[SpeechWorker]"]  # (worker index, where the keeper answers)


class SpeechPool:
    """`size` worker processes, each with `warm_decoders` streaming decoders (and one whole-utterance decoder)
    loaded before its first turn: loading one later blocks that worker's other turns for ~0.4 s."""

    def __init__(self, size: int | None = None, *, warm_decoders: int = 4, nice: int = 0) -> None:
        self.size = max(1, size or os.cpu_count() or 1)
        self.warm_decoders, self.nice = warm_decoders, nice
        self.workers: list[SpeechWorker] = []
        self._lock = threading.Lock()
        self._next_turn = 0
        self._closing = False
        self._restarts: list[float] = []
        self._spawns: queue.SimpleQueue[_Spawn | _Stop] = queue.SimpleQueue()
        self._keeper: threading.Thread | None = None

    @property
    def started(self) -> bool:
        return bool(self.workers) and not self._closing

    def start(self) -> None:
        """Spawns the workers and returns at once; they load their decoders in their own processes."""
        with self._lock:
            if self.workers:
                return
            self._closing = False
            self.workers = [self._spawn(index) for index in range(self.size)]

    def _spawn(self, index: int) -> SpeechWorker:
        """Every worker is started by one thread that lives as long as the pool: Linux delivers a worker's
        PR_SET_PDEATHSIG when the *thread* that started it ends, not the process."""
        if self._keeper is None or not self._keeper.is_alive():
            self._spawns = queue.SimpleQueue()
            self._keeper = threading.Thread(
                target=self._keep, args=(self._spawns,), name="speech-pool-keeper", daemon=True
            )
            self._keeper.start()
        if threading.current_thread() is self._keeper:
            return SpeechWorker(self, index)
        started: concurrent.futures.Future[SpeechWorker] = concurrent.futures.Future()
        self._spawns.put((index, started))
        return started.result()

    def _keep(self, spawns: queue.SimpleQueue[_Spawn | _Stop]) -> None:
        while (request := spawns.get()) is not _STOP:
            index, started = request
            try:
                started.set_result(SpeechWorker(self, index))
            except BaseException as error:  # a failed Popen is the caller's error, not the keeper's end
                started.set_exception(error)

    def wait_ready(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        return all(worker.ready.wait(max(0.0, deadline - time.monotonic())) for worker in list(self.workers))

    def pids(self) -> list[int]:
        return [worker.pid for worker in self.workers if worker.alive]

    def open_turn(self, rate: int, mode: Mode = Mode.STREAMING) -> PoolTurn:
        with self._lock:
            if not self.workers and not self._closing:
                self.workers = [self._spawn(index) for index in range(self.size)]
            live = [worker for worker in self.workers if worker.alive]
            self._next_turn = self._next_turn % 0xFFFFFFFF + 1
            turn_id = self._next_turn
        if not live:
            turn = PoolTurn(None, turn_id, rate)
            turn._fail(ProviderError("no speech worker is running"))
            return turn
        worker = min(live, key=lambda candidate: len(candidate.turns))
        turn = PoolTurn(worker, turn_id, rate, trim_quiet=mode == Mode.STREAMING)
        worker.turns[turn_id] = turn
        if not worker.alive:  # it died between the choice and now: its reader has already failed the rest
            turn._fail(ProviderError(f"speech worker {worker.pid} ended"))
            return turn
        worker.send(Op.OPEN, turn_id, OPENING.pack(rate, mode))
        return turn

    def _worker_ended(self, worker: SpeechWorker) -> None:
        """Called from the dead worker's reader thread: replace it unless the pool is closing."""
        with self._lock:
            if self._closing or worker not in self.workers:
                return
            log.warning(
                "speech worker %d (pid %d) ended with %s; starting a new one",
                worker.index,
                worker.pid,
                worker.process.returncode,
            )
            now = time.monotonic()
            self._restarts = [at for at in self._restarts if now - at < 60] + [now]
        if len(self._restarts) > 3 * self.size:  # crashing on start: do not spin, try again a little later
            time.sleep(min(30.0, len(self._restarts)))
        with self._lock:
            if self._closing or worker not in self.workers:
                return
            self.workers[self.workers.index(worker)] = self._spawn(worker.index)

    def close(self, timeout: float = 5.0) -> None:
        """Stop every worker (stdin closes, it exits; killed after `timeout`); blocking, for scripts."""
        with self._lock:
            self._closing = True
            workers, self.workers = self.workers, []
        for worker in workers:
            worker.close()
        deadline = time.monotonic() + timeout
        for worker in workers:
            try:
                worker.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
        with self._lock:
            if self._closing and self._keeper is not None:  # its workers are gone: it may end
                self._spawns.put(_STOP)
                self._keeper = None

    async def aclose(self, timeout: float = 5.0) -> None:
        await asyncio.to_thread(self.close, timeout)


class PoolTurn:
    """One caller turn on one worker: `push` audio while it is spoken, then `finish` (or `cancel`).

    Audio leaves in `BATCH_MS` batches whatever the size of each push. With `trim_quiet`, quiet batches wait
    until speech follows them, and of the quiet at the end of the turn (most of the endpoint detector's
    600 ms) only `TRAILING_QUIET_MS` is decoded: a third of a short turn's CPU is spent on nothing otherwise.
    """

    def __init__(self, worker: SpeechWorker | None, turn_id: int, rate: int, trim_quiet: bool = False) -> None:
        self.worker, self.turn_id, self.rate = worker, turn_id, rate
        self.partial = ""  # the worker's latest hypothesis while the turn is spoken (read it, never waits)
        self.result: concurrent.futures.Future[str] = concurrent.futures.Future()
        self._batch = bytearray()
        self._batch_bytes = rate * 2 * BATCH_MS // 1000
        self._trim_quiet = trim_quiet
        self._quiet: list[bytes] = []
        self.shipped = 0  # bytes of audio sent to the worker
        self._ended = False
        self._abandoned = weakref.finalize(self, worker.send, Op.CANCEL, turn_id) if worker is not None else None

    def push(self, pcm: bytes) -> None:
        if self._ended or self.result.done() or not pcm:
            return
        self._batch += pcm
        size = len(self._batch) - len(self._batch) % self._batch_bytes
        if size:
            data = bytes(self._batch[:size])
            del self._batch[:size]
            for start in range(0, size, self._batch_bytes):
                self._ship(data[start : start + self._batch_bytes])

    def end(self) -> concurrent.futures.Future[str]:
        """No more audio: the worker decodes the rest and answers the final transcript."""
        if not self._ended and not self.result.done() and self.worker is not None:
            if self._batch:
                self._ship(bytes(self._batch))
                self._batch.clear()
            for batch in self._quiet[: TRAILING_QUIET_MS // BATCH_MS]:
                self._send(batch)
            self._quiet.clear()
            self.worker.send(Op.END, self.turn_id)
        self._ended = True
        return self.result

    async def finish(self, timeout: float = FINISH_TIMEOUT) -> str:
        try:
            return await asyncio.wait_for(asyncio.wrap_future(self.end()), timeout)
        except TimeoutError:
            raise self._gave_up(timeout) from None

    def finish_blocking(self, timeout: float = FINISH_TIMEOUT) -> str:
        try:
            return self.end().result(timeout)
        except concurrent.futures.TimeoutError:
            raise self._gave_up(timeout) from None

    def _gave_up(self, timeout: float) -> ProviderError:
        """Too late to be useful: the worker stops spending CPU on it."""
        if self.worker is not None:
            self.worker.send(Op.CANCEL, self.turn_id)
        self._forget()
        return ProviderError(f"no transcript from speech worker within {timeout} s")

    def cancel(self) -> None:
        if not self._ended and not self.result.done() and self.worker is not None:
            self.worker.send(Op.CANCEL, self.turn_id)
        self._ended = True
        self._forget()
        self._settle(result="")
        if self._abandoned is not None:
            self._abandoned.detach()

    def _ship(self, batch: bytes) -> None:
        if self.worker is None:
            return
        if self._trim_quiet and rms(batch) < QUIET_RMS:
            self._quiet.append(batch)
            return
        for quiet in self._quiet:
            self._send(quiet)
        self._quiet.clear()
        self._send(batch)

    def _send(self, batch: bytes) -> None:
        assert self.worker is not None
        self.shipped += len(batch)
        self.worker.send(Op.AUDIO, self.turn_id, batch)

    def _forget(self) -> None:
        if self.worker is not None:
            self.worker.turns.pop(self.turn_id, None)

    # --- from the worker's reader thread --------------------------------------------------------
    def _answer(self, kind: int, text: str) -> None:
        if kind == Reply.PARTIAL:
            self.partial = text
            return
        self._forget()
        if self._abandoned is not None:
            self._abandoned.detach()  # the worker is done with it
        if kind == Reply.FINAL:
            self._settle(result=text)
        else:
            self._settle(error=ProviderError(f"speech worker failed the turn: {text}"))

    def _fail(self, error: Exception) -> None:
        self._settle(error=error)

    def _settle(self, result: str | None = None, error: Exception | None = None) -> None:
        """First answer wins; a future the caller cancelled (barge-in, timeout) meanwhile is left alone."""
        try:
            if error is not None:
                self.result.set_exception(error)
            else:
                self.result.set_result(result or "")
        except concurrent.futures.InvalidStateError:
            pass


_shared: SpeechPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> SpeechPool:
    """The pool the process's pocketsphinx STTs use: the installed one, else one started now."""
    global _shared
    with _shared_lock:
        if _shared is None:  # tests and scripts: light on memory; the server's own pool is sized by settings
            _shared = SpeechPool(warm_decoders=2)
            atexit.register(_shared.close)
        return _shared


def install(pool: SpeechPool) -> None:
    """The platform's own pool becomes the shared one."""
    global _shared
    with _shared_lock:
        _shared = pool


def uninstall(pool: SpeechPool) -> None:
    """`pool` is closing: STTs made later start a pool of their own on first use."""
    global _shared
    with _shared_lock:
        if _shared is pool:
            _shared = None
