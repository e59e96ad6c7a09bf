"""Turn-taking: the brain handles one inbox item at a time (caller turn, noise, digit, silence, workflow
command) and decides whether the agent answers, resumes, re-prompts, says goodbye, transfers or ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from app.calls.contract import CallCommand, CallReporter, Speaker
from app.calls.lifecycle import CallOutcome, EndCommand, EndReason, TransferCommand
from app.voice.backchannel import is_backchannel
from app.voice.clock import Clock
from app.voice.context import CallContext
from app.voice.providers.base import Providers, Transcript
from app.voice.session_config import SessionConfig
from app.voice.session_events import SessionEvents, TranscriptFinal
from app.voice.session_facts import CallFacts
from app.voice.session_inbox import CallerTurn, Dtmf, InboxItem, Noise, Silence
from app.voice.session_reply import AgentReplies
from app.voice.session_speech import AgentSpeech
from app.voice.session_transcript import Conversation

log = logging.getLogger("app.voice.session")


class TurnTaking:
    """`caller_speaking`: whether the caller is mid-speech now (a re-prompt then waits)."""

    def __init__(self, *, facts: CallFacts, context: CallContext, config: SessionConfig, providers: Providers,
                 clock: Clock, inbox: asyncio.Queue[InboxItem], speech: AgentSpeech, replies: AgentReplies,
                 conversation: Conversation, reporter: CallReporter, events: SessionEvents,
                 caller_speaking: Callable[[], bool]) -> None:
        self._facts = facts
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
        self.busy = False                       # handling an item: the silence timer waits
        self.reprompts = 0

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
            f"Hello, this is {ctx.agent_name}. How can I help you today?" if ctx.agent_name
            else "Hello! How can I help you today?")
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
            if turn.heard is not None:
                transcript = await turn.heard.finish()
            else:
                transcript = await self._providers.stt.transcribe(turn.pcm, self._config.rate,
                                                                   self._context.language)
            text = transcript.text.strip()
        except Exception:
            log.exception("STT failed on call %s", self._facts.call_id)
            text, transcript = "", None
        if transcript is not None:
            self._facts.heard_language(transcript.language, text)
            self._events.emit(TranscriptFinal(self._clock.now(), text, transcript.language))
        if not text:  # a false interruption: no words followed the noise
            self._speech.resume_if_quiet()
            return
        at = self._facts.since_start(turn.started_at)
        if self._speech.active and is_backchannel(text):
            await self._conversation.transcript(Speaker.CUSTOMER, text, at)
            self._speech.resume_if_quiet()
            return
        await self.caller_said(text, at)

    async def caller_said(self, text: str, at: float) -> None:
        speech = self._speech
        if speech.active:
            await speech.interrupt()
        self.reprompts = 0
        self._facts.last_activity = self._clock.now()
        await self._conversation.transcript(Speaker.CUSTOMER, text, at)
        self._conversation.history.append({"role": "user", "content": text})
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
