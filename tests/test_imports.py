"""The package's floors (docs/ARCHITECTURE.md): every import runs down a floor or stays on its own, and no two
modules or subpackages import each other, however indirectly. Imports are read with `ast`, including the
lazy ones inside functions; imports under `if TYPE_CHECKING:` run never and are not counted."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import optcopilot

PACKAGE = Path(optcopilot.__file__).resolve().parent

FLOORS = {"examples": 0, "ir": 0, "compile": 1, "solve": 2, "io": 3, "llm": 3, "formulate": 4, "equivalence": 4, "eval": 5,
          "cli": 6, "app": 6}
"""Subpackage -> floor; a module may import its own floor and the floors below."""
MODULE_FLOORS = {"optcopilot.io.reference_dsl": 4}
"""Modules living on another floor than their subpackage (each stated in docs/ARCHITECTURE.md)."""


def module_files() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = module_files()


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except the bodies of `if TYPE_CHECKING:` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _owner(name: str) -> str | None:
    """The module that `name` (a module, or a name inside one) belongs to."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """The package modules `module` imports (at import time or lazily)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            owner = _owner(name) if name.startswith("optcopilot") else None
            if owner and owner != module:
                found.add(owner)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def floor_of(module: str) -> int | None:
    if module in MODULE_FLOORS:
        return MODULE_FLOORS[module]
    parts = module.split(".")
    return FLOORS.get(parts[1]) if len(parts) > 1 else None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_the_package() -> None:
    assert len(MODULES) > 50 and "optcopilot.solve.api" in MODULES
    assert "optcopilot.compile.instance" in GRAPH["optcopilot.solve.api"]
    assert "optcopilot.formulate.pipeline" in GRAPH["optcopilot.eval.modes.pipeline"]


def test_every_subpackage_has_a_floor() -> None:
    subpackages = {m.split(".")[1] for m in MODULES if m.count(".") >= 1}
    assert subpackages <= set(FLOORS), subpackages - set(FLOORS)


def test_no_upward_import() -> None:
    upward = [f"{a} (floor {floor_of(a)}) imports {b} (floor {floor_of(b)})"
              for a, targets in GRAPH.items() for b in sorted(targets)
              if floor_of(a) is not None and floor_of(b) is not None and floor_of(b) > floor_of(a)]  # type: ignore[operator]
    assert not upward, "\n".join(upward)


def test_no_module_imports_itself_through_others() -> None:
    circles = _cycles(GRAPH)
    assert not circles, circles


def _unit(module: str) -> str:
    """A module's subpackage, or the module itself when it lives on a floor of its own."""
    if module in MODULE_FLOORS or module.count(".") == 0:
        return module
    return module.split(".")[1]


def test_no_circle_between_subpackages() -> None:
    by_unit: dict[str, set[str]] = {}
    for a, targets in GRAPH.items():
        by_unit.setdefault(_unit(a), set()).update(_unit(b) for b in targets if _unit(b) != _unit(a))
    circles = _cycles(by_unit)
    assert not circles, circles


@pytest.mark.parametrize(("graph", "expected"), [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_the_circle_finder(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert _cycles(graph) == expected
