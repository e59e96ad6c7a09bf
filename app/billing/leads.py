"""When a call counts as a lead: its extraction's `disposition.lead_stage` says the customer is interested
(the heuristic writes `Interested`; an LLM extraction may write e.g. `interested - hot`), or the extraction
says `is_lead: true` outright (a flow's own schema)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NOT_A_LEAD = ("not interested", "uninterested", "")


def marks_lead(key_details: Mapping[str, Any] | None) -> bool:
    extraction = (key_details or {}).get("extraction")
    if not isinstance(extraction, Mapping):
        return False
    if extraction.get("is_lead") is True:
        return True
    disposition = extraction.get("disposition")
    stage = disposition.get("lead_stage") if isinstance(disposition, Mapping) else None
    if not isinstance(stage, str):
        return False
    stage = stage.strip().lower()
    return stage not in NOT_A_LEAD and stage.startswith("interested")
