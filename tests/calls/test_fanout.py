"""The fan-out hub: the followers of one call share one bus subscription per process and each event's
encoding, get the replay then live events without gap or duplicate, and a follower that falls too far
behind is cut off instead of buffering without bound. When the shared bus subscription itself overflows,
followers are re-synchronised from the replay buffer, or cut off when it no longer covers the gap.
In process and through Redis."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading

import pytest
import pytest_asyncio

from app.calls.channels import call_events
from app.calls.fanout import CallFanout, Overflow
from app.calls.live import MemoryCallEventLog, RedisCallEventLog
from app.calls.stream import CallEventItem, CallFollower, EventsLost, FollowerTooSlow
from app.events import EventBus, RedisEventBus
from tests.conftest import REDIS_URL


@pytest_asyncio.fixture(params=["in-process", "redis"])
async def bus_log(request):
    if request.param == "in-process":
        bus = EventBus()
        log = MemoryCallEventLog(bus)
    else:
        prefix = f"test:{secrets.token_hex(4)}:"
        bus = RedisEventBus(REDIS_URL, prefix=prefix + "bus:")
        log = RedisCallEventLog(bus, prefix=prefix + "replay:")
    yield bus, log
    await bus.aclose()


def new_call() -> str:
    return f"cal_{secrets.token_hex(6)}"


async def collect(follower) -> list:
    return [item async for item in follower]


async def test_followers_of_a_call_share_one_bus_subscription_and_each_events_encoding(bus_log):
    bus, log = bus_log
    call_id = new_call()
    encoded_seqs = []

    def encode(event):
        encoded_seqs.append(event["seq"])
        return json.dumps(event)

    async with log.fanout.follow(call_id) as first, log.fanout.follow(call_id) as second:
        assert bus.subscribers(call_events(call_id)) == 1
        assert log.fanout.followers(call_id) == 2
        await log.append(call_id, {"type": "start"})
        await log.append(call_id, {"type": "end"})
        firsts, seconds = await asyncio.wait_for(asyncio.gather(collect(first), collect(second)), 5)
    assert [item.seq for item in firsts] == [1, 2]
    assert all(mine is theirs for mine, theirs in zip(firsts, seconds, strict=True))
    texts = [item.encoded("json", encode) for item in firsts + seconds]
    assert encoded_seqs == [1, 2]
    assert texts[:2] == texts[2:]


async def test_the_bus_subscription_closes_when_the_last_follower_leaves(bus_log):
    bus, log = bus_log
    call_id = new_call()
    channel = call_events(call_id)
    async with log.fanout.follow(call_id):
        async with log.fanout.follow(call_id):
            pass
        assert (bus.subscribers(channel), log.fanout.followers(call_id)) == (1, 1)
    assert (bus.subscribers(channel), log.fanout.followers(call_id)) == (0, 0)
    if isinstance(bus, RedisEventBus):
        for _ in range(50):
            [(_, count)] = await bus.redis.pubsub_numsub(bus.key(channel))
            if count == 0:
                break
            await asyncio.sleep(0.02)
        assert count == 0
    await log.append(call_id, {"type": "start"})
    await log.append(call_id, {"type": "end"})
    async with log.fanout.follow(call_id) as again:  # a new hub, and the replay covers what it missed
        assert [item.seq for item in await asyncio.wait_for(collect(again), 5)] == [1, 2]


async def test_followers_joining_mid_call_get_the_replay_then_live_without_gap_or_duplicate(bus_log):
    bus, log = bus_log
    call_id = new_call()
    results: list[list[int]] = []

    async def follower(after: int, published: list[int]) -> None:
        while len(published) < after:
            await asyncio.sleep(0)
        async with log.fanout.follow(call_id) as events:
            results.append([item.seq async for item in events])

    published: list[int] = []
    followers = [asyncio.create_task(follower(after, published)) for after in (0, 1, 7, 20, 33, 50)]
    await log.append(call_id, {"type": "start"})
    published.append(1)
    for i in range(58):
        numbered = await log.append(call_id, {"type": "transcript", "text": str(i)})
        published.append(numbered["seq"])
        if i % 3 == 0:
            await asyncio.sleep(0.001)
    await log.append(call_id, {"type": "end"})
    await asyncio.wait_for(asyncio.gather(*followers), 10)
    assert results == [list(range(1, 61))] * len(followers)
    assert (bus.subscribers(call_events(call_id)), log.fanout.followers(call_id)) == (0, 0)


async def test_a_follower_that_falls_behind_is_cut_off_and_holds_nothing(bus_log):
    bus, log = bus_log
    call_id = new_call()
    fanout = CallFanout(bus, log, max_lag=3)
    async with fanout.follow(call_id) as slow, fanout.follow(call_id) as reader:
        reading = asyncio.create_task(collect(reader))
        for i in range(5):  # paced, so the reader keeps up while the slow one reads nothing
            await log.append(call_id, {"type": "transcript", "text": str(i)})
            await asyncio.sleep(0.01)
        await log.append(call_id, {"type": "end"})
        assert [item.seq for item in await asyncio.wait_for(reading, 5)] == [1, 2, 3, 4, 5, 6]
        assert slow.cut_off and slow.lag == 0
        assert fanout.followers(call_id) == 1  # the reader: the hub no longer delivers to the slow one
        with pytest.raises(FollowerTooSlow):
            await collect(slow)
    assert bus.subscribers(call_events(call_id)) == 0


async def test_without_sharing_each_follower_has_its_own_subscription_and_items(bus_log):
    bus, log = bus_log
    call_id = new_call()
    fanout = CallFanout(bus, log, shared=False)
    await log.append(call_id, {"type": "start"})
    async with fanout.follow(call_id) as first, fanout.follow(call_id) as second:
        firsts = asyncio.create_task(collect(first))
        seconds = asyncio.create_task(collect(second))
        for _ in range(50):
            if bus.subscribers(call_events(call_id)) == 2:
                break
            await asyncio.sleep(0.01)
        assert bus.subscribers(call_events(call_id)) == 2
        await log.append(call_id, {"type": "end"})
        firsts, seconds = await asyncio.wait_for(asyncio.gather(firsts, seconds), 5)
    assert [item.seq for item in firsts] == [item.seq for item in seconds] == [1, 2]
    assert firsts[1] is not seconds[1]
    assert bus.subscribers(call_events(call_id)) == 0


@pytest_asyncio.fixture(params=["in-process", "redis"])
async def tiny(request):
    """A bus whose subscriptions hold 4 events, so a burst overflows the shared subscription of a call;
    `overflows` records what the fan-out reports of each overflow; `burst(call_id, count)` appends
    `count` events while this process's hub cannot read (another instance's, through Redis)."""
    overflows: list[Overflow] = []
    if request.param == "in-process":
        bus = EventBus(queue_size=4)
        log = MemoryCallEventLog(bus, on_overflow=overflows.append)

        async def burst(call_id: str, count: int) -> None:
            for i in range(count):  # nothing in append yields, so the hub reads only afterwards
                await log.append(call_id, {"type": "transcript", "text": str(i)})
    else:
        prefix = f"test:{secrets.token_hex(4)}:"
        bus = RedisEventBus(REDIS_URL, queue_size=4, prefix=prefix + "bus:")
        log = RedisCallEventLog(bus, prefix=prefix + "replay:", on_overflow=overflows.append)

        async def publish(call_id: str, count: int) -> None:
            other = RedisEventBus(REDIS_URL, prefix=prefix + "bus:")
            other_log = RedisCallEventLog(other, prefix=prefix + "replay:")
            for i in range(count):
                await other_log.append(call_id, {"type": "transcript", "text": str(i)})
            await other.aclose()

        async def burst(call_id: str, count: int) -> None:
            # Another instance publishes while this loop is held, so the events pile up unread.
            instance = threading.Thread(target=asyncio.run, args=(publish(call_id, count),))
            instance.start()
            instance.join()

    yield bus, log, overflows, burst
    await bus.aclose()


async def test_an_overflowing_subscription_is_resynchronised_from_the_replay_without_gap_or_duplicate(tiny):
    _bus, log, overflows, burst = tiny
    call_id = new_call()
    await log.append(call_id, {"type": "start"})
    async with log.fanout.follow(call_id) as early:
        await burst(call_id, 40)
        async with log.fanout.follow(call_id) as late:  # joins between two bursts
            await burst(call_id, 60)
            await log.append(call_id, {"type": "end"})
            earlies, lates = await asyncio.wait_for(asyncio.gather(collect(early), collect(late)), 5)
    assert [item.seq for item in earlies] == list(range(1, 103))
    assert [item.seq for item in lates] == list(range(1, 103))  # its replay held the first 41
    assert overflows and sum(overflow.dropped for overflow in overflows) > 0
    assert all(overflow.cut_off == 0 and overflow.call_id == call_id for overflow in overflows)


async def test_without_sharing_an_overflowing_subscription_is_resynchronised_too(tiny):
    bus, log, _, burst = tiny
    call_id = new_call()
    fanout = CallFanout(bus, log, shared=False)
    await log.append(call_id, {"type": "start"})
    async with fanout.follow(call_id) as alone:
        first = await anext(alone)
        await burst(call_id, 60)
        await log.append(call_id, {"type": "end"})
        rest = await asyncio.wait_for(collect(alone), 5)
    assert [item.seq for item in [first, *rest]] == list(range(1, 63))


async def test_when_the_replay_no_longer_covers_the_gap_every_follower_is_cut_off_to_reconnect(tiny):
    _bus, log, overflows, burst = tiny
    call_id = new_call()
    async with log.fanout.follow(call_id) as first, log.fanout.follow(call_id) as second:
        await burst(call_id, 400)  # far more than the replay buffer holds (200) pass the hub by
        for follower in (first, second):
            with pytest.raises(EventsLost) as lost:
                await asyncio.wait_for(collect(follower), 5)
            assert lost.value.code == "UNAVAILABLE"
        assert log.fanout.followers(call_id) == 0
    assert overflows[0].cut_off == 2 and overflows[0].resynced == 0
    async with log.fanout.follow(call_id) as again:  # reconnecting resumes from the replay
        await log.append(call_id, {"type": "end"})
        assert [item.seq for item in await asyncio.wait_for(collect(again), 5)] == list(range(201, 402))


async def test_a_joining_follower_whose_replay_does_not_meet_its_first_live_event_is_cut_off_after_the_replay():
    """Live events reach a follower while it reads the replay; if the bus lost the ones between, its
    client gets the replay, then EventsLost, rather than a silent hole."""
    follower = CallFollower()
    assert follower.deliver(CallEventItem({"type": "transcript", "seq": 10}))
    follower.replay([CallEventItem({"type": "transcript", "seq": seq}) for seq in (4, 5, 6)])
    assert follower.cut_off
    served = []
    with pytest.raises(EventsLost):
        async for item in follower:
            served.append(item.seq)
    assert served == [4, 5, 6]

    whole = CallFollower()
    whole.deliver(CallEventItem({"type": "transcript", "seq": 7}))
    whole.replay([CallEventItem({"type": "transcript", "seq": seq}) for seq in (4, 5, 6, 7)])
    whole.deliver(CallEventItem({"type": "transcript", "seq": 6}))  # re-synchronised: held already
    whole.deliver(CallEventItem({"type": "end", "seq": 8}))
    assert not whole.cut_off and [item.seq async for item in whole] == [4, 5, 6, 7, 8]


async def test_events_published_while_the_redis_connection_was_down_still_reach_followers():
    """Redis pub/sub forgets what it published while our connection was gone; the replay log (a Redis
    list) does not, so the hub closes the gap from it as after an overflow."""
    prefix = f"test:{secrets.token_hex(4)}:"
    bus = RedisEventBus(REDIS_URL, prefix=prefix + "bus:")
    log = RedisCallEventLog(bus, prefix=prefix + "replay:")
    call_id = new_call()
    try:
        async with log.fanout.follow(call_id) as follower:
            await log.append(call_id, {"type": "start"})
            host, port = bus._pubsub.connection._writer.get_extra_info("sockname")[:2]
            clients = await bus.redis.client_list(_type="pubsub")
            [ours] = [client for client in clients if client["addr"] == f"{host}:{port}"]
            await bus.redis.client_kill_filter(_id=ours["id"])
            for _ in range(3):  # published into the void: nobody is subscribed on the server right now
                await log.append(call_id, {"type": "transcript", "text": "while away"})
            stream = aiter(follower)
            received = [await asyncio.wait_for(anext(stream), 10) for _ in range(4)]
            assert [item.seq for item in received] == [1, 2, 3, 4]  # closed without waiting for another event
            for _ in range(100):  # resubscribed
                [(_, count)] = await bus.redis.pubsub_numsub(bus.key(call_events(call_id)))
                if count:
                    break
                await asyncio.sleep(0.05)
            await log.append(call_id, {"type": "end"})
            received.append(await asyncio.wait_for(anext(stream), 10))
        assert [item.seq for item in received] == [1, 2, 3, 4, 5]
    finally:
        await bus.aclose()
