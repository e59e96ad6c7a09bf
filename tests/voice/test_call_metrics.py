"""The paused-player invariant in /metrics (issue 13 leftover): a repair is a typed session event, and the
platform's voice runtime counts every call's repairs into `voiceai_paused_player_repairs_total`."""

from __future__ import annotations

from app.metrics import Metrics
from app.voice.call_metrics import CallMetrics
from app.voice.routes import platform_runtime
from app.voice.session_events import PlayerRepaired, SessionEvent
from tests.voice.fakes import RecordingReporter
from tests.voice.harness import Call


def repairs(text: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith("voiceai_paused_player_repairs_total "))
    return float(line.split()[-1])


async def test_a_player_left_paused_with_the_caller_quiet_is_resumed_and_counted():
    metrics = Metrics()
    events: list[SessionEvent] = []
    call = Call.make()
    call.session.observe(CallMetrics(metrics))
    call.session.observe(events.append)
    await call.start()
    await call.agent_quiet()
    await call.say("Do you deliver to Mumbai?")
    await call.agent_quiet()
    assert repairs(metrics.render().decode()) == 0  # a normal turn never trips it
    player = call.session.speech.player
    assert player is not None
    player.pause()  # the broken state the invariant guards against
    call.session.speech.check_running("Noise")
    assert not player.paused
    assert [event.after for event in events if isinstance(event, PlayerRepaired)] == ["Noise"]
    assert repairs(metrics.render().decode()) == 1
    await call.end()


async def test_the_platform_counts_every_calls_repairs_in_its_metrics_page(http, server):
    runtime = platform_runtime(server.platform.voice, RecordingReporter)
    [observer] = [o for o in runtime.observers if isinstance(o, CallMetrics)]
    async with http.get(server.url("/metrics")) as answer:
        before = repairs(await answer.text())
    observer(PlayerRepaired(0.0, "CallerTurn"))
    async with http.get(server.url("/metrics")) as answer:
        assert repairs(await answer.text()) == before + 1
