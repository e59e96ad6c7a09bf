"""The agent's speaking side of a call: utterances filled by TTS, the one player, and barge-in.

Caller speech over the agent first *soft-pauses* the player (`soft_pause`: no new audio leaves, nothing is
cleared) and `soft_resume` plays on from the same frame if it was not an interruption (issue 15); a confirmed
one `pause`s with a `clear` (at onset when the flow has no soft barge-in). The turn that follows either
resumes it (noise, no words, a backchannel) or interrupts it for real (`interrupt`): the reply task is
cancelled and each pending utterance is settled with only what the caller heard.

A pause holds pending audio and nothing else: when the last pending utterance settles (its mark came back or
timed out while the caller was talking) the pause is released, and a new reply never starts behind a stale
pause. Otherwise a turn that ends after the agent went quiet skips `interrupt()` and its reply is never heard
(issue 13, the paused-player race).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Any

from app.calls.contract import Speaker
from app.latency.turns import TurnLatency
from app.voice.audio import FRAME_MS
from app.voice.clock import Clock
from app.voice.output import CallOutput
from app.voice.player import AudioPlayer
from app.voice.providers.base import Providers, Voice
from app.voice.sentences import SentenceSplitter
from app.voice.session_events import (
    BargeIn,
    PlayerRepaired,
    SessionEvents,
    TtsFirstAudio,
    TtsRequested,
    UtteranceSettled,
)
from app.voice.session_facts import CallFacts
from app.voice.session_tasks import CallTasks
from app.voice.session_transcript import Conversation
from app.voice.utterance import Utterance, UtteranceState

log = logging.getLogger("app.voice.session")
FRAME = FRAME_MS / 1000


class AgentSpeech:
    """`caller_speaking`: whether the caller is mid-speech now (a pause for it must hold). `turn_latency`: a
    settled reply's measured latency (the call meter's), written with its transcript turn."""

    def __init__(
        self,
        *,
        facts: CallFacts,
        providers: Providers,
        voice: Voice,
        rate: int,
        output: CallOutput,
        clock: Clock,
        conversation: Conversation,
        tasks: CallTasks,
        events: SessionEvents,
        caller_speaking: Callable[[], bool],
        rewind_cleared: bool = False,
        turn_latency: Callable[[str], TurnLatency | None] = lambda utterance: None,
    ) -> None:
        self._facts = facts
        self._providers = providers
        self._voice = voice
        self._rate = rate
        self._output = output
        self._clock = clock
        self._conversation = conversation
        self._tasks = tasks
        self._events = events
        self._caller_speaking = caller_speaking
        self._turn_latency = turn_latency
        self.player: AudioPlayer | None = None
        self.reply_task: asyncio.Task[Any] | None = None
        self.invariant_violations = 0  # the brain went idle with the player paused and the caller quiet
        self._sounded: set[str] = set()  # utterances whose first TTS audio was marked
        self._cleared = False  # a `clear` went out for the current pause
        self._rewind_cleared = rewind_cleared  # a resume after a `clear` replays what the clear dropped
        self._paused_at: float | None = None
        self._dropped: tuple[Utterance, int] | None = None  # (utterance, frames the carrier dropped)

    def open(self, player: AudioPlayer) -> None:
        self.player = player

    async def close(self) -> None:
        """At the end of the call (its tasks already stopped): whatever was still pending was interrupted."""
        for utterance in list(self.player.pending if self.player else ()):
            await self.settle(utterance, UtteranceState.INTERRUPTED)

    @property
    def active(self) -> bool:
        """Thinking or speaking: caller speech now means a possible interruption."""
        speaking = self.player is not None and bool(self.player.pending)
        return speaking or (self.reply_task is not None and not self.reply_task.done())

    @property
    def sounding(self) -> bool:
        """Some of what the agent is saying has already reached the caller (not only thinking)."""
        return any(u.started_at is not None for u in (self.player.pending if self.player is not None else ()))

    @property
    def reply_sounded_at(self) -> float | None:
        """When the caller began to hear the pending reply (None: nothing of it played yet)."""
        for utterance in self.player.pending if self.player is not None else ():
            if utterance.kind == "reply" and utterance.started_at is not None:
                return utterance.started_at
        return None

    @property
    def quiet_since(self) -> float:
        """When the agent last finished speaking (call clock)."""
        return self.player.finished_at if self.player is not None else self._facts.started_at

    def _playing(self) -> AudioPlayer:
        assert self.player is not None, "the player opens with the call"
        return self.player

    # --- barge-in ------------------------------------------------------------------------------
    def soft_pause(self) -> None:
        """Caller speech over the agent, not yet an interruption: stop sending, clear nothing."""
        player = self._playing()
        if not player.paused:
            self._paused_at = self._clock.now()
        player.pause()

    def soft_resume(self) -> None:
        """The caller went quiet without interrupting: play on from the frame where the pause stopped (after a
        `clear`, from before what it dropped)."""
        player = self._playing()
        if not player.paused:
            return
        if self._cleared:
            self._resume()
        else:
            self._paused_at = None
            player.resume()

    async def pause(self, onset: float) -> None:
        """A confirmed interruption: paused, and what the carrier holds is cleared (once per pause)."""
        player = self._playing()
        now = self._clock.now()
        if not player.paused:
            self._paused_at = now
        player.pause()
        if player.audio_sent and not self._cleared:
            self._cleared = True
            self._dropped = self._still_buffered(player, now)
            await self._output.clear()
            self._events.emit(BargeIn(onset, self._clock.now()))

    def _still_buffered(self, player: AudioPlayer, now: float) -> tuple[Utterance, int] | None:
        """What the carrier had not played yet when the `clear` dropped it: the player runs `lead` ahead of the
        caller's ear and has sent nothing since the pause, so the carrier has drained that long."""
        playing = next((u for u in player.pending if u.state == UtteranceState.PLAYING), None)
        since = now - (self._paused_at if self._paused_at is not None else now)
        frames = int(max(0.0, player.lead - since) / FRAME + 0.5)
        return (playing, frames) if playing is not None and frames else None

    def _resume(self) -> None:
        dropped, self._dropped = self._dropped, None
        if dropped is not None and self._cleared and self._rewind_cleared:
            utterance, frames = dropped
            if utterance.state == UtteranceState.PLAYING:
                utterance.position = max(0, utterance.position - frames)  # nothing the clear dropped is lost
        self._cleared = False
        self._paused_at = None
        self._playing().resume()

    def resume_if_quiet(self) -> None:
        """A false interruption (noise, no words, a backchannel): the agent carries on where it stopped."""
        player = self._playing()
        if player.paused and not self._caller_speaking():
            self._resume()

    async def interrupt(self) -> None:
        """A real interruption: stop thinking and speaking; keep only what the caller heard."""
        player = self._playing()
        task, self.reply_task = self.reply_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for utterance in list(player.pending):
            await self.settle(utterance, UtteranceState.INTERRUPTED)
        self._resume()

    async def settle(self, utterance: Utterance, state: UtteranceState) -> None:
        """Once per utterance: its final state, and its heard text into history and the transcript."""
        if utterance.finished.is_set():
            return
        try:
            await self._settle(utterance, state)
        finally:
            utterance.reported.set()

    async def _settle(self, utterance: Utterance, state: UtteranceState) -> None:
        player = self._playing()
        utterance.state = state
        utterance.finish()
        utterance.finished.set()
        player.forget(utterance)
        self._sounded.discard(utterance.mark)
        if player.paused and not player.pending:
            self._resume()  # nothing left for the pause to hold
        text = utterance.played_text()
        now = self._clock.now()
        self._events.emit(
            UtteranceSettled(
                now,
                utterance.mark,
                utterance.kind,
                state,
                text,
                first_frame_at=utterance.started_at,
                frames_sent=utterance.position,
                frames=len(utterance.frames),
            )
        )
        latency = self._turn_latency(utterance.mark)  # measured by an observer of the event just emitted
        if not text:
            return
        self._conversation.history.append({"role": "assistant", "content": text})
        at = (utterance.started_at if utterance.started_at is not None else now) - self._facts.started_at
        await self._conversation.transcript(Speaker.AGENT, text, at, latency)

    # --- speaking ------------------------------------------------------------------------------
    def use_voice(self, voice: Voice) -> None:
        """The call's language moved (issue 16): the next sentences are spoken with this voice."""
        self._voice = voice

    def new_utterance(self, kind: str, queued: bool = True) -> Utterance:
        """`queued=False`: a draft, filled now and handed to the player by `play` once the turn is confirmed."""
        utterance = Utterance(self._rate, kind)
        if queued:
            self._playing().enqueue(utterance)
        return utterance

    def play(self, utterance: Utterance, task: asyncio.Task[Any]) -> None:
        """A drafted reply becomes the reply: queued for the player, its task the one `interrupt` cancels."""
        self.resume_if_quiet()
        self._playing().enqueue(utterance)
        self.reply_task = task

    async def speak_into(self, utterance: Utterance, sentence: str) -> None:
        self._events.emit(TtsRequested(self._clock.now(), utterance.mark, len(sentence)))
        try:
            stream = self._providers.tts.synthesize(sentence, self._voice, self._rate)
            async with aclosing(stream) as chunks:
                async for chunk in chunks:
                    if utterance.mark not in self._sounded:
                        self._sounded.add(utterance.mark)
                        self._events.emit(TtsFirstAudio(self._clock.now(), utterance.mark))
                    utterance.add_audio(chunk)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("TTS failed on call %s", self._facts.call_id)
            return
        utterance.end_sentence(sentence)

    def start(self, coroutine: Coroutine[Any, Any, object]) -> None:
        """The one reply task at a time; `interrupt` cancels it. The brain decided to speak: a pause left over
        from speech that has ended is released (one from speech still going on stays, its turn resolves it)."""
        self.resume_if_quiet()
        self.reply_task = self._tasks.spawn(coroutine, "reply")

    def check_running(self, what: str, queued: bool = False) -> None:
        """The invariant after the brain handled an item: a caller who is quiet and has nothing more queued
        (`queued`) never leaves the player paused. Logged, counted and repaired if it ever breaks."""
        if self.player is None or not self.player.paused or self._caller_speaking() or queued:
            return
        self.invariant_violations += 1
        log.error(
            "call %s: the player stayed paused after %s with the caller quiet: resuming it", self._facts.call_id, what
        )
        self._resume()
        self._events.emit(PlayerRepaired(self._clock.now(), what))

    async def say(self, text: str, kind: str) -> bool:
        """Fixed text (greeting, re-prompt, goodbye), sentence by sentence; True when it was heard in full."""
        utterance = self.new_utterance(kind)
        splitter = SentenceSplitter()
        try:
            for sentence in [*splitter.push(text + " "), splitter.flush()]:
                if sentence:
                    await self.speak_into(utterance, sentence)
        finally:
            utterance.finish()
        await utterance.finished.wait()
        await utterance.reported.wait()  # an end that follows never cuts the line from the transcript
        return utterance.state == UtteranceState.PLAYED
