"""A pocketsphinx worker process: warm decoders, one per turn in progress, fed by the server over stdin.

pocketsphinx holds the GIL for the whole of `process_raw`, so decoding in the server's threads freezes its
event loop; here it runs in its own process (`python -m app.voice.providers.speech_worker`). The loop reads
every message that has arrived, then does one piece of work: a turn that has ended is finished first (its
caller is waiting for the reply), otherwise the oldest pending batch of audio is decoded. Each turn is decoded
incrementally while it is spoken, so ending it costs only its last batch. The process exits when stdin closes
(the server stopped or died) and, on Linux, when its parent dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from app.voice.providers.speech_protocol import OPENING, MessageBuffer, Mode, Op, Reply, encode
from app.voice.providers.stream_resampler import StreamResampler

DECODER_RATE = 16000
# Streaming turns, tuned on 8 kHz telephone speech upsampled to the 16 kHz model (scripts/bench_stt.py): tighter
# beams and at most 3000 active HMMs per frame cut the search about threefold at the same word accuracy; the
# second passes (fwdflat, bestpath) are off because partials and the final both come from the first pass.
# Frame downsampling (-ds 2) and -topn 2 saved another ~20 % but mangled short answers ("yes please").
DECODER_OPTIONS: dict[str, object] = {
    "samprate": DECODER_RATE,
    "maxhmmpf": 3000,
    "beam": 1e-40,
    "wbeam": 1e-30,
    "pbeam": 1e-40,
    "fwdflat": False,
    "bestpath": False,
}
# A whole utterance at once (rare: a remote STT failed on the turn): pocketsphinx's full default search.
WHOLE_OPTIONS: dict[str, object] = {"samprate": DECODER_RATE}
OPTIONS = {Mode.STREAMING: DECODER_OPTIONS, Mode.WHOLE: WHOLE_OPTIONS}
PARTIAL_EVERY_BYTES = DECODER_RATE * 2 // 10  # a partial hypothesis at most every 100 ms of audio (one batch):
# barge-in confirmation and adaptive endpointing read it (issue 15)
MAX_IDLE_DECODERS = 16
SPARE_AFTER_IDLE_SECONDS = 0.05  # loading a decoder blocks the worker ~0.4 s: only with no turn in progress
ABANDONED_SECONDS = 120.0  # a turn the server sent nothing for this long is dropped (its decoder reused)


class Hypothesis(Protocol):
    """What we read of pocketsphinx's `Hypothesis` (the package ships no type information)."""

    @property
    def hypstr(self) -> str: ...


class Decoder(Protocol):
    """The part of `pocketsphinx.Decoder` the worker uses (the package ships no type information)."""

    def get_cmn(self, update: bool) -> str: ...
    def set_cmn(self, cmn: str) -> None: ...
    def reinit_feat(self) -> None: ...
    def start_utt(self) -> None: ...
    def process_raw(self, data: bytes, no_search: bool, full_utt: bool) -> int: ...
    def end_utt(self) -> None: ...
    def hyp(self) -> Hypothesis | None: ...


def new_decoder(options: dict[str, object]) -> Decoder:
    import pocketsphinx

    decoder: Decoder = pocketsphinx.Decoder(loglevel="FATAL", **options)
    return decoder


@dataclass(eq=False)
class Turn:
    mode: Mode
    decoder: Decoder
    resampler: StreamResampler
    pending: deque[bytes] = field(default_factory=deque)
    ended: bool = False
    seen: float = field(default_factory=time.monotonic)
    since_partial: int = 0
    partial: str = ""


class Worker:
    def __init__(self, warm: int, out_fd: int) -> None:
        self.out_fd = out_fd
        self.idle: dict[Mode, list[Decoder]] = {
            Mode.STREAMING: [new_decoder(DECODER_OPTIONS) for _ in range(max(1, warm))],
            Mode.WHOLE: [new_decoder(WHOLE_OPTIONS)],
        }
        self._initial_cmn = self.idle[Mode.STREAMING][0].get_cmn(False)
        self.turns: dict[int, Turn] = {}
        self._order: deque[int] = deque()  # turns with pending audio, oldest first

    def send(self, kind: int, turn: int, payload: bytes = b"") -> None:
        data = encode(kind, turn, payload)
        while data:
            data = data[os.write(self.out_fd, data) :]

    # --- messages -------------------------------------------------------------------------------
    def handle(self, kind: int, turn_id: int, payload: bytes) -> None:
        if kind == Op.OPEN:
            rate, mode = OPENING.unpack(payload)
            self._open(turn_id, rate, Mode(mode))
        elif kind == Op.AUDIO:
            turn = self.turns.get(turn_id)
            if turn is not None:
                turn.seen = time.monotonic()
            if turn is not None and payload:
                turn.pending.append(payload)
                self._order.append(turn_id)
        elif kind == Op.END:
            turn = self.turns.get(turn_id)
            if turn is not None:
                turn.ended = True
        elif kind == Op.CANCEL:
            self._drop(turn_id, reuse=True)

    def _open(self, turn_id: int, rate: int, mode: Mode) -> None:
        self._drop(turn_id, reuse=True)
        idle = self.idle[mode]
        try:
            decoder = idle.pop() if idle else new_decoder(OPTIONS[mode])
            decoder.reinit_feat()  # nothing an earlier caller taught the front end carries over
            decoder.set_cmn(self._initial_cmn)
            decoder.start_utt()
        except Exception as error:  # a decoder that cannot start: this turn fails, the worker lives on
            self.send(Reply.FAILED, turn_id, str(error).encode())
            return
        self.turns[turn_id] = Turn(mode, decoder, StreamResampler(rate, DECODER_RATE))

    def _drop(self, turn_id: int, reuse: bool) -> None:
        turn = self.turns.pop(turn_id, None)
        if turn is None:
            return
        try:
            turn.decoder.end_utt()
        except Exception:
            return  # a decoder in an unknown state is not reused
        if reuse:
            self._release(turn)

    def _release(self, turn: Turn) -> None:
        idle = self.idle[turn.mode]
        if len(idle) < MAX_IDLE_DECODERS:
            idle.append(turn.decoder)

    def keep_a_spare(self) -> None:
        """Called when no turn is in progress: the turn that opens next finds a loaded decoder."""
        if not self.turns and not self.idle[Mode.STREAMING]:
            self.idle[Mode.STREAMING].append(new_decoder(DECODER_OPTIONS))

    def sweep(self) -> None:
        """Drop turns the server forgot (it sends CANCEL for those it drops; this covers the rest)."""
        now = time.monotonic()
        for turn_id in [t for t, turn in self.turns.items() if not turn.ended and now - turn.seen > ABANDONED_SECONDS]:
            self._drop(turn_id, reuse=True)

    # --- work -----------------------------------------------------------------------------------
    def has_work(self) -> bool:
        return bool(self._order) or any(turn.ended for turn in self.turns.values())

    def work(self) -> None:
        """Finish one ended turn, else decode the oldest pending batch."""
        for turn_id, turn in self.turns.items():
            if turn.ended:
                self._finish(turn_id, turn)
                return
        while self._order:
            turn_id = self._order.popleft()
            waiting = self.turns.get(turn_id)
            if waiting is not None and waiting.pending and waiting.mode == Mode.STREAMING:
                self._decode(turn_id, waiting, waiting.pending.popleft())
                return

    def _decode(self, turn_id: int, turn: Turn, pcm: bytes) -> None:
        audio = turn.resampler.push(pcm)
        try:
            turn.decoder.process_raw(audio, no_search=False, full_utt=False)
        except Exception as error:
            self._fail(turn_id, error)
            return
        turn.since_partial += len(audio)
        if turn.since_partial >= PARTIAL_EVERY_BYTES and not turn.ended:
            turn.since_partial = 0
            hypothesis = turn.decoder.hyp()
            text = hypothesis.hypstr.strip() if hypothesis else ""
            if text != turn.partial:
                turn.partial = text
                self.send(Reply.PARTIAL, turn_id, text.encode())

    def _finish(self, turn_id: int, turn: Turn) -> None:
        try:
            if turn.mode == Mode.WHOLE:
                audio = b"".join(turn.resampler.push(pcm) for pcm in turn.pending)
                turn.pending.clear()
                turn.decoder.process_raw(audio, no_search=False, full_utt=True)
            while turn.pending:
                audio = turn.resampler.push(turn.pending.popleft())
                turn.decoder.process_raw(audio, no_search=False, full_utt=False)
            turn.decoder.end_utt()
            hypothesis = turn.decoder.hyp()
        except Exception as error:
            self._fail(turn_id, error)
            return
        del self.turns[turn_id]
        self._release(turn)
        self.send(Reply.FINAL, turn_id, (hypothesis.hypstr.strip() if hypothesis else "").encode())

    def _fail(self, turn_id: int, error: Exception) -> None:
        self.turns.pop(turn_id, None)  # its decoder is dropped, not reused
        self.send(Reply.FAILED, turn_id, (str(error) or error.__class__.__name__).encode())


def die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this process when the server dies, even mid-decode."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def serve(in_fd: int, out_fd: int, warm: int) -> None:
    worker = Worker(warm, out_fd)
    worker.send(Reply.READY, 0)
    messages = MessageBuffer()
    swept = time.monotonic()
    while True:
        busy = worker.has_work()
        readable, _, _ = select.select([in_fd], [], [], 0 if busy else SPARE_AFTER_IDLE_SECONDS)
        if not readable and not busy:
            worker.keep_a_spare()
            readable, _, _ = select.select([in_fd], [], [], ABANDONED_SECONDS / 4)
        if time.monotonic() - swept > ABANDONED_SECONDS / 4:
            worker.sweep()
            swept = time.monotonic()
        if readable:
            data = os.read(in_fd, 1 << 16)
            if not data:
                return  # the server closed the pipe: shut down
            for kind, turn_id, payload in messages.feed(data):
                worker.handle(kind, turn_id, payload)
        if worker.has_work():
            worker.work()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--warm", type=int, default=4, help="streaming decoders loaded before READY")
    parser.add_argument("--nice", type=int, default=0, help="lower priority than the server's event loop")
    args = parser.parse_args(argv)
    # Ctrl-C, or a service manager's SIGTERM to the whole group, is for the server: it finishes its calls and
    # closes our stdin. Our life ends with that (or with the server's death, below), never on our own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent(args.parent)
    if args.nice:
        os.nice(args.nice)
    out_fd = os.dup(1)  # the protocol keeps the pipe; a stray print or C library message goes to stderr
    os.dup2(2, 1)
    serve(sys.stdin.buffer.fileno(), out_fd, args.warm)


if __name__ == "__main__":
    main()
