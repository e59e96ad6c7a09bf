"""The package graph of app/, schema/ and compat_rest/, read from the source with `ast`, checked against the
package map in docs/architecture.md.

A node is a package of `app` (`app/calls/`) or a top-level module (`app/errors.py`); `schema` and `compat_rest`
are one node each. Every import counts, also one inside a function (a lazy import that dodges a cycle is still
a dependency); only imports under `if TYPE_CHECKING:` are left out, since they never run.

    python scripts/package_graph.py          # the edges, with the modules that make each one
    python scripts/package_graph.py --check  # exit 1 on a cycle or an edge the map does not allow
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
TOP_LEVEL = ("app", "schema", "compat_rest")

Edges = dict[str, dict[str, set[str]]]  # importer node -> imported node -> importing modules


@dataclass(frozen=True)
class MapRow:
    """One row of the package map: a node, its layer, and the nodes it may import."""

    node: str
    layer: int
    may_import: frozenset[str]


def node_of(module: str) -> str | None:
    """`app.calls.live` -> `calls`; `app.errors` -> `errors`; `schema.calls` -> `schema`; others: None."""
    parts = module.split(".")
    if parts[0] in ("schema", "compat_rest"):
        return parts[0]
    if parts[0] == "app" and len(parts) > 1:
        return parts[1]
    return None


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the nodes inside `if TYPE_CHECKING:` blocks."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                hidden.update(id(n) for n in ast.walk(inner))
    return hidden


def imported_modules(tree: ast.Module) -> list[str]:
    """Every module an import statement names (`from app import x` names `app.x`)."""
    hidden = _type_checking_only(tree)
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module in TOP_LEVEL:
                names.extend(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                names.append(node.module)
    return names


def package_edges(root: Path = ROOT) -> tuple[set[str], Edges]:
    """All nodes found under app/, schema/ and compat_rest/, and the edges between different nodes."""
    nodes: set[str] = set()
    edges: Edges = defaultdict(lambda: defaultdict(set))
    for top in TOP_LEVEL:
        for path in sorted((root / top).rglob("*.py")):
            module = module_name(path, root)
            source = node_of(module)
            if source is None:
                continue
            nodes.add(source)
            for imported in imported_modules(ast.parse(path.read_text(), str(path))):
                target = node_of(imported)
                if target is not None and target != source:
                    edges[source][target].add(module)
    return nodes, edges


def cycles(edges: Edges) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    graph = {source: sorted(targets) for source, targets in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = graph.get(node, [])
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*`(?:app/)?([a-z_]+)(?:/|\.py)?`\s*\|[^|]*\|([^|]*)\|\s*$")


def package_map(doc: Path = DOC) -> dict[str, MapRow]:
    """The rows of the table under `## Package map` in docs/architecture.md."""
    rows: dict[str, MapRow] = {}
    in_section = False
    for line in doc.read_text().splitlines():
        if line.startswith("## "):
            in_section = line.strip() == "## Package map"
            continue
        match = ROW.match(line) if in_section else None
        if match:
            layer, node, may_import = match.groups()
            rows[node] = MapRow(node, int(layer), frozenset(re.findall(r"`([a-z_]+)`", may_import)))
    return rows


def problems(nodes: set[str], edges: Edges, rows: dict[str, MapRow]) -> list[str]:
    """Everything wrong with the code against the map, one sentence each; empty when all is well."""
    found: list[str] = []
    for component in cycles(edges):
        found.append(f"import cycle between packages: {', '.join(component)}")
    for node in sorted(nodes - rows.keys()):
        found.append(f"{node} is not in the package map (docs/architecture.md)")
    for source in sorted(edges):
        for target in sorted(edges[source]):
            row = rows.get(source)
            if row is not None and target not in row.may_import:
                modules = ", ".join(sorted(edges[source][target]))
                found.append(
                    f"{source} may not import {target} (by {modules}); "
                    "the package map in docs/architecture.md lists what each package may import"
                )
    for row in rows.values():
        for target in sorted(row.may_import):
            lower = rows.get(target)
            if lower is None:
                found.append(f"the package map lets {row.node} import {target}, which is not in the map")
            elif lower.layer >= row.layer:
                found.append(
                    f"the package map lets {row.node} (layer {row.layer}) import {target} "
                    f"(layer {lower.layer}): imports go to a lower layer only"
                )
    return found


def main(argv: list[str]) -> int:
    nodes, edges = package_edges()
    if "--check" in argv:
        found = problems(nodes, edges, package_map())
        print("\n".join(found) or "package graph: acyclic, every edge in the map")
        return 1 if found else 0
    for source in sorted(edges):
        for target in sorted(edges[source]):
            print(f"{source} -> {target}: {', '.join(sorted(edges[source][target]))}")
    print("cycles:", cycles(edges) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
