"""When the caller's voice counts as heard, the moment `call.started` fires ("a call connects (human voice
detected)").

Inbound and test calls: at the first caller speech onset. Outbound calls watched for an answering machine
can only be sure at a beep, so a human is recognised the way people hear one: a first utterance shorter
than a machine greeting (a "Hello?"), a keypad digit, or a second turn once the agent has answered the
first. A call whose voicemail beep is detected first never fires `call.started`, only `call.voicemail`.
"""

from __future__ import annotations


class VoicePresence:
    def __init__(self, watching_for_voicemail: bool, greeting_ms: int = 2000) -> None:
        self._strict = watching_for_voicemail
        self._greeting_ms = greeting_ms
        self._turns = 0
        self.heard = False

    def speech_started(self) -> bool:
        """True when this onset is the moment the voice counts as heard."""
        return self._hear(not self._strict)

    def turn_ended(self, speech_ms: int) -> bool:
        self._turns += 1
        return self._hear(not self._strict or speech_ms < self._greeting_ms or self._turns >= 2)

    def dtmf(self) -> bool:
        return self._hear(True)

    def voicemail(self) -> None:
        """A machine answered: nothing more is a human voice."""
        self.heard = True

    def _hear(self, human: bool) -> bool:
        if self.heard or not human:
            return False
        self.heard = True
        return True
