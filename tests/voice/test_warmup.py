"""The served process loads, before its first call, what that call would otherwise load on the event loop."""

from __future__ import annotations

from app.turn_taking.detectors import SileroModel
from app.voice.warmup import warm_up


def test_warm_up_loads_the_silero_model_every_call_shares(monkeypatch):
    monkeypatch.setattr(SileroModel, "_shared", None)
    warm_up()
    assert SileroModel._shared is not None
