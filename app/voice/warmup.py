"""What the first call would otherwise load on the event loop, loaded once as the server starts.

Measured at 200 remote calls: the Silero model's first load (onnxruntime import + session, ~0.3-0.6 s) and the
OpenAI client's first request (the SDK's lazily imported modules and CA bundle, up to ~1.4 s) each froze every
call's audio when the first call reached them. Both are done here, before the server accepts a socket.
"""

from __future__ import annotations

import logging

from app.voice.providers.selection import VoiceKeys

log = logging.getLogger(__name__)


def warm_voice_detector() -> None:
    """The Silero session every `vad: silero|auto` call shares; a missing optional wheel only logs."""
    from app.turn_taking.detectors import SileroModel

    try:
        SileroModel.shared()
    except ImportError as error:
        log.warning("Silero VAD is not available (%s): calls fall back to webrtcvad", error)


def warm_llm_client(keys: VoiceKeys) -> None:
    """Builds the shared OpenAI client of the running loop and touches the modules its first request imports."""
    if not keys.openai_api_key:
        return
    from app.voice.providers.openai_llm import DEFAULT_TIMEOUT_SECONDS, shared_client

    client = shared_client(keys.openai_api_key, keys.openai_base_url, DEFAULT_TIMEOUT_SECONDS)
    _ = client.chat.completions  # the SDK imports its resource modules on first access


def warm_up(keys: VoiceKeys) -> None:
    """Called from the serving loop before it accepts connections (nothing else runs on it yet)."""
    warm_voice_detector()
    warm_llm_client(keys)
