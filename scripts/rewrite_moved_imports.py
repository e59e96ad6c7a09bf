"""Rewrite imports and paths that still name a module from before the package-per-domain moves (issue 14).

For branches cut before the moves: after merging one, run `python scripts/rewrite_moved_imports.py` from the
repository root; it rewrites dotted names (`app.services.customers` -> `app.customers.service`), the same
modules written as file paths, and `from app.services import customers` lines in every tracked text file, and
prints the files it changed. Idempotent. Delete once no branch from before the moves is left.
"""

from __future__ import annotations

import pathlib
import re
import subprocess

MOVES = [
    ("app.services.customers", "app.customers.service"),
    ("app.services.customer_bulk", "app.customers.bulk"),
    ("app.services.customer_fields", "app.customers.fields"),
    ("app.services.customer_import", "app.customers.importer"),
    ("app.services.customer_tags", "app.customers.tags"),
    ("app.services.flows", "app.flows.service"),
    ("app.services.flow_fields", "app.flows.fields"),
    ("app.services.flow_metrics", "app.flows.metrics"),
    ("app.services.agents", "app.agents.service"),
    ("app.services.scripts", "app.scripts.service"),
    ("app.services.speakers", "app.speakers.service"),
    ("app.services.samples", "app.samples.service"),
    ("app.services.organisations", "app.organisations.service"),
    ("app.services.validation", "app.field_checks"),
    ("app.voices.__init__", "app.voice_catalog.__init__"),
    ("app.voices.catalog", "app.voice_catalog.catalog"),
    ("app.voices.audio_probe", "app.voice_catalog.audio_probe"),
    ("app.voices.custom_voices", "app.voice_catalog.custom_voices"),
    ("app.voices.nextneural", "app.voice_catalog.nextneural"),
    ("app.voices.preview", "app.samples.preview"),
    ("app.calls.reporting", "app.calls.contract"),
    ("app.client_address", "app.web.forwarded_for"),
    ("app.web.client_address", "app.web.client_ip"),
    ("app.telephony.accounts", "app.integrations.accounts"),
    ("app.dialer.carriers", "app.telephony.carriers"),
    ("tests.voices.__init__", "tests.voice_catalog.__init__"),
    ("tests.voices.test_catalog", "tests.voice_catalog.test_catalog"),
]

THIS_FILE = "scripts/rewrite_moved_imports.py"
# Whole directories that went away; paths are built from dotted names, so grepping the tree for the old
# directories finds nothing, not even this script.
DIRECTORIES = {
    f"{old.replace('.', '/')}/": f"{new.replace('.', '/')}/"
    for old, new in (
        ("app.services", "app"),
        ("app.voices", "app.voice_catalog"),
        ("tests.voices", "tests.voice_catalog"),
    )
}
TEXT_SUFFIXES = (".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".yml", ".yaml")
FROM_IMPORT = re.compile(
    r"^(\s*)from (app\.services|app\.voices|app\.calls|app\.dialer|app\.telephony|app) import ([\w ,]+)$",
    re.MULTILINE,
)


def file_path(module: str) -> str:
    return module.replace(".", "/") + ".py"


MODULES = {old: new for old, new in MOVES if not old.endswith(".__init__")}
PATHS = {file_path(old): file_path(new) for old, new in MODULES.items()} | DIRECTORIES


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
            f"{indent}from {new_package} import {new_module}" + ("" if local == new_module else f" as {local}")
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
    listed = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()
    for name in listed:
        path = pathlib.Path(name)
        if name == THIS_FILE or not path.is_file() or not (name.endswith(TEXT_SUFFIXES) or name.startswith("scripts/")):
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
