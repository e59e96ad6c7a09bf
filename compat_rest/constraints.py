"""What the services enforce, stated in the OpenAPI document so that a schema-valid request is accepted.

The GraphQL types say only "String" or "Int"; the services check lengths, enums, patterns and ranges.
Each entry here is a JSON-schema fragment for one input field (`TYPE: {snake field: fragment}`) or one
query argument (`rootField: {snake argument: fragment}`), built from the services' own constants so the
document cannot drift from them. `NOT_NULL` marks optional fields a PATCH may omit but not null.
Rules that span fields (a Sarvam speaker must exist for its model) are described, not encoded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.agents import service as agents
from app.calls import service as calls
from app.customers import bulk as customer_bulk
from app.customers import fields as customer_fields
from app.customers import service as customers
from app.field_checks import HEX_COLOUR, LANGUAGE_TAG
from app.flows import fields as flow_fields
from app.integrations.fields import ACCOUNT_SID, HOST
from app.integrations.service import APP_CATEGORIES
from app.samples import service as samples
from app.scripts import service as scripts
from app.speakers import service as speakers
from app.voice_catalog import catalog
from app.voice_catalog.catalog import LANGUAGE_NAMES
from app.webhooks import service as webhooks
from app.webhooks.outbox import EVENT_TYPES
from compat_rest.coercion import INT_MAX, INT_MIN
from schema.public_ids import ID_MAX_LENGTH, ID_PATTERN

Fragment = dict[str, Any]
NOT_NULL: Fragment = {"nullable": False}
INT_RANGE: Fragment = {"minimum": INT_MIN, "maximum": INT_MAX}
E164: Fragment = {
    "pattern": r"^\+[1-9][0-9]{6,14}$",
    "description": "E.164 (+ and country code), a number its country's numbering plan allows",
}
DATE: Fragment = {"format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
CLOCK: Fragment = {"pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"}
PUBLIC_ID: Fragment = {"pattern": f"^{ID_PATTERN}$", "maxLength": ID_MAX_LENGTH}
JSON_OBJECT: Fragment = {"type": "object"}
NULLABLE_OBJECT: Fragment = {"type": ["object", "null"]}


def text(max_length: int) -> Fragment:
    """A required text: trimmed by the service, so it needs one non-space character."""
    return {"minLength": 1, "maxLength": max_length, "pattern": r"\S"}


def required_text(max_length: int) -> Fragment:
    return {**text(max_length), **NOT_NULL}


def optional_text(max_length: int) -> Fragment:
    return {"maxLength": max_length}


def one_of(values: Iterable[str], *, nullable: bool = True) -> Fragment:
    return {"enum": list(values), **({} if nullable else NOT_NULL)}


def texts(max_items: int, max_length: int) -> Fragment:
    return {"maxItems": max_items, "items": text(max_length)}


def limit(maximum: int) -> Fragment:
    return {"minimum": 1, "maximum": maximum}


OFFSET: Fragment = {"minimum": 0, "maximum": INT_MAX}
COUNT: Fragment = {"minimum": 0, "maximum": INT_MAX}

_AGENT = {
    "name": required_text(200),
    "role": required_text(200),
    "description": optional_text(2000),
    "avatar_color": {"pattern": HEX_COLOUR.pattern},
    "avatar_initials": {"minLength": 1, "maxLength": 2, "pattern": r"\S"},
}
_VOICE = {
    "provider": one_of(agents.PROVIDERS, nullable=False),
    "model": optional_text(64),
    "speaker": {
        **optional_text(128),
        "description": "a catalog voice of the provider and model (any voice id for elevenlabs)",
    },
    "language_code": {"pattern": LANGUAGE_TAG.pattern},
}
_CUSTOMER = {
    "name": required_text(200),
    "phone": {**E164, **NOT_NULL},
    "email": {**optional_text(320), "pattern": r"^[^@\s]+@[^@\s]+$"},
    "tags": {**texts(customer_fields.MAX_TAGS, customer_fields.MAX_TAG_LENGTH), **NOT_NULL},
    "preferred_language": one_of(customer_fields.LANGUAGES, nullable=False),
    "metadata": JSON_OBJECT,
}
_FLOW = {
    "kind": one_of(flow_fields.KINDS, nullable=False),
    "name": required_text(200),
    "provider": one_of(flow_fields.PROVIDERS, nullable=False),
    "voice_agent_id": PUBLIC_ID,
    "speaker": {
        **optional_text(128),
        "pattern": r"\S",
        "description": "a catalog voice of the provider in the flow's language",
    },
    "language_code": {"pattern": LANGUAGE_TAG.pattern},
    "phone_number": E164,
    "script_id": PUBLIC_ID,
    "branches": texts(50, 100),
    "start_date": DATE,
    "end_date": DATE,
    "config": NULLABLE_OBJECT,
    "status": one_of(flow_fields.STATUSES, nullable=False),
}
_SCRIPT = {
    "name": required_text(200),
    "opening_line": optional_text(scripts.MAX_TEXT),
    "closing_line": optional_text(scripts.MAX_TEXT),
    "talking_points": texts(scripts.MAX_ITEMS, scripts.MAX_TEXT),
    "faq": {"maxItems": scripts.MAX_ITEMS},
}

INPUT_FIELDS: dict[str, dict[str, Fragment]] = {
    "CreateVoiceAgentInput": _AGENT,
    "UpdateVoiceAgentInput": _AGENT,
    "VoiceConfigInput": _VOICE,
    "VoiceConfigPatch": {**_VOICE, "provider": one_of(agents.PROVIDERS, nullable=False)},
    "CreateCustomerInput": _CUSTOMER,
    "UpdateCustomerInput": _CUSTOMER,
    "BulkCustomersInput": {
        "customers": {"maxItems": customers.MAX_BULK},
        "mode": one_of(customer_bulk.MODES, nullable=False),
    },
    "CreateFlowInput": _FLOW,
    "UpdateFlowInput": _FLOW,
    "TimeWindowInput": {
        "start": CLOCK,
        "end": CLOCK,
        "timezone": {**text(64), "description": "an IANA timezone like Asia/Kolkata"},
    },
    "CreateScriptInput": _SCRIPT,
    "UpdateScriptInput": _SCRIPT,
    "FaqEntryInput": {"question": text(scripts.MAX_TEXT), "answer": text(scripts.MAX_TEXT)},
    "CreateWebhookInput": {
        "name": text(200),
        "url": {
            "format": "uri",
            "pattern": "^https://[A-Za-z0-9.-]+",
            "maxLength": 2048,
            "description": "an HTTPS URL of a public host (plain HTTP "
            "and private hosts only where the server "
            "allows them)",
        },
        "events": {"minItems": 1, "items": one_of(EVENT_TYPES, nullable=False)},
        "headers": {**NULLABLE_OBJECT, "maxProperties": 20},
    },
    "ExotelInput": {
        "api_key": {**text(200), "pattern": r"^\S+$"},
        "api_token": {**text(200), "pattern": r"^\S+$"},
        "account_sid": {**text(64), "pattern": ACCOUNT_SID.pattern},
        "subdomain": {
            **text(255),
            "pattern": HOST.pattern,
            "description": "a host name such as api.exotel.com (a scheme and port, "
            "http://127.0.0.1:8123, are accepted too)",
        },
        "phone_number": E164,
    },
    "SarvamInput": {"api_key": {**text(200), "pattern": r"^\S+$"}},
    "CallMetadataInput": {"key_details": JSON_OBJECT},
    "TransferCallInput": {"target": text(100), "agent_brief": text(calls.MAX_BRIEF), "context": NULLABLE_OBJECT},
    "EndCallInput": {"reason": one_of(calls.END_REASONS)},
}

ARGUMENTS: dict[str, dict[str, Fragment]] = {
    "samples": {"provider": one_of(samples.PROVIDERS), "language_code": {"pattern": LANGUAGE_TAG.pattern}},
    "flows": {"kind": one_of(flow_fields.KINDS), "status": one_of(flow_fields.STATUSES)},
    "customers": {
        "limit": limit(customers.MAX_LIMIT),
        "offset": OFFSET,
        "tags": texts(100, 100),
        **{f"{bound}_{kind}_calls": COUNT for bound in ("min", "max") for kind in ("inbound", "outbound")},
    },
    "customerCount": {"tags": texts(100, 100)},
    "calls": {
        "call_type": one_of(calls.CALL_TYPES),
        "outcome": one_of(calls.OUTCOMES),
        "sentiment": one_of(calls.SENTIMENTS),
        "flow_uuid": PUBLIC_ID,
        "customer_uuid": PUBLIC_ID,
        "date_from": DATE,
        "date_to": DATE,
        "limit": limit(calls.MAX_LIMIT),
        "offset": OFFSET,
    },
    "callStatistics": {"flow_uuid": PUBLIC_ID, "date_from": DATE, "date_to": DATE},
    "agentAvailability": {"target": text(100)},
    "webhookLogs": {"limit": limit(webhooks.MAX_LIMIT), "offset": OFFSET},
    "appIntegrations": {"category": one_of(APP_CATEGORIES)},
}


def constrain(schema: dict[str, Any], fragment: Fragment | None) -> dict[str, Any]:
    """`schema` (as generated from the GraphQL type) narrowed by `fragment`."""
    if schema.get("type") in ("integer", ["integer", "null"]):
        schema = {**INT_RANGE, **schema}
    if not fragment:
        return schema
    merged = dict(schema)
    for key, value in fragment.items():
        if key == "nullable":
            if not value and isinstance(merged.get("type"), list):
                merged["type"] = next(kind for kind in merged["type"] if kind != "null")
        elif key == "items" and isinstance(merged.get("items"), dict):
            merged["items"] = constrain(merged["items"], value)
        elif key == "type" and merged.get("type") in (None, []):
            merged["type"] = value
        elif key != "type":
            merged[key] = value
    if "enum" in merged and isinstance(merged.get("type"), list) and "null" in merged["type"]:
        merged["enum"] = [*merged["enum"], None]
    return merged


FORM_PARTS: dict[str, dict[str, Fragment]] = {  # multipart handler rows, by their GraphQL twin
    "createSpeaker": {
        "name": {"pattern": speakers.NAME.pattern, "maxLength": speakers.NAME_MAX},
        "language": {"enum": sorted(LANGUAGE_NAMES)},
        "description": {"maxLength": 2000},
    },
    "uploadDatasetSample": {"transcript": text(speakers.TRANSCRIPT_MAX)},
}


def _when(condition: Fragment, required: list[str], then: Fragment) -> Fragment:
    return {"if": {"properties": condition, "required": required}, "then": {"properties": then}}


def _voice_rules() -> Fragment:
    """The voice a provider can speak: Sarvam's models, languages and per-model speakers; nextneural's
    catalog speakers, each in its own language (ElevenLabs takes an account's own voice ids: no rule)."""
    sarvam, v2, v3 = {"const": "sarvam"}, "bulbul:v2", "bulbul:v3"
    nextneural = sorted({(voice.speaker, voice.language_code) for voice in catalog.find_voices("nextneural")})
    return {
        "allOf": [
            _when(
                {"provider": sarvam},
                ["provider"],
                {
                    "model": {"enum": [*agents.SARVAM_MODELS, None]},
                    "language_code": {"enum": [*catalog.SARVAM_LANGUAGES, None]},
                },
            ),
            _when(
                {"provider": sarvam, "model": {"const": v2}},
                ["provider", "model"],
                {"speaker": {"enum": [*sorted(catalog.speakers_of("sarvam", v2)), None]}},
            ),
            _when(
                {"provider": sarvam, "model": {"enum": [v3, None]}},
                ["provider"],
                {"speaker": {"enum": [*sorted(catalog.speakers_of("sarvam", v3)), None]}},
            ),
            {
                "if": {"properties": {"provider": {"const": "nextneural"}}, "required": ["provider"]},
                "then": {
                    "anyOf": [
                        {"properties": {"speaker": {"type": "null"}}},
                        {"not": {"required": ["speaker"]}},
                        *(
                            {
                                "properties": {
                                    "speaker": {"const": speaker},
                                    "language_code": {"enum": [language, None]},
                                },
                                "required": ["speaker"],
                            }
                            for speaker, language in nextneural
                        ),
                    ]
                },
            },
        ]
    }


OBJECT_RULES: dict[str, Fragment] = {  # rules that span an input object's fields
    "VoiceConfigInput": _voice_rules(),
    "VoiceConfigPatch": _voice_rules(),
}
