"""The call's language while it runs (issue 16 §2): a switch moves the agent's replies (the prompt), its
voice (a speaker of the same provider in that language) and the STT's language together, sets the call's
`language_detected` and shows on the live stream as the status `language_switched`."""

from __future__ import annotations

import logging

from app.calls.contract import CallReporter
from app.voice.context import CallContext
from app.voice.language_switch import CallLanguage, allowed_languages, requested_language, voice_in
from app.voice.providers.base import Voice
from app.voice.providers.listening import TurnListener
from app.voice.session_facts import CallFacts
from app.voice.session_speech import AgentSpeech

log = logging.getLogger("app.voice.session")


class SessionLanguage:
    def __init__(
        self,
        *,
        context: CallContext,
        facts: CallFacts,
        speech: AgentSpeech,
        listener: TurnListener,
        reporter: CallReporter,
    ) -> None:
        self._context = context
        self._facts = facts
        self._speech = speech
        self._listener = listener
        self._reporter = reporter
        self.language = CallLanguage(context.language, allowed_languages(context.flow_config))

    @property
    def current(self) -> str:
        return self.language.current

    async def after_turn(self, text: str, detected: str | None) -> None:
        """A caller turn: an explicit request switches at once; the STT's language after two turns."""
        asked = requested_language(text)
        if asked is not None:
            await self._apply(self.language.switch(asked), "caller_asked")
        else:
            await self._apply(self.language.heard(detected), "detected")

    async def switch(self, code: str, reason: str = "model") -> bool:
        """The model's `switch_language(code)`."""
        return await self._apply(self.language.switch(code), reason)

    async def _apply(self, code: str | None, reason: str) -> bool:
        if code is None:
            return False
        voice = self._context.voice
        moved = voice_in(code, voice.provider, voice.speaker, voice.model)
        self._speech.use_voice(Voice(code, moved.speaker, moved.model))
        self._listener.language = code
        self._facts.language_detected = code
        if self._facts.call_id is not None:
            try:
                await self._reporter.status(
                    self._facts.call_id, "language_switched", {"language": code, "reason": reason}
                )
            except Exception:
                log.exception("reporting the language switch of call %s failed", self._facts.call_id)
        return True
