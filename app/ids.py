"""Public ids: a resource prefix and 12 random hex digits, opaque to clients."""

from __future__ import annotations

import secrets

PREFIXES = frozenset(
    {
        "org",
        "usr",
        "key",
        "agt",
        "flw",
        "cst",
        "cal",
        "wbh",
        "wbl",
        "vs",
        "smp",
        "scr",
        "msg",
        "que",
        "hum",
        "spk",
        "int",
        "cmp",
        "job",
        "prc",
        "tol",
    }
)


def new_id(prefix: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    return f"{prefix}_{secrets.token_hex(6)}"
