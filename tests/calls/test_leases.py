"""Instance leases and call ownership: a call belongs to the process that runs it; when that process's lease
lapses, any live instance takes the call over once and ends it through the normal end path (the carrier's word
where it can be learned, else `failed` / `server_restart`)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import pytest
import pytest_asyncio
from tortoise.expressions import Q

from app.config import Settings
from app.db.models import Call, Customer, DialJob, Flow, InstanceLease
from app.ids import new_id
from app.instances.instance import InstanceLeaseKeeper
from app.instances.leases import DatabaseLeaseStore, Holder, RedisLeaseStore, utc_now
from app.instances.orphans import SERVER_RESTART, OrphanSweeper
from app.telephony.status import ExotelStatusService
from tests.calls.conftest import start_call
from tests.conftest import REDIS_URL
from tests.telephony.conftest import connected, fake_exotel  # noqa: F401  (an organisation on a fake Exotel)


def _holder() -> Holder:
    return Holder(instance_id=f"ins_{secrets.token_hex(6)}", host="test", pid=1, started_at=utc_now())


@pytest_asyncio.fixture(params=["database", "redis"])
async def store(request, database_url):
    made = (
        DatabaseLeaseStore()
        if request.param == "database"
        else RedisLeaseStore(REDIS_URL, prefix=f"voiceai:test-lease:{secrets.token_hex(4)}:")
    )
    try:
        yield made
    finally:
        await made.aclose()


def _sweeper(platform, instance_id: str, store, organisation_id: str) -> OrphanSweeper:
    """Scoped to the test's organisation: the suite's servers share one database."""
    status = ExotelStatusService(platform.integrations, platform.reporter, platform.simulator_account_sid)
    return OrphanSweeper(
        instance_id, store, platform.reporter, platform.carriers, status, scope=Q(organisation_id=organisation_id)
    )


async def _owned_call(platform, organisation_id: str, owner: str, **extra) -> str:
    """A call as a process with this lease started it."""
    call_id = await start_call(platform, organisation_id, **extra)
    await Call.filter(id=call_id).update(owner=owner)
    return call_id


async def test_a_lease_is_alive_while_renewed_and_lapses_after_its_ttl(store):
    live, gone = _holder(), _holder()
    await store.renew(live, 30)
    await store.renew(gone, 0.3)
    assert await store.alive([live.instance_id, gone.instance_id]) == {live.instance_id, gone.instance_id}
    await asyncio.sleep(0.5)
    assert await store.alive([live.instance_id, gone.instance_id]) == {live.instance_id}
    await store.renew(gone, 30)  # renewing a lapsed lease takes it again
    assert await store.alive([gone.instance_id]) == {gone.instance_id}
    await store.release(live)
    assert await store.alive([live.instance_id, gone.instance_id]) == {gone.instance_id}


async def test_the_calls_of_a_lapsed_lease_end_failed_server_restart_once_across_instances(server, client, store):
    platform = server.platform
    dead, alive = _holder(), _holder()
    await store.renew(dead, 0.2)
    await store.renew(alive, 30)
    orphans = [await _owned_call(platform, client.organisation_id, dead.instance_id) for _ in range(5)]
    kept = await _owned_call(platform, client.organisation_id, alive.instance_id)
    assert {entry["uuid"] for entry in await platform.live.list(client.organisation_id)} >= {*orphans, kept}
    await asyncio.sleep(0.4)

    one = _sweeper(platform, "ins_sweeper0001", store, client.organisation_id)
    two = _sweeper(platform, "ins_sweeper0002", store, client.organisation_id)
    first, second = await asyncio.gather(one.run(), two.run())
    assert first.taken + second.taken == 5  # each orphan claimed by exactly one instance
    assert first.ended + second.ended == 5
    rows = await Call.filter(id__in=orphans).values("status", "outcome", "end_reason", "owner", "ended_at")
    assert all(
        (row["status"], row["outcome"], row["end_reason"]) == ("failed", "failed", SERVER_RESTART) for row in rows
    ), rows
    assert {row["owner"] for row in rows} <= {"ins_sweeper0001", "ins_sweeper0002"}
    # the normal end path ran: off the live view, `end` in the call's event log
    live_ids = {entry["uuid"] for entry in await platform.live.list(client.organisation_id)}
    assert not live_ids & set(orphans) and kept in live_ids
    events = await platform.call_events.replay(orphans[0])
    assert [event["type"] for event in events][-1] == "end" and events[-1]["outcome"] == "failed"
    # the live instance keeps its call; nothing is left to sweep
    assert (await Call.get(id=kept)).ended_at is None
    assert (await one.run()).taken == 0


async def test_a_call_without_an_owner_or_of_this_instance_is_left_alone(server, client, store):
    platform = server.platform
    me = _holder()
    await store.renew(me, 30)
    ownerless = await start_call(platform, client.organisation_id)
    mine = await _owned_call(platform, client.organisation_id, me.instance_id)
    swept = await _sweeper(platform, me.instance_id, store, client.organisation_id).run()
    assert swept.taken == 0
    assert await Call.filter(id__in=[ownerless, mine], ended_at__isnull=True).count() == 2


async def test_an_orphan_takes_the_carriers_status_where_it_can_be_learned(server, client, connected):
    """Exotel says the call completed: the status callback's mapping ends it (connected, its duration)."""
    platform = server.platform
    store = DatabaseLeaseStore()
    sid_done, sid_ringing = secrets.token_hex(16), secrets.token_hex(16)
    connected.place(sid_done)
    connected.finish(sid_done, "completed", duration=42)
    connected.place(sid_ringing, Status="ringing")
    dead = f"ins_{secrets.token_hex(6)}"  # no lease row at all: a process long gone
    done = await _owned_call(platform, client.organisation_id, dead, provider_call_id=sid_done)
    ringing = await _owned_call(platform, client.organisation_id, dead, provider_call_id=sid_ringing)
    connected.calls[sid_ringing]["Status"] = "ringing"

    swept = await _sweeper(platform, "ins_sweeper0003", store, client.organisation_id).run()
    assert (swept.taken, swept.ended, swept.left) == (2, 1, 1)
    fresh = await Call.get(id=done)
    assert (fresh.status, fresh.outcome, fresh.end_reason, fresh.duration) == (
        "completed",
        "connected",
        "completed",
        42,
    )
    # not answered yet: the sweeper holds it now (its socket may still reach a live worker)
    waiting = await Call.get(id=ringing)
    assert waiting.ended_at is None and waiting.owner == "ins_sweeper0003"


async def test_a_dial_job_of_an_orphaned_call_settles_by_the_usual_rules(server, client):
    platform = server.platform
    store = DatabaseLeaseStore()
    flow = await Flow.create(
        id=new_id("flw"),
        organisation_id=client.organisation_id,
        kind="outbound",
        name="Campaign",
        provider="sarvam",
        status="active",
    )
    customer = await Customer.create(
        id=new_id("cst"),
        organisation_id=client.organisation_id,
        name="Asha",
        search_name="asha",
        phone=f"+9198{secrets.randbelow(10**8):08d}",
    )
    from app.db.models import Campaign
    from app.dialer.campaigns import utc_now as now

    campaign = await Campaign.create(
        id=new_id("cmp"), organisation_id=client.organisation_id, flow_id=flow.id, status="running", launched_at=now()
    )
    call = await _owned_call(
        platform, client.organisation_id, f"ins_{secrets.token_hex(6)}", flow_id=flow.id, customer_id=customer.id
    )
    job = await DialJob.create(
        id=new_id("job"),
        organisation_id=client.organisation_id,
        campaign_id=campaign.id,
        customer_id=customer.id,
        phone=customer.phone,
        status="dialling",
        attempts=1,
        next_attempt_at=now(),
        call_id=call,
    )
    woken = []
    sweeper = _sweeper(platform, "ins_sweeper0004", store, client.organisation_id)
    sweeper._on_ended = lambda: woken.append(True)
    assert (await sweeper.run()).ended == 1 and woken
    dialer = platform.scoped_dialer([client.organisation_id], settings=server.settings)
    await dialer.settle(now())
    settled = await DialJob.get(id=job.id)
    assert (settled.status, settled.outcome, settled.reason) == ("failed", "failed", SERVER_RESTART)


async def test_the_keeper_takes_its_lease_before_anything_and_releases_it_on_a_graceful_stop(database_url):
    store = DatabaseLeaseStore()
    keeper = InstanceLeaseKeeper(store, ttl_seconds=0.6)
    await keeper.start()
    assert await store.alive([keeper.instance_id]) == {keeper.instance_id}
    await asyncio.sleep(1.0)  # renewed meanwhile (every ttl/3)
    assert await store.alive([keeper.instance_id]) == {keeper.instance_id}
    await keeper.aclose()
    assert not await InstanceLease.exists(id=keeper.instance_id)


async def test_lapsed_lease_rows_are_pruned_after_an_hour(database_url):
    store = DatabaseLeaseStore(clock=lambda: utc_now() + timedelta(hours=2))
    old = _holder()
    await DatabaseLeaseStore().renew(old, 1)
    assert await store.prune(timedelta(hours=1)) >= 1
    assert not await InstanceLease.exists(id=old.instance_id)


async def test_the_reporter_and_the_dialer_stamp_this_instances_owner(server, client):
    platform = server.platform
    platform.reporter.owner = "ins_stamped00001"
    try:
        call_id = await start_call(platform, client.organisation_id)
    finally:
        platform.reporter.owner = None
    assert (await Call.get(id=call_id)).owner == "ins_stamped00001"


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_lease_setting_is_refused_by_name(value):
    with pytest.raises(ValueError, match="VOICEAI_LEASE_SECONDS"):
        Settings.from_env({"VOICEAI_LEASE_SECONDS": value})


def test_leases_are_on_for_served_processes_and_can_be_turned_off():
    assert Settings.from_env({}).leases is True and Settings().leases is False
    assert Settings.from_env({"VOICEAI_LEASES": "off"}).leases is False
    with pytest.raises(ValueError, match="VOICEAI_LEASES"):
        Settings.from_env({"VOICEAI_LEASES": "maybe"})


class _FailsOnce:
    """The platform's reporter, except that its first end fails (a dropped database connection)."""

    def __init__(self, reporter) -> None:
        self._reporter = reporter
        self.failed = False

    async def ended(self, call_id, end) -> None:
        if not self.failed:
            self.failed = True
            raise ConnectionError("connection reset")
        await self._reporter.ended(call_id, end)


async def test_an_orphan_whose_end_fails_is_handed_back_and_ended_by_the_next_run(server, client, caplog):
    platform = server.platform
    store = DatabaseLeaseStore()
    dead = f"ins_{secrets.token_hex(6)}"
    call_id = await _owned_call(platform, client.organisation_id, dead)
    sweeper = _sweeper(platform, "ins_sweeper0005", store, client.organisation_id)
    sweeper._reporter = _FailsOnce(platform.reporter)
    assert (await sweeper.run()).taken == 0
    assert (await Call.get(id=call_id)).owner == dead  # not stranded on a live instance
    assert (await sweeper.run()).ended == 1
    assert (await Call.get(id=call_id)).end_reason == SERVER_RESTART
