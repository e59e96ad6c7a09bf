"""The turn-taking benchmark's generated corpus: espeak-ng callers in English and Hindi (8 kHz PCM16).

Every scenario is one call. Its caller audio is a list of cues: audio to send at a time relative to an
anchor (`after_greeting`: once the greeting's mark came back; `into_greeting`: this long after the greeting's
first audio arrived, so it overlaps the agent), plus optional steady background noise for the whole call.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from app.voice.providers.espeak_tts import synthesize_blocking

RATE = 8000


class Category(str, Enum):
    QUESTION = "question"  # a short clean question, then silence: reply delay
    MID_PAUSE = "mid_pause"  # a pause inside the sentence: premature takeovers
    BACKCHANNEL = "backchannel"  # "uh huh", "haan" over the agent: false clears, resume, words lost
    NOISE = "noise"  # 1 s of noise over the agent: false clears, audible gaps
    BARGE_IN = "barge_in"  # a real interruption: clear latency from onset
    NOISY_CALL = "noisy_call"  # steady noise (~15 dB SNR) on the whole call: reply delay, greeting pauses


class Anchor(str, Enum):
    AFTER_GREETING = "after_greeting"
    INTO_GREETING = "into_greeting"


@dataclass
class Scenario:
    name: str
    category: Category
    language: str
    anchor: Anchor
    parts: list[bytes]  # spoken parts; `gaps` seconds of silence between consecutive parts
    gaps: list[float] = field(default_factory=list)
    lead: float = 0.0  # seconds after the anchor the first part starts
    background_snr: float | None = None
    mulaw: bool = False

    def audio(self) -> tuple[bytes, list[tuple[float, float]]]:
        """The caller's audio from its first part on, and each part's (start, end) of voiced audio in seconds."""
        out, spans, at = b"", [], 0.0
        for index, part in enumerate(self.parts):
            first, last = voiced_bounds(part)
            spans.append((at + first, at + last))
            out += part
            at += len(part) / 2 / RATE
            if index < len(self.gaps):
                out += bytes(int(self.gaps[index] * RATE) * 2)
                at += self.gaps[index]
        return out, spans


def say(text: str, language: str) -> bytes:
    return synthesize_blocking(text, language, RATE)


def voiced_bounds(pcm: bytes, threshold: float = 300.0) -> tuple[float, float]:
    """Seconds from the start to the first and to the last 10 ms block louder than `threshold` (RMS)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    block = RATE // 100
    loud = [
        i
        for i in range(0, len(samples) - block + 1, block)
        if np.sqrt(np.mean(samples[i : i + block] ** 2)) > threshold
    ]
    if not loud:
        return 0.0, len(samples) / RATE
    return loud[0] / RATE, (loud[-1] + block) / RATE


def white(seconds: float, level: float, seed: int) -> bytes:
    samples = np.random.default_rng(seed).normal(0, level, int(seconds * RATE))
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


BABBLE = [
    ("the weather was lovely this morning", "en"),
    ("we should meet at the station at five", "en"),
    ("did you see the match last night", "en"),
    ("pass me the salt please", "en"),
]


def babble(seconds: float, level: float, lines: list[tuple[str, str]] = BABBLE) -> bytes:
    """Several voices at once, at a level: crowd noise."""
    mix = np.zeros(int(seconds * RATE))
    for index, (line, language) in enumerate(lines):
        voice = np.frombuffer(say(line, language), dtype="<i2").astype(np.float64)
        voice = np.roll(np.resize(voice, len(mix)), index * RATE // 7)
        mix += voice
    mix *= level / max(1.0, float(np.sqrt(np.mean(mix**2))))
    return np.clip(mix, -32768, 32767).astype("<i2").tobytes()


def clicks(seconds: float, level: float, seed: int) -> bytes:
    """Sharp clicks and knocks every ~120 ms (a pen, a keyboard)."""
    rng = np.random.default_rng(seed)
    samples = np.zeros(int(seconds * RATE))
    for start in range(0, len(samples) - 80, int(0.12 * RATE)):
        samples[start : start + 40] = rng.normal(0, level * 4, 40) * np.exp(-np.arange(40) / 8)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


QUESTIONS = {
    "en": [
        "What time do you open on Sunday?",
        "Can you tell me about the spring sale?",
        "How much is the delivery charge?",
        "Do you deliver to Pune?",
        "Where is my order?",
        "Is the store open today?",
    ],
    "hi": [
        "आपकी दुकान कब खुलती है?",
        "मुझे स्प्रिंग सेल के बारे में बताइए।",
        "मेरा ऑर्डर कहाँ है?",
        "रिफंड में कितने दिन लगते हैं?",
    ],
}
SPLIT = {
    "en": [
        ("I would like to know about", "the spring sale prices please."),
        ("My order number is", "four five six seven."),
        ("Can you help me with", "a refund for my order?"),
        ("The package was supposed to arrive on", "Tuesday but it never came."),
        ("Could you check whether", "my refund has been processed?"),
        ("I ordered a blue sofa and", "it arrived with a broken leg."),
        ("What is the best way to", "reach your delivery team?"),
        ("I was wondering if", "you have any stores in Pune."),
    ],
    "hi": [
        ("मुझे अपने ऑर्डर के", "बारे में जानना है।"),
        ("मेरा सवाल यह है कि", "डिलीवरी कब होगी?"),
        ("मैं यह जानना चाहता हूँ कि", "मेरा पैसा कब वापस आएगा।"),
        ("मेरे ऑर्डर में", "एक चीज़ कम आई है।"),
        ("क्या आप मुझे", "सेल के बारे में बता सकते हैं?"),
    ],
}
BACKCHANNELS = {"en": ["uh huh", "okay", "hmm", "right"], "hi": ["हाँ", "अच्छा", "हाँ जी", "ठीक है"]}
INTERRUPTIONS = {
    "en": ["Wait, I need to talk about my refund instead.", "No no, stop, that is not what I asked."],
    "hi": ["रुकिए, मुझे रिफंड के बारे में बात करनी है।"],
}


@dataclass(frozen=True)
class Texts:
    questions: dict[str, list[str]]
    split: dict[str, list[tuple[str, str]]]
    backchannels: dict[str, list[str]]
    interruptions: dict[str, list[str]]
    babble: list[tuple[str, str]]


TUNED = Texts(QUESTIONS, SPLIT, BACKCHANNELS, INTERRUPTIONS, BABBLE)
HELD_OUT = Texts(
    questions={
        "en": ["Are you open on public holidays?", "Which cards do you accept?", "Can I pay cash on delivery?"],
        "hi": ["क्या आप रविवार को खुले हैं?", "मेरा रिफंड कब आएगा?"],
    },
    split={
        "en": [
            ("I bought a lamp from you last week but", "the switch does not work."),
            ("Please send the invoice to", "my office email address."),
            ("I think there is a mistake in", "the bill you sent me."),
        ],
        "hi": [("मैंने पिछले हफ्ते एक कुर्सी", "ऑर्डर की थी।"), ("मुझे लगता है कि", "बिल में गलती है।")],
    },
    backchannels={"en": ["yeah", "sure", "got it", "mm hmm"], "hi": ["जी", "हम्म", "बिल्कुल", "सही है"]},
    interruptions={
        "en": ["Hold on, I have a different question.", "Excuse me, can I ask something?"],
        "hi": ["सुनिए, मेरी बात सुनिए।"],
    },
    babble=[
        ("i told him it was fine", "en"),
        ("are you coming tonight", "en"),
        ("तुम कब आओगे", "hi"),
        ("बस फिर से देर से है", "hi"),
        ("the bus is late again", "en"),
    ],
)
"""Other sentences, backchannels, interruptions and crowd voices than the tuned corpus (`--held-out`): the
goals are checked on scenarios the benchmark does not contain."""


def scenarios(seed: int = 15, repeat: int = 1, held_out: bool = False) -> list[Scenario]:
    texts_of = HELD_OUT if held_out else TUNED
    questions, split, backchannels = texts_of.questions, texts_of.split, texts_of.backchannels
    interruptions, crowd = texts_of.interruptions, texts_of.babble
    rng = random.Random(seed)
    out: list[Scenario] = []
    for _ in range(repeat):
        for language, texts in questions.items():
            for text in texts:
                out.append(
                    Scenario(
                        f"question/{language}: {text}",
                        Category.QUESTION,
                        language,
                        Anchor.AFTER_GREETING,
                        [say(text, language)],
                        mulaw=rng.random() < 0.3,
                    )
                )
        for language, pairs in split.items():
            for first, second in pairs:
                pause = round(rng.uniform(0.5, 0.9), 2)
                out.append(
                    Scenario(
                        f"mid_pause/{language} {pause}s: {first} … {second}",
                        Category.MID_PAUSE,
                        language,
                        Anchor.AFTER_GREETING,
                        [say(first, language), say(second, language)],
                        [pause],
                        mulaw=rng.random() < 0.3,
                    )
                )
        for language, words in backchannels.items():
            for word in words:
                out.append(
                    Scenario(
                        f"backchannel/{language}: {word}",
                        Category.BACKCHANNEL,
                        language,
                        Anchor.INTO_GREETING,
                        [say(word, language)],
                        lead=rng.uniform(0.8, 1.6),
                        mulaw=rng.random() < 0.3,
                    )
                )
        for kind, audio in (
            ("white", white(1.0, 2500, rng.randrange(99))),
            ("babble", babble(1.0, 1500, crowd)),
            ("clicks", clicks(1.0, 3000, rng.randrange(99))),
        ):
            out.append(
                Scenario(
                    f"noise/{kind}",
                    Category.NOISE,
                    "en",
                    Anchor.INTO_GREETING,
                    [audio],
                    lead=rng.uniform(0.8, 1.6),
                    mulaw=rng.random() < 0.3,
                )
            )
        for language, texts in interruptions.items():
            for text in texts:
                out.append(
                    Scenario(
                        f"barge_in/{language}: {text}",
                        Category.BARGE_IN,
                        language,
                        Anchor.INTO_GREETING,
                        [say(text, language)],
                        lead=rng.uniform(0.8, 1.6),
                        mulaw=rng.random() < 0.3,
                    )
                )
        for language in ("en", "hi"):
            text = questions[language][0]
            out.append(
                Scenario(
                    f"noisy_call/{language} 15dB: {text}",
                    Category.NOISY_CALL,
                    language,
                    Anchor.AFTER_GREETING,
                    [say(text, language)],
                    background_snr=15.0,
                )
            )
    return out


def background(speech: bytes, snr_db: float, seconds: float, seed: int = 4) -> bytes:
    """Steady white noise `snr_db` below the speech's level, `seconds` long."""
    level = float(np.sqrt(np.mean(np.frombuffer(speech, dtype="<i2").astype(np.float64) ** 2)))
    return white(seconds, level / 10 ** (snr_db / 20), seed)
