"""One live call: a `CallSession` knows nothing about sockets.

A transport feeds 20 ms caller frames, DTMF digits and returned marks in, and receives paced agent audio and
control through a `CallOutput`. Everything that happens on the call is reported through the `CallReporter`;
workflow commands come back from it. The session owns the call's facts (`session_facts.CallFacts`, the one
record of outcome, end reason, language, transfer brief, last activity), its tasks (`session_tasks.CallTasks`)
and the listening side (VAD, endpointing, streaming STT, voicemail, presence). Its parts each do one job and
receive only what they use (no part sees the session):

- `session_turns.TurnTaking`: the brain loop, one inbox item at a time (`session_inbox`);
- `session_speech.AgentSpeech`: utterances, the player, barge-in (pause / resume / interrupt);
- `session_reply.AgentReplies`: LLM -> sentences -> TTS, tool calls and transfers;
- `session_timers.watch_timers`: max duration and caller silence;
- `session_transcript.Conversation`: history, turns and transcript reporting;
- `session_recording.CallRecording` and `session_teardown.report_end`: the recording, the report at the end.

Parts report upward by stating facts (`CallFacts.end`), by the inbox, and by typed events
(`session_events`) that anyone may `observe()`: the benchmark and per-turn latency marks read those.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from app.calls.contract import CallEnd, CallReporter, CallStart, CallType
from app.calls.lifecycle import CallOutcome, EndReason
from app.latency.turns import TurnLatency
from app.tools.in_call import CallTools
from app.tools.invoker import CallIds
from app.voice.analysis import CallAnalyser, HeuristicAnalyser
from app.voice.audio import FRAME_MS
from app.voice.call_meter import CallMeter, telephony_of
from app.voice.caller_turns import CallerCue, CallerTurns
from app.voice.clock import Clock, MonotonicClock
from app.voice.context import CallContext
from app.voice.output import CallOutput
from app.voice.player import AudioPlayer
from app.voice.providers.base import Providers, Voice
from app.voice.providers.listening import TurnListener
from app.voice.session_config import SessionConfig
from app.voice.session_events import (
    CallerSpeechStarted,
    CallerTurnEnded,
    SessionEvents,
    SessionObserver,
)
from app.voice.session_facts import CallFacts
from app.voice.session_inbox import CallerTurn, Dtmf, InboxItem, Noise, SessionState
from app.voice.session_language import SessionLanguage
from app.voice.session_presence import VoicePresence
from app.voice.session_recording import CallRecording, opted_out, recording_key
from app.voice.session_reply import AgentReplies
from app.voice.session_speech import AgentSpeech
from app.voice.session_tasks import CallTasks
from app.voice.session_teardown import report_end
from app.voice.session_timers import watch_timers
from app.voice.session_tools import ToolRound
from app.voice.session_transcript import Conversation
from app.voice.session_turns import TurnTaking
from app.voice.voicemail import GreetingWatch, VoicemailCue, VoicemailDetector
from app.voice.voicemail_message import BEEP_SETTLE_SECONDS, voicemail_template, voicemail_text

__all__ = ["CallSession", "SessionState"]
log = logging.getLogger("app.voice.session")
FRAME = FRAME_MS / 1000


def _unmeasured(utterance: str) -> TurnLatency | None:
    return None


class CallSession:
    def __init__(
        self,
        context: CallContext,
        providers: Providers,
        reporter: CallReporter,
        output: CallOutput,
        config: SessionConfig | None = None,
        clock: Clock | None = None,
        analyser: CallAnalyser | None = None,
        lead: float = 0.0,
    ) -> None:
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
        self.facts = CallFacts()
        self.events = SessionEvents()
        self.rate = self.config.rate
        self.caller = CallerTurns(
            self.config.turn_taking,
            self.rate,
            self.config.endpoint,
            TurnListener(providers.stt, self.rate, context.language),
            self.config.vad_aggressiveness,
        )
        self.endpoint = self.caller.endpoint
        self.voicemail_message = voicemail_template(context.flow_config)
        self.voicemail = (
            VoicemailDetector(self.rate, greeting=GreetingWatch() if self.voicemail_message is not None else None)
            if (context.call_type == CallType.OUTBOUND and self.config.detect_voicemail)
            else None
        )
        self.presence = VoicePresence(watching_for_voicemail=self.voicemail is not None)
        self.inbox: asyncio.Queue[InboxItem] = asyncio.Queue()
        self._tasks = CallTasks(self.facts)
        self.conversation = Conversation(self.facts, reporter, output)
        voice = Voice(context.language, context.voice.speaker, context.voice.model)
        self.meter: CallMeter | None = None
        if self.config.metering:
            self.meter = CallMeter(
                providers,
                voice,
                endpoint_ms=self.config.endpoint.endpoint_ms,
                telephony=telephony_of(context),
                sink=self.config.on_turn_latency,
            )
            self.observe(self.meter)
        self.speech = AgentSpeech(
            facts=self.facts,
            providers=providers,
            rate=self.rate,
            output=output,
            clock=self.clock,
            voice=voice,
            conversation=self.conversation,
            tasks=self._tasks,
            events=self.events,
            caller_speaking=self._in_speech,
            rewind_cleared=self.config.turn_taking.soft_barge_in,
            turn_latency=self.meter.take if self.meter is not None else _unmeasured,
        )
        self.language = SessionLanguage(
            context=context, facts=self.facts, speech=self.speech, listener=self.listener, reporter=reporter
        )
        self.call_tools = self._call_tools()
        self.replies = AgentReplies(
            facts=self.facts,
            context=context,
            providers=providers,
            speech=self.speech,
            reporter=reporter,
            conversation=self.conversation,
            clock=self.clock,
            events=self.events,
            tasks=self._tasks,
            fallback_text=self.config.fallback_text,
            callbacks=self.config.callbacks,
            language=self.language,
            tools=ToolRound(
                tools=self.call_tools,
                speech=self.speech,
                language=lambda: self.language.current,
                elapsed=lambda: self.elapsed,
                filler_after=self.config.tool_filler_after,
            )
            if self.call_tools is not None
            else None,
        )
        self.turns = TurnTaking(
            facts=self.facts,
            context=context,
            config=self.config,
            providers=providers,
            clock=self.clock,
            inbox=self.inbox,
            speech=self.speech,
            replies=self.replies,
            conversation=self.conversation,
            reporter=reporter,
            events=self.events,
            caller_speaking=self._in_speech,
            backchannels=self.caller.backchannels,
            language=self.language,
        )
        self.recording: CallRecording | None = None
        self.leaving_message = False
        self.awaiting_beep = False  # a machine's greeting was heard: waiting for the box to record
        self._onset = 0.0
        self._torn_down = asyncio.Event()
        self._end: CallEnd | None = None

    @property
    def listener(self) -> TurnListener:
        """The streaming side of the STT for this call (`CallerTurns` feeds it)."""
        return self.caller.listener

    @listener.setter
    def listener(self, listener: TurnListener) -> None:
        self.caller.listener = listener

    def observe(self, observer: SessionObserver) -> None:
        """Subscribes to the call's typed events (`session_events`): latency marks, barge-ins, settled speech."""
        self.events.subscribe(observer)

    def _call_tools(self) -> CallTools | None:
        """The agent's and flow's HTTP tools, when the call has any and the runtime can invoke them."""
        ctx, config = self.context, self.config
        if not ctx.tools or config.tool_transport is None or config.tool_log is None or not ctx.tools_secret:
            return None
        return CallTools(
            ctx.tools,
            config.tool_transport,
            ctx.tools_secret,
            CallIds(ctx.call_id, ctx.flow_id, ctx.customer.id),
            config.tool_log,
        )

    @property
    def call_id(self) -> str | None:
        return self.facts.call_id

    @property
    def tasks(self) -> set[asyncio.Task[Any]]:
        """The call's live background tasks (all cancelled by the teardown)."""
        return self._tasks.tasks

    # --- transport-facing ----------------------------------------------------------------------
    async def start(self) -> str:
        """Reports the call, then the agent opens (disclosure first) while the caller's audio flows in."""
        facts = self.facts
        facts.started_at = facts.last_activity = self.clock.now()
        ctx = self.context
        opt_out = opted_out(ctx.customer.metadata)
        call_id = facts.call_id = await self.reporter.started(
            CallStart(
                organisation_id=ctx.organisation_id,
                call_type=ctx.call_type,
                flow_id=ctx.flow_id,
                voice_agent_id=ctx.voice_agent_id,
                customer_id=ctx.customer.id,
                from_number=ctx.from_number,
                to_number=ctx.to_number,
                started_at=datetime.now(UTC),
                provider_call_id=ctx.provider_call_id,
                call_id=ctx.call_id,
                recording_opt_out=opt_out,
                voice_heard=False,
            )
        )
        if self.call_tools is not None:
            self.call_tools.bind(call_id)
        if self.config.recordings is not None and not opt_out:
            self.recording = await CallRecording.open(
                self.config.recordings,
                self.config.recording_spool,
                recording_key(ctx.organisation_id, call_id),
                self.rate,
                facts.started_at,
            )
        recorder = self.recording.recorder if self.recording is not None else None
        player = AudioPlayer(
            self.output, self.clock, self.speech.settle, self.config.mark_timeout, recorder, lead=self.lead
        )
        self.speech.open(player)
        self.state = SessionState.ACTIVE
        spawn = self._tasks.spawn
        spawn(player.run(), "player")
        spawn(self.turns.run(), "brain")
        spawn(
            watch_timers(
                facts=facts,
                config=self.config,
                clock=self.clock,
                inbox=self.inbox,
                idle=self._idle,
                agent_quiet_since=lambda: self.speech.quiet_since,
            ),
            "timers",
        )
        spawn(self.turns.commands(), "commands")
        return call_id

    async def feed(self, frame: bytes) -> None:
        """One 20 ms caller frame. Barge-in happens right here, before the next agent frame can leave."""
        if self.state != SessionState.ACTIVE:
            return
        now = self.clock.now()
        if self.recording is not None:
            self.recording.recorder.caller(frame, now)
        if self.leaving_message:  # the box is recording: nothing it plays is a caller turn
            return
        clean = self.caller.clean(frame)
        voiced = self.caller.is_speech(clean)
        if self.voicemail is not None and self.voicemail.watching:
            machine = self.voicemail.push(clean, voiced)
            if machine is not None:
                self._voicemail(machine)
            if machine is not None or self.awaiting_beep:  # a box is talking: nothing it says is a caller turn
                return
        onset = now - self.config.endpoint.start_ms / 1000
        for cue in self.caller.push(clean, voiced, self.speech.active):
            if cue == CallerCue.SPEECH_STARTED:
                self.facts.last_activity = now
                if self.presence.speech_started():
                    self._voice_heard()
                self._onset = onset
                self.events.emit(CallerSpeechStarted(onset))
            elif cue == CallerCue.SOFT_PAUSE:
                self.speech.soft_pause()
            elif cue == CallerCue.RESUME:
                self.speech.soft_resume()
            elif cue == CallerCue.INTERRUPT:
                await self.speech.pause(onset=self._onset)
            elif cue == CallerCue.DRAFT and self.caller.drafted is not None:
                self.replies.draft(self.caller.drafted)
            elif cue == CallerCue.DRAFT_DROPPED:
                self.replies.drop_draft()
            elif cue == CallerCue.TURN_ENDED:
                audio, frames = self.caller.take_turn()
                if self.presence.turn_ended(frames * FRAME_MS - self.caller.endpoint_used_ms):
                    self._voice_heard()
                started = now - frames * FRAME
                self.inbox.put_nowait(CallerTurn(audio, started, self.listener.turn_ended()))
                self.events.emit(CallerTurnEnded(now, started))
            elif cue == CallerCue.NOISE:
                self.inbox.put_nowait(Noise())

    async def dtmf(self, digit: str) -> None:
        if self.state == SessionState.ACTIVE and digit:
            self.facts.last_activity = self.clock.now()
            if self.presence.dtmf():
                self._voice_heard()
            self.inbox.put_nowait(Dtmf(str(digit)))

    def mark_played(self, name: str) -> None:
        if self.speech.player is not None:
            self.speech.player.mark_played(name)

    def hangup(self, reason: EndReason | str = EndReason.CALLER_HANGUP) -> None:
        self.end(CallOutcome.CONNECTED, reason)

    def _voicemail(self, cue: VoicemailCue) -> None:
        """A machine's greeting stops the conversation until the box records (its beep, the greeting's end
        or the cap); then the flow's message is left, or without one the call ends at the beep."""
        self.presence.voicemail()
        if cue == VoicemailCue.MACHINE_GREETING:
            self.awaiting_beep = True
        elif self.voicemail_message is None:
            self.end(CallOutcome.VOICEMAIL, EndReason.VOICEMAIL)
        else:
            self.awaiting_beep, self.leaving_message = False, True
            text = voicemail_text(self.voicemail_message, self.context.customer)
            settle = BEEP_SETTLE_SECONDS if cue == VoicemailCue.BEEP else 0.0
            self._tasks.spawn(self._leave_message(text, settle), "voicemail")

    async def _leave_message(self, text: str, settle: float) -> None:
        """Voicemail message drop (issue 16): once the box records, the flow's message, then hang up."""
        while not self.inbox.empty():  # turns heard in the greeting of the box are not a conversation
            self.inbox.get_nowait()
        await self.speech.interrupt()
        await self.clock.sleep(settle)
        await self.speech.say(text, "voicemail")
        self.end(CallOutcome.VOICEMAIL, EndReason.VOICEMAIL_MESSAGE_LEFT)

    def end(self, outcome: CallOutcome, end_reason: EndReason | str) -> None:
        """Asks for the end; the first request wins. `wait()` does the teardown."""
        self.facts.end(outcome, end_reason)

    @property
    def ended(self) -> asyncio.Event:
        return self.facts.ended

    async def wait(self) -> CallEnd:
        """Returns once the call has ended and every task of the session is gone: each part closes itself
        (tasks, listener, provider sockets, pending speech, recording), then the end is reported."""
        await self.facts.ended.wait()
        if self.state in (SessionState.ENDING, SessionState.ENDED):
            await self._torn_down.wait()
            assert self._end is not None
            return self._end
        self.state = SessionState.ENDING
        try:
            await self._tasks.close()
            self.caller.close()
            try:
                await self.providers.aclose()  # provider sockets (Sarvam streaming) live as long as the call
            except Exception:
                log.exception("closing the providers of call %s failed", self.call_id)
            await self.speech.close()
            recording = await self.recording.store() if self.recording is not None else None
            size = self.recording.recorder.wav_bytes if recording is not None and self.recording is not None else 0
            self._end = await report_end(
                self.facts,
                self.clock.now(),
                recording,
                self.reporter,
                self.analyser,
                self.conversation,
                self.meter,
                size,
            )
            self.state = SessionState.ENDED
            return self._end
        finally:
            self._torn_down.set()

    def _voice_heard(self) -> None:
        """`call.started` leaves off the audio path: a webhook row is not worth delaying a frame for."""
        self._tasks.spawn(self._report_voice_heard(), "voice-heard")

    async def _report_voice_heard(self) -> None:
        try:
            assert self.call_id is not None, "the voice is heard once the call was reported"
            await self.reporter.voice_heard(self.call_id)
        except Exception:
            log.exception("reporting the caller's voice on call %s failed", self.call_id)

    def _in_speech(self) -> bool:
        return self.endpoint.in_speech

    def _idle(self) -> bool:
        """Nobody speaks, thinks or waits in the inbox: the silence timer may count."""
        return not (self.speech.active or self.endpoint.in_speech or self.turns.busy or self.inbox.qsize())

    # --- for callers that only look --------------------------------------------------------------
    @property
    def agent_active(self) -> bool:
        """Thinking or speaking: caller speech now means a possible interruption."""
        return self.speech.active

    @property
    def elapsed(self) -> float:
        return self.facts.since_start(self.clock.now())
