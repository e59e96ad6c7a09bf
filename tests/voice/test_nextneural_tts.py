"""A deployed custom speaker is spoken by the NextNeural voice server (`POST /v1/speakers/{id}/synthesize`,
raw PCM streamed back) when VOICEAI_NEXTNEURAL_URL is set; anything it does not voice falls back to espeak-ng.
The fake voice server runs on a real socket; speakers are created and deployed through the API."""

from __future__ import annotations

import pytest

from app.db.models import Speaker
from app.voice.audio import rms, tone
from app.voice.providers.base import ProviderError, Voice
from app.voice.providers.espeak_tts import EspeakTTS
from app.voice.providers.nextneural_tts import NextNeuralTTS
from tests.models.conftest import Uploads, cloning_client, cloning_server, nextneural, wav  # noqa: F401 (fixtures)


async def deployed(client, name: str = "aria-custom", language: str = "en-US") -> str:
    """Creates and deploys the speaker through the API; returns its voice-server id."""
    assert (await Uploads("rest", client).create_speaker(name, language, wav(12))).status == 201
    assert (await client.post(f"/models/speakers/{name}/deploy")).status == 200
    return (await Speaker.get(organisation_id=client.organisation_id, name=name)).id


def provider(nextneural, client, timeout: float = 5.0) -> NextNeuralTTS:
    return NextNeuralTTS(nextneural.url, client.organisation_id, fallback=EspeakTTS(), timeout=timeout)


async def speak(tts: NextNeuralTTS, text: str, speaker: str, rate: int = 8000, language: str = "en-US") -> list[bytes]:
    return [chunk async for chunk in tts.synthesize(text, Voice(language, speaker), rate)]


async def test_a_deployed_speaker_is_synthesized_by_the_voice_server(cloning_client, nextneural):
    speaker_id = await deployed(cloning_client)
    chunks = await speak(provider(nextneural, cloning_client), "Hello from my own voice", "aria-custom")
    assert len(chunks) > 3 and all(len(chunk) % 2 == 0 for chunk in chunks)
    assert b"".join(chunks) == tone(8000, 500, 220, 5000)
    assert nextneural.syntheses[-1] == {
        "speaker_id": speaker_id,
        "text": "Hello from my own voice",
        "language": "en-US",
        "sample_rate": 8000,
    }


async def test_a_call_rate_the_server_does_not_offer_is_resampled(cloning_client, nextneural):
    await deployed(cloning_client)
    audio = b"".join(await speak(provider(nextneural, cloning_client), "two words", "aria-custom", rate=48000))
    assert nextneural.syntheses[-1]["sample_rate"] == 16000
    assert len(audio) == 2 * 48000 * 2 // 10


async def test_speakers_the_server_does_not_voice_fall_back_to_espeak(cloning_client, nextneural):
    assert (await Uploads("rest", cloning_client).create_speaker("not-deployed", "en-US", wav(12))).status == 201
    before = len(nextneural.syntheses)
    tts = provider(nextneural, cloning_client)
    for speaker in ("not-deployed", "nn-en-in-f", None):
        audio = b"".join(await speak(tts, "Hello there", speaker))
        assert len(audio) > 8000 and rms(audio) > 100
    assert len(nextneural.syntheses) == before


async def test_a_speaker_missing_on_the_server_is_a_provider_error(cloning_client, nextneural):
    speaker_id = await deployed(cloning_client)
    del nextneural.speakers[speaker_id]
    with pytest.raises(ProviderError, match="does not have speaker"):
        await speak(provider(nextneural, cloning_client), "Hello", "aria-custom")


async def test_a_failing_voice_server_is_a_provider_error(cloning_client, nextneural):
    await deployed(cloning_client)
    nextneural.fail = True
    with pytest.raises(ProviderError, match="500"):
        await speak(provider(nextneural, cloning_client), "Hello", "aria-custom")


async def test_a_stalled_voice_server_times_out_as_a_provider_error(cloning_client, nextneural):
    await deployed(cloning_client)
    nextneural.synthesis_delay = 1.0
    try:
        with pytest.raises(ProviderError, match="Timeout"):
            await speak(provider(nextneural, cloning_client, timeout=0.2), "Hello", "aria-custom")
    finally:
        nextneural.synthesis_delay = 0.0
