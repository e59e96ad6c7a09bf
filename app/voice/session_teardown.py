"""The end of a call's report: the `CallEnd` built from the call's facts, then the end and the post-call
analysis reported. The parts have closed themselves before (`CallSession.wait`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from app.calls.contract import CallEnd, CallReporter
from app.voice.analysis import CallAnalyser
from app.voice.call_meter import CallMeter
from app.voice.session_facts import CallFacts
from app.voice.session_transcript import Conversation

log = logging.getLogger("app.voice.session")


async def report_end(
    facts: CallFacts,
    now: float,
    recording: str | None,
    reporter: CallReporter,
    analyser: CallAnalyser,
    conversation: Conversation,
    meter: CallMeter | None = None,
    recording_bytes: int = 0,
) -> CallEnd:
    """`meter`: the call's usage and latency summary go with the end (None: metering is off)."""
    duration = round(now - facts.started_at)
    usage, latency = meter.totals(duration, recording_bytes) if meter is not None else (None, None)
    end = CallEnd(
        outcome=facts.outcome,
        ended_at=datetime.now(UTC),
        duration_seconds=duration,
        end_reason=facts.end_reason,
        recording_path=recording,
        language_detected=facts.language_detected,
        usage=usage,
        latency=latency,
    )
    if facts.call_id is not None:
        try:
            await reporter.ended(facts.call_id, end)
            analysis = await analyser.analyse(conversation.turns, end, facts.transfer_brief)
            await reporter.analysed(facts.call_id, analysis)
        except Exception:
            log.exception("reporting the end of call %s failed", facts.call_id)
    return end
