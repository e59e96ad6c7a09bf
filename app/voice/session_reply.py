"""The agent's answer to a caller turn: LLM tokens -> sentences -> TTS while the first sentence already
plays, and the tool calls (`end_call`, `transfer_to_human`) run once the reply was heard in full."""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from typing import TYPE_CHECKING

from app.calls.lifecycle import CallOutcome, EndReason
from app.voice.prompt import TOOLS, system_prompt
from app.voice.providers.base import TextDelta, ToolCall
from app.voice.sentences import SentenceSplitter
from app.voice.utterance import UtteranceState

if TYPE_CHECKING:
    from app.voice.session import CallSession

log = logging.getLogger("app.voice.session")


class AgentReplies:
    def __init__(self, session: "CallSession") -> None:
        self._session = session
        self.transfer_brief: str | None = None

    async def reply(self) -> None:
        session, speech = self._session, self._session.speech
        utterance = speech.new_utterance("reply")
        splitter = SentenceSplitter()
        tools: list[ToolCall] = []
        messages = [{"role": "system", "content": system_prompt(session.context)}, *session.conversation.history]
        try:
            async with aclosing(session.providers.llm.stream(messages, TOOLS)) as events:  # cancel closes it
                async for event in events:
                    if isinstance(event, TextDelta):
                        for sentence in splitter.push(event.text):
                            await speech.speak_into(utterance, sentence)
                    elif isinstance(event, ToolCall):
                        tools.append(event)
            rest = splitter.flush()
            if rest:
                await speech.speak_into(utterance, rest)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("LLM failed on call %s", session.call_id)
            if not utterance.frames:
                await speech.speak_into(utterance, session.config.fallback_text)
        finally:
            utterance.finish()
        await utterance.finished.wait()
        if utterance.state == UtteranceState.PLAYED:
            for tool in tools:
                await self.run_tool(tool)

    async def run_tool(self, tool: ToolCall) -> None:
        if tool.name == "end_call":
            self._session.end(CallOutcome.CONNECTED, EndReason.AGENT_HANGUP)
        elif tool.name == "transfer_to_human":
            await self.transfer(str(tool.arguments.get("target") or "default"),
                                str(tool.arguments.get("agent_brief") or ""))
        else:
            log.warning("call %s: unknown tool %s", self._session.call_id, tool.name)

    async def transfer(self, target: str, brief: str) -> None:
        """Reports the hand-off; the transfer itself (Exotel flow, queue, fallback) is the calls side's job."""
        session = self._session
        self.transfer_brief = brief
        try:
            await session.reporter.status(session.call_id, "transfer_initiated",
                                          {"target": target, "agent_brief": brief})
        except Exception:
            log.exception("reporting the transfer of call %s failed", session.call_id)
        session.end(CallOutcome.WARM_TRANSFER, EndReason.TRANSFER)
