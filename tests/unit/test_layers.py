"""The data flows one way: scenario → model → event log → metrics → experiments → reports.

An import-layer check in the spirit of Import Linter, on the source text. Every module of
``sim/`` belongs to one layer of :data:`LAYERS` (a new module that fits none fails
:func:`test_every_module_has_a_layer`), imports only from its own layer and the layers its
layer builds on, and nothing after the event log imports SimPy. Then the whole import graph
(module-level, function-local and ``TYPE_CHECKING`` imports alike) must be free of cycles,
and a function-local import, kept only to keep start-up fast, must say so in a comment.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[2] / "sim"

LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # layer: (its modules, the layers it builds on). "pkg.*" is a package and everything in
    # it; a plain name is that module only (and wins over a package: sim.config.errors).
    "leaves": (("sim.io", "sim.frames", "sim.display", "sim.lang", "sim.vocab.*"), ()),
    # Policies as named rules: below the schema, which checks the names a scenario gives.
    "rules": (("sim.rules.*",), ("leaves",)),
    "foundations": (("sim.workcalendar", "sim.streams", "sim.queueing", "sim.provenance", "sim.eventlog"), ("leaves",)),
    "config errors": (("sim.config.errors",), ("leaves",)),
    "config": (("sim.config.*",), ("config errors", "foundations", "rules")),
    "distributions": (("sim.distributions",), ("config",)),
    "cases and staff": (("sim.cases", "sim.staffing"), ("distributions",)),
    "flow": (("sim.flow.*",), ("cases and staff",)),
    "model": (("sim.model",), ("flow",)),
    # Tables in, numbers out: the metrics read the event log's tables, never the model.
    "metrics": (("sim.metrics.*",), ("config",)),
    "experiments": (("sim.experiments.*",), ("model", "metrics")),
    "calibration": (("sim.calibration.*",), ("model", "metrics")),
    "report": (("sim.report.*",), ("experiments",)),
    "api": (("sim.api",), ("experiments",)),
    "front end": (("sim", "sim.__main__", "sim.cli", "sim.commands.*", "sim.app.*"), ("api", "report", "calibration")),
}

LEAVES = ("sim.io", "sim.frames", "sim.display", "sim.lang", "sim.vocab", "sim.config.errors")
"""Modules that import nothing from :mod:`sim` at all (everyone may import them)."""

SIMPY = ("sim.staffing", "sim.flow", "sim.model")
"""The model proper: the only modules that may import SimPy (nothing after the event log does)."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


PATHS = {_module_name(p): p for p in sorted(SIM.rglob("*.py"))}
MODULES = sorted(PATHS)


def _covers(entry: str, name: str) -> bool:
    if entry.endswith(".*"):
        package = entry[:-2]
        return name == package or name.startswith(package + ".")
    return name == entry


def layer_of(name: str) -> str | None:
    """The layer of module ``name``: an exact entry first, else the longest package entry."""
    matches = [
        (not entry.endswith(".*"), len(entry), layer)
        for layer, (entries, _) in LAYERS.items()
        for entry in entries
        if _covers(entry, name)
    ]
    return max(matches)[2] if matches else None


@cache
def below(layer: str) -> frozenset[str]:
    """The layers ``layer`` may import: itself and, transitively, those it builds on."""
    return frozenset({layer}).union(*(below(base) for base in LAYERS[layer][1]))


def _resolve(module: str, name: str | None) -> str:
    """The sim module an import names: ``from sim.report import figures`` is the submodule."""
    if name is not None and f"{module}.{name}" in PATHS:
        return f"{module}.{name}"
    return module


def _from_base(importer: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = importer if PATHS[importer].name == "__init__.py" else importer.rpartition(".")[0]
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - node.level + 1])
    return f"{base}.{node.module}" if node.module else base


@cache
def imports_of(importer: str) -> tuple[tuple[str, int, bool], ...]:
    """Every import in ``importer``: (what it imports, line, inside a function), ``sim`` or not."""
    tree = ast.parse(PATHS[importer].read_text(encoding="utf-8"))
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, local) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = _from_base(importer, child)
                found.extend((_resolve(base, a.name), child.lineno, local) for a in child.names)
            visit(child, inner)

    visit(tree, False)
    return tuple(found)


def sim_imports(importer: str) -> Iterator[tuple[str, int, bool]]:
    """The imports of sim modules, each resolved to a module that exists."""
    for target, line, local in imports_of(importer):
        if target == "sim" or target.startswith("sim."):
            assert target in PATHS, f"{importer}:{line} imports {target}, which is not a module of sim/"
            yield target, line, local


# ---------------------------------------------------------------- the layers


def test_every_module_has_a_layer() -> None:
    """A new module must be placed in LAYERS (and every entry there must still name something)."""
    assert [m for m in MODULES if layer_of(m) is None] == []
    for layer, (entries, bases) in LAYERS.items():
        assert set(bases) <= set(LAYERS), layer
        for entry in entries:
            assert any(_covers(entry, m) and layer_of(m) == layer for m in MODULES), f"{entry} names no module"


@pytest.mark.parametrize("name", MODULES)
def test_imports_point_down(name: str) -> None:
    layer = layer_of(name)
    assert layer is not None
    for target, line, _ in sim_imports(name):
        assert layer_of(target) in below(layer), (
            f"{name}:{line} ({layer}) imports {target} ({layer_of(target)}), which is not below it"
        )


@pytest.mark.parametrize("name", [m for m in MODULES if any(_covers(f"{leaf}.*", m) for leaf in LEAVES)])
def test_leaves_import_nothing_from_sim(name: str) -> None:
    """A leaf (or a module of a leaf package, such as the vocabulary's) imports only its own package."""
    leaf = next(leaf for leaf in LEAVES if _covers(f"{leaf}.*", name))
    assert [t for t, _, _ in sim_imports(name) if not _covers(f"{leaf}.*", t)] == []


PURE = ("sim.vocab", "sim.rules")
"""Names and rules are plain Python: a rule is unit-tested without numpy, pandas, pydantic or SimPy."""


@pytest.mark.parametrize("name", [m for m in MODULES if any(_covers(f"{p}.*", m) for p in PURE)])
def test_vocabulary_and_rules_are_plain_python(name: str) -> None:
    heavy = ("simpy", "numpy", "pandas", "pydantic")
    found = [t for t, _, _ in imports_of(name) if t.split(".")[0] in heavy]
    assert found == [], f"{name} imports {found}"


@pytest.mark.parametrize("name", MODULES)
def test_only_the_model_imports_simpy(name: str) -> None:
    if any(name == m or name.startswith(m + ".") for m in SIMPY):
        return
    simpy = [line for target, line, _ in imports_of(name) if target == "simpy" or target.startswith("simpy.")]
    assert simpy == [], f"{name} imports SimPy at line(s) {simpy}; only {', '.join(SIMPY)} may"


def test_the_layer_rules_catch_an_upward_import() -> None:
    """The rules themselves: imports that would break them are recognised as such."""
    assert layer_of("sim.experiments.running") == "experiments"
    assert layer_of("sim.config.errors") == "config errors"
    assert layer_of("sim.config.load") == "config"
    assert layer_of("sim.sweep") is None  # a module outside every layer is not silently accepted
    assert "experiments" not in below("metrics")  # metrics may not import the experiments
    assert "model" not in below("metrics")  # nor the model
    assert "config" not in below("config errors")  # errors is below the rest of config
    assert "report" not in below("experiments")
    assert "experiments" in below("front end")


# ---------------------------------------------------------------- cycles


def import_graph() -> dict[str, set[str]]:
    """Module → the sim modules it imports anywhere in its text (functions and TYPE_CHECKING too).

    Importing ``sim.a.b`` first runs ``sim/a/__init__.py``; that implied edge is left out, since a
    package importing its own modules is no cycle unless one of them imports a name from the
    package's ``__init__``, which is an explicit edge here.
    """
    return {name: {target for target, _, _ in sim_imports(name) if target != name} for name in MODULES}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"y2"}, "y2": {"y"}}) == ["y", "y2", "y"]


def test_no_import_cycle_in_sim() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_a_function_local_import_says_why() -> None:
    """A sim import inside a function is kept only to keep start-up fast, and says so.

    The comment sits on the import, or on a comment line just above its block of imports. A
    function-local import may not hide a cycle: the cycle test above counts it like any other.
    """
    silent = []
    for name in MODULES:
        lines = PATHS[name].read_text(encoding="utf-8").splitlines()
        for _, line, local in sim_imports(name):
            if not local:
                continue
            i = line - 1
            while i > 0 and lines[i - 1].strip().startswith(("from ", "import ")) and "#" not in lines[i]:
                i -= 1  # up through the block of imports
            if "#" not in lines[i] and not lines[i - 1].strip().startswith("#"):
                silent.append(f"{name}:{line}")
    assert silent == [], "function-local imports without a comment saying why: " + ", ".join(silent)


# ---------------------------------------------------------------- printing


def test_no_print_in_the_library() -> None:
    for name in MODULES:
        if name.startswith(("sim.commands", "sim.cli")):
            continue
        tree = ast.parse(PATHS[name].read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print"]
        assert not calls, f"{name} prints; the library logs and only the CLI prints"
