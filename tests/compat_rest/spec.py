"""The REST contract as the spec writes it: documented routes and the rate-limit table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_SPEC = ROOT.parent / "shared" / "spec" / "voice-api.md"
COPY = ROOT / "docs" / "voice-api.md"  # a checked-in copy, so a clone without shared/ still tests


def spec_text() -> str:
    return (SHARED_SPEC if SHARED_SPEC.exists() else COPY).read_text()


def normalise(path: str) -> str:
    return re.sub(r"{[^}]+}", "{}", path)


def documented_routes() -> list[tuple[str, str]]:
    found = re.findall(r"\*\*`(GET|POST|PUT|PATCH|DELETE|WebSocket) ([^`]+)`\*\*", spec_text())
    return [("WEBSOCKET" if method == "WebSocket" else method, path.split("?")[0]) for method, path in found]


def documented_limits() -> dict[tuple[str, str], str]:
    rows = re.findall(r"^\| `(GET|POST|PUT|PATCH|DELETE) ([^`]+)` \| (\d+/\w+) \|", spec_text(), re.MULTILINE)
    return {(method, normalise(path)): limit for method, path, limit in rows}
