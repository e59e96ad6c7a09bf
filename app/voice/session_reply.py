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
from app.voice.providers.base import Providers, TextDelta, ToolCall
from app.voice.sentences import SentenceSplitter
from app.voice.session_events import LlmFirstToken, SentenceReady, SessionEvents
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

    async def reply(self) -> None:
        speech = self._speech
        utterance = speech.new_utterance("reply")
        splitter = SentenceSplitter()
        tools: list[ToolCall] = []
        messages = [{"role": "system", "content": system_prompt(self._context)}, *self._conversation.history]
        first = True
        try:
            stream = cast(AsyncGenerator[TextDelta | ToolCall, None], self._providers.llm.stream(messages, TOOLS))
            async with aclosing(stream) as events:  # cancel closes it
                async for event in events:
                    if first:
                        first = False
                        self._events.emit(LlmFirstToken(self._clock.now()))
                    if isinstance(event, TextDelta):
                        for sentence in splitter.push(event.text):
                            await self._speak(utterance, sentence)
                    elif isinstance(event, ToolCall):
                        tools.append(event)
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
            utterance.finish()
        await utterance.finished.wait()
        if utterance.state == UtteranceState.PLAYED:
            for tool in tools:
                await self.run_tool(tool)

    async def _speak(self, utterance: Utterance, sentence: str) -> None:
        self._events.emit(SentenceReady(self._clock.now(), utterance.mark, sentence))
        await self._speech.speak_into(utterance, sentence)

    async def run_tool(self, tool: ToolCall) -> None:
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
