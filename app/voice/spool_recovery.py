"""Recordings of calls the process did not live to store.

A session spools each side of its call into `<spool>/<call id>.<rate>hz.<random>.<side>.raw` and streams the
WAV into the blob store at teardown. When the process dies mid-call the spool stays behind. The sweep (at
start-up, then every few minutes) looks at spools nobody has written for `stale_seconds` (a running call
writes its spool every few seconds, so such a spool belongs to no call in progress on any instance):

- the call exists, has no recording yet, did not opt out, and is ended or not live in the registry: the
  stereo WAV goes into the blob store under the session's key (`recordings/<org>/<call>.wav`) and becomes
  the call's `recording_path`, then the spool is removed;
- the call is still live in the registry and not ended: left alone (its instance may yet store it);
- anything else (no such call, already recorded, opted out, an empty or half-deleted spool): removed.

A spool whose upload fails is kept for the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from app.blobs import BlobStore
from app.calls.live import LiveRegistry
from app.voice.recording import SIDES, SpoolName, StereoRecorder
from app.voice.session_recording import recording_key

log = logging.getLogger("app.voice.recording")


class SpoolFate(str, Enum):
    STORED = "stored"  # became the call's recording
    REMOVED = "removed"  # nothing to keep
    KEPT = "kept"  # too fresh, live elsewhere, or the upload failed: looked at again next sweep


@dataclass(frozen=True)
class Spool:
    call_id: str
    rate: int
    files: dict[str, Path]  # side -> path; both sides unless a crash hit `discard()` half way
    modified: float  # the newest write, epoch seconds

    def complete(self) -> bool:
        return all(side in self.files for side in SIDES)


@dataclass
class SweepReport:
    fates: dict[str, SpoolFate] = field(default_factory=dict)  # spool stem -> what became of it


def find_spools(directory: Path) -> dict[str, Spool]:
    """The spools in `directory` by stem (blocking: run it in a thread). Files not named like a spool are
    not ours and are left alone."""
    found: dict[str, tuple[SpoolName, dict[str, Path], float]] = {}
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return {}
    for entry in entries:
        name = SpoolName.parse(entry.name)
        if name is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            modified = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue
        first, files, newest = found.get(name.stem, (name, {}, 0.0))
        files[name.side] = Path(entry.path)
        found[name.stem] = (first, files, max(newest, modified))
    return {stem: Spool(name.call_id, name.rate, files, modified) for stem, (name, files, modified) in found.items()}


class SpoolRecovery:
    """Owned by the platform: `start()` in the app lifespan, `aclose()` on shutdown."""

    def __init__(
        self,
        directory: Path,
        store: BlobStore,
        live: LiveRegistry,
        *,
        stale_seconds: float = 1800.0,
        interval_seconds: float = 300.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self._store = store
        self._live = live
        self._stale_seconds = stale_seconds
        self._interval_seconds = interval_seconds
        self._wall_clock = wall_clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="spool-recovery")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("sweeping the recording spool %s failed", self.directory)
            await asyncio.sleep(self._interval_seconds)

    async def sweep(self) -> SweepReport:
        report = SweepReport()
        spools = await asyncio.to_thread(find_spools, self.directory)
        cutoff = self._wall_clock() - self._stale_seconds
        for stem, spool in spools.items():
            report.fates[stem] = SpoolFate.KEPT if spool.modified > cutoff else await self._settle(spool)
        return report

    async def _settle(self, spool: Spool) -> SpoolFate:
        from app.db.models import Call

        call = (
            await Call.filter(id=spool.call_id)
            .first()
            .values("organisation_id", "ended_at", "recording_path", "recording_opt_out")
        )
        if (
            call is not None
            and call["ended_at"] is None
            and await self._live.get(call["organisation_id"], spool.call_id) is not None
        ):
            return SpoolFate.KEPT
        if call is None or call["recording_path"] or call["recording_opt_out"] or not spool.complete():
            await _remove(spool)
            return SpoolFate.REMOVED
        recorder = await StereoRecorder.resume(spool.files["caller"], spool.files["agent"], spool.rate)
        if recorder.empty:
            await _remove(spool)
            return SpoolFate.REMOVED
        key = recording_key(call["organisation_id"], spool.call_id)
        try:
            await self._store.put(key, recorder.chunks())
        except Exception:
            log.exception("storing the orphaned recording %s failed: kept for the next sweep", key)
            return SpoolFate.KEPT
        stored = await Call.filter(id=spool.call_id, recording_path__isnull=True).update(recording_path=key)
        if not stored:  # the call got its recording meanwhile (same key): nothing more to do
            log.info("call %s was recorded meanwhile", spool.call_id)
        else:
            log.info("stored the recording of call %s from its orphaned spool", spool.call_id)
        await _remove(spool)
        return SpoolFate.STORED


async def _remove(spool: Spool) -> None:
    def remove() -> None:
        for path in spool.files.values():
            path.unlink(missing_ok=True)

    await asyncio.to_thread(remove)
