"""Offline STT: pocketsphinx with the English model the wheel ships, decoded in worker processes.

pocketsphinx holds the GIL while it decodes, so it never runs in the server process: each turn goes to a
worker of the speech pool (`speech_pool.py`) and is decoded while the caller speaks (`open_turn`), so the
final transcript is ready within tens of milliseconds of the end of the turn. A whole utterance handed over
at once (`transcribe`: a remote STT failed on the turn) gets the full default search instead. A worker that
dies fails its turns with `ProviderError`; the session treats that as a turn it did not hear.
"""

from __future__ import annotations

from app.voice.providers.base import Transcript
from app.voice.providers.speech_pool import PoolTurn, SpeechPool, shared_pool
from app.voice.providers.speech_protocol import Mode

LANGUAGE = "en-IN"


class PocketsphinxTurn:
    """A `SpeechTurn` on one worker; `partial` is the hypothesis so far (updated every ~100 ms of audio)."""

    def __init__(self, turn: PoolTurn, language: str | None) -> None:
        self._turn, self.language = turn, language

    @property
    def partial(self) -> str:
        """The hypothesis so far; empty once the turn failed (its worker died): nothing was heard for sure."""
        result = self._turn.result
        if result.done() and result.exception() is not None:
            return ""
        return self._turn.partial

    def push(self, pcm: bytes) -> None:
        self._turn.push(pcm)

    def end(self) -> None:
        self._turn.end()

    async def finish(self) -> Transcript:
        return Transcript(await self._turn.finish(), LANGUAGE)

    def cancel(self) -> None:
        self._turn.cancel()


class PocketsphinxSTT:
    """English only: other languages still get an (English) best effort rather than nothing."""

    def __init__(self, pool: SpeechPool | None = None) -> None:
        self._pool = pool

    @property
    def pool(self) -> SpeechPool:
        return self._pool or shared_pool()

    def open_turn(self, rate: int, language: str | None) -> PocketsphinxTurn:
        return PocketsphinxTurn(self.pool.open_turn(rate), language)

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        if not pcm:
            return Transcript("", language)
        turn = self.pool.open_turn(rate, Mode.WHOLE)
        turn.push(pcm)
        return Transcript(await turn.finish(), LANGUAGE)


def transcribe_blocking(pcm: bytes, rate: int, pool: SpeechPool | None = None) -> str:
    """Whole-utterance transcription for scripts and tests outside the event loop."""
    if len(pcm) < 4:
        return ""
    turn = (pool or shared_pool()).open_turn(rate, Mode.WHOLE)
    turn.push(pcm)
    return turn.finish_blocking()
