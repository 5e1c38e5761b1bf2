"""The package's import graph runs one way: every import, at module level or inside a function, goes
from a higher layer to a lower one (or stays inside its own package), and modules import no cycle.

Layers, lowest first; a new top-level module or package must be placed here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "hf_ssl"

LAYERS: list[set[str]] = [
    {"constants", "compat", "logging", "tracing"},
    {"saving"},
    {"io"},
    {"layers", "data", "metrics", "plots"},
    {"heads", "objectives", "conversion", "analysis"},
    {"models"},
    {"hub", "presets", "bench", "peft_targets"},
    {"trainer"},
    {"recipes"},
    {"cli", "__init__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, module_level_only: bool) -> set[str]:
    """The hf_ssl modules `path` imports (names imported from a package count as its submodules)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    if module_level_only:  # `if TYPE_CHECKING:` blocks run at type-check time only
        nodes = [n for n in nodes if not isinstance(n, ast.If)]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "hf_ssl" or target.startswith("hf_ssl."):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name == "hf_ssl" or a.name.startswith("hf_ssl."))
    return found


def _graph(*, module_level_only: bool) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets = set()
        for target in _imports(path, module_level_only=module_level_only):
            while target not in files and "." in target:
                target = target.rpartition(".")[0]
            if target in files and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_top_level_module_has_a_layer():
    names = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()}
    names -= {"__pycache__", "model_cards"}
    assert names - set(RANK) == set(), "place these in LAYERS"


def test_no_import_runs_upward():
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in _graph(module_level_only=False).items()
        for target in targets
        if _layer(source) != _layer(target) and RANK[_layer(target)] >= RANK[_layer(source)]
    )
    assert upward == []


@pytest.mark.parametrize("module_level_only", [True, False], ids=["module-level", "all-imports"])
def test_modules_import_no_cycle(module_level_only):
    graph = _graph(module_level_only=module_level_only)
    # A package's __init__ re-exports its submodules; submodules importing siblings through the
    # package is the usual Python layout, not a cycle of logic.
    edges = {
        m: {t for t in ts if not (m.startswith(f"{t}.") and t.count(".") >= 1)} for m, ts in graph.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target] if target in path else [node, target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []
