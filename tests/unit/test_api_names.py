"""``sim.run``, ``sim.sweep``, ``sim.capacity``… stay functions whatever has been imported.

``sim`` re-exports the API lazily (a module ``__getattr__``), which Python consults only
when the attribute is missing: importing a submodule ``sim.X`` sets the attribute ``X`` on
the package, so a submodule named like an API function would replace the function
(``import sim; sim.load(...); sim.sweep(...)`` → "'module' object is not callable" once
``sim.api`` had imported ``sim.sweep``). The same holds for :mod:`sim.calibration`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest

import sim
import sim.api
import sim.calibration

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _import_everything() -> None:
    for info in pkgutil.walk_packages(sim.__path__, "sim."):
        if info.name != "sim.__main__":  # runs the command line
            importlib.import_module(info.name)


def test_no_submodule_is_named_like_an_api_function() -> None:
    top = {m.name for m in pkgutil.iter_modules(sim.__path__)}
    assert top & set(sim._API) == set()
    calibration = {m.name for m in pkgutil.iter_modules(sim.calibration.__path__)}
    assert calibration & set(sim.calibration._WHERE) == set()


def test_api_names_are_functions_after_every_submodule_is_imported() -> None:
    _import_everything()
    for name in sim._API:
        value = getattr(sim, name)
        assert inspect.isfunction(value), f"sim.{name} is {value!r}, not the API function"
        assert value is getattr(sim.api, name)
    for name in sim.calibration._WHERE:
        value = getattr(sim.calibration, name)
        assert not inspect.ismodule(value), f"sim.calibration.{name} is a module"
    assert set(sim.__all__) == {"__version__", *sim._API}


def _documented_calls(text: str) -> set[tuple[str, str]]:
    """``sim.X(`` and ``api.X(`` in a document: in its Python blocks (parsed) and inline code."""
    calls = set(re.findall(r"(?<![\w.])(sim|api)\.([A-Za-z_]\w*)\(", text))
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        # A block inside a list item is indented with it.
        for node in ast.walk(ast.parse(textwrap.dedent(block))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Name) and owner.id in ("sim", "api"):
                    calls.add((owner.id, node.func.attr))
    return calls


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_documented_api_names_are_functions(path: Path) -> None:
    _import_everything()
    for owner, name in sorted(_documented_calls(path.read_text(encoding="utf-8"))):
        if owner == "sim":
            assert name in sim._API, f"{path.name}: sim.{name}(...) is not re-exported by sim (sim._API)"
            value = getattr(sim, name)
        else:
            value = getattr(sim.api, name, None)
        assert inspect.isfunction(value), f"{path.name}: {owner}.{name}(...) is {value!r}, not a function"


def test_the_readme_calls_the_api() -> None:
    """The check above has something to check: the README's example uses sim.load, sim.sweep, …"""
    calls = _documented_calls((ROOT / "README.md").read_text(encoding="utf-8"))
    assert {("sim", "load"), ("sim", "run"), ("sim", "sweep"), ("sim", "compare")} <= calls
