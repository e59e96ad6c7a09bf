"""Blob storage for recordings and voice files: a small interface, a local-directory implementation.

An S3-compatible store implements the same four methods. Keys are relative paths such as
`recordings/org_x/cal_y.wav`; they never escape the store's root.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path, PurePosixPath
from typing import Protocol

from app.errors import NotFound

CHUNK = 64 * 1024


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes | AsyncIterable[bytes]) -> int:
        """Store the blob atomically (readers never see half of it); returns its size."""

    def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes in [start, end) (end exclusive, None = to the end), streamed in chunks."""

    async def size(self, key: str) -> int:
        """Raises NotFound when absent."""

    async def delete(self, key: str) -> None:
        """Idempotent."""


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        relative = PurePosixPath(key)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"invalid blob key {key!r}")
        return self.root.joinpath(*relative.parts)

    async def put(self, key: str, data: bytes | AsyncIterable[bytes]) -> int:
        path = self._path(key)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        handle = await asyncio.to_thread(open, temporary, "wb")
        size = 0
        try:
            if isinstance(data, (bytes, bytearray, memoryview)):
                await asyncio.to_thread(handle.write, data)
                size = len(data)
            else:
                async for chunk in data:
                    await asyncio.to_thread(handle.write, chunk)
                    size += len(chunk)
        except BaseException:
            handle.close()
            temporary.unlink(missing_ok=True)
            raise
        await asyncio.to_thread(handle.close)
        await asyncio.to_thread(os.replace, temporary, path)
        return size

    async def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError:
            raise NotFound("Blob not found") from None
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = None if end is None else max(0, end - start)
            while remaining is None or remaining > 0:
                chunk = await asyncio.to_thread(handle.read, CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    async def size(self, key: str) -> int:
        try:
            return (await asyncio.to_thread(self._path(key).stat)).st_size
        except FileNotFoundError:
            raise NotFound("Blob not found") from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)
