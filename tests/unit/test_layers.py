"""The data flows one way: scenario → model → event log → metrics → experiments → reports.

An import-layer check in the spirit of Import Linter, on the source text: a lower layer never
imports a higher one, and nothing after the event log imports SimPy.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[2] / "sim"

# The bottom layers: module prefix → the only other sim packages it may import (besides its own).
ONLY = {
    "sim.vocab": (),  # the names of things
    "sim.rules": ("sim.vocab",),  # policies as named rules: below the schema, which checks their names
}

# module prefix → prefixes it must not import
FORBIDDEN = {
    "sim.vocab": ("simpy", "numpy", "pandas", "pydantic"),
    "sim.rules": ("simpy", "numpy", "pandas", "pydantic"),
    "sim.config": (
        "sim.model",
        "sim.flow",
        "sim.metrics",
        "sim.experiment",
        "sim.report",
        "sim.cases",
        "sim.staffing",
        "sim.commands",
        "sim.cli",
    ),
    "sim.workcalendar": ("sim.model", "sim.flow", "sim.metrics", "sim.experiment", "sim.cases"),
    "sim.distributions": ("sim.model", "sim.flow", "sim.metrics", "sim.experiment"),
    "sim.streams": ("sim.model", "sim.flow", "sim.metrics", "sim.experiment"),
    "sim.eventlog": ("sim.model", "sim.flow", "sim.metrics", "sim.experiment", "simpy"),
    "sim.flow": ("sim.model", "sim.metrics", "sim.experiment", "sim.report", "sim.commands"),
    "sim.model": ("sim.metrics", "sim.experiment", "sim.report", "sim.commands"),
    "sim.metrics": ("simpy", "sim.model", "sim.flow", "sim.staffing", "sim.experiment", "sim.report"),
    "sim.experiment": ("sim.report", "sim.commands", "sim.cli"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = sorted(SIM.rglob("*.py"))


def _within(imported: str, prefix: str) -> bool:
    return imported == prefix or imported.startswith(prefix + ".")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_bottom_layers_import_only_what_lies_below(path: Path) -> None:
    name = _module_name(path)
    for prefix, allowed in ONLY.items():
        if not _within(name, prefix):
            continue
        for imported in _imports(path):
            if _within(imported, "sim"):
                assert any(_within(imported, ok) for ok in (prefix, *allowed)), f"{name} imports {imported}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_point_down(path: Path) -> None:
    name = _module_name(path)
    rules = [bad for prefix, bad in FORBIDDEN.items() if name == prefix or name.startswith(prefix + ".")]
    for imported in _imports(path):
        for bad in (b for rule in rules for b in rule):
            assert not (
                imported == bad.rstrip(".")
                or imported.startswith(bad if bad.endswith(".") else bad + ".")
                or imported == bad
            ), f"{name} imports {imported}, which is above it"


def test_no_print_in_the_library() -> None:
    for path in MODULES:
        name = _module_name(path)
        if name.startswith(("sim.commands", "sim.cli")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print"]
        assert not calls, f"{name} prints; the library logs and only the CLI prints"
