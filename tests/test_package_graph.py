"""The package graph: no cycle between packages, and every import is one the package map in
docs/architecture.md allows (the map is parsed from the doc, so the doc and the test cannot drift apart)."""

from __future__ import annotations

import ast
from pathlib import Path

from scripts.package_graph import (
    DOC,
    Edges,
    MapRow,
    cycles,
    imported_modules,
    package_edges,
    package_map,
    problems,
)


def test_the_package_graph_has_no_cycle() -> None:
    _, edges = package_edges()
    assert cycles(edges) == []


def test_every_import_between_packages_is_in_the_package_map() -> None:
    nodes, edges = package_edges()
    assert problems(nodes, edges, package_map()) == []


def test_the_map_lists_every_package_once_and_only_downward_imports() -> None:
    rows = package_map()
    nodes, _ = package_edges()
    assert set(rows) == nodes
    assert "voice_catalog" in rows and "services" not in rows and "voices" not in rows
    for row in rows.values():
        assert all(rows[target].layer < row.layer for target in row.may_import), row


def test_a_new_forbidden_import_fails(tmp_path: Path) -> None:
    """A lower package importing a higher one (here: calls -> voice, which closes voice -> calls into a
    cycle) is reported as both a cycle and an edge the map does not allow; so is a package missing from it."""
    root = tmp_path
    for package, source in {
        "calls": "from app.voice.session import CallSession\n",
        "voice": "def later():\n    from app.calls.contract import CallEnd\n",
        "newthing": "import app.calls\n",
    }.items():
        (root / "app" / package).mkdir(parents=True)
        (root / "app" / package / "__init__.py").write_text("")
        (root / "app" / package / "module.py").write_text(source)
    for door in ("schema", "compat_rest"):
        (root / door).mkdir()
        (root / door / "__init__.py").write_text("")
    nodes, edges = package_edges(root)
    found = problems(nodes, edges, package_map(DOC))
    assert any(line.startswith("import cycle between packages: calls, voice") for line in found), found
    assert any(line.startswith("calls may not import voice (by app.calls.module)") for line in found), found
    assert "newthing is not in the package map (docs/architecture.md)" in found


def test_a_map_row_that_imports_upward_is_refused() -> None:
    rows = {
        "calls": MapRow("calls", 3, frozenset({"voice"})),
        "voice": MapRow("voice", 4, frozenset({"calls"})),
    }
    edges: Edges = {}
    found = problems({"calls", "voice"}, edges, rows)
    assert found == ["the package map lets calls (layer 3) import voice (layer 4): imports go to a lower layer only"]


def test_lazy_imports_count_and_type_checking_imports_do_not() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from app import field_checks\n"
        "if TYPE_CHECKING:\n    from app.voice.session import CallSession\n"
        "def later():\n    import app.telephony.simulator\n"
    )
    assert imported_modules(tree) == [
        "typing",
        "app.field_checks",
        "app.telephony.simulator",
    ]
