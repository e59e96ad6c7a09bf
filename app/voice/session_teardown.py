"""The end of a call: stop every task of the session, settle what was still playing, store the recording,
then report the end and the post-call analysis."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from app.calls.contract import CallEnd
from app.voice.utterance import UtteranceState

if TYPE_CHECKING:
    from app.voice.session import CallSession

log = logging.getLogger("app.voice.session")


async def tear_down(session: "CallSession") -> CallEnd:
    tasks = list(session.tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    session.listener.close()
    try:
        await session.providers.aclose()   # provider sockets (Sarvam streaming) live as long as the call
    except Exception:
        log.exception("closing the providers of call %s failed", session.call_id)
    player = session.speech.player
    for utterance in list(player.pending if player else ()):
        await session.speech.settle(utterance, UtteranceState.INTERRUPTED)
    recording = await session.recording.store() if session.recording is not None else None
    outcome, reason = session.outcome
    end = CallEnd(outcome=outcome, ended_at=datetime.now(timezone.utc),
                  duration_seconds=round(session.clock.now() - session.t0), end_reason=reason,
                  recording_path=recording, language_detected=session.turns.language_detected)
    if session.call_id is not None:
        try:
            await session.reporter.ended(session.call_id, end)
            analysis = await session.analyser.analyse(session.conversation.turns, end,
                                                      session.replies.transfer_brief)
            await session.reporter.analysed(session.call_id, analysis)
        except Exception:
            log.exception("reporting the end of call %s failed", session.call_id)
    return end
