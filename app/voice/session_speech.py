"""The agent's speaking side of a call: utterances filled by TTS, the one player, and barge-in.

Caller speech pauses the player at once (`pause`); the turn that follows either resumes it (noise, no words,
a backchannel) or interrupts it for real (`interrupt`): the reply task is cancelled and each pending
utterance is settled with only what the caller heard.

A pause holds pending audio and nothing else: when the last pending utterance settles (its mark came back or
timed out while the caller was talking) the pause is released, and a new reply never starts behind a stale
pause. Otherwise a turn that ends after the agent went quiet skips `interrupt()` and its reply is never heard
(issue 13, the paused-player race).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Coroutine

from app.calls.lifecycle import CallEnding
from app.calls.reporting import Speaker
from app.voice.player import AudioPlayer
from app.voice.sentences import SentenceSplitter
from app.voice.utterance import Utterance, UtteranceState

if TYPE_CHECKING:
    from app.voice.session import CallSession

log = logging.getLogger("app.voice.session")


class AgentSpeech:
    def __init__(self, session: "CallSession") -> None:
        self._session = session
        self.player: AudioPlayer | None = None
        self.reply_task: asyncio.Task | None = None
        self.invariant_violations = 0     # the brain went idle with the player paused and the caller quiet

    def open(self, player: AudioPlayer) -> None:
        self.player = player

    @property
    def active(self) -> bool:
        """Thinking or speaking: caller speech now means a possible interruption."""
        speaking = self.player is not None and bool(self.player.pending)
        return speaking or (self.reply_task is not None and not self.reply_task.done())

    # --- barge-in ------------------------------------------------------------------------------
    async def pause(self, onset: float) -> None:
        session = self._session
        if self.player.paused:
            return
        self.player.pause()
        if self.player.audio_sent:
            await session.output.clear()
            session.barge_ins.append((onset, session.clock.now()))

    def resume_if_quiet(self) -> None:
        """A false interruption (noise, no words, a backchannel): the agent carries on where it stopped."""
        if self.player.paused and not self._session.endpoint.in_speech:
            self.player.resume()

    async def interrupt(self) -> None:
        """A real interruption: stop thinking and speaking; keep only what the caller heard."""
        task, self.reply_task = self.reply_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for utterance in list(self.player.pending):
            await self.settle(utterance, UtteranceState.INTERRUPTED)
        self.player.resume()

    async def settle(self, utterance: Utterance, state: UtteranceState) -> None:
        """Once per utterance: its final state, and its heard text into history and the transcript."""
        if utterance.finished.is_set():
            return
        session = self._session
        utterance.state = state
        utterance.finish()
        utterance.finished.set()
        self.player.forget(utterance)
        if self.player.paused and not self.player.pending:
            self.player.resume()  # nothing left for the pause to hold
        text = utterance.played_text()
        if not text:
            return
        session.conversation.history.append({"role": "assistant", "content": text})
        at = (utterance.started_at if utterance.started_at is not None else session.clock.now()) - session.t0
        await session.conversation.transcript(Speaker.AGENT, text, at)

    # --- speaking ------------------------------------------------------------------------------
    def new_utterance(self, kind: str) -> Utterance:
        utterance = Utterance(self._session.rate, kind)
        self.player.enqueue(utterance)
        return utterance

    async def speak_into(self, utterance: Utterance, sentence: str) -> None:
        session = self._session
        try:
            async with aclosing(session.providers.tts.synthesize(sentence, session.voice, session.rate)) as chunks:
                async for chunk in chunks:
                    utterance.add_audio(chunk)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("TTS failed on call %s", session.call_id)
            return
        utterance.end_sentence(sentence)

    def start(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """The one reply task at a time; `interrupt` cancels it. The brain decided to speak: a pause left over
        from speech that has ended is released (one from speech still going on stays, its turn resolves it)."""
        self.resume_if_quiet()
        self.reply_task = self._session.spawn(coroutine, "reply")

    def check_running(self, what: str) -> None:
        """The invariant after the brain handled an item: a caller who is quiet and has nothing more queued
        never leaves the player paused. Logged, counted and repaired if it ever breaks."""
        session = self._session
        if self.player is None or not self.player.paused or session.endpoint.in_speech or not session.inbox.empty():
            return
        self.invariant_violations += 1
        log.error("call %s: the player stayed paused after %s with the caller quiet: resuming it",
                  session.call_id, what)
        self.player.resume()

    async def say(self, text: str, kind: str, then: CallEnding | None = None) -> None:
        """Fixed text (greeting, re-prompt, goodbye), sentence by sentence; optionally end afterwards."""
        utterance = self.new_utterance(kind)
        splitter = SentenceSplitter()
        try:
            for sentence in [*splitter.push(text + " "), splitter.flush()]:
                if sentence:
                    await self.speak_into(utterance, sentence)
        finally:
            utterance.finish()
        await utterance.finished.wait()
        if then is not None and utterance.state == UtteranceState.PLAYED:
            self._session.end(*then)
