"""Issue 16 §2 in the session: language switching (an explicit request, the allowed list, the model's
`switch_language`) and the voicemail message drop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from app.calls.contract import CallType, Speaker
from app.voice.context import CustomerView
from app.voice.providers.base import LLMEvent, Message, TextDelta, ToolCall, Transcript, Voice
from tests.voice.fakes import ToneTTS
from tests.voice.harness import RATE, Call
from tests.voice.speech import silent_frames, speech_frames, tone_frames

GREETING = "Hi, you have reached Asha. I cannot take your call right now, please leave a message after the tone."


class VoicedTTS(ToneTTS):
    """Remembers which language each sentence was spoken in."""

    def __init__(self) -> None:
        super().__init__()
        self.languages: list[tuple[str, str]] = []

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncIterator[bytes]:
        self.languages.append((text, voice.language))
        async for chunk in super().synthesize(text, voice, rate):
            yield chunk


async def test_the_caller_asks_for_hindi_and_the_agent_voice_and_hearing_follow():
    tts = VoicedTTS()
    call = await Call.make(tts=tts, flow_config={"languages": ["en-IN", "hi-IN"]}).start()
    await call.agent_quiet()
    await call.say("Hindi mein baat karo")
    await call.agent_quiet()
    assert call.agent_said()[-1] == "Theek hai, ab main Hindi mein baat karti hoon."
    assert tts.languages[-1] == ("Theek hai, ab main Hindi mein baat karti hoon.", "hi-IN")
    assert call.session.listener.language == "hi-IN"
    assert [(s, d) for _, s, d in call.reporter.statuses] == [
        ("language_switched", {"language": "hi-IN", "reason": "caller_asked"})
    ]
    end = await call.end()
    assert end.language_detected == "hi-IN"


async def test_a_language_the_flow_does_not_allow_is_not_switched_to():
    tts = VoicedTTS()
    call = await Call.make(tts=tts, flow_config={"languages": ["en-IN", "hi-IN"]}).start()
    await call.agent_quiet()
    await call.say("Tamil mein baat karo")
    await call.agent_quiet()
    assert call.session.listener.language == "en-IN" and not call.reporter.statuses
    assert call.agent_said()[-1] == "I am sorry, I can only continue in this language."
    assert all(language == "en-IN" for _, language in tts.languages)
    await call.end()


class SwitchingModel:
    """A model that answers in Tamil and calls switch_language."""

    async def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        assert "switch_language" in [t["function"]["name"] for t in tools]
        yield TextDelta("Sari, naan Tamil-il pesugiren.")
        yield ToolCall("switch_language", {"code": "ta-IN"}, "call_0")


async def test_the_model_switches_the_language_with_switch_language():
    tts = VoicedTTS()
    call = await Call.make(llm=SwitchingModel(), tts=tts).start()
    await call.agent_quiet()
    await call.say("can we talk in my language")
    await call.agent_quiet()
    assert call.session.listener.language == "ta-IN"
    assert call.reporter.statuses[-1][1:] == ("language_switched", {"language": "ta-IN", "reason": "model"})
    await call.end()


async def test_a_voicemail_box_gets_the_flows_message_with_the_customers_fields_then_the_call_ends():
    tts = VoicedTTS()
    call = await Call.make(
        tts=tts,
        call_type=CallType.OUTBOUND,
        customer=CustomerView(id="cst_1", name="Asha", metadata={"order_id": "4512"}),
        flow_config={"voicemail_message": "Hi {name}, your order {order_id} ships tomorrow. Please call us back."},
    ).start()
    await call.feed(speech_frames(GREETING, RATE) + silent_frames(200, RATE) + tone_frames(500, RATE, 1000))
    beep_over = len(call.output.times("audio"))
    await call.until(lambda: call.session.ended.is_set())
    end = await call.session.wait()
    assert (end.outcome, end.end_reason) == ("voicemail", "voicemail_message_left")
    message = "Hi Asha, your order 4512 ships tomorrow. Please call us back."
    assert call.reporter.said(Speaker.AGENT)[-1] == message
    assert (message.split(". ")[0] + ".", "en-IN") in tts.languages
    assert len(call.output.times("audio")) > beep_over  # the message was played after the beep


async def test_a_box_that_never_beeps_gets_the_message_once_its_greeting_ends_and_its_greeting_is_not_answered():
    call = await Call.make(
        call_type=CallType.OUTBOUND,
        customer=CustomerView(id="cst_1", name="Ravi"),
        flow_config={"voicemail_message": "Hi {name}, Acme here. Please call us back."},
    ).start()
    greeting = "Hi, you have reached Ravi. I am not available right now. Please leave your name and number."
    call.stt.expect("Hi, you have reached Ravi.")  # what a turn in the greeting would be heard as
    await call.feed(speech_frames(greeting, RATE) + silent_frames(1000, RATE))
    assert not call.session.ended.is_set() and not call.session.leaving_message  # 1 s of quiet: not yet its end
    await call.feed(silent_frames(400, RATE))
    assert call.session.leaving_message
    await call.until(lambda: call.session.ended.is_set())
    end = await call.session.wait()
    assert (end.outcome, end.end_reason) == ("voicemail", "voicemail_message_left")
    assert call.agent_said()[-1] == "Hi Ravi, Acme here. Please call us back."
    assert call.caller_said() == [] and len(call.agent_said()) == 2  # the opening line and the message


async def test_without_a_message_a_voicemail_box_still_ends_the_call_at_once():
    call = await Call.make(call_type=CallType.OUTBOUND).start()
    await call.feed(speech_frames(GREETING, RATE) + silent_frames(200, RATE) + tone_frames(500, RATE, 1000))
    end = await call.session.wait()
    assert (end.outcome, end.end_reason) == ("voicemail", "voicemail")


class HindiSTT:
    """Hears Hindi whatever language it is asked for (as Sarvam reports `language_code`)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.asked: list[str | None] = []

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        self.asked.append(language)
        return Transcript(self.texts.pop(0) if self.texts else "", "hi-IN")


async def test_two_caller_turns_heard_in_hindi_switch_the_call_to_hindi():
    tts = VoicedTTS()
    call = Call.make(tts=tts)
    stt = HindiSTT(["mujhe sofa chahiye", "haan bataiye"])
    call.session.providers.stt = stt  # before the start: the session reads its providers per turn
    await call.start()
    await call.agent_quiet()
    await call.feed(speech_frames("I want a sofa", RATE) + silent_frames(800, RATE))
    await call.agent_quiet()
    assert call.session.listener.language == "en-IN"  # one turn is not enough
    await call.feed(speech_frames("yes tell me", RATE) + silent_frames(800, RATE))
    await call.agent_quiet()
    assert call.session.listener.language == "hi-IN"
    assert call.reporter.statuses[-1][1:] == ("language_switched", {"language": "hi-IN", "reason": "detected"})
    assert stt.asked == ["en-IN", "en-IN"] and tts.languages[-1][1] == "hi-IN"
    await call.end()
