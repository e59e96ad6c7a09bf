"""One live call: a `CallSession` knows nothing about sockets.

A transport feeds 20 ms caller frames, DTMF digits and returned marks in, and receives paced agent audio and
control through a `CallOutput`. Everything that happens on the call is reported through the `CallReporter`;
workflow commands come back from it. The session owns the call's state and tasks; its parts each do one job:

- `session_turns.TurnTaking`: the brain loop, one caller event at a time;
- `session_speech.AgentSpeech`: utterances, the player, barge-in (pause / resume / interrupt);
- `session_reply.AgentReplies`: LLM -> sentences -> TTS, tool calls and transfers;
- `session_timers.watch_timers`: max duration and caller silence;
- `session_recording.CallRecording` and `session_teardown.tear_down`: the end, the recording, the report.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any, Coroutine

from app.calls.lifecycle import CallEnding, CallOutcome, EndReason
from app.calls.reporting import CallEnd, CallReporter, CallStart, CallType
from app.voice.analysis import CallAnalyser, HeuristicAnalyser
from app.voice.audio import FRAME_MS
from app.voice.clock import Clock, MonotonicClock
from app.voice.context import CallContext
from app.voice.output import CallOutput
from app.voice.player import AudioPlayer
from app.voice.providers.base import Providers, Voice
from app.voice.providers.listening import TurnListener
from app.voice.session_config import SessionConfig
from app.voice.session_inbox import CallerTurn, Dtmf, Noise, SessionState
from app.voice.session_presence import VoicePresence
from app.voice.session_recording import CallRecording, opted_out, recording_key
from app.voice.session_reply import AgentReplies
from app.voice.session_speech import AgentSpeech
from app.voice.session_teardown import tear_down
from app.voice.session_timers import watch_timers
from app.voice.session_transcript import Conversation
from app.voice.session_turns import TurnTaking
from app.voice.vad import EndpointDetector, TurnEvent, VoiceActivityDetector
from app.voice.voicemail import VoicemailDetector

__all__ = ["CallSession", "SessionState"]
log = logging.getLogger("app.voice.session")
FRAME = FRAME_MS / 1000
_CallerTurn = CallerTurn  # the benchmark watches the inbox for caller turns under this name


class CallSession:
    def __init__(self, context: CallContext, providers: Providers, reporter: CallReporter, output: CallOutput,
                 config: SessionConfig | None = None, clock: Clock | None = None,
                 analyser: CallAnalyser | None = None, lead: float = 0.0) -> None:
        """`lead`: how far ahead of real time the transport needs agent audio (its chunk; `AudioPlayer`)."""
        self.context = context
        self.lead = lead
        self.config = (config or SessionConfig()).for_flow(context.flow_config)
        self.providers = providers
        self.reporter = reporter
        self.output = output
        self.clock = clock or MonotonicClock()
        self.analyser: CallAnalyser = analyser or HeuristicAnalyser()
        self.state = SessionState.CREATED
        self.call_id: str | None = None
        self.rate = self.config.rate
        self.voice = Voice(context.language, context.voice.speaker, context.voice.model)
        self.vad = VoiceActivityDetector(self.rate, self.config.vad_aggressiveness)
        self.endpoint = EndpointDetector(self.config.endpoint)
        self.listener = TurnListener(providers.stt, self.rate, context.language)
        self.voicemail = VoicemailDetector(self.rate) if (
            context.call_type == CallType.OUTBOUND and self.config.detect_voicemail) else None
        self.presence = VoicePresence(watching_for_voicemail=self.voicemail is not None)
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.tasks: set[asyncio.Task] = set()
        self.conversation = Conversation(self)
        self.speech = AgentSpeech(self)
        self.replies = AgentReplies(self)
        self.turns = TurnTaking(self)
        self.recording: CallRecording | None = None
        self.outcome = CallEnding(CallOutcome.CONNECTED, EndReason.CALLER_HANGUP)
        self.t0 = 0.0
        self.last_activity = 0.0
        self.barge_ins: list[tuple[float, float]] = []   # (speech onset, clear sent): for the benchmark
        self._stopped = asyncio.Event()
        self._torn_down = asyncio.Event()
        self._end: CallEnd | None = None

    @property
    def _inbox(self) -> asyncio.Queue:
        """The benchmark hooks the inbox under its historical name."""
        return self.inbox

    # --- transport-facing ----------------------------------------------------------------------
    async def start(self) -> str:
        """Reports the call, then the agent opens (disclosure first) while the caller's audio flows in."""
        self.t0 = self.last_activity = self.clock.now()
        ctx = self.context
        opt_out = opted_out(ctx.customer.metadata)
        self.call_id = await self.reporter.started(CallStart(
            organisation_id=ctx.organisation_id, call_type=ctx.call_type, flow_id=ctx.flow_id,
            voice_agent_id=ctx.voice_agent_id, customer_id=ctx.customer.id, from_number=ctx.from_number,
            to_number=ctx.to_number, started_at=datetime.now(timezone.utc),
            provider_call_id=ctx.provider_call_id, call_id=ctx.call_id, recording_opt_out=opt_out,
            voice_heard=False))
        if self.config.recordings is not None and not opt_out:
            self.recording = await CallRecording.open(self.config.recordings, self.config.recording_spool,
                                                      recording_key(ctx.organisation_id, self.call_id),
                                                      self.rate, self.t0)
        recorder = self.recording.recorder if self.recording is not None else None
        player = AudioPlayer(self.output, self.clock, self.speech.settle, self.config.mark_timeout, recorder,
                             lead=self.lead)
        self.speech.open(player)
        self.state = SessionState.ACTIVE
        self.spawn(player.run(), "player")
        self.spawn(self.turns.run(), "brain")
        self.spawn(watch_timers(self), "timers")
        self.spawn(self.turns.commands(), "commands")
        return self.call_id

    async def feed(self, frame: bytes) -> None:
        """One 20 ms caller frame. Barge-in happens right here, before the next agent frame can leave."""
        if self.state != SessionState.ACTIVE:
            return
        now = self.clock.now()
        if self.recording is not None:
            self.recording.recorder.caller(frame, now)
        voiced = self.vad.is_speech(frame)
        if self.voicemail is not None and self.voicemail.watching and self.voicemail.push(frame, voiced):
            self.presence.voicemail()
            self.end(CallOutcome.VOICEMAIL, EndReason.VOICEMAIL)
            return
        self.listener.frame(frame)
        for event in self.endpoint.push(frame, voiced):
            if event == TurnEvent.SPEECH_STARTED:
                self.last_activity = now
                self.listener.speech_started()
                if self.presence.speech_started():
                    self._voice_heard()
                if self.agent_active:
                    await self.speech.pause(onset=now - self.config.endpoint.start_ms / 1000)
            elif event == TurnEvent.TURN_ENDED:
                if self.presence.turn_ended(self.endpoint.frames_in_turn * FRAME_MS - self.config.endpoint.endpoint_ms):
                    self._voice_heard()
                started = now - self.endpoint.frames_in_turn * FRAME
                self.inbox.put_nowait(CallerTurn(self.endpoint.take_audio(), started, self.listener.turn_ended()))
            else:
                self.listener.noise()
                self.inbox.put_nowait(Noise())

    async def dtmf(self, digit: str) -> None:
        if self.state == SessionState.ACTIVE and digit:
            self.last_activity = self.clock.now()
            if self.presence.dtmf():
                self._voice_heard()
            self.inbox.put_nowait(Dtmf(str(digit)))

    def mark_played(self, name: str) -> None:
        if self.speech.player is not None:
            self.speech.player.mark_played(name)

    def hangup(self, reason: EndReason | str = EndReason.CALLER_HANGUP) -> None:
        self.end(CallOutcome.CONNECTED, reason)

    def end(self, outcome: CallOutcome, end_reason: EndReason | str) -> None:
        """Asks for the end; the first request wins. `wait()` does the teardown."""
        if not self._stopped.is_set():
            self.outcome = CallEnding(outcome, end_reason)
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
            self._end = await tear_down(self)
            self.state = SessionState.ENDED
            return self._end
        finally:
            self._torn_down.set()

    def _voice_heard(self) -> None:
        """`call.started` leaves off the audio path: a webhook row is not worth delaying a frame for."""
        self.spawn(self._report_voice_heard(), "voice-heard")

    async def _report_voice_heard(self) -> None:
        try:
            await self.reporter.voice_heard(self.call_id)
        except Exception:
            log.exception("reporting the caller's voice on call %s failed", self.call_id)

    # --- shared by the parts -------------------------------------------------------------------
    @property
    def agent_active(self) -> bool:
        """Thinking or speaking: caller speech now means a possible interruption."""
        return self.speech.active

    @property
    def elapsed(self) -> float:
        return self.clock.now() - self.t0

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task:
        """Every task of the call is owned here and cancelled by the teardown."""
        task = asyncio.get_running_loop().create_task(coroutine, name=f"call-{self.call_id}-{name}")
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s task %s failed", self.call_id, task.get_name(), exc_info=task.exception())
            self.end(CallOutcome.FAILED, EndReason.INTERNAL_ERROR)
