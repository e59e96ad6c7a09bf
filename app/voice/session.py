"""One live call: turn-taking, the agent's streamed replies, barge-in, timers, recording and reporting.

Knows nothing about sockets. A transport feeds 20 ms caller frames, DTMF digits and returned marks in, and
receives paced agent audio and control through a `CallOutput`. Everything that happens on the call is
reported through the `CallReporter`; workflow commands come back from it.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Coroutine

from app.calls.reporting import CallCommand, CallEnd, CallReporter, CallStart, CallType, Speaker
from app.voice.analysis import CallAnalyser, HeuristicAnalyser, Turn
from app.voice.audio import FRAME_MS
from app.voice.backchannel import is_backchannel
from app.voice.clock import Clock, MonotonicClock
from app.voice.context import CallContext
from app.voice.output import CallOutput
from app.voice.player import AudioPlayer
from app.voice.prompt import TOOLS, system_prompt
from app.voice.providers.base import Providers, TextDelta, ToolCall, Voice
from app.voice.recording import StereoRecorder
from app.voice.sentences import SentenceSplitter
from app.voice.session_config import SessionConfig
from app.voice.utterance import Utterance, UtteranceState
from app.voice.vad import EndpointDetector, TurnEvent, VoiceActivityDetector
from app.voice.voicemail import VoicemailDetector

log = logging.getLogger("app.voice.session")
FRAME = FRAME_MS / 1000


class SessionState(str, Enum):
    CREATED = "created"
    ACTIVE = "active"
    ENDING = "ending"
    ENDED = "ended"


@dataclass(frozen=True)
class _CallerTurn:
    pcm: bytes
    started_at: float


@dataclass(frozen=True)
class _Noise:
    pass


@dataclass(frozen=True)
class _Dtmf:
    digit: str


@dataclass(frozen=True)
class _Silence:
    pass


class CallSession:
    def __init__(self, context: CallContext, providers: Providers, reporter: CallReporter, output: CallOutput,
                 config: SessionConfig | None = None, clock: Clock | None = None,
                 analyser: CallAnalyser | None = None) -> None:
        self.context = context
        self.config = (config or SessionConfig()).for_flow(context.flow_config)
        self.providers = providers
        self.reporter = reporter
        self.output = output
        self.clock = clock or MonotonicClock()
        self.state = SessionState.CREATED
        self.call_id: str | None = None
        self.rate = self.config.rate
        self._vad = VoiceActivityDetector(self.rate, self.config.vad_aggressiveness)
        self._endpoint = EndpointDetector(self.config.endpoint)
        self._voice = Voice(context.language, context.voice.speaker, context.voice.model)
        self._history: list[dict[str, Any]] = []
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._reply_task: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._stopped = asyncio.Event()
        self._torn_down = asyncio.Event()
        self._outcome = ("connected", "caller_hangup")
        self._reprompts = 0
        self._busy = False
        self._language_detected: str | None = None
        self._recorder: StereoRecorder | None = None
        self._player: AudioPlayer | None = None
        self._voicemail = VoicemailDetector(self.rate) if (
            context.call_type == CallType.OUTBOUND and self.config.detect_voicemail) else None
        self.t0 = 0.0
        self.last_activity = 0.0
        self.barge_ins: list[tuple[float, float]] = []   # (speech onset, clear sent): for the benchmark
        self.analyser: CallAnalyser = analyser or HeuristicAnalyser()
        self._turns: list[Turn] = []
        self._transfer_brief: str | None = None

    # --- transport-facing ----------------------------------------------------------------------
    async def start(self) -> str:
        """Reports the call, then the agent opens (disclosure first) while the caller's audio flows in."""
        self.t0 = self.last_activity = self.clock.now()
        ctx = self.context
        self.call_id = await self.reporter.started(CallStart(
            organisation_id=ctx.organisation_id, call_type=ctx.call_type, flow_id=ctx.flow_id,
            voice_agent_id=ctx.voice_agent_id, customer_id=ctx.customer.id, from_number=ctx.from_number,
            to_number=ctx.to_number, started_at=datetime.now(timezone.utc),
            provider_call_id=ctx.provider_call_id, call_id=ctx.call_id))
        if self.config.recordings_dir is not None:
            self._recording_key = f"recordings/{ctx.organisation_id}/{self.call_id}.wav"
            self._recorder = StereoRecorder(self.config.recordings_dir.joinpath(*self._recording_key.split("/")),
                                            self.rate, self.t0)
        self._player = AudioPlayer(self.output, self.clock, self._settle, self.config.mark_timeout, self._recorder)
        self.state = SessionState.ACTIVE
        self._spawn(self._player.run(), "player")
        self._spawn(self._brain(), "brain")
        self._spawn(self._timers(), "timers")
        self._spawn(self._commands(), "commands")
        return self.call_id

    async def feed(self, frame: bytes) -> None:
        """One 20 ms caller frame. Barge-in happens right here, before the next agent frame can leave."""
        if self.state != SessionState.ACTIVE:
            return
        now = self.clock.now()
        if self._recorder is not None:
            self._recorder.caller(frame, now)
        voiced = self._vad.is_speech(frame)
        if self._voicemail is not None and self._voicemail.watching and self._voicemail.push(frame, voiced):
            self.end("voicemail", "voicemail")
            return
        for event in self._endpoint.push(frame, voiced):
            if event == TurnEvent.SPEECH_STARTED:
                self.last_activity = now
                if self.agent_active:
                    await self._pause(onset=now - self.config.endpoint.start_ms / 1000)
            elif event == TurnEvent.TURN_ENDED:
                started = now - self._endpoint.frames_in_turn * FRAME
                self._inbox.put_nowait(_CallerTurn(self._endpoint.take_audio(), started))
            else:
                self._inbox.put_nowait(_Noise())

    async def dtmf(self, digit: str) -> None:
        if self.state == SessionState.ACTIVE and digit:
            self.last_activity = self.clock.now()
            self._inbox.put_nowait(_Dtmf(str(digit)))

    def mark_played(self, name: str) -> None:
        if self._player is not None:
            self._player.mark_played(name)

    def hangup(self, reason: str = "caller_hangup") -> None:
        self.end("connected", reason)

    def end(self, outcome: str, end_reason: str) -> None:
        """Asks for the end; the first request wins. `wait()` does the teardown."""
        if not self._stopped.is_set():
            self._outcome = (outcome, end_reason)
            self._stopped.set()

    @property
    def ended(self) -> asyncio.Event:
        return self._stopped

    async def wait(self) -> CallEnd:
        """Returns once the call has ended and every task of the session is gone."""
        await self._stopped.wait()
        if self.state in (SessionState.ENDING, SessionState.ENDED):
            await self._torn_down.wait()
            return self._end
        self.state = SessionState.ENDING
        try:
            return await self._tear_down()
        finally:
            self._torn_down.set()

    async def _tear_down(self) -> CallEnd:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for utterance in list(self._player.pending if self._player else ()):
            await self._settle(utterance, UtteranceState.INTERRUPTED)
        recording = None
        if self._recorder is not None:
            await self._recorder.close()
            recording = self._recording_key
        outcome, reason = self._outcome
        self._end = CallEnd(outcome=outcome, ended_at=datetime.now(timezone.utc),
                            duration_seconds=round(self.clock.now() - self.t0), end_reason=reason,
                            recording_path=recording, language_detected=self._language_detected)
        if self.call_id is not None:
            try:
                await self.reporter.ended(self.call_id, self._end)
                analysis = await self.analyser.analyse(self._turns, self._end, self._transfer_brief)
                await self.reporter.analysed(self.call_id, analysis)
            except Exception:
                log.exception("reporting the end of call %s failed", self.call_id)
        self.state = SessionState.ENDED
        return self._end

    # --- agent activity ------------------------------------------------------------------------
    @property
    def agent_active(self) -> bool:
        """Thinking or speaking: caller speech now means a possible interruption."""
        speaking = self._player is not None and bool(self._player.pending)
        return speaking or (self._reply_task is not None and not self._reply_task.done())

    @property
    def elapsed(self) -> float:
        return self.clock.now() - self.t0

    async def _pause(self, onset: float) -> None:
        if self._player.paused:
            return
        self._player.pause()
        if self._player.audio_sent:
            await self.output.clear()
            self.barge_ins.append((onset, self.clock.now()))

    def _resume_if_quiet(self) -> None:
        """A false interruption (noise, no words, a backchannel): the agent carries on where it stopped."""
        if self._player.paused and not self._endpoint.in_speech:
            self._player.resume()

    async def _interrupt(self) -> None:
        """A real interruption: stop thinking and speaking; keep only what the caller heard."""
        task, self._reply_task = self._reply_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for utterance in list(self._player.pending):
            await self._settle(utterance, UtteranceState.INTERRUPTED)
        self._player.resume()

    async def _settle(self, utterance: Utterance, state: UtteranceState) -> None:
        """Once per utterance: its final state, and its heard text into history and the transcript."""
        if utterance.finished.is_set():
            return
        utterance.state = state
        utterance.finish()
        utterance.finished.set()
        self._player.forget(utterance)
        text = utterance.played_text()
        if not text:
            return
        self._history.append({"role": "assistant", "content": text})
        at = (utterance.started_at if utterance.started_at is not None else self.clock.now()) - self.t0
        await self._transcript(Speaker.AGENT, text, at)

    async def _transcript(self, speaker: Speaker, text: str, at: float) -> None:
        self._turns.append(Turn(speaker, text))
        try:
            await self.reporter.transcript(self.call_id, speaker, text, round(max(0.0, at), 2))
            await self.output.send_transcript(speaker, text, round(max(0.0, at), 2))
        except Exception:
            log.exception("reporting a transcript of call %s failed", self.call_id)

    # --- speaking ------------------------------------------------------------------------------
    def _new_utterance(self, kind: str) -> Utterance:
        utterance = Utterance(self.rate, kind)
        self._player.enqueue(utterance)
        return utterance

    async def _speak_into(self, utterance: Utterance, sentence: str) -> None:
        try:
            async with aclosing(self.providers.tts.synthesize(sentence, self._voice, self.rate)) as chunks:
                async for chunk in chunks:
                    utterance.add_audio(chunk)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("TTS failed on call %s", self.call_id)
            return
        utterance.end_sentence(sentence)

    def _start_speaking(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self._reply_task = self._spawn(coroutine, "reply")

    async def _say(self, text: str, kind: str, then: tuple[str, str] | None = None) -> None:
        """Fixed text (greeting, re-prompt, goodbye), sentence by sentence; optionally end afterwards."""
        utterance = self._new_utterance(kind)
        splitter = SentenceSplitter()
        try:
            for sentence in [*splitter.push(text + " "), splitter.flush()]:
                if sentence:
                    await self._speak_into(utterance, sentence)
        finally:
            utterance.finish()
        await utterance.finished.wait()
        if then is not None and utterance.state == UtteranceState.PLAYED:
            self.end(*then)

    async def _reply(self) -> None:
        """LLM tokens -> sentences -> TTS, while the player is already sending the first sentence."""
        utterance = self._new_utterance("reply")
        splitter = SentenceSplitter()
        tools: list[ToolCall] = []
        messages = [{"role": "system", "content": system_prompt(self.context)}, *self._history]
        try:
            async with aclosing(self.providers.llm.stream(messages, TOOLS)) as events:  # cancel closes the stream
                async for event in events:
                    if isinstance(event, TextDelta):
                        for sentence in splitter.push(event.text):
                            await self._speak_into(utterance, sentence)
                    elif isinstance(event, ToolCall):
                        tools.append(event)
            rest = splitter.flush()
            if rest:
                await self._speak_into(utterance, rest)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("LLM failed on call %s", self.call_id)
            if not utterance.frames:
                await self._speak_into(utterance, self.config.fallback_text)
        finally:
            utterance.finish()
        await utterance.finished.wait()
        if utterance.state == UtteranceState.PLAYED:
            for tool in tools:
                await self._run_tool(tool)

    async def _run_tool(self, tool: ToolCall) -> None:
        if tool.name == "end_call":
            self.end("connected", "agent_hangup")
        elif tool.name == "transfer_to_human":
            await self._transfer(str(tool.arguments.get("target") or "default"),
                                 str(tool.arguments.get("agent_brief") or ""))
        else:
            log.warning("call %s: unknown tool %s", self.call_id, tool.name)

    async def _transfer(self, target: str, brief: str) -> None:
        """Reports the hand-off; the transfer itself (Exotel flow, queue, fallback) is the calls side's job."""
        self._transfer_brief = brief
        try:
            await self.reporter.status(self.call_id, "transfer_initiated", {"target": target, "agent_brief": brief})
        except Exception:
            log.exception("reporting the transfer of call %s failed", self.call_id)
        self.end("warm_transfer", "transfer")

    # --- the brain: one caller event at a time -------------------------------------------------
    async def _brain(self) -> None:
        self._start_speaking(self._say(self._greeting(), "greeting"))
        while True:
            item = await self._inbox.get()
            self._busy = True
            try:
                await self._handle(item)
            finally:
                self._busy = False

    def _greeting(self) -> str:
        ctx = self.context
        opening = ctx.script.opening_line or (
            f"Hello, this is {ctx.agent_name}. How can I help you today?" if ctx.agent_name
            else "Hello! How can I help you today?")
        return " ".join(part for part in (ctx.recording_disclosure, opening) if part)

    async def _handle(self, item: Any) -> None:
        if isinstance(item, _CallerTurn):
            await self._caller_turn(item)
        elif isinstance(item, _Noise):
            self._resume_if_quiet()
        elif isinstance(item, _Dtmf):
            await self._caller_said(f"(keypad) {item.digit}", self.clock.now() - self.t0)
        elif isinstance(item, _Silence):
            await self._silence()
        elif isinstance(item, CallCommand):
            await self._command(item)

    async def _caller_turn(self, turn: _CallerTurn) -> None:
        try:
            transcript = await self.providers.stt.transcribe(turn.pcm, self.rate, self.context.language)
            text = transcript.text.strip()
        except Exception:
            log.exception("STT failed on call %s", self.call_id)
            text, transcript = "", None
        if transcript is not None and transcript.language and text:
            self._language_detected = transcript.language
        if not text:  # a false interruption: no words followed the noise
            self._resume_if_quiet()
            return
        if self.agent_active and is_backchannel(text):
            await self._transcript(Speaker.CUSTOMER, text, turn.started_at - self.t0)
            self._resume_if_quiet()
            return
        await self._caller_said(text, turn.started_at - self.t0)

    async def _caller_said(self, text: str, at: float) -> None:
        if self.agent_active:
            await self._interrupt()
        self._reprompts = 0
        self.last_activity = self.clock.now()
        await self._transcript(Speaker.CUSTOMER, text, at)
        self._history.append({"role": "user", "content": text})
        self._start_speaking(self._reply())

    async def _silence(self) -> None:
        if self.agent_active or self._endpoint.in_speech:
            return
        self._reprompts += 1
        if self._reprompts > self.config.max_reprompts:
            self._start_speaking(self._say(self.config.goodbye_text, "goodbye", then=("connected", "silence")))
        else:
            self._start_speaking(self._say(self.config.reprompt_text, "reprompt"))

    async def _command(self, command: CallCommand) -> None:
        if command.kind == "end":
            self.end("connected", command.reason or "workflow_end")
        elif command.kind == "transfer":
            await self._interrupt()
            await self._transfer(command.target or "default", command.agent_brief or "")

    # --- timers and commands -------------------------------------------------------------------
    async def _timers(self) -> None:
        while True:
            await self.clock.sleep(0.1)
            now = self.clock.now()
            if now - self.t0 >= self.config.max_duration:
                self.end("connected", "max_duration")
                return
            idle = not (self.agent_active or self._endpoint.in_speech or self._busy or self._inbox.qsize())
            quiet_since = max(self.last_activity, self._player.finished_at)
            if idle and now - quiet_since >= self.config.silence_timeout:
                self.last_activity = now
                self._inbox.put_nowait(_Silence())

    async def _commands(self) -> None:
        async for command in self.reporter.commands(self.call_id):
            self._inbox.put_nowait(command)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"call-{self.call_id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s task %s failed", self.call_id, task.get_name(), exc_info=task.exception())
            self.end("failed", "internal_error")
