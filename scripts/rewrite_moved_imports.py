"""Rewrite imports and paths that still name a module from before the package-per-domain moves (issue 14).

For branches cut before the moves: after merging one, run `python scripts/rewrite_moved_imports.py` from the
repository root; it rewrites dotted names (`app.services.customers` -> `app.customers.service`), file paths
(`app/services/customers.py`) and `from app.services import customers` lines in every tracked text file, and
prints the files it changed. Idempotent. Delete once no branch from before the moves is left.
"""

from __future__ import annotations

import pathlib
import re
import subprocess

MOVES = [
    ("app/services/customers.py", "app/customers/service.py"),
    ("app/services/customer_bulk.py", "app/customers/bulk.py"),
    ("app/services/customer_fields.py", "app/customers/fields.py"),
    ("app/services/customer_import.py", "app/customers/importer.py"),
    ("app/services/customer_tags.py", "app/customers/tags.py"),
    ("app/services/flows.py", "app/flows/service.py"),
    ("app/services/flow_fields.py", "app/flows/fields.py"),
    ("app/services/flow_metrics.py", "app/flows/metrics.py"),
    ("app/services/agents.py", "app/agents/service.py"),
    ("app/services/scripts.py", "app/scripts/service.py"),
    ("app/services/speakers.py", "app/speakers/service.py"),
    ("app/services/samples.py", "app/samples/service.py"),
    ("app/services/organisations.py", "app/organisations/service.py"),
    ("app/services/validation.py", "app/field_checks.py"),
    ("app/voices/__init__.py", "app/voice_catalog/__init__.py"),
    ("app/voices/catalog.py", "app/voice_catalog/catalog.py"),
    ("app/voices/audio_probe.py", "app/voice_catalog/audio_probe.py"),
    ("app/voices/custom_voices.py", "app/voice_catalog/custom_voices.py"),
    ("app/voices/nextneural.py", "app/voice_catalog/nextneural.py"),
    ("app/voices/preview.py", "app/samples/preview.py"),
    ("app/calls/reporting.py", "app/calls/contract.py"),
    ("app/client_address.py", "app/web/forwarded_for.py"),
    ("app/web/client_address.py", "app/web/client_ip.py"),
    ("app/telephony/accounts.py", "app/integrations/accounts.py"),
    ("app/dialer/carriers.py", "app/telephony/carriers.py"),
    ("tests/voices/__init__.py", "tests/voice_catalog/__init__.py"),
    ("tests/voices/test_catalog.py", "tests/voice_catalog/test_catalog.py"),
]

THIS_FILE = "scripts/rewrite_moved_imports.py"
DIRECTORIES = {
    "app/services/": "app/",
    "app/voices/": "app/voice_catalog/",
    "tests/voices/": "tests/voice_catalog/",
}
TEXT_SUFFIXES = (".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".yml", ".yaml")
FROM_IMPORT = re.compile(
    r"^(\s*)from (app\.services|app\.voices|app\.calls|app\.dialer|app\.telephony|app) import ([\w ,]+)$",
    re.MULTILINE,
)


def dotted(path: str) -> str:
    return path[:-3].replace("/", ".").removesuffix(".__init__")


MODULES = {
    dotted(old): dotted(new) for old, new in MOVES if not old.endswith("__init__.py")
}
PATHS = {
    old: new for old, new in MOVES if not old.endswith("__init__.py")
} | DIRECTORIES


def split_from_import(match: re.Match[str]) -> str:
    """`from app.services import customers, validation as check` -> one line per new module, names kept."""
    indent, package, names = match.groups()
    moved: list[str] = []
    kept: list[str] = []
    for part in (name.strip() for name in names.split(",") if name.strip()):
        name, _, alias = (piece.strip() for piece in part.partition(" as "))
        new = MODULES.get(f"{package}.{name}")
        if new is None:
            kept.append(part)
            continue
        new_package, new_module = new.rsplit(".", 1)
        local = alias or name
        moved.append(
            f"{indent}from {new_package} import {new_module}"
            + ("" if local == new_module else f" as {local}")
        )
    if not moved:
        return match.group(0)
    if kept:
        moved.insert(0, f"{indent}from {package} import {', '.join(kept)}")
    return "\n".join(moved)


def rewrite(text: str, python: bool) -> str:
    if python:
        text = FROM_IMPORT.sub(split_from_import, text)
    for old in sorted(MODULES, key=len, reverse=True):
        text = re.sub(re.escape(old) + r"(?!\w)", MODULES[old], text)
    for old in sorted(PATHS, key=len, reverse=True):
        text = text.replace(old, PATHS[old])
    return text


def main() -> None:
    listed = subprocess.run(
        ["git", "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    for name in listed:
        path = pathlib.Path(name)
        if (
            name == THIS_FILE
            or not path.is_file()
            or not (name.endswith(TEXT_SUFFIXES) or name.startswith("scripts/"))
        ):
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        new = rewrite(text, name.endswith(".py"))
        if new != text:
            path.write_text(new)
            print(name)


if __name__ == "__main__":
    main()
