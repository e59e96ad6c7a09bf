"""The LLM instructions of a call: persona, guardrails, script, customer and the tools it may use."""

from __future__ import annotations

import json
from typing import Any

from app.voice.context import CallContext

GUARDRAILS = {
    "no_price_fabrication": "Never invent prices, discounts or fees. If a price is not in the script, say a "
    "colleague will confirm it.",
    "no_stock_fabrication": "Never invent stock or availability. If it is not in the script, offer to check.",
    "no_competitor_talk": "Do not discuss or compare competitors.",
    "no_personal_data": "Never ask for passwords, OTPs, card numbers or other sensitive personal data.",
    "respect_dnc": "If the caller asks not to be called again, apologise, confirm, and end the call.",
}

END_CALL = {
    "type": "function",
    "function": {
        "name": "end_call",
        "description": "End the call after saying goodbye.",
        "parameters": {
            "type": "object",
            "properties": {"reason": {"type": "string"}},
            "required": ["reason"],
            "additionalProperties": False,
        },
    },
}
TRANSFER = {
    "type": "function",
    "function": {
        "name": "transfer_to_human",
        "description": "Hand the caller to a human colleague.",
        "parameters": {
            "type": "object",
            "properties": {
                "target": {"type": "string", "description": "queue or team name"},
                "agent_brief": {"type": "string", "description": "what the human needs to know"},
            },
            "required": ["target", "agent_brief"],
            "additionalProperties": False,
        },
    },
}
SCHEDULE_CALLBACK = {
    "type": "function",
    "function": {
        "name": "schedule_callback",
        "description": "The caller asks to be called later: book the callback, then the call ends politely.",
        "parameters": {
            "type": "object",
            "properties": {
                "when": {
                    "type": "string",
                    "description": "when, in the caller's words or ISO 8601 local time "
                    "(e.g. 'tomorrow at 5 pm', '2026-05-02T17:00')",
                },
                "note": {"type": "string", "description": "what the callback is about"},
            },
            "required": ["when"],
            "additionalProperties": False,
        },
    },
}
MARK_DO_NOT_CALL = {
    "type": "function",
    "function": {
        "name": "mark_do_not_call",
        "description": "The caller asks never to be called again: apologise, confirm, then call this.",
        "parameters": {
            "type": "object",
            "properties": {"reason": {"type": "string"}},
            "required": ["reason"],
            "additionalProperties": False,
        },
    },
}
SWITCH_LANGUAGE = {
    "type": "function",
    "function": {
        "name": "switch_language",
        "description": "Speak another language from now on (the caller prefers it); your voice and hearing follow.",
        "parameters": {
            "type": "object",
            "properties": {"code": {"type": "string", "description": "BCP-47 code such as hi-IN, en-IN, ta-IN"}},
            "required": ["code"],
            "additionalProperties": False,
        },
    },
}
TOOLS: list[dict[str, Any]] = [END_CALL, TRANSFER, SCHEDULE_CALLBACK, MARK_DO_NOT_CALL, SWITCH_LANGUAGE]


def guardrail_instruction(name: str) -> str:
    return GUARDRAILS.get(name, f"Rule: {name.replace('_', ' ')}.")


def system_prompt(context: CallContext, language: str | None = None) -> str:
    """`language`: the call's current language when it moved during the call (else the context's)."""
    parts = [context.persona_prompt or f"You are {context.agent_name or 'a helpful voice assistant'}."]
    parts.append(
        "You are speaking on a phone call: answer in one to three short spoken sentences, no lists or "
        "markdown. Call end_call after a goodbye; call transfer_to_human when the caller asks for a person; "
        "call schedule_callback when they ask to be called later; call mark_do_not_call when they ask "
        "not to be called again."
    )
    parts.append(f"Speak in the caller's language ({language or context.language}); code-mixed Hindi-English is fine.")
    if context.guardrails:
        parts.append("Guardrails:\n" + "\n".join(f"- {guardrail_instruction(g)}" for g in context.guardrails))
    script = context.script
    lines = []
    if script.opening_line:
        lines.append(f"Opening line: {script.opening_line}")
    if script.talking_points:
        lines.append("Talking points:\n" + "\n".join(f"- {point}" for point in script.talking_points))
    if script.faq:
        lines.append("FAQ:\n" + "\n".join(f"Q: {e.question}\nA: {e.answer}" for e in script.faq))
    if script.closing_line:
        lines.append(f"Closing line: {script.closing_line}")
    if lines:
        parts.append("Script:\n" + "\n".join(lines))
    customer = context.customer
    if customer.name or customer.metadata:
        about = {"name": customer.name, **customer.metadata}
        parts.append("About the customer: " + json.dumps(about, ensure_ascii=False, default=str))
    return "\n\n".join(parts)
