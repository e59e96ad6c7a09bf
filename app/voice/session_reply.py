"""The agent's answer to a caller turn: LLM tokens -> sentences -> TTS while the first sentence already
plays, and the tool calls (`end_call`, `transfer_to_human`) run once the reply was heard in full."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import cast

from app.calls.contract import CallReporter
from app.calls.lifecycle import CallOutcome, EndReason
from app.voice.clock import Clock
from app.voice.context import CallContext
from app.voice.prompt import TOOLS, system_prompt
from app.voice.providers.base import LLMEvent, LLMUsage, Message, Providers, TextDelta, ToolCall
from app.voice.sentences import SentenceSplitter
from app.voice.session_events import (
    LlmFirstToken,
    LlmReplyFinished,
    ReplyStarted,
    SentenceReady,
    SessionEvents,
    ToolCalled,
)
from app.voice.session_facts import CallFacts
from app.voice.session_speech import AgentSpeech
from app.voice.session_transcript import Conversation
from app.voice.utterance import Utterance, UtteranceState

log = logging.getLogger("app.voice.session")


class AgentReplies:
    def __init__(self, *, facts: CallFacts, context: CallContext, providers: Providers, speech: AgentSpeech,
                 conversation: Conversation, reporter: CallReporter, clock: Clock, events: SessionEvents,
                 fallback_text: str) -> None:
        self._facts = facts
        self._context = context
        self._providers = providers
        self._speech = speech
        self._conversation = conversation
        self._reporter = reporter
        self._clock = clock
        self._events = events
        self._fallback_text = fallback_text
        self._counted_messages = 0       # history messages whose characters are in _counted_characters
        self._counted_characters = 0

    async def reply(self) -> None:
        speech = self._speech
        utterance = speech.new_utterance("reply")
        splitter = SentenceSplitter()
        tools: list[ToolCall] = []
        messages = [{"role": "system", "content": system_prompt(self._context)}, *self._conversation.history]
        first = True
        said: list[str] = []
        usage: LLMUsage | None = None
        counted = False          # a failed or interrupted request is counted too: the provider bills it
        self._events.emit(ReplyStarted(self._clock.now(), utterance.mark))
        try:
            stream = cast(AsyncGenerator[LLMEvent, None], self._providers.llm.stream(messages, TOOLS))
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
        await utterance.finished.wait()
        if utterance.state == UtteranceState.PLAYED:
            for tool in tools:
                await self.run_tool(tool)

    def _prompt_characters(self, messages: list[Message]) -> int:
        """Characters of the prompt, for a token estimate: the history is counted as it grows (it only grows
        by appends), so a long call pays for its new messages only, not its whole history every turn."""
        history = self._conversation.history
        if len(history) < self._counted_messages:
            self._counted_messages, self._counted_characters = 0, 0
        for message in history[self._counted_messages:]:
            self._counted_characters += len(str(message.get("content") or ""))
        self._counted_messages = len(history)
        system = len(str(messages[0].get("content") or "")) if messages else 0
        return system + self._counted_characters

    def _finished(self, utterance: Utterance, messages: list[Message], said: list[str],
                  usage: LLMUsage | None) -> None:
        prompt = self._prompt_characters(messages) if usage is None else 0
        self._events.emit(LlmReplyFinished(
            self._clock.now(), utterance.mark, prompt, sum(len(piece) for piece in said),
            usage.input_tokens if usage is not None else None, usage.output_tokens if usage is not None else None))

    async def _speak(self, utterance: Utterance, sentence: str) -> None:
        self._events.emit(SentenceReady(self._clock.now(), utterance.mark, sentence))
        await self._speech.speak_into(utterance, sentence)

    async def run_tool(self, tool: ToolCall) -> None:
        self._events.emit(ToolCalled(self._clock.now(), tool.name))
        if tool.name == "end_call":
            self._facts.end(CallOutcome.CONNECTED, EndReason.AGENT_HANGUP)
        elif tool.name == "transfer_to_human":
            await self.transfer(str(tool.arguments.get("target") or "default"),
                                str(tool.arguments.get("agent_brief") or ""))
        else:
            log.warning("call %s: unknown tool %s", self._facts.call_id, tool.name)

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
