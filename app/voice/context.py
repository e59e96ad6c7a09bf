"""What a call knows before it starts: flow config, script, agent voice and the customer.

Built from the database by the flow resolver (or by hand in tests); the session never queries anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.calls.contract import CallType
from app.tools.definitions import ToolDefinition


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: str


@dataclass(frozen=True)
class ScriptView:
    opening_line: str | None = None
    talking_points: tuple[str, ...] = ()
    faq: tuple[FaqEntry, ...] = ()
    closing_line: str | None = None

    @classmethod
    def from_model(cls, script: Any | None) -> ScriptView:
        if script is None:
            return cls()
        return cls(
            opening_line=script.opening_line,
            talking_points=tuple(script.talking_points or ()),
            faq=tuple(FaqEntry(item["question"], item["answer"]) for item in script.faq or ()),
            closing_line=script.closing_line,
        )


@dataclass(frozen=True)
class CustomerView:
    id: str | None = None
    name: str | None = None
    phone: str | None = None
    preferred_language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VoiceConfig:
    provider: str | None = None
    model: str | None = None
    speaker: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class CallContext:
    organisation_id: str
    call_type: CallType
    flow_id: str | None = None
    flow_name: str | None = None
    voice_agent_id: str | None = None
    agent_name: str | None = None
    persona_prompt: str | None = None
    recording_disclosure: str | None = None
    guardrails: tuple[str, ...] = ()
    script: ScriptView = field(default_factory=ScriptView)
    customer: CustomerView = field(default_factory=CustomerView)
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    from_number: str | None = None
    to_number: str | None = None
    provider_call_id: str | None = None
    call_id: str | None = None
    flow_config: dict[str, Any] = field(default_factory=dict)
    sarvam_api_key: str | None = field(default=None, repr=False)  # the organisation's Sarvam integration
    sarvam_streaming: bool | None = None  # its choice of WebSockets over REST; None: the setting decides
    tools: tuple[ToolDefinition, ...] = ()  # the agent's and the flow's HTTP tools (issue 16)
    tools_secret: str | None = field(default=None, repr=False)  # signs their requests

    @property
    def language(self) -> str:
        """Customer's preferred language first, then the agent voice, then the flow config."""
        return (
            self.customer.preferred_language
            or self.voice.language_code
            or self.flow_config.get("language_code")
            or "en-IN"
        )
