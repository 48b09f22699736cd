"""The house stays one a Django engineer recognises: no import circle, no production function longer
than a screen or too branched to follow (the issue's limits: 80 lines, cyclomatic complexity 25)."""
from __future__ import annotations

import ast
from pathlib import Path

import mccabe
import pytest

from tests.helpers import ROOT
PRODUCTION = ("collection", "reports", "foi_tracker")
MAX_LINES = 80
MAX_COMPLEXITY = 25


def production_files() -> list[Path]:
    return sorted(p for package in PRODUCTION for p in (ROOT / package).rglob("*.py")
                  if "migrations" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project's modules a file imports, at its top or inside a function (both can close a circle)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & known
            found.update(submodules)  # `from package import module` imports the module
            if len(submodules) < len(node.names):
                found.add(base)  # names defined in the module (or package) itself
    return {m for m in found if m in known and m != name}


def only_hands_names_on(path: Path) -> bool:
    """A package's face: an __init__.py that defines nothing and only imports (its edges say nothing)."""
    tree = ast.parse(path.read_text())
    return path.name == "__init__.py" and all(
        isinstance(n, (ast.Import, ast.ImportFrom)) or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
        for n in tree.body)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_its_way_back_to_itself():
    files = {module_name(p): p for p in production_files()}
    faces = {name for name, p in files.items() if only_hands_names_on(p)}
    graph = {name: imported_modules(p, set(files)) - faces for name, p in files.items() if name not in faces}
    assert circles(graph) == []


def functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


@pytest.mark.parametrize("path", production_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_function_fits_a_screen_and_can_be_followed(path):
    tree = ast.parse(path.read_text())
    too_long = [f"{f.name} ({f.end_lineno - f.lineno + 1} lines)" for f in functions(tree)
                if f.end_lineno - f.lineno + 1 > MAX_LINES]
    graph = mccabe.PathGraphingAstVisitor()
    graph.preorder(tree, graph)
    too_branched = [f"{g.entity} (complexity {g.complexity()})" for g in graph.graphs.values()
                    if g.complexity() > MAX_COMPLEXITY]
    assert too_long == [], f"{path.name}: split into named steps"
    assert too_branched == [], f"{path.name}: split into named steps"
