"""What a tool is, as the rest of the platform sees it: frozen values and the closed sets around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class ToolScope(str, Enum):
    """Who owns a tool: a voice agent (every flow of it) or one flow (adds to its agent's)."""

    AGENT = "agent"
    FLOW = "flow"


class ToolMethod(str, Enum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


class BuiltinTool(str, Enum):
    """Actions the platform performs itself; an HTTP tool may not take their names."""

    END_CALL = "end_call"
    TRANSFER_TO_HUMAN = "transfer_to_human"
    SCHEDULE_CALLBACK = "schedule_callback"
    MARK_DO_NOT_CALL = "mark_do_not_call"
    SWITCH_LANGUAGE = "switch_language"


BUILTIN_NAMES = frozenset(tool.value for tool in BuiltinTool)
DEFAULT_TIMEOUT_SECONDS = 5.0
MAX_TIMEOUT_SECONDS = 20.0
MAX_NAME = 64
MAX_DESCRIPTION = 1000
MAX_WAITING_LINE = 300
MAX_PARAMETERS_BYTES = 16 * 1024
MAX_HEADERS = 20
MAX_HEADER_BYTES = 4096  # names and values together
MAX_TOOLS_PER_SCOPE = 32
MASK = "••••••••"  # header values read back like integration credentials: only the last 4 shown


def mask(secret: str) -> str:
    return MASK + secret[-4:] if secret else ""


@dataclass(frozen=True)
class ToolDefinition:
    """One HTTP tool, headers in the clear: only the call that invokes it holds this."""

    name: str
    description: str
    parameters: dict[str, Any]
    method: ToolMethod
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    speak_while_waiting: str | None = None
    scope: ToolScope = ToolScope.AGENT

    def function_spec(self) -> dict[str, Any]:
        """The OpenAI function-tool form the model is offered."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


@dataclass(frozen=True)
class ToolView:
    """What reads return: header values masked."""

    uuid: str
    scope: ToolScope
    owner_uuid: str
    name: str
    description: str
    parameters: dict[str, Any]
    method: ToolMethod
    url: str
    headers: dict[str, str]
    timeout_seconds: float
    speak_while_waiting: str | None
    created_at: Any
    updated_at: Any
