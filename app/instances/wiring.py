"""Putting a process's lease together from the platform's parts (called by `Platform.build`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.instances.instance import InstanceLeaseKeeper
from app.instances.leases import build_lease_store
from app.instances.orphans import OrphanSweeper

if TYPE_CHECKING:
    from app.platform import Platform


def build_instance_lease(platform: Platform) -> InstanceLeaseKeeper:
    """The lease, its sweep, and the owner stamped on every call this process dials or runs."""
    settings = platform.settings
    keeper = InstanceLeaseKeeper(build_lease_store(settings.redis_url), ttl_seconds=settings.lease_seconds)
    keeper.sweeper = OrphanSweeper(
        keeper.instance_id,
        keeper.store,
        platform.reporter,
        platform.carriers,
        platform.exotel_status,
        on_ended=platform.campaigns.wake.set,
    )
    platform.reporter.owner = keeper.instance_id
    platform.dialer.owner = keeper.instance_id
    return keeper
