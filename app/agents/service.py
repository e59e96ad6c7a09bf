"""Voice agents: the personas that drive calls, with a voice checked against the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app import field_checks as check
from app.db.models import VoiceAgent
from app.errors import Invalid, NotFound
from app.events import EventBus
from app.ids import new_id
from app.voice_catalog import catalog
from app.voice_catalog.catalog import VoiceProvider
from app.voice_catalog.custom_voices import CustomVoice, find_custom_voice

PROVIDERS = tuple(p.value for p in VoiceProvider)
SARVAM_MODELS = ("bulbul:v2", "bulbul:v3")
VOICE_CONFIG_KEYS = ("provider", "model", "speaker", "language_code")
AGENT_COLUMNS = (
    "id",
    "name",
    "role",
    "description",
    "avatar_color",
    "avatar_initials",
    "voice_config",
    "is_active",
    "created_at",
)


def agents_channel(organisation_id: str) -> str:
    return f"org:{organisation_id}:agents"


def _voice_config(
    value: Any, public_url: str, custom: CustomVoice | None = None, current_speaker: str | None = None
) -> dict[str, Any] | None:
    """Validate a voice configuration and fill the model and sample URL the catalog knows.

    `custom` is the organisation's cloned speaker of that name, if any: usable while deployed, and kept
    by an agent that already speaks with it (`current_speaker`) after it is undeployed.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise Invalid("voice_config must be an object")
    provider = check.one_of("voice_config.provider", value.get("provider"), PROVIDERS)
    model = check.text("voice_config.model", value.get("model"), max_length=64, required=False)
    speaker = check.text("voice_config.speaker", value.get("speaker"), max_length=128, required=False)
    language = check.language_tag("voice_config.language_code", value.get("language_code"))
    model = model or catalog.DEFAULT_MODELS[VoiceProvider(provider)]

    if provider == VoiceProvider.SARVAM.value:
        check.one_of("voice_config.model", model, SARVAM_MODELS)
        if speaker is not None:
            speaker = speaker.lower()
            if speaker not in catalog.speakers_of(provider, model):
                raise Invalid(f"voice_config.speaker '{speaker}' is not a Sarvam {model} voice")
        if language is not None and language not in catalog.SARVAM_LANGUAGES:
            raise Invalid(f"voice_config.language_code must be one of {', '.join(catalog.SARVAM_LANGUAGES)} for sarvam")
    elif provider == VoiceProvider.NEXTNEURAL.value and speaker is not None:
        voices = catalog.find_voices(provider)
        matching = [v for v in voices if v.speaker == speaker.lower()]
        if not matching and custom is not None and (custom.deployed or custom.speaker == current_speaker):
            if language is not None and language != custom.language_code:
                raise Invalid(
                    f"voice_config.language_code {language} does not match speaker '{custom.speaker}' "
                    f"({custom.language_code})"
                )
            return {
                "provider": provider,
                "model": custom.model,
                "speaker": custom.speaker,
                "language_code": language,
                "sample_url": f"{public_url}/api/voice/samples/{custom.uuid}/preview",
            }
        if not matching:
            raise Invalid(f"voice_config.speaker '{speaker}' is not a nextneural voice")
        speaker = matching[0].speaker
        if language is not None and all(v.language_code != language for v in matching):
            raise Invalid(
                f"voice_config.language_code {language} does not match speaker '{speaker}' "
                f"({matching[0].language_code})"
            )
    # ElevenLabs accepts an account's own voice ids, so an unknown speaker is not an error there.

    sample_url = None
    if speaker is not None:
        voice = catalog.find_voice(provider, speaker, model=model, language_code=language) or catalog.find_voice(
            provider, speaker, model=model
        )
        if voice is not None:
            speaker = voice.speaker
            sample_url = f"{public_url}/api/voice/samples/{voice.uuid}/preview"
    return {
        "provider": provider,
        "model": model,
        "speaker": speaker,
        "language_code": language,
        "sample_url": sample_url,
    }


def _fields(
    data: Mapping[str, Any],
    public_url: str,
    *,
    partial: bool,
    custom: CustomVoice | None = None,
    current_speaker: str | None = None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if not partial or "name" in data:
        fields["name"] = check.text("name", data.get("name"), max_length=200)
    if not partial or "role" in data:
        fields["role"] = check.text("role", data.get("role"), max_length=200)
    if "description" in data:
        fields["description"] = check.text("description", data["description"], max_length=2000, required=False)
    if "avatar_color" in data:
        fields["avatar_color"] = check.hex_colour("avatar_color", data["avatar_color"])
    if "avatar_initials" in data:
        initials = data["avatar_initials"]
        if initials is not None and (not isinstance(initials, str) or not 1 <= len(initials.strip()) <= 2):
            raise Invalid("avatar_initials must be 1 or 2 characters")
        fields["avatar_initials"] = initials.strip() if initials else None
    if "voice_config" in data:
        fields["voice_config"] = _voice_config(data["voice_config"], public_url, custom, current_speaker)
    return fields


class AgentService:
    def __init__(self, bus: EventBus, public_url: str) -> None:
        self._bus = bus
        self._public_url = public_url

    async def list(self, organisation_id: str) -> list[dict[str, Any]]:
        """Plain rows, not model objects: the list is a hot read path."""
        return await (
            VoiceAgent.filter(organisation_id=organisation_id, is_active=True)
            .order_by("created_at", "id")
            .values(*AGENT_COLUMNS)
        )

    async def get(self, organisation_id: str, agent_id: str) -> VoiceAgent:
        agent = await VoiceAgent.get_or_none(id=agent_id, organisation_id=organisation_id)
        if agent is None:
            raise NotFound("Voice agent not found")
        return agent

    async def get_active(self, organisation_id: str, agent_id: str) -> VoiceAgent:
        agent = await self.get(organisation_id, agent_id)
        if not agent.is_active:
            raise NotFound("Voice agent not found")
        return agent

    async def create(self, organisation_id: str, data: Mapping[str, Any]) -> VoiceAgent:
        fields = _fields(data, self._public_url, partial=False, custom=await _custom_voice(organisation_id, data))
        agent = await VoiceAgent.create(id=new_id("agt"), organisation_id=organisation_id, **fields)
        await self._announce(organisation_id, "created", agent)
        return agent

    async def update(self, organisation_id: str, agent_id: str, changes: Mapping[str, Any]) -> VoiceAgent:
        agent = await self.get_active(organisation_id, agent_id)
        if isinstance(changes.get("voice_config"), Mapping) and agent.voice_config:
            changes = dict(changes)
            changes["voice_config"] = _merged_voice_config(agent.voice_config, changes["voice_config"])
        config = agent.voice_config or {}
        current = config.get("speaker") if config.get("provider") == VoiceProvider.NEXTNEURAL.value else None
        fields = _fields(
            changes,
            self._public_url,
            partial=True,
            custom=await _custom_voice(organisation_id, changes),
            current_speaker=current,
        )
        if fields:
            agent.update_from_dict(fields)
            await agent.save(update_fields=[*fields, "updated_at"])
            await self._announce(organisation_id, "updated", agent)
        return agent

    async def deactivate(self, organisation_id: str, agent_id: str) -> VoiceAgent:
        """Soft delete: calls and flows that reference the agent keep working."""
        agent = await self.get_active(organisation_id, agent_id)
        agent.is_active = False
        await agent.save(update_fields=["is_active", "updated_at"])
        await self._announce(organisation_id, "deleted", agent)
        return agent

    async def _announce(self, organisation_id: str, change: str, agent: VoiceAgent) -> None:
        await self._bus.publish(agents_channel(organisation_id), {"change": change, "agent_id": agent.id})


async def _custom_voice(organisation_id: str, data: Mapping[str, Any]) -> CustomVoice | None:
    """The organisation's cloned speaker a nextneural voice_config names, looked up before validation."""
    config = data.get("voice_config")
    if not isinstance(config, Mapping) or config.get("provider") != VoiceProvider.NEXTNEURAL.value:
        return None
    speaker = config.get("speaker")
    if not isinstance(speaker, str) or catalog.find_voice(VoiceProvider.NEXTNEURAL, speaker) is not None:
        return None
    return await find_custom_voice(organisation_id, speaker)


def _merged_voice_config(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A partial voice_config keeps the other keys, except that a new provider starts from its defaults."""
    merged = {key: current.get(key) for key in VOICE_CONFIG_KEYS}
    if changes.get("provider") not in (None, current.get("provider")):
        merged = {"provider": None, "model": None, "speaker": None, "language_code": current.get("language_code")}
    merged.update({key: value for key, value in changes.items() if key in VOICE_CONFIG_KEYS})
    return merged
