"""The JSON schema an LLM's post-call analysis must satisfy, and its validator.

The extraction part is the spec's schema 1.0 (the shape the heuristic fills) unless the flow's config carries
its own `extraction_schema`; whatever the LLM answers is checked against the schema before it is stored.
"""

from __future__ import annotations

import logging
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

log = logging.getLogger("app.voice.analysis")
FLOW_CONFIG_KEY = "extraction_schema"

_TEXT = {"type": ["string", "null"]}
_SCORE = {"type": "integer", "minimum": 0, "maximum": 3}


def _section(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


EXTRACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["outcome", "requirement", "objection", "disposition", "next_action"],
    "properties": {
        "schema_version": {"type": "string"},
        "outcome": _section(
            call_outcome={"type": "string"},
            intent_score={"type": "integer", "minimum": 0, "maximum": 100},
            verbatim_quote=_TEXT,
        ),
        "requirement": _section(
            product_category=_TEXT,
            budget_signal={"type": ["number", "string", "null"]},
            timeline=_TEXT,
            zip_code=_TEXT,
            city=_TEXT,
        ),
        "objection": _section(category={"type": "string"}, detail=_TEXT, competitor_mentioned=_TEXT),
        "disposition": _section(lead_stage={"type": "string"}, reason=_TEXT, sub_reason=_TEXT, sub_sub_reason=_TEXT),
        "next_action": _section(type={"type": "string"}, transfer_target=_TEXT, agent_brief=_TEXT),
    },
}


def analysis_schema(extraction: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole answer: summary, sentiment, the extraction (given or schema 1.0) and QMS scores."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["summary", "sentiment", "extraction", "qms_scores"],
        "properties": {
            "summary": {"type": "string", "minLength": 1},
            "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
            "extraction": extraction or EXTRACTION_SCHEMA,
            "qms_scores": {
                "type": "object",
                "required": ["opening", "energy", "probing"],
                "properties": {"opening": _SCORE, "energy": _SCORE, "probing": _SCORE, "closing": _SCORE},
            },
        },
    }


def flow_extraction_schema(flow_config: dict[str, Any] | None) -> dict[str, Any] | None:
    """The flow's own extraction schema, when it is one; a malformed one is logged and schema 1.0 used."""
    chosen = (flow_config or {}).get(FLOW_CONFIG_KEY)
    if chosen is None:
        return None
    if not isinstance(chosen, dict) or chosen.get("type", "object") != "object":
        log.warning("the flow's %s is not an object schema: using extraction schema 1.0", FLOW_CONFIG_KEY)
        return None
    try:
        Draft202012Validator.check_schema(chosen)
    except SchemaError as error:
        log.warning(
            "the flow's %s is not a valid JSON schema (%s): using extraction schema 1.0", FLOW_CONFIG_KEY, error.message
        )
        return None
    return chosen


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema)
