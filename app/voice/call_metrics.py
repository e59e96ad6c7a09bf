"""What every call's session events add to the process's /metrics (one observer shared by every call)."""

from __future__ import annotations

from app.metrics import Metrics
from app.voice.session_events import PlayerRepaired, SessionEvent


class CallMetrics:
    """A `SessionObserver`: counts what only the session sees (the paused-player repair) into Prometheus."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def __call__(self, event: SessionEvent) -> None:
        if isinstance(event, PlayerRepaired):
            self._metrics.paused_player_repairs.inc()
