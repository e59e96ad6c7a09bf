"""What a call session needs from its transport: where agent audio and control go."""

from __future__ import annotations

from typing import Protocol

from app.calls.contract import Speaker


class CallOutput(Protocol):
    async def send_audio(self, frame: bytes) -> None:
        """One 20 ms PCM16 frame at the call's rate, already paced in real time."""

    async def send_mark(self, name: str) -> None:
        """Placed after an utterance's audio; the transport calls `session.mark_played(name)` when heard."""

    async def clear(self) -> None:
        """Drop any agent audio still queued on the far side (barge-in)."""

    async def send_transcript(self, speaker: Speaker, text: str, timestamp: float) -> None:
        """A finished turn, for transports that show text (the browser test)."""
