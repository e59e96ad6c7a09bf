"""The shared pacing tick (issue 13): one timer for every call's player. On a fake clock: each waiter wakes on
the first tick at or after its deadline, in deadline order; each call's frames stay in order and evenly
spaced; a late tick wakes whoever is due once and never fires the missed ticks in a burst; an idle tick holds
no timer."""

from __future__ import annotations

import asyncio

import numpy as np

from app.voice.audio import frame_bytes
from app.voice.pacing import PERIOD, PacingTick, shared_tick
from app.voice.player import AudioPlayer
from app.voice.utterance import Utterance, UtteranceState
from tests.voice.fakes import FakeClock, FakeOutput


async def test_a_waiter_wakes_on_the_first_tick_at_or_after_its_deadline_in_deadline_order():
    clock = FakeClock()
    tick = PacingTick(clock)
    start = clock.now()
    woke: list[tuple[str, float]] = []

    async def wait(name: str, deadline: float) -> None:
        await tick.until(deadline)
        woke.append((name, round(clock.now() - start, 6)))

    tasks = [
        asyncio.create_task(wait(name, start + offset))
        for name, offset in (("c", 0.045), ("a", 0.02), ("b", 0.021), ("d", 0.0))
    ]
    for _ in range(10):
        await clock.advance(0.01)
    await asyncio.gather(*tasks)
    # "d" was due at once; the ticks fall on 20, 40, 60 ms: never early, at most one period late
    assert woke == [("d", 0.0), ("a", 0.02), ("b", 0.04), ("c", 0.06)]


async def test_one_timer_serves_every_waiter_and_ends_when_nobody_waits():
    clock = FakeClock()
    tick = PacingTick(clock)
    start = clock.now()
    tasks = [asyncio.create_task(tick.until(start + 0.02 * (1 + i % 5))) for i in range(200)]
    for _ in range(20):
        await clock.advance(0.01)
    await asyncio.gather(*tasks)
    assert tick.ticks == 5  # 5 timer wakes for 200 waiters (per-waiter sleeps would be 200)
    assert tick.waiting == 0 and tick._ticker is not None and tick._ticker.done()
    later = asyncio.create_task(tick.until(clock.now() + 0.02))  # a new waiter restarts it
    await clock.advance(0.02)
    await later
    assert tick.ticks == 6


async def test_a_cancelled_waiter_leaves_and_the_last_one_out_stops_the_timer():
    """A call that ends while its player waits leaves no timer behind (the session's task-leak test)."""
    clock = FakeClock()
    tick = PacingTick(clock)
    first = asyncio.create_task(tick.until(clock.now() + 0.1))
    second = asyncio.create_task(tick.until(clock.now() + 0.1))
    await clock.advance(0.0)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    assert tick.waiting == 1 and not tick._ticker.done()
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    await asyncio.sleep(0)
    assert tick.waiting == 0 and tick._ticker.done()


async def test_a_late_tick_wakes_everyone_due_once_and_skips_the_missed_ticks():
    clock = FakeClock()
    tick = PacingTick(clock)
    start = clock.now()
    woke: list[float] = []

    async def frames() -> None:  # one call's player: a frame due every period
        due = start
        for _ in range(12):
            due += PERIOD
            await tick.until(due)
            woke.append(round(clock.now() - start, 6))

    task = asyncio.create_task(frames())
    await clock.advance(0.04)
    clock._now += 0.1  # the loop was busy for 100 ms: the timer comes 5 periods late
    await clock.advance(0.0)
    for _ in range(20):
        await clock.advance(0.01)
    await task
    assert woke[:2] == [0.02, 0.04]
    assert woke[2] == 0.14  # the late tick wakes the frame due at 60 ms once ...
    assert tick.skipped == 4  # ... and the 4 ticks it missed are not fired
    assert woke == sorted(woke)  # in order; the player's own catch-up bounds how fast it re-paces
    assert tick.ticks <= 12


async def test_a_frame_is_held_for_its_own_tick_even_when_the_tick_before_fired_late():
    """Decided by tick, not by clock: a frame due just after a late tick waits for the next one (else that call
    would send it a whole period early and its chunk would jitter by 20 ms)."""
    clock = FakeClock()
    tick = PacingTick(clock)
    start = clock.now()
    first = asyncio.create_task(tick.until(start + 0.02))
    await clock.advance(0.0)
    clock._now += 0.025  # tick 1 (due at 20 ms) fires 5 ms late
    await clock.advance(0.0)
    await first
    woke: list[float] = []

    async def wait(deadline: float) -> None:
        await tick.until(deadline)
        woke.append(round(clock.now() - start, 6))

    done_already = asyncio.create_task(wait(start + 0.019))  # tick 1 has fired: at once
    just_after = asyncio.create_task(wait(start + 0.022))  # passed by the clock, but its tick (2) has not
    await clock.advance(0.0)
    assert woke == [0.025]
    await clock.advance(0.02)
    await asyncio.gather(done_already, just_after)
    assert woke == [0.025, 0.04]


async def test_the_grid_keeps_its_phase_when_the_timer_stops_and_starts_again():
    clock = FakeClock()
    tick = PacingTick(clock)
    start = clock.now()
    await asyncio.gather(tick.until(start + 0.01), clock.advance(0.02))
    for _ in range(5):
        await clock.advance(0.013)  # idle: the timer has stopped
    assert tick._ticker is not None and tick._ticker.done()
    later = asyncio.create_task(tick.until(start + 0.107))
    while not later.done():
        await clock.advance(0.001)
    assert round(clock.now() - start, 6) >= 0.12 and tick.skipped == 0
    assert round(clock.now() - start, 6) < 0.125  # woken on the grid's 120 ms tick, not restart + 20 ms


async def play(players: int, frames: int, lead: float) -> list[list[float]]:
    """`players` calls on one shared tick, each playing one utterance; the audio send times of each call."""
    clock = FakeClock()
    tick = PacingTick(clock)
    outputs = []
    tasks = []

    async def settle(utterance: Utterance, state: UtteranceState) -> None:
        utterance.state = state

    for index in range(players):
        output = FakeOutput(clock)
        player = AudioPlayer(output, clock, settle, mark_timeout=0.5, lead=lead, tick=tick)
        output.session = type("Marks", (), {"mark_played": player.mark_played})()
        utterance = Utterance(8000)
        utterance.add_audio(bytes([index + 1, 0]) * (frames * frame_bytes(8000) // 2))
        utterance.end_sentence("words")
        utterance.finish()
        player.enqueue(utterance)
        tasks.append(asyncio.create_task(player.run()))
        outputs.append(output)
        await clock.advance(0.007)  # the calls start out of phase with each other and with the tick
    for _ in range(int(frames * PERIOD / 0.01) + 100):
        await clock.advance(0.01)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for index, output in enumerate(outputs):
        sent = [payload for _, kind, payload in output.log if kind == "audio"]
        assert len(sent) == frames and all(frame[0] == index + 1 for frame in sent)  # all its frames, its own
        assert [kind for _, kind, _ in output.log][-1] == "mark"
    return [output.times("audio") for output in outputs]


async def test_players_on_one_tick_keep_every_frame_in_order_and_evenly_paced():
    for times in await play(players=5, frames=40, lead=0.24):
        times = np.array(times) - times[0]
        assert (times[:12] == 0).all()  # the lead leaves at once, as before
        steady = np.diff(times[13:])  # (frame 12 waits for the grid: this call's constant phase to it)
        assert np.allclose(steady, PERIOD)  # then one frame per period, evenly spaced
        late = times - np.maximum(0, np.arange(len(times)) * PERIOD - 0.24)
        assert (late >= -1e-9).all() and (late <= PERIOD + 1e-9).all()  # never early, at most a period late


async def test_the_servers_players_share_one_tick_per_clock():
    clock = FakeClock()
    assert shared_tick(clock) is shared_tick(clock)
    assert shared_tick(clock) is not shared_tick(FakeClock())
    assert shared_tick(clock, 0.1) is shared_tick(clock, 0.1) is not shared_tick(clock)
    assert shared_tick(clock, 0.1).period == 0.1
