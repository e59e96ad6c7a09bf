"""The agent's answer to a caller turn: LLM tokens -> sentences -> TTS while the first sentence already
plays; HTTP tool calls run at once and their answers go back to the model for the next round
(`session_tools`); the built-in actions (`end_call`, `transfer_to_human`, `schedule_callback`,
`mark_do_not_call`, `switch_language`) run once the reply was heard in full."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, cast

from app.calls.contract import CallReporter
from app.calls.lifecycle import CallOutcome, EndReason
from app.voice.clock import Clock
from app.voice.context import CallContext
from app.voice.prompt import TOOLS, system_prompt
from app.voice.providers.base import LLMEvent, LLMUsage, Message, Providers, TextDelta, ToolCall
from app.voice.sentences import SentenceSplitter
from app.voice.session_config import CallbackBooking
from app.voice.session_events import (
    LlmFirstToken,
    LlmReplyFinished,
    ReplyStarted,
    SentenceReady,
    SessionEvents,
    ToolCalled,
)
from app.voice.session_facts import CallFacts
from app.voice.session_language import SessionLanguage
from app.voice.session_speech import AgentSpeech
from app.voice.session_tasks import CallTasks
from app.voice.session_tools import ToolRound
from app.voice.session_transcript import Conversation
from app.voice.utterance import Utterance, UtteranceState

log = logging.getLogger("app.voice.session")
MAX_TOOL_ROUNDS = 3  # model -> tools -> model ...: a model that keeps calling tools is cut off here
_WORD = re.compile(r"[\w\u0900-\u097F']+")


def same_words(a: str, b: str) -> bool:
    return _WORD.findall(a.lower()) == _WORD.findall(b.lower())


@dataclass
class Draft:
    """A reply started on a partial transcript before the turn was confirmed (not queued for the player)."""

    partial: str
    utterance: Utterance
    task: asyncio.Task[list[ToolCall]]


class AgentReplies:
    def __init__(
        self,
        *,
        facts: CallFacts,
        context: CallContext,
        providers: Providers,
        speech: AgentSpeech,
        conversation: Conversation,
        reporter: CallReporter,
        clock: Clock,
        events: SessionEvents,
        tasks: CallTasks,
        fallback_text: str,
        tools: ToolRound | None = None,
        callbacks: CallbackBooking | None = None,
        language: SessionLanguage | None = None,
    ) -> None:
        self._facts = facts
        self._context = context
        self._providers = providers
        self._speech = speech
        self._conversation = conversation
        self._reporter = reporter
        self._clock = clock
        self._events = events
        self._fallback_text = fallback_text
        self._counted_messages = 0  # history messages whose characters are in _counted_characters
        self._counted_characters = 0
        self.tools = tools
        self._callbacks = callbacks
        self._language = language
        self._tasks = tasks
        self._draft: Draft | None = None

    async def reply(self) -> None:
        utterance = self._speech.new_utterance("reply")
        await self._rounds(utterance, await self._fill(utterance, self._conversation.history))

    async def _rounds(self, last: Utterance, calls: list[ToolCall]) -> None:
        """After the model's first answer: HTTP tool rounds (their answers go back to the model), then the
        built-in actions once the last answer was heard in full."""
        actions: list[ToolCall] = []
        for round_number in range(MAX_TOOL_ROUNDS + 1):
            http = [call for call in calls if self.tools is not None and self.tools.is_http(call)]
            actions += [call for call in calls if call not in http]
            if not http or self.tools is None or round_number == MAX_TOOL_ROUNDS:
                break
            result = await self.tools.run(http, last, round_number)
            self._conversation.history.extend(result.messages)
            if result.apologise:
                last = await self.tools.apologise()
                break
            last = self._speech.new_utterance("reply")
            calls = await self._fill(last, self._conversation.history)
        await last.finished.wait()
        await last.reported.wait()  # an end that follows never cuts the reply from the transcript
        if last.state == UtteranceState.PLAYED:
            for tool in actions:
                await self.run_tool(tool)

    def _specs(self) -> list[dict[str, Any]]:
        return [*TOOLS, *(self.tools.specs() if self.tools is not None else ())]

    async def _fill(self, utterance: Utterance, history: list[Message]) -> list[ToolCall]:
        """The LLM's answer to `history`, sentence by sentence into `utterance`; the tool calls it asked for."""
        speech = self._speech
        splitter = SentenceSplitter()
        tools: list[ToolCall] = []
        language = self._language.current if self._language is not None else None
        messages = [{"role": "system", "content": system_prompt(self._context, language)}, *history]
        first = True
        said: list[str] = []
        usage: LLMUsage | None = None
        counted = False  # a failed or interrupted request is counted too: the provider bills it
        self._events.emit(ReplyStarted(self._clock.now(), utterance.mark))
        try:
            stream = cast(AsyncGenerator[LLMEvent, None], self._providers.llm.stream(messages, self._specs()))
            async with aclosing(stream) as events:  # cancel closes it
                async for event in events:
                    if first and not isinstance(event, LLMUsage):
                        first = False
                        self._events.emit(LlmFirstToken(self._clock.now(), utterance.mark))
                    if isinstance(event, TextDelta):
                        said.append(event.text)
                        for sentence in splitter.push(event.text):
                            await self._speak(utterance, sentence)
                    elif isinstance(event, ToolCall):
                        tools.append(event)
                    elif isinstance(event, LLMUsage):
                        usage = event
            self._finished(utterance, messages, said, usage)
            counted = True
            rest = splitter.flush()
            if rest:
                await self._speak(utterance, rest)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("LLM failed on call %s", self._facts.call_id)
            if not utterance.frames:
                await speech.speak_into(utterance, self._fallback_text)
        finally:
            if not counted:
                self._finished(utterance, messages, said, usage)
            utterance.finish()
        return tools

    def _prompt_characters(self, messages: list[Message]) -> int:
        """Characters of the prompt, for a token estimate: the history is counted as it grows (it only grows
        by appends), so a long call pays for its new messages only, not its whole history every turn."""
        history = self._conversation.history
        if len(history) < self._counted_messages:
            self._counted_messages, self._counted_characters = 0, 0
        for message in history[self._counted_messages :]:
            self._counted_characters += len(str(message.get("content") or ""))
        self._counted_messages = len(history)
        system = len(str(messages[0].get("content") or "")) if messages else 0
        return system + self._counted_characters

    def _finished(self, utterance: Utterance, messages: list[Message], said: list[str], usage: LLMUsage | None) -> None:
        prompt = self._prompt_characters(messages) if usage is None else 0
        self._events.emit(
            LlmReplyFinished(
                self._clock.now(),
                utterance.mark,
                prompt,
                sum(len(piece) for piece in said),
                usage.input_tokens if usage is not None else None,
                usage.output_tokens if usage is not None else None,
            )
        )

    # --- preemptive replies (issue 15) ---------------------------------------------------------
    def draft(self, partial: str) -> None:
        """The caller went quiet on `partial`: answer it now, into an utterance nobody hears yet."""
        self.drop_draft()
        utterance = self._speech.new_utterance("reply", queued=False)
        history = [*self._conversation.history, {"role": "user", "content": partial}]
        self._draft = Draft(partial, utterance, self._tasks.spawn(self._fill(utterance, history), "draft"))

    def drop_draft(self) -> None:
        """The caller went on: the draft is dropped unheard."""
        draft, self._draft = self._draft, None
        if draft is not None:
            draft.task.cancel()

    @property
    def drafted(self) -> str | None:
        return self._draft.partial if self._draft is not None else None

    def adopt_draft(self, text: str) -> bool:
        """The turn ended on the words the draft answered: it plays now (True); otherwise it is dropped."""
        draft, self._draft = self._draft, None
        if draft is None:
            return False
        if same_words(draft.partial, text) and not draft.task.cancelled():
            self._speech.play(draft.utterance, self._tasks.spawn(self._adopted(draft), "reply"))
            return True
        draft.task.cancel()
        return False

    async def _adopted(self, draft: Draft) -> None:
        try:
            tools = await draft.task
        except asyncio.CancelledError:
            draft.task.cancel()
            raise
        await self._rounds(draft.utterance, tools)

    async def _speak(self, utterance: Utterance, sentence: str) -> None:
        self._events.emit(SentenceReady(self._clock.now(), utterance.mark, sentence))
        await self._speech.speak_into(utterance, sentence)

    async def run_tool(self, tool: ToolCall) -> None:
        self._events.emit(ToolCalled(self._clock.now(), tool.name))
        if tool.name == "end_call":
            self._facts.end(CallOutcome.CONNECTED, EndReason.AGENT_HANGUP)
        elif tool.name == "transfer_to_human":
            await self.transfer(
                str(tool.arguments.get("target") or "default"), str(tool.arguments.get("agent_brief") or "")
            )
        elif tool.name == "schedule_callback":
            await self.book_callback(str(tool.arguments.get("when") or "later"), tool.arguments.get("note"))
        elif tool.name == "mark_do_not_call":  # the workflow action `end` with `dnc_request`
            self._facts.end(CallOutcome.CONNECTED, EndReason.DNC_REQUEST)
        elif tool.name == "switch_language":
            if self._language is not None:
                await self._language.switch(str(tool.arguments.get("code") or ""))
        else:
            log.warning("call %s: unknown tool %s", self._facts.call_id, tool.name)

    async def book_callback(self, when: str, note: Any) -> None:
        """The caller asked to be called later: the callback is booked (a failure is logged, the caller has
        been told already) and the call ends politely."""
        call_id = self._facts.call_id
        if self._callbacks is not None and call_id is not None:
            try:
                await self._callbacks.schedule(call_id, when, str(note) if note else None)
            except Exception as error:
                log.warning("call %s: the callback (%r) was not booked: %s", call_id, when, error)
        self._facts.end(CallOutcome.CONNECTED, EndReason.CALLBACK_REQUESTED)

    async def transfer(self, target: str, brief: str) -> None:
        """Reports the hand-off; the transfer itself (Exotel flow, queue, fallback) is the calls side's job."""
        facts = self._facts
        facts.transfer_brief = brief
        try:
            assert facts.call_id is not None, "a transfer before the call was reported"
            await self._reporter.status(facts.call_id, "transfer_initiated", {"target": target, "agent_brief": brief})
        except Exception:
            log.exception("reporting the transfer of call %s failed", facts.call_id)
        facts.end(CallOutcome.WARM_TRANSFER, EndReason.TRANSFER)
