"""Prometheus metrics: request counts and latencies per route and per GraphQL operation, event-loop lag."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LOOP_LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """One registry per platform, so several apps in one process (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "voiceai_http_requests_total", "HTTP requests by route template and status.",
            ("method", "route", "status"), registry=self.registry,
        )
        self.http_latency = Histogram(
            "voiceai_http_request_duration_seconds", "HTTP request latency by route template.",
            ("method", "route"), buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.graphql_operations = Counter(
            "voiceai_graphql_operations_total", "GraphQL operations by name, type and outcome.",
            ("operation", "type", "outcome"), registry=self.registry,
        )
        self.graphql_latency = Histogram(
            "voiceai_graphql_operation_duration_seconds", "GraphQL operation latency by name.",
            ("operation", "type"), buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.provider_fallbacks = Counter(
            "voiceai_provider_fallbacks_total",
            "Sentences spoken or turns transcribed by the local provider instead of the remote one.",
            ("kind", "provider", "reason"), registry=self.registry,
        )
        self.call_analysis_fallbacks = Counter(
            "voiceai_call_analysis_fallbacks_total",
            "Post-call analyses the heuristic wrote because the LLM timed out, failed or answered off-schema.",
            ("reason",), registry=self.registry,
        )

        self.event_loop_lag = Histogram(
            "voiceai_event_loop_lag_seconds",
            "How late a 50 ms ticker on the event loop woke: the wait every call's audio frame and request shared.",
            buckets=LOOP_LAG_BUCKETS, registry=self.registry,
        )
        self.paused_player_repairs = Counter(
            "voiceai_paused_player_repairs_total",
            "Calls' players found paused after a caller turn with the caller quiet, and resumed (should stay 0).",
            registry=self.registry,
        )
        self.live_events_dropped = Counter(
            "voiceai_live_events_dropped_total", "Call events a shared bus subscription dropped on overflow.",
            registry=self.registry,
        )
        self.live_followers_recovered = Counter(
            "voiceai_live_followers_recovered_total",
            "Live followers of a call after an overflow: resynced from the replay, or cut_off to reconnect.",
            ("outcome",), registry=self.registry,
        )

    def observe_live_overflow(self, overflow: Any) -> None:
        """An `app.calls.fanout.Overflow`: how many events were dropped and how the followers recovered."""
        self.live_events_dropped.inc(overflow.dropped)
        self.live_followers_recovered.labels("resynced").inc(overflow.resynced)
        self.live_followers_recovered.labels("cut_off").inc(overflow.cut_off)

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(method, route).observe(seconds)

    def observe_operation(self, operation: str, kind: str, ok: bool, seconds: float) -> None:
        self.graphql_operations.labels(operation, kind, "ok" if ok else "error").inc()
        self.graphql_latency.labels(operation, kind).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
