"""The pipe protocol between the server and its pocketsphinx worker processes.

Every message is a fixed header (kind, turn id, payload length) and a payload. The server opens a turn, ships
its audio in small batches while the caller speaks, then ends or cancels it; the worker answers with partial
hypotheses while it decodes and one final (or failed) answer per ended turn. Kept free of heavy imports: the
worker process imports it before anything else.
"""

from __future__ import annotations

import os
import struct
from enum import IntEnum

HEADER = struct.Struct("<BII")  # kind, turn id, payload bytes
OPENING = struct.Struct("<IB")  # OPEN's payload: the turn's sample rate and its Mode


class Mode(IntEnum):
    STREAMING = 0  # decoded batch by batch while spoken: live cepstral mean, the tuned first-pass search
    WHOLE = 1  # all audio known at once (a remote STT's fallback): batch mean, the full default search


class Op(IntEnum):
    """Server -> worker."""

    OPEN = 1  # payload: OPENING
    AUDIO = 2  # payload: PCM16 mono at the turn's rate
    END = 3  # the turn is over: decode what is left and answer FINAL
    CANCEL = 4  # noise after all: forget the turn, no answer


class Reply(IntEnum):
    """Worker -> server."""

    READY = 10  # decoders loaded (turn id 0)
    PARTIAL = 11  # payload: UTF-8 hypothesis so far
    FINAL = 12  # payload: UTF-8 transcript
    FAILED = 13  # payload: UTF-8 error text


def encode(kind: int, turn: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, turn, len(payload)) + payload


def read_exactly(fd: int, count: int) -> bytes | None:
    """`count` bytes from a blocking pipe, or None at end of file."""
    chunks, missing = [], count
    while missing:
        chunk = os.read(fd, missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


class MessageBuffer:
    """Splits a byte stream read in arbitrary pieces back into (kind, turn, payload) messages."""

    def __init__(self) -> None:
        self._data = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, int, bytes]]:
        self._data += data
        messages, start = [], 0
        while len(self._data) - start >= HEADER.size:
            kind, turn, length = HEADER.unpack_from(self._data, start)
            end = start + HEADER.size + length
            if end > len(self._data):
                break
            messages.append((kind, turn, bytes(self._data[start + HEADER.size : end])))
            start = end
        del self._data[:start]
        return messages
