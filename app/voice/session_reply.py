"""The agent's answer to a caller turn: LLM tokens -> sentences -> TTS while the first sentence already
plays; HTTP tool calls run at once, their answers go back to the model for the next round (`session_tools`);
the built-in actions (`end_call`, `transfer_to_human`, ...) run once the reply was heard in full."""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from app.voice.prompt import TOOLS, system_prompt
from app.voice.providers.base import TextDelta, ToolCall
from app.voice.sentences import SentenceSplitter
from app.voice.session_tools import ToolRound
from app.voice.utterance import Utterance, UtteranceState

if TYPE_CHECKING:
    from app.voice.session import CallSession

log = logging.getLogger("app.voice.session")
MAX_TOOL_ROUNDS = 3     # model -> tools -> model ...: a model that keeps calling tools is cut off here


class AgentReplies:
    def __init__(self, session: "CallSession", tools: ToolRound | None = None) -> None:
        self._session = session
        self.tools = tools
        self.transfer_brief: str | None = None

    async def reply(self) -> None:
        actions: list[ToolCall] = []
        last: Utterance | None = None
        for round_number in range(MAX_TOOL_ROUNDS + 1):
            last, calls = await self._answer()
            http = [call for call in calls if self.tools is not None and self.tools.is_http(call)]
            actions += [call for call in calls if call not in http]
            if not http or self.tools is None or round_number == MAX_TOOL_ROUNDS:
                break
            result = await self.tools.run(http, last, round_number)
            self._session.conversation.history.extend(result.messages)
            if result.apologise:
                last = await self.tools.apologise()
                break
        assert last is not None
        await last.finished.wait()
        if last.state == UtteranceState.PLAYED:
            for tool in actions:
                await self.run_tool(tool)

    def _specs(self) -> list[dict[str, Any]]:
        return [*TOOLS, *(self.tools.specs() if self.tools is not None else ())]

    async def _answer(self) -> tuple[Utterance, list[ToolCall]]:
        """One model round spoken as it streams: the utterance, and the tool calls the model made."""
        session, speech = self._session, self._session.speech
        utterance = speech.new_utterance("reply")
        splitter = SentenceSplitter()
        tools: list[ToolCall] = []
        messages = [{"role": "system", "content": system_prompt(session.context)}, *session.conversation.history]
        try:
            async with aclosing(session.providers.llm.stream(messages, self._specs())) as events:  # cancel closes it
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
        return utterance, tools

    async def run_tool(self, tool: ToolCall) -> None:
        if tool.name == "end_call":
            self._session.end("connected", "agent_hangup")
        elif tool.name == "transfer_to_human":
            await self.transfer(str(tool.arguments.get("target") or "default"),
                                str(tool.arguments.get("agent_brief") or ""))
        elif tool.name == "schedule_callback":
            await self.book_callback(str(tool.arguments.get("when") or "later"), tool.arguments.get("note"))
        elif tool.name == "mark_do_not_call":    # the workflow action `end` with `dnc_request`
            self._session.end("connected", "dnc_request")
        else:
            log.warning("call %s: unknown tool %s", self._session.call_id, tool.name)

    async def book_callback(self, when: str, note: Any) -> None:
        """The caller asked to be called later: the callback is booked (a failure is logged, the caller has
        been told already) and the call ends politely."""
        session = self._session
        booking = session.config.callbacks
        if booking is not None and session.call_id is not None:
            try:
                await booking.schedule(session.call_id, when, str(note) if note else None)
            except Exception as error:
                log.warning("call %s: the callback (%r) was not booked: %s", session.call_id, when, error)
        session.end("connected", "callback_requested")

    async def transfer(self, target: str, brief: str) -> None:
        """Reports the hand-off; the transfer itself (Exotel flow, queue, fallback) is the calls side's job."""
        session = self._session
        self.transfer_brief = brief
        try:
            await session.reporter.status(session.call_id, "transfer_initiated",
                                          {"target": target, "agent_brief": brief})
        except Exception:
            log.exception("reporting the transfer of call %s failed", session.call_id)
        session.end("warm_transfer", "transfer")
