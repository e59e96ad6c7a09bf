"""Scripts: what an agent says on a flow (opening line, talking points, FAQ answers, closing line).

The voice pipeline builds its prompt from the flow config, the script and the customer metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app import field_checks as check
from app.db.models import Flow, Script
from app.errors import Conflict, Invalid, NotFound
from app.ids import new_id

MAX_ITEMS = 100
MAX_TEXT = 4000


def _faq(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise Invalid("faq must be an array of {question, answer} objects")
    if len(value) > MAX_ITEMS:
        raise Invalid(f"faq must have at most {MAX_ITEMS} entries")
    entries = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise Invalid(f"faq[{index}] must be an object")
        entries.append(
            {
                "question": check.text(f"faq[{index}].question", item.get("question"), max_length=MAX_TEXT),
                "answer": check.text(f"faq[{index}].answer", item.get("answer"), max_length=MAX_TEXT),
            }
        )
    return entries


def _fields(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if not partial or "name" in data:
        fields["name"] = check.text("name", data.get("name"), max_length=200)
    for name in ("opening_line", "closing_line"):
        if name in data:
            fields[name] = check.text(name, data[name], max_length=MAX_TEXT, required=False)
    if "talking_points" in data:
        fields["talking_points"] = check.string_list(
            "talking_points", data["talking_points"] or [], max_items=MAX_ITEMS, max_length=MAX_TEXT
        )
    if "faq" in data:
        fields["faq"] = _faq(data["faq"] or [])
    return fields


class ScriptService:
    async def list(self, organisation_id: str) -> list[Script]:
        return await Script.filter(organisation_id=organisation_id).order_by("created_at", "id")

    async def get(self, organisation_id: str, script_id: str) -> Script:
        script = await Script.get_or_none(id=script_id, organisation_id=organisation_id)
        if script is None:
            raise NotFound("Script not found")
        return script

    async def create(self, organisation_id: str, data: Mapping[str, Any]) -> Script:
        return await Script.create(id=new_id("scr"), organisation_id=organisation_id, **_fields(data, partial=False))

    async def update(self, organisation_id: str, script_id: str, changes: Mapping[str, Any]) -> Script:
        script = await self.get(organisation_id, script_id)
        fields = _fields(changes, partial=True)
        if fields:
            script.update_from_dict(fields)
            await script.save(update_fields=[*fields, "updated_at"])
        return script

    async def delete(self, organisation_id: str, script_id: str) -> Script:
        """A script a flow still delivers cannot be deleted: the flow would lose its words."""
        script = await self.get(organisation_id, script_id)
        if await Flow.filter(script_id=script.id).exists():
            raise Conflict("Script is used by a flow")
        await script.delete()
        return script
