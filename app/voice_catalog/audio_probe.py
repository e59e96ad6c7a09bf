"""Decode uploaded audio for real, so a renamed text file or a clip of the wrong length is refused.

libsndfile (through soundfile) decodes WAV and MP3; the whole stream is read, not just the header, because
a header can lie about the length. Decoding is CPU work: callers run `probe` in a thread.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

import soundfile

from app.errors import Invalid

# libsndfile's major format name -> (our format name, content type)
FORMATS: dict[str, tuple[str, str]] = {
    "WAV": ("wav", "audio/wav"),
    "WAVEX": ("wav", "audio/wav"),
    "MP3": ("mp3", "audio/mpeg"),
    "MPEG": ("mp3", "audio/mpeg"),
}
CONTENT_TYPES = {name: content_type for name, content_type in FORMATS.values()}
BLOCK_FRAMES = 64 * 1024


@dataclass(frozen=True)
class AudioInfo:
    format: str  # "wav" or "mp3"
    duration_seconds: float
    sample_rate: int
    channels: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def probe(field: str, data: bytes) -> AudioInfo:
    """Decode every frame; raises Invalid naming the field when the bytes are not WAV or MP3 audio."""
    if not data:
        raise Invalid(f"{field} is empty")
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as audio:
            kind = FORMATS.get(audio.format)
            if kind is None:
                raise Invalid(f"{field} must be WAV or MP3 audio, not {audio.format}")
            frames = 0
            while True:
                block = audio.read(BLOCK_FRAMES, dtype="int16", always_2d=True)
                if not len(block):
                    break
                frames += len(block)
            sample_rate, channels = audio.samplerate, audio.channels
    except Invalid:
        raise
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError):
        raise Invalid(f"{field} could not be decoded as WAV or MP3 audio") from None
    if not frames or not sample_rate:
        raise Invalid(f"{field} contains no audio")
    return AudioInfo(kind[0], round(frames / sample_rate, 2), sample_rate, channels)


async def probe_async(field: str, data: bytes) -> AudioInfo:
    return await asyncio.to_thread(probe, field, data)


def check_duration(field: str, info: AudioInfo, minimum: float, maximum: float) -> None:
    if not minimum <= info.duration_seconds <= maximum:
        raise Invalid(
            f"{field} must be {minimum:g}–{maximum:g} seconds long, it is {info.duration_seconds:.1f} seconds"
        )
