"""Where a call's recording lives: the platform's own (blob storage) or the telephony provider's (a URL
to proxy). None when there is no recording or the customer opted out."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass

from app.blobs import BlobStore
from app.calls.service import CallService
from app.errors import Invalid, NotFound

NO_RECORDING = "Recording not found"
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class Recording:
    source: str  # "platform" or "provider"
    location: str  # blob key or provider URL
    media_type: str


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a single `Range: bytes=...`; None for the whole file; Invalid when unsatisfiable."""
    if not header:
        return None
    match = RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        raise Invalid("Range must be a single byte range")
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise Invalid("Range is not satisfiable")
    return start, end


class RecordingService:
    def __init__(self, calls: CallService, blobs: BlobStore) -> None:
        self._calls = calls
        self.blobs = blobs

    async def locate(self, organisation_id: str, call_id: str) -> Recording:
        call = await self._calls.get(organisation_id, call_id)
        if call.recording_opt_out:
            raise NotFound(NO_RECORDING)
        if call.recording_path:
            media_type = mimetypes.guess_type(call.recording_path)[0] or "application/octet-stream"
            return Recording("platform", call.recording_path, media_type)
        if call.recording_url:
            return Recording("provider", call.recording_url, "audio/mpeg")
        raise NotFound(NO_RECORDING)
