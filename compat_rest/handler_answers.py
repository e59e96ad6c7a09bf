"""The answers (and bodies) of the handler rows that are not a GraphQL document, as the OpenAPI document
states them: the Exotel callbacks' form body and JSON or text answers, and the recording's byte ranges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.telephony.status import PROGRESS, TERMINAL
from compat_rest.routes import Handler

ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
TEXT = {"text/plain": {"schema": {"type": "string"}}}
AUDIO = {
    media: {"schema": {"type": "string", "format": "binary"}}
    for media in ("audio/mpeg", "audio/wav", "application/octet-stream")
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


@dataclass(frozen=True)
class HandlerAnswers:
    responses: dict[str, Any]
    request_body: dict[str, Any] | None = None


STATUS_FORM = {
    "type": "object",
    "properties": {
        "CallSid": {"type": "string"},
        "AccountSid": {"type": "string"},
        "Status": {"type": "string", "enum": sorted({*TERMINAL, *PROGRESS})},
        "CallStatus": {"type": "string"},
        "EventType": {"type": "string"},
        "CustomField": {"type": "string"},
        "RecordingUrl": {"type": "string"},
        "ConversationDuration": {"type": "string"},
        "Duration": {"type": "string"},
    },
    "required": ["CallSid", "AccountSid", "Status"],
}

HANDLER_ANSWERS: dict[Handler, HandlerAnswers] = {
    Handler.EXOTEL_STATUS: HandlerAnswers(
        responses={
            "200": {
                "description": "Applied: what the callback changed",
                "content": _json(
                    {
                        "type": "object",
                        "properties": {"status": {"type": "string", "enum": ["updated", "ended", "unchanged"]}},
                        "required": ["status"],
                    }
                ),
            }
        },
        request_body={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": STATUS_FORM}}},
    ),
    Handler.EXOTEL_STREAM: HandlerAnswers(
        responses={
            "200": {
                "description": "The voicebot socket URL for this call",
                "content": _json({"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}),
            }
        }
    ),
    Handler.EXOTEL_CONNECT: HandlerAnswers(
        responses={
            "200": {
                "description": "The transfer queue's number, in Exotel Connect's answer shape",
                "content": _json(
                    {
                        "type": "object",
                        "properties": {
                            "fetch_after_attempt": {"type": "boolean"},
                            "record": {"type": "boolean"},
                            "destination": {
                                "type": "object",
                                "properties": {"numbers": {"type": "array", "items": {"type": "string"}}},
                            },
                        },
                        "required": ["destination"],
                    }
                ),
            }
        }
    ),
    Handler.EXOTEL_PASSTHRU: HandlerAnswers(
        responses={
            "200": {"description": "hangup: no transfer was asked for", "content": TEXT},
            "302": {"description": "transfer: the voicebot handed the call over", "content": TEXT},
        }
    ),
    Handler.CALL_RECORDING: HandlerAnswers(
        responses={
            "200": {"description": "The recording", "content": AUDIO},
            "206": {"description": "The requested byte range", "content": AUDIO},
            "416": {"description": "The range is not satisfiable"},
            "502": {"description": "The provider's recording is not reachable", "content": _json(ERROR)},
        }
    ),
}
