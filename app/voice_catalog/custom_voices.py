"""An organisation's own cloned voices as catalog entries, read from the database.

The static catalog (catalog.py) is the same for everyone; these voices belong to one organisation and
appear beside it in `GET /samples` while deployed. Agents may keep using an undeployed one they already had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.db.models import Speaker
from app.voice_catalog import catalog
from app.voice_catalog.catalog import VoiceProvider

PROVIDER = VoiceProvider.NEXTNEURAL.value
COLUMNS = ("name", "language", "deployed", "voice_model", "organisation_id")


@dataclass(frozen=True, slots=True)
class CustomVoice:
    uuid: str
    provider: str
    model: str
    speaker: str
    language_code: str
    language_name: str
    deployed: bool


def custom_voice_uuid(organisation_id: str, name: str, language: str) -> str:
    """Stable across undeploy and redeploy, so a catalog id a client kept still means the same voice."""
    return catalog.voice_uuid(PROVIDER, "custom", f"{organisation_id}/{name}", language)


def _voice(row: dict[str, Any]) -> CustomVoice:
    return CustomVoice(
        uuid=custom_voice_uuid(row["organisation_id"], row["name"], row["language"]),
        provider=PROVIDER,
        model=row["voice_model"] or catalog.DEFAULT_MODELS[VoiceProvider.NEXTNEURAL],
        speaker=row["name"],
        language_code=row["language"],
        language_name=catalog.LANGUAGE_NAMES.get(row["language"], row["language"]),
        deployed=row["deployed"],
    )


async def deployed_voices(organisation_id: str, language_code: str | None = None) -> list[CustomVoice]:
    query = Speaker.filter(organisation_id=organisation_id, deployed=True)
    rows = await query.order_by("name").values(*COLUMNS)
    voices = [_voice(row) for row in rows]
    if language_code is not None:
        voices = [v for v in voices if v.language_code.lower() == language_code.strip().replace("_", "-").lower()]
    return voices


async def find_custom_voice(organisation_id: str, speaker: str) -> CustomVoice | None:
    """The organisation's speaker of that name, deployed or not; None when it has none."""
    rows = await Speaker.filter(organisation_id=organisation_id, name=speaker.strip().lower()).values(*COLUMNS)
    return _voice(rows[0]) if rows else None
