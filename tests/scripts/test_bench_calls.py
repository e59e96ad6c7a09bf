"""A smoke run of scripts/bench_calls.py (issue 13): it starts its own `voiceai serve`, drives callers from
another process over real sockets, and reports every figure, in both modes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mode,calls", [("remote", 2), ("offline", 1)])
def test_the_bench_answers_every_turn_and_reports_its_figures(mode, calls):
    database = os.environ.get("VOICEAI_TEST_DATABASE_URL", "")
    on_postgres = ["--database-url", database] if database.startswith("postgres") else []
    done = subprocess.run(
        [
            sys.executable,
            "scripts/bench_calls.py",
            "--mode",
            mode,
            "--calls",
            str(calls),
            "--turns",
            "1",
            "--ramp",
            "0.5",
            "--seconds",
            "60",
            "--reply-timeout",
            "20",
            "--json",
            *on_postgres,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [point] = json.loads(done.stdout)
    run = point["median"]
    assert run["database"] == ("postgresql" if on_postgres else "sqlite")
    assert (run["calls"], run["turns_expected"], run["calls_failed"]) == (calls, calls, 0), run["first_error"]
    assert run["turns_answered"] == calls, json.dumps(run)[-3000:]  # a smoke test: slow is fine here
    # at least the shortest closing silence (250 ms: a turn that reads as complete, issue 15's endpointing)
    assert run["reply_latency_ms"]["n"] == calls and run["reply_latency_ms"]["p50"] > 250
    assert run["jitter_ms"]["n"] > 10 and run["stalls"] >= 0 and run["server_cpu_percent"] > 0
    assert run["event_loop_lag_ms"]["p99"] is not None and run["rss_before_mb"] > 0
    assert run["after_hangup"] == {**run["after_hangup"], "wedged": False, "live_calls_left": 0}
    assert run["generators"][0]["tick_late_ms"]["n"] > 0
