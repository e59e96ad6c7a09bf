"""The in-process replay buffer: up to 200 events per call from the last 10 minutes, numbered per call; a
call silent for 10 minutes is forgotten. Time is a clock the test turns, so nothing here sleeps."""

from __future__ import annotations

from app.calls.live import REPLAY_EVENTS, REPLAY_SECONDS, MemoryCallEventLog
from app.events import EventBus


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def new_log() -> tuple[MemoryCallEventLog, Clock]:
    clock = Clock()
    return MemoryCallEventLog(EventBus(), clock=clock), clock


async def test_a_call_keeps_its_latest_200_events_numbered_from_1():
    log, _ = new_log()
    for i in range(250):
        numbered = await log.append("cal_a", {"type": "transcript", "text": str(i)})
    assert numbered["seq"] == 250
    replayed = await log.replay("cal_a")
    assert len(replayed) == REPLAY_EVENTS
    assert [event["seq"] for event in replayed] == list(range(51, 251))
    assert await log.replay("cal_unknown") == []


async def test_the_replay_holds_only_the_last_10_minutes():
    log, clock = new_log()
    await log.append("cal_a", {"type": "start"})
    clock.now += 300
    await log.append("cal_a", {"type": "transcript"})
    clock.now += REPLAY_SECONDS - 300  # the first is exactly 10 minutes old: still replayed
    assert [event["seq"] for event in await log.replay("cal_a")] == [1, 2]
    clock.now += 1
    assert [event["seq"] for event in await log.replay("cal_a")] == [2]


async def test_a_call_silent_for_10_minutes_is_forgotten_and_active_calls_are_kept():
    log, clock = new_log()
    await log.append("cal_old", {"type": "start"})
    clock.now += 100
    await log.append("cal_busy", {"type": "start"})
    clock.now += 100
    await log.append("cal_old", {"type": "transcript"})  # now the more recent of the two
    clock.now += REPLAY_SECONDS - 100 + 1  # cal_busy's last event is 10 minutes and 1 second old
    await log.append("cal_new", {"type": "start"})
    assert len(log) == 2
    assert await log.replay("cal_busy") == []
    assert [event["seq"] for event in await log.replay("cal_old")] == [2]  # its first is too old to replay
    clock.now += 100
    await log.append("cal_new", {"type": "transcript"})
    assert len(log) == 1 and [event["seq"] for event in await log.replay("cal_new")] == [1, 2]
    again = await log.append("cal_old", {"type": "start"})  # forgotten entirely: numbering starts over
    assert again["seq"] == 1
