"""What the first call would otherwise load on the event loop, loaded once as the server starts.

Measured at 200 remote calls: the Silero model's first load (onnxruntime import + session, ~0.3-0.6 s) froze
every call's audio when the first `vad: silero|auto` call reached it. It is loaded here, before the server
accepts a socket. (The LLM client imports nothing heavy since it speaks the protocol itself.)
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def warm_up() -> None:
    """The Silero session every `vad: silero|auto` call shares; a missing optional wheel only logs."""
    from app.turn_taking.detectors import SileroModel

    try:
        SileroModel.shared()
    except ImportError as error:
        log.warning("Silero VAD is not available (%s): calls fall back to webrtcvad", error)
