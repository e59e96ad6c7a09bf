"""Offline providers: espeak-ng speaks (Indian languages too), pocketsphinx hears English, the scripted
policy follows the flow's script."""

from __future__ import annotations

import asyncio
import threading

from app.voice.audio import rms
from app.voice.context import FaqEntry, ScriptView
from app.voice.prompt import TOOLS
from app.voice.providers.base import TextDelta, ToolCall, Voice
from app.voice.providers.espeak_tts import EspeakTTS, espeak_voice
from app.voice.providers.pocketsphinx_stt import PocketsphinxSTT
from app.voice.providers.scripted_llm import ScriptedPolicy
from tests.voice.speech import fresh_spoken

SCRIPT = ScriptView(
    opening_line="Hi, this is Aria from Luminary Home.",
    talking_points=("We have a spring sale on sofas.",),
    faq=(
        FaqEntry("Do you deliver to Mumbai?", "Yes, we deliver to Mumbai within five days."),
        FaqEntry("What is the warranty on desks?", "Desks carry a two year warranty."),
    ),
    closing_line="Thanks for your time, goodbye!",
)


async def collect(iterator) -> list:
    return [item async for item in iterator]


async def test_espeak_streams_audio_at_the_requested_rate_off_the_loop():
    threads = []
    import app.voice.providers.espeak_tts as module

    original = module.synthesize_blocking

    def spy(*args):
        threads.append(threading.current_thread().name)
        return original(*args)

    module.synthesize_blocking = spy
    try:
        chunks = await collect(EspeakTTS().synthesize("Hello, how are you today?", Voice("en-IN"), 8000))
    finally:
        module.synthesize_blocking = original
    audio = b"".join(chunks)
    assert len(chunks) > 1 and all(len(c) <= 3200 for c in chunks)
    assert 0.5 < len(audio) / 2 / 8000 < 4
    assert rms(audio) > 300
    assert threads and threads[0] != threading.main_thread().name


async def test_espeak_speaks_indian_languages():
    assert espeak_voice("hi-IN") == "hi" and espeak_voice("ta-IN") == "ta" and espeak_voice("te") == "te"
    assert espeak_voice("hi-en") == "hi" and espeak_voice("xx-YY") == "en-us"
    for language, text in (("hi-IN", "नमस्ते, आप कैसे हैं"), ("ta-IN", "வணக்கம்"), ("te-IN", "నమస్కారం")):
        audio = b"".join(await collect(EspeakTTS().synthesize(text, Voice(language), 16000)))
        assert len(audio) > 16000 * 2 * 0.3, language


async def test_concurrent_syntheses_do_not_mix_audio():
    tts = EspeakTTS()
    texts = ["one two three", "The quick brown fox jumps over the lazy dog."]
    results = await asyncio.gather(*(collect(tts.synthesize(t, Voice("en-IN"), 16000)) for t in texts))
    alone = [b"".join(await collect(tts.synthesize(t, Voice("en-IN"), 16000))) for t in texts]
    for together, single in zip(
        results, alone, strict=True
    ):  # same length: no chunk of one sentence leaked into the other
        assert abs(len(b"".join(together)) - len(single)) < len(single) * 0.02


async def test_pocketsphinx_hears_english_speech():
    speech = await asyncio.to_thread(fresh_spoken, "yes please", 16000)
    transcript = await PocketsphinxSTT().transcribe(speech, 16000, "en-IN")
    assert transcript.text == "yes please"
    assert transcript.language == "en-IN"
    assert (await PocketsphinxSTT().transcribe(b"", 8000, None)).text == ""


async def policy_reply(said: str) -> tuple[str, list[ToolCall]]:
    events = await collect(
        ScriptedPolicy(SCRIPT).stream([{"role": "system", "content": "x"}, {"role": "user", "content": said}], TOOLS)
    )
    return "".join(e.text for e in events if isinstance(e, TextDelta)), [e for e in events if isinstance(e, ToolCall)]


async def test_policy_answers_faq_by_keyword():
    text, tools = await policy_reply("do you deliver to mumbai")
    assert text == "Yes, we deliver to Mumbai within five days." and tools == []
    text, _ = await policy_reply("what warranty do desks have")
    assert text == "Desks carry a two year warranty."


async def test_policy_walks_talking_points_then_asks_for_more():
    text, _ = await policy_reply("tell me something")
    assert text == "We have a spring sale on sofas."
    events = await collect(
        ScriptedPolicy(SCRIPT).stream(
            [
                {"role": "assistant", "content": "We have a spring sale on sofas."},
                {"role": "user", "content": "hmm okay"},
            ],
            TOOLS,
        )
    )
    assert "tell me a little more" in "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_policy_ends_the_call_on_goodbye_and_transfers_on_request():
    text, tools = await policy_reply("ok bye")
    assert text == "Thanks for your time, goodbye!"
    assert tools == [ToolCall("end_call", {"reason": "caller_goodbye"})]
    _, tools = await policy_reply("can I talk to a real person")
    assert tools[0].name == "transfer_to_human" and tools[0].arguments["target"] == "support"


async def test_policy_streams_word_by_word():
    events = await collect(ScriptedPolicy(SCRIPT).stream([{"role": "user", "content": "warranty on desks"}], TOOLS))
    assert len(events) == len(["Desks", "carry", "a", "two", "year", "warranty."])


async def test_what_one_caller_said_does_not_change_what_the_next_is_heard_saying():
    import numpy as np

    from app.voice.providers.pocketsphinx_stt import transcribe_blocking

    burst = np.random.default_rng(2).normal(0, 12000, 4000).astype("<i2").tobytes()  # 250 ms of loud noise
    speech = fresh_spoken("yes please", 16000)
    heard = [transcribe_blocking(audio, 16000) for audio in (speech, burst, speech, burst, speech)]
    assert heard[0] == heard[2] == heard[4] == "yes please"
