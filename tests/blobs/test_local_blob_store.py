"""The local blob store: atomic puts, ranged streaming reads, keys that cannot escape the root."""

from __future__ import annotations

import pytest

from app.blobs import LocalBlobStore
from app.errors import NotFound


async def read(store, key, start=0, end=None) -> bytes:
    return b"".join([chunk async for chunk in store.open(key, start, end)])


async def test_put_then_read_whole_and_ranges(tmp_path):
    store = LocalBlobStore(tmp_path)
    data = bytes(range(256)) * 1000
    assert await store.put("recordings/org_a/cal_b.wav", data) == len(data)
    assert await store.size("recordings/org_a/cal_b.wav") == len(data)
    assert await read(store, "recordings/org_a/cal_b.wav") == data
    assert await read(store, "recordings/org_a/cal_b.wav", 100, 70000) == data[100:70000]


async def test_put_streams_an_async_iterable(tmp_path):
    store = LocalBlobStore(tmp_path)

    async def chunks():
        for index in range(5):
            yield bytes([index]) * 10

    assert await store.put("a/b", chunks()) == 50
    assert await read(store, "a/b") == b"".join(bytes([i]) * 10 for i in range(5))


async def test_a_failed_streaming_put_leaves_nothing(tmp_path):
    store = LocalBlobStore(tmp_path)

    async def broken():
        yield b"half"
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        await store.put("a/b", broken())
    with pytest.raises(NotFound):
        await store.size("a/b")
    assert [p.name for p in (tmp_path / "a").iterdir()] == []


async def test_missing_blobs_and_escaping_keys(tmp_path):
    store = LocalBlobStore(tmp_path)
    with pytest.raises(NotFound):
        await store.size("nothing")
    with pytest.raises(NotFound):
        await read(store, "nothing")
    for key in ("../etc/passwd", "/abs", "a/../../b", ""):
        with pytest.raises(ValueError):
            await store.put(key, b"x")
    await store.delete("nothing")  # idempotent
