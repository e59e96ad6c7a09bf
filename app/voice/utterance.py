"""One agent utterance: audio filled in as TTS streams it, played frame by frame, interruptible, and able to
say how much of itself the caller actually heard (LiveKit's speech handle)."""

from __future__ import annotations

import asyncio
import itertools
from enum import Enum

from app.voice.audio import FrameSplitter

_ids = itertools.count(1)


class UtteranceState(str, Enum):
    QUEUED = "queued"
    PLAYING = "playing"
    SENT = "sent"  # every frame left; waiting for the transport's mark
    PLAYED = "played"  # the caller heard all of it
    INTERRUPTED = "interrupted"


class Utterance:
    def __init__(self, rate: int, kind: str = "reply") -> None:
        self.id = next(_ids)
        self.kind = kind
        self.mark = f"utt-{self.id}"
        self.state = UtteranceState.QUEUED
        self.frames: list[bytes] = []
        self.position = 0  # frames sent to the caller so far
        self.started_at: float | None = None
        self.complete = False  # no more audio will be added
        self._segments: list[tuple[str, int]] = []  # (sentence, frame index where it ends)
        self._splitter = FrameSplitter(rate)
        self._more = asyncio.Event()
        self.finished = asyncio.Event()  # played or interrupted, transcript settled
        self.reported = asyncio.Event()  # its heard text is in the call's transcript (or never will be)

    # --- filled by TTS -------------------------------------------------------------------------
    def add_audio(self, pcm: bytes) -> None:
        self.frames.extend(self._splitter.push(pcm))
        self._more.set()

    def end_sentence(self, text: str) -> None:
        self.frames.extend(self._splitter.flush())
        self._segments.append((text, len(self.frames)))
        self._more.set()

    def finish(self) -> None:
        self.complete = True
        self._more.set()

    async def wait_for_audio(self) -> None:
        self._more.clear()
        if self.position < len(self.frames) or self.complete:
            return
        await self._more.wait()

    # --- read by the player and the transcript ------------------------------------------------
    @property
    def done(self) -> bool:
        return self.state in (UtteranceState.PLAYED, UtteranceState.INTERRUPTED)

    @property
    def text(self) -> str:
        return " ".join(text for text, _ in self._segments)

    def played_text(self) -> str:
        """Whole sentences already played, plus the share of words of the sentence cut off."""
        if self.state == UtteranceState.PLAYED:
            return self.text
        heard, begin = [], 0
        for text, end in self._segments:
            if self.position >= end:
                heard.append(text)
            elif self.position > begin:
                words = text.split()
                share = round(len(words) * (self.position - begin) / max(1, end - begin))
                if share:
                    heard.append(" ".join(words[:share]))
                break
            else:
                break
            begin = end
        return " ".join(heard)
