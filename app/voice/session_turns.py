"""Turn-taking: the brain handles one inbox item at a time (caller turn, noise, digit, silence, workflow
command) and decides whether the agent answers, resumes, re-prompts, says goodbye, transfers or ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from app.calls.contract import CallCommand, CallReporter, Speaker
from app.calls.lifecycle import CallOutcome, EndCommand, EndReason, TransferCommand
from app.turn_taking.backchannel import MAX_WORDS, BackchannelClassifier
from app.turn_taking.barge_in import BargeInJudge
from app.voice.clock import Clock
from app.voice.context import CallContext
from app.voice.providers.base import Providers, Transcript
from app.voice.session_config import SessionConfig
from app.voice.session_events import SessionEvents, TranscriptFinal
from app.voice.session_facts import CallFacts
from app.voice.session_inbox import CallerTurn, Dtmf, InboxItem, Noise, Silence
from app.voice.session_language import SessionLanguage
from app.voice.session_reply import AgentReplies, same_words
from app.voice.session_speech import AgentSpeech
from app.voice.session_transcript import Conversation

log = logging.getLogger("app.voice.session")
TURN_PADDING_S = 0.34  # audio a turn carries beyond its speech: the detector's pre-roll and trailing silence


class TurnTaking:
    """`caller_speaking`: whether the caller is mid-speech now (a re-prompt then waits)."""

    def __init__(
        self,
        *,
        facts: CallFacts,
        context: CallContext,
        config: SessionConfig,
        providers: Providers,
        clock: Clock,
        inbox: asyncio.Queue[InboxItem],
        speech: AgentSpeech,
        replies: AgentReplies,
        conversation: Conversation,
        reporter: CallReporter,
        events: SessionEvents,
        caller_speaking: Callable[[], bool],
        backchannels: BackchannelClassifier,
        language: SessionLanguage | None = None,
    ) -> None:
        self._facts = facts
        self._language = language
        self._context = context
        self._config = config
        self._providers = providers
        self._clock = clock
        self._inbox = inbox
        self._speech = speech
        self._replies = replies
        self._conversation = conversation
        self._reporter = reporter
        self._events = events
        self._caller_speaking = caller_speaking
        self._backchannels = backchannels
        self.busy = False  # handling an item: the silence timer waits
        self.reprompts = 0
        self._replied_at: float | None = None  # when the agent last began answering a caller turn
        self.merged_turns = 0

    async def run(self) -> None:
        self._speech.start(self._speech.say(self.greeting(), "greeting"))
        while True:
            item = await self._inbox.get()
            self.busy = True
            try:
                await self.handle(item)
            finally:
                self.busy = False
            self._speech.check_running(type(item).__name__, queued=not self._inbox.empty())

    async def commands(self) -> None:
        """Workflow commands (end, transfer) from any instance join the same queue as caller events."""
        assert self._facts.call_id is not None, "commands are read once the call was reported"
        async for command in self._reporter.commands(self._facts.call_id):
            self._inbox.put_nowait(command)

    def greeting(self) -> str:
        ctx = self._context
        opening = ctx.script.opening_line or (
            f"Hello, this is {ctx.agent_name}. How can I help you today?"
            if ctx.agent_name
            else "Hello! How can I help you today?"
        )
        return " ".join(part for part in (ctx.recording_disclosure, opening) if part)

    async def handle(self, item: InboxItem) -> None:
        if isinstance(item, CallerTurn):
            await self.caller_turn(item)
        elif isinstance(item, Noise):
            self._speech.resume_if_quiet()
        elif isinstance(item, Dtmf):
            await self.caller_said(f"(keypad) {item.digit}", self._facts.since_start(self._clock.now()))
        elif isinstance(item, Silence):
            await self.silence()
        elif isinstance(item, CallCommand):
            await self.command(item)

    async def caller_turn(self, turn: CallerTurn) -> None:
        transcript: Transcript | None
        try:
            transcript = self._drafted_words(turn)
            if transcript is None and turn.heard is not None:
                transcript = await turn.heard.finish()
            elif transcript is None:
                transcript = await self._providers.stt.transcribe(turn.pcm, self._config.rate, self._hearing())
            text = transcript.text.strip()
        except Exception:
            log.exception("STT failed on call %s", self._facts.call_id)
            text, transcript = "", None
        if transcript is not None:
            self._facts.heard_language(transcript.language, text)
            self._events.emit(
                TranscriptFinal(
                    self._clock.now(), text, transcript.language, audio_seconds=len(turn.pcm) / 2 / self._config.rate
                )
            )
        if not text:  # a false interruption: no words followed the noise
            self._replies.drop_draft()
            self._speech.resume_if_quiet()
            return
        at = self._facts.since_start(turn.started_at)
        aside = self._config.turn_taking.soft_barge_in and (
            self._backchannels.is_aside(text) or self._short_aside(turn, text)
        )
        if self._speech.active and (self._backchannels.is_backchannel(text) or aside):
            await self._conversation.transcript(Speaker.CUSTOMER, text, at)
            self._speech.resume_if_quiet()
            return
        if self._language is not None:  # before the reply: it is spoken in the new language
            await self._language.after_turn(text, transcript.language if transcript is not None else None)
        await self.caller_said(text, at, merge=self._goes_on(turn))

    def _short_aside(self, turn: CallerTurn, text: str) -> bool:
        """A sound as short as a backchannel over the agent's voice, with no word asking it to stop: what the
        barge-in judge resumed from stays resumed, whatever words the STT made of "haan ji" or "theek hai"."""
        speech_s = len(turn.pcm) / 2 / self._config.rate - TURN_PADDING_S
        short = speech_s <= BargeInJudge.SHORT_MS / 1000
        return self._speech.sounding and short and self._backchannels.may_be_backchannel(text, MAX_WORDS)

    def _hearing(self) -> str:
        return self._language.current if self._language is not None else self._context.language

    def _drafted_words(self, turn: CallerTurn) -> Transcript | None:
        """A draft answers the partial the STT still holds at the end of the turn: those are the caller's words,
        and the reply needs no wait for the STT's final pass (the streamed turn is let go)."""
        drafted = self._replies.drafted
        partial = getattr(turn.heard, "partial", None)
        if drafted is None or turn.heard is None or not isinstance(partial, str) or not same_words(partial, drafted):
            return None
        turn.heard.cancel()
        return Transcript(drafted)

    def _goes_on(self, turn: CallerTurn) -> bool:
        """The caller went on while the agent was still thinking about its last turn, or within
        `merge_grace_ms` of the reply starting to sound: one turn, answered once."""
        if not self._speech.active or self._replied_at is None or turn.started_at < self._replied_at:
            return False
        sounded = self._speech.reply_sounded_at
        grace = self._config.turn_taking.merge_grace_ms / 1000
        return sounded is None or turn.started_at - sounded <= grace

    async def caller_said(self, text: str, at: float, merge: bool = False) -> None:
        speech = self._speech
        if speech.active:
            await speech.interrupt()
        self.reprompts = 0
        self._facts.last_activity = self._clock.now()
        await self._conversation.transcript(Speaker.CUSTOMER, text, at)
        history = self._conversation.history
        last_user = max((i for i, m in enumerate(history) if m["role"] == "user"), default=None)
        if merge and last_user is not None:
            self.merged_turns += 1
            del history[last_user + 1 :]  # what the agent began to say to half a turn
            history[last_user] = {"role": "user", "content": f"{history[last_user]['content']} {text}"}
        else:
            history.append({"role": "user", "content": text})
        self._replied_at = self._clock.now()
        if not self._replies.adopt_draft(history[-1]["content"]):
            speech.start(self._replies.reply())

    async def silence(self) -> None:
        if self._speech.active or self._caller_speaking():
            return
        self.reprompts += 1
        config = self._config
        if self.reprompts > config.max_reprompts:
            self._speech.start(self._goodbye())
        else:
            self._speech.start(self._say(config.reprompt_text, "reprompt"))

    async def _say(self, text: str, kind: str) -> None:
        await self._speech.say(text, kind)

    async def _goodbye(self) -> None:
        if await self._speech.say(self._config.goodbye_text, "goodbye"):
            self._facts.end(CallOutcome.CONNECTED, EndReason.SILENCE)

    async def command(self, command: CallCommand) -> None:
        if isinstance(command, EndCommand):
            self._facts.end(CallOutcome.CONNECTED, command.reason or EndReason.WORKFLOW_END)
        elif isinstance(command, TransferCommand):
            await self._speech.interrupt()
            await self._replies.transfer(command.target or "default", command.agent_brief or "")
