"""How a caller's last words end in pitch, as `app.turn_taking.intonation` reads them at a pause (in-process, no
server): the rise of every question and first half of a split sentence of both corpora (espeak-ng, 8 kHz,
clean and mu-law, through Silero), or of every pause in recordings given on the command line.

    .venv/bin/python -m scripts.turnbench.rises                 # the corpora: rise per kind, in semitones
    .venv/bin/python -m scripts.turnbench.rises a.wav b.wav     # each pause of human recordings
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import numpy as np

from app.turn_taking.config import VadKind
from app.turn_taking.detectors import voice_detector
from app.turn_taking.intonation import RISE_SEMITONES, Intonation
from app.voice.audio import mulaw_decode, mulaw_encode, resample
from scripts.turnbench.corpus import HELD_OUT, RATE, TUNED, say

FRAME_BYTES = RATE * 2 // 50
PAUSE_FRAMES = 5  # the reading happens after 100 ms of silence, as on a call


def readings(pcm: bytes) -> Iterator[tuple[float, float | None]]:
    """(seconds into the audio, rise in semitones or None) at each pause of 100 ms after speech."""
    detector = voice_detector(VadKind.SILERO, RATE)
    intonation = Intonation(RATE)
    silent, heard = 0, False
    for index in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        frame = pcm[index : index + FRAME_BYTES]
        voiced = detector.is_speech(frame)
        silent = 0 if voiced else silent + 1
        heard = heard or voiced
        if heard and silent == PAUSE_FRAMES:
            yield index / (2 * RATE), intonation.rise()
        intonation.push(frame, voiced)


def last_rise(text: str, language: str, mulaw: bool) -> float | None:
    pcm = bytes(RATE // 2 * 2) + say(text, language) + bytes(RATE * 2)
    if mulaw:
        pcm = mulaw_decode(mulaw_encode(pcm))
    found = [rise for _, rise in readings(pcm)]
    return found[-1] if found else None


def corpora() -> None:
    kinds: dict[str, list[tuple[str, str]]] = {"question": [], "first half": [], "first half + comma": []}
    for texts in (TUNED, HELD_OUT):
        for language, questions in texts.questions.items():
            kinds["question"] += [(q, language) for q in questions]
        for language, pairs in texts.split.items():
            kinds["first half"] += [(first, language) for first, _ in pairs]
            kinds["first half + comma"] += [(first + ",", language) for first, _ in pairs]
    for kind, items in kinds.items():
        rises = [last_rise(text, language, mulaw) for text, language in items for mulaw in (False, True)]
        known = sorted(round(r, 1) for r in rises if r is not None)
        over = sum(r >= RISE_SEMITONES for r in known)
        print(f"{kind}: {over} of {len(rises)} at or over {RISE_SEMITONES} st; {known}")


def recordings(paths: list[str]) -> None:
    import soundfile

    for path in paths:
        data, rate = soundfile.read(path, always_2d=True)
        pcm = resample((np.clip(data[:, 0], -1, 1) * 32767).astype("<i2").tobytes(), rate, RATE)
        found = list(readings(pcm))
        rising = [(round(at, 2), round(rise, 1)) for at, rise in found if rise is not None and rise >= RISE_SEMITONES]
        print(f"{path}: {len(found)} pauses, {len(rising)} rising: {rising}")


if __name__ == "__main__":
    if sys.argv[1:]:
        recordings(sys.argv[1:])
    else:
        corpora()
