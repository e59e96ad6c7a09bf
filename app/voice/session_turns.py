"""Turn-taking: the brain handles one inbox item at a time (caller turn, noise, digit, silence, workflow
command) and decides whether the agent answers, resumes, re-prompts, says goodbye, transfers or ends."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from app.calls.lifecycle import CallEnding, CallOutcome, EndCommand, EndReason, TransferCommand
from app.calls.reporting import CallCommand, Speaker
from app.voice.backchannel import is_backchannel
from app.voice.session_inbox import CallerTurn, Dtmf, Noise, Silence

if TYPE_CHECKING:
    from app.voice.session import CallSession

log = logging.getLogger("app.voice.session")


class TurnTaking:
    def __init__(self, session: "CallSession") -> None:
        self._session = session
        self.busy = False                       # handling an item: the silence timer waits
        self.reprompts = 0
        self.language_detected: str | None = None

    async def run(self) -> None:
        session = self._session
        session.speech.start(session.speech.say(self.greeting(), "greeting"))
        while True:
            item = await session.inbox.get()
            self.busy = True
            try:
                await self.handle(item)
            finally:
                self.busy = False
            session.speech.check_running(type(item).__name__)

    async def commands(self) -> None:
        """Workflow commands (end, transfer) from any instance join the same queue as caller events."""
        session = self._session
        async for command in session.reporter.commands(session.call_id):
            session.inbox.put_nowait(command)

    def greeting(self) -> str:
        ctx = self._session.context
        opening = ctx.script.opening_line or (
            f"Hello, this is {ctx.agent_name}. How can I help you today?" if ctx.agent_name
            else "Hello! How can I help you today?")
        return " ".join(part for part in (ctx.recording_disclosure, opening) if part)

    async def handle(self, item: Any) -> None:
        session = self._session
        if isinstance(item, CallerTurn):
            await self.caller_turn(item)
        elif isinstance(item, Noise):
            session.speech.resume_if_quiet()
        elif isinstance(item, Dtmf):
            await self.caller_said(f"(keypad) {item.digit}", session.clock.now() - session.t0)
        elif isinstance(item, Silence):
            await self.silence()
        elif isinstance(item, CallCommand):
            await self.command(item)

    async def caller_turn(self, turn: CallerTurn) -> None:
        session = self._session
        try:
            if turn.heard is not None:
                transcript = await turn.heard.finish()
            else:
                transcript = await session.providers.stt.transcribe(turn.pcm, session.rate, session.context.language)
            text = transcript.text.strip()
        except Exception:
            log.exception("STT failed on call %s", session.call_id)
            text, transcript = "", None
        if transcript is not None and transcript.language and text:
            self.language_detected = transcript.language
        if not text:  # a false interruption: no words followed the noise
            session.speech.resume_if_quiet()
            return
        if session.agent_active and is_backchannel(text):
            await session.conversation.transcript(Speaker.CUSTOMER, text, turn.started_at - session.t0)
            session.speech.resume_if_quiet()
            return
        await self.caller_said(text, turn.started_at - session.t0)

    async def caller_said(self, text: str, at: float) -> None:
        session = self._session
        if session.agent_active:
            await session.speech.interrupt()
        self.reprompts = 0
        session.last_activity = session.clock.now()
        await session.conversation.transcript(Speaker.CUSTOMER, text, at)
        session.conversation.history.append({"role": "user", "content": text})
        session.speech.start(session.replies.reply())

    async def silence(self) -> None:
        session = self._session
        if session.agent_active or session.endpoint.in_speech:
            return
        self.reprompts += 1
        config, speech = session.config, session.speech
        if self.reprompts > config.max_reprompts:
            speech.start(speech.say(config.goodbye_text, "goodbye", then=CallEnding(CallOutcome.CONNECTED, EndReason.SILENCE)))
        else:
            speech.start(speech.say(config.reprompt_text, "reprompt"))

    async def command(self, command: CallCommand) -> None:
        session = self._session
        if isinstance(command, EndCommand):
            session.end(CallOutcome.CONNECTED, command.reason or EndReason.WORKFLOW_END)
        elif isinstance(command, TransferCommand):
            await session.speech.interrupt()
            await session.replies.transfer(command.target or "default", command.agent_brief or "")
