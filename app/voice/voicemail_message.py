"""The message an agent leaves on a voicemail box (flow `config.voicemail_message`), with the customer's
fields filled in: `{name}`, `{phone}` and any metadata key (`{due_date}`); an unknown field is left out
rather than read aloud as a brace."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from app.voice.context import CustomerView

BEEP_SETTLE_SECONDS = 0.6  # after the beep is detected: let it end before speaking


def voicemail_template(config: Mapping[str, Any]) -> str | None:
    value = config.get("voicemail_message")
    return value.strip() if isinstance(value, str) and value.strip() else None


def voicemail_text(template: str, customer: CustomerView) -> str:
    fields: dict[str, Any] = {str(k): v for k, v in (customer.metadata or {}).items()}
    fields.update({"name": customer.name or "", "phone": customer.phone or ""})
    out = []
    for literal, name, spec, _ in string.Formatter().parse(template.replace("{{", "\x00").replace("}}", "\x01")):
        out.append(literal)
        if name is not None:
            value = fields.get(name, "")
            out.append(format(value, spec) if spec and not isinstance(value, str) else str(value))
    text = "".join(out).replace("\x00", "{").replace("\x01", "}")
    return " ".join(text.split())
