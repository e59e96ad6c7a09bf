"""The event-loop lag monitor: every stall of the serving loop shows up in `/metrics`, and one over 100 ms is
logged naming the task and code that held the loop."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.loop_lag import LoopLagMonitor
from app.metrics import Metrics
from tests.conftest import free_port


def stall_for_a_while(seconds: float, spin: bool) -> None:
    """What a careless handler does: block the loop (sleeping releases the GIL; spinning holds it)."""
    if not spin:
        time.sleep(seconds)
        return
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


async def careless(request: Request) -> PlainTextResponse:
    stall_for_a_while(0.3, request.query_params.get("spin") == "1")
    return PlainTextResponse("done")


def lag_observations(text: str) -> dict[str, float]:
    """`voiceai_event_loop_lag_seconds` buckets and count from a `/metrics` page."""
    found = {}
    for line in text.splitlines():
        if line.startswith("voiceai_event_loop_lag_seconds_bucket"):
            found[line.split('le="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("voiceai_event_loop_lag_seconds_count"):
            found["count"] = float(line.rsplit(" ", 1)[1])
    return found


@pytest.mark.parametrize("spin", [False, True], ids=["sleeps", "spins-holding-the-gil"])
async def test_a_blocking_handler_shows_up_in_the_histogram_and_the_log_names_it(http, server, caplog, spin):
    """The platform's own monitor (started with the server) sees a handler served on the same loop block it."""
    app = Starlette(routes=[Route("/careless", careless)])
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        await asyncio.sleep(0.01)
    try:
        await asyncio.sleep(0.12)
        before = lag_observations(await (await http.get(server.url("/metrics"))).text())
        assert before["count"] > 0  # the ticker runs from the moment the server is up
        with caplog.at_level(logging.WARNING, logger="app.loop_lag"):
            answer = await http.get(f"http://127.0.0.1:{port}/careless?spin={int(spin)}")
            assert answer.status == 200
            await asyncio.sleep(0.15)  # the ticker wakes (late) and reports
        after = lag_observations(await (await http.get(server.url("/metrics"))).text())
        stalled = (after["count"] - after["0.25"]) - (before["count"] - before["0.25"])
        assert stalled >= 1  # one observation over 250 ms
        warnings = [r.getMessage() for r in caplog.records if r.name == "app.loop_lag"]
        assert any("stalled" in w and "in stall_for_a_while" in w and "careless" in w for w in warnings), warnings
    finally:
        uv.should_exit = True
        await task


async def test_the_monitor_stops_cleanly_and_an_idle_loop_shows_no_stall():
    lags: list[float] = []
    monitor = LoopLagMonitor(lags.append)
    monitor.start()
    await asyncio.sleep(0.5)
    await monitor.stop()
    count = len(lags)
    assert 6 <= count <= 11 and monitor.stalls == 0
    await asyncio.sleep(0.1)
    assert len(lags) == count and monitor._thread is None  # ticker and watchdog both gone


def test_the_metric_is_exported():
    metrics = Metrics()
    metrics.event_loop_lag.observe(0.003)
    assert lag_observations(metrics.render().decode())["0.005"] == 1
