"""What the turn-taking loop reads, one item at a time: caller turns, noise, keypad digits and silence.

`feed()`, `dtmf()`, the timers and the workflow command stream all put into one queue, so the brain never
handles two caller events at once. `CallCommand`s from the reporter travel the same queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.calls.contract import CallCommand
from app.voice.providers.base import SpeechTurn


class SessionState(str, Enum):
    CREATED = "created"
    ACTIVE = "active"
    ENDING = "ending"
    ENDED = "ended"


@dataclass(frozen=True)
class CallerTurn:
    """The endpointed audio of one caller turn and when (call clock) it began."""

    pcm: bytes
    started_at: float
    heard: SpeechTurn | None = None  # the same turn as a streaming STT heard it while it was spoken


@dataclass(frozen=True)
class Noise:
    """Speech opened but never became a turn: the agent may resume."""


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Silence:
    """The caller has been quiet for `silence_timeout`."""


InboxItem = CallerTurn | Noise | Dtmf | Silence | CallCommand
