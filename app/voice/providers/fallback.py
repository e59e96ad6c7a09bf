"""A remote speech provider with the local one behind it, so a provider failure never leaves the caller in
silence (TTS) or unheard (STT).

TTS, per sentence: the primary speaks it; if it fails before its first audio (connection refused, HTTP
error, nothing within `first_byte_seconds`) the local TTS speaks the same sentence at the same rate. If it
fails after some audio went out the words are not repeated: the failure is logged and re-raised, so the
session drops the rest of that sentence as it always did. STT, per turn: a primary that raises (on
`transcribe`, or on a streamed turn's `finish()`) is replaced by the local STT on the turn's audio; the
streamed turn keeps its own copy of the pushed audio for that.

A per-call breaker: after `failures_to_open` consecutive primary failures the wrapper stops calling the
primary and speaks/listens locally for the rest of the call, so a dead provider does not add its timeout to
every sentence. An error marked `permanent` (ElevenLabs' 404 for a voice it does not have) opens it at once:
every later sentence would fail the same way. Log lines name the call (`call=`, the id the carrier or the
dialer gave it) so a call's log says why it was spoken locally. Cancellation (barge-in) passes straight
through and is never a failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing

from app.voice.providers.base import (
    Closable,
    EndsEarly,
    ProviderError,
    SpeechToText,
    SpeechTurn,
    StreamingSpeechToText,
    TextToSpeech,
    Transcript,
    Voice,
)

log = logging.getLogger("app.voice.providers.fallback")

FIRST_BYTE_SECONDS = 2.0
FAILURES_TO_OPEN = 3

# Told `reason` ("error", "timeout" or "breaker") each time the local provider stands in.
FallbackCounter = Callable[[str], None]


class Breaker:
    """Consecutive primary failures of one call; open (local only) from the `limit`-th on."""

    def __init__(self, name: str, limit: int = FAILURES_TO_OPEN) -> None:
        self.name, self.limit, self.failures = name, limit, 0

    @property
    def open(self) -> bool:
        return self.failures >= self.limit

    def succeeded(self) -> None:
        if not self.open:
            self.failures = 0

    def failed(self) -> None:
        self.failures += 1
        if self.failures == self.limit:
            log.warning(
                "%s failed %d times in a row: the local provider takes over for the rest of the call",
                self.name,
                self.limit,
            )

    def trip(self, why: str) -> None:
        """A failure that will not go away (a missing voice): local for the rest of the call, now."""
        if not self.open:
            self.failures = self.limit
            log.warning(
                "%s cannot recover (%s): the local provider takes over for the rest of the call", self.name, why
            )


def _ignore(reason: str) -> None:
    return None


def _describe(error: BaseException) -> str:
    return str(error) or error.__class__.__name__


def _call_prefix(call: str | None) -> str:
    return f"call {call}: " if call else ""


class FallbackTTS:
    def __init__(
        self,
        primary: TextToSpeech,
        fallback: TextToSpeech,
        name: str,
        first_byte_seconds: float = FIRST_BYTE_SECONDS,
        failures_to_open: int = FAILURES_TO_OPEN,
        count: FallbackCounter | None = None,
        call: str | None = None,
    ) -> None:
        self.primary, self.fallback, self.name = primary, fallback, name
        self.first_byte_seconds = first_byte_seconds
        self._where = _call_prefix(call)
        self.breaker = Breaker(f"{self._where}{name} TTS", failures_to_open)
        self._count = count if count is not None else _ignore

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncGenerator[bytes, None]:
        if self.breaker.open:
            self._count("breaker")
            async for chunk in self._local(text, voice, rate):
                yield chunk
            return
        heard = False
        reason = "error"
        try:
            async with aclosing(self.primary.synthesize(text, voice, rate)) as chunks:
                first = await self._first_chunk(chunks)
                if first is not None:
                    heard = True
                    yield first
                    async for chunk in chunks:
                        yield chunk
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if isinstance(error, ProviderError) and error.permanent:
                self.breaker.trip(_describe(error))
            else:
                self.breaker.failed()
            if heard:
                log.warning(
                    "%s%s TTS failed mid-sentence (%s); the rest of %r is dropped, not repeated",
                    self._where,
                    self.name,
                    _describe(error),
                    text[:60],
                )
                raise
            reason = "timeout" if isinstance(error, TimeoutError) else "error"
            log.warning(
                "%s%s TTS failed before any audio (%s); espeak-ng speaks %r",
                self._where,
                self.name,
                _describe(error),
                text[:60],
            )
        else:
            self.breaker.succeeded()
            return
        self._count(reason)
        async for chunk in self._local(text, voice, rate):
            yield chunk

    async def _first_chunk(self, chunks: AsyncIterator[bytes]) -> bytes | None:
        """The first non-empty chunk within `first_byte_seconds` (TimeoutError otherwise); None: no audio at
        all. Runs in the caller's task, so a barge-in cancellation is not mistaken for the timeout."""
        async with asyncio.timeout(self.first_byte_seconds):
            async for chunk in chunks:
                if chunk:
                    return chunk
        return None

    async def _local(self, text: str, voice: Voice, rate: int) -> AsyncGenerator[bytes, None]:
        async with aclosing(self.fallback.synthesize(text, voice, rate)) as chunks:
            async for chunk in chunks:
                yield chunk

    async def aclose(self) -> None:
        if isinstance(self.primary, Closable):
            await self.primary.aclose()


class FallbackSTT:
    def __init__(
        self,
        primary: SpeechToText,
        fallback: SpeechToText,
        name: str,
        failures_to_open: int = FAILURES_TO_OPEN,
        count: FallbackCounter | None = None,
    ) -> None:
        self.primary, self.fallback, self.name = primary, fallback, name
        self.breaker = Breaker(f"{name} STT", failures_to_open)
        self._count = count if count is not None else _ignore

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        if self.breaker.open:
            self._count("breaker")
            return await self.fallback.transcribe(pcm, rate, language)
        try:
            transcript = await self.primary.transcribe(pcm, rate, language)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            return await self.failed_over(error, pcm, rate, language)
        self.breaker.succeeded()
        return transcript

    async def failed_over(self, error: Exception, pcm: bytes, rate: int, language: str | None) -> Transcript:
        """The primary failed on this turn: the local STT transcribes its audio."""
        self.breaker.failed()
        self._count("timeout" if isinstance(error, TimeoutError) else "error")
        log.warning("%s STT failed (%s); pocketsphinx transcribes the turn", self.name, _describe(error))
        return await self.fallback.transcribe(pcm, rate, language)

    async def aclose(self) -> None:
        if isinstance(self.primary, Closable):
            await self.primary.aclose()


class StreamingFallbackSTT(FallbackSTT):
    """The same for a streaming primary, which stays streaming (`isinstance(.., StreamingSpeechToText)`)."""

    primary: StreamingSpeechToText

    def open_turn(self, rate: int, language: str | None) -> SpeechTurn:
        if self.breaker.open:
            return FallbackTurn(self, None, rate, language, "breaker")
        try:
            return FallbackTurn(self, self.primary.open_turn(rate, language), rate, language)
        except Exception as error:
            log.warning("%s STT could not open a turn (%s); pocketsphinx hears it", self.name, _describe(error))
            self.breaker.failed()
            return FallbackTurn(self, None, rate, language, "error")


class FallbackTurn:
    """A streamed turn plus a copy of its audio; without a streamed turn (breaker open) only the copy."""

    def __init__(
        self,
        owner: StreamingFallbackSTT,
        streamed: SpeechTurn | None,
        rate: int,
        language: str | None,
        local_because: str = "",
    ) -> None:
        self.owner, self.streamed, self.rate, self.language = owner, streamed, rate, language
        self.local_because = local_because  # why there is no streamed turn: "breaker" or "error"
        self.audio = bytearray()

    def push(self, pcm: bytes) -> None:
        self.audio += pcm
        if self.streamed is not None:
            self.streamed.push(pcm)

    def end(self) -> None:
        if isinstance(self.streamed, EndsEarly):
            self.streamed.end()

    async def finish(self) -> Transcript:
        owner, pcm = self.owner, bytes(self.audio)
        if self.streamed is None:
            owner._count(self.local_because)
            return await owner.fallback.transcribe(pcm, self.rate, self.language)
        try:
            transcript = await self.streamed.finish()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            return await owner.failed_over(error, pcm, self.rate, self.language)
        owner.breaker.succeeded()
        return transcript

    def cancel(self) -> None:
        self.audio.clear()
        if self.streamed is not None:
            self.streamed.cancel()


def with_local_stt(
    primary: SpeechToText,
    fallback: SpeechToText,
    name: str,
    failures_to_open: int = FAILURES_TO_OPEN,
    count: FallbackCounter | None = None,
) -> FallbackSTT:
    """The wrapper that keeps the primary's capabilities (streaming or not)."""
    kind = StreamingFallbackSTT if isinstance(primary, StreamingSpeechToText) else FallbackSTT
    return kind(primary, fallback, name, failures_to_open, count)
