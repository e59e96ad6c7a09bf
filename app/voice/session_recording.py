"""The call's recording: spooled locally while the call runs, then streamed into the blob store.

The blob key (`recordings/<org>/<call>.wav`) becomes the call's `recording_path`. The spool files are named
by the call id, so if the process dies mid-call `spool_recovery` can still store them at the next start. A
customer whose metadata says `recording_opt_out` (true, or the strings "true"/"yes") is not recorded at all.
If storing fails the call still ends normally, without a recording, and the spool files are removed either way.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from app.blobs import BlobStore
from app.voice.recording import StereoRecorder

log = logging.getLogger("app.voice.recording")
OPT_OUT_KEY = "recording_opt_out"


def opted_out(metadata: Mapping[str, Any] | None) -> bool:
    """`recording_opt_out` in the customer's metadata: true, or the strings "true"/"yes" (any case)."""
    value = (metadata or {}).get(OPT_OUT_KEY)
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in ("true", "yes")


def recording_key(organisation_id: str, call_id: str) -> str:
    return f"recordings/{organisation_id}/{call_id}.wav"


class CallRecording:
    def __init__(self, store: BlobStore, key: str, recorder: StereoRecorder) -> None:
        self.key = key
        self.recorder = recorder
        self._store = store

    @classmethod
    async def open(
        cls, store: BlobStore, spool: Path | None, key: str, rate: int, start: float
    ) -> CallRecording | None:
        """None (logged) when the spool cannot be created: the call goes on unrecorded."""
        try:
            recorder = await StereoRecorder.open(
                spool or Path(tempfile.gettempdir()), rate, start, call_id=PurePosixPath(key).stem
            )
        except OSError:
            log.exception("cannot spool the recording %s: the call is not recorded", key)
            return None
        return cls(store, key, recorder)

    async def store(self) -> str | None:
        """Streams the WAV into the blob store; returns its key, or None when that failed."""
        try:
            await self.recorder.close()
            await self._store.put(self.key, self.recorder.chunks())
            return self.key
        except Exception:
            log.exception("storing the recording %s failed: the call ends without one", self.key)
            return None
        finally:
            await self.recorder.discard()
