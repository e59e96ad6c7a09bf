"""Voice samples: the providers' catalog voices an organisation can choose from."""

from __future__ import annotations

from dataclasses import dataclass

from app import field_checks as check
from app.errors import NotFound
from app.samples.preview import VoicePreviews
from app.voice_catalog import catalog
from app.voice_catalog.custom_voices import PROVIDER as CUSTOM_PROVIDER
from app.voice_catalog.custom_voices import CustomVoice, deployed_voices

PROVIDERS = tuple(p.value for p in catalog.VoiceProvider)


@dataclass(frozen=True, slots=True)
class VoiceSample:
    uuid: str
    provider: str
    model: str
    speaker: str
    language_code: str
    language_name: str
    url: str


class SampleService:
    def __init__(self, public_url: str) -> None:
        self._public_url = public_url
        self._previews = VoicePreviews()

    async def preview(self, organisation_id: str, sample_uuid: str) -> bytes:
        """A short WAV of the voice speaking in its language (see app/samples/preview.py)."""
        sample = next((s for s in await self.list(organisation_id) if s.uuid == sample_uuid), None)
        if sample is None:
            raise NotFound("Voice sample not found")
        return await self._previews.wav(sample.uuid, sample.language_code)

    async def list(
        self, organisation_id: str, provider: str | None = None, language_code: str | None = None
    ) -> list[VoiceSample]:
        """The static catalog, then the organisation's deployed custom voices."""
        if provider is not None:
            check.one_of("provider", provider, PROVIDERS)
        custom = await deployed_voices(organisation_id, language_code) if provider in (None, CUSTOM_PROVIDER) else []
        voices: list[catalog.CatalogVoice | CustomVoice] = [*catalog.find_voices(provider, language_code), *custom]
        return [
            VoiceSample(
                uuid=voice.uuid,
                provider=voice.provider.value if isinstance(voice.provider, catalog.VoiceProvider) else voice.provider,
                model=voice.model,
                speaker=voice.speaker,
                language_code=voice.language_code,
                language_name=voice.language_name,
                url=f"{self._public_url}/api/voice/samples/{voice.uuid}/preview",
            )
            for voice in voices
        ]
