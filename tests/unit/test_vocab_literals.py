"""No module names a task, delay, deadline or policy rule by a bare string (issue 12).

The vocabulary (:mod:`sim.vocab`) and the rule registries (:mod:`sim.rules`) are the one home of
those names; everywhere else code says ``Task.LEAD_CHECK`` or ``Deadline.FAST_CLOSE``, so that a
misspelling is an import or type error (mypy --strict runs in tests/test_lint.py) rather than a
clock that silently never starts. This test finds the string literals that would slip past both:
a literal equal to an id, anywhere in ``sim/`` outside those homes, docstrings, ``__all__`` and
``__slots__``.

Decision and milestone ids are not checked: their ids are also the case table's column names
(``closed``, ``claim``, ``case_type``), which metrics and calibration must name as columns.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sim.rules import DISPATCH, HANDLERS, TRIAGE
from sim.vocab import Deadline, Delay, Task

SIM = Path(__file__).resolve().parents[2] / "sim"

HOMES = ("vocab", "rules")
"""Packages of ``sim`` that define the names (and may spell them)."""

NOT_IDS: dict[tuple[str, str], str] = {
    # (module, literal): why this literal is not the id it looks like
    ("sim/eventlog.py", "behaviour"): "the case table's bool column, not the triage rule",
    ("sim/calibration/outcomes.py", "behaviour"): "the case table's bool column",
    ("sim/calibration/records.py", "behaviour"): "the records' bool column",
    ("sim/calibration/report.py", "behaviour"): "English label of the claim band 行为类",
    ("sim/calibration/parsing.py", "preservation"): "an accepted spelling of the case type 执保 in exports",
    ("sim/report/labels.py", "preservation"): "English label of the oversight track",
    ("sim/config/schema.py", "triage"): "the [policy] field that lists the triage rules",
    (
        "sim/flow/handling.py",
        "payout",
    ): "the event log's label of the payout wait (wait labels are not a vocabulary yet)",
    ("sim/flow/handling.py", "public_notice"): "the event log's label of the notice-period wait",
    ("sim/flow/handling.py", "debtor_search"): "the event log's label of the search wait",
    ("sim/metrics/why_late.py", "payout"): "a wait label (the event log's step), named in Chinese",
    ("sim/report/attribution_report.py", "closing"): "the report section's anchor, not the closing task",
}


def vocabulary() -> dict[str, str]:
    """Every checked id → what it names."""
    names: dict[str, str] = {}
    for enum in (Task, Delay, Deadline):
        for member in enum:
            names[member.value] = enum.__name__
    for registry in (TRIAGE, DISPATCH, HANDLERS):
        for name in registry.names():
            names[name] = f"{registry.kind} rule"
    return names


def _exempt_nodes(tree: ast.Module) -> set[int]:
    """Docstrings and the strings of ``__all__`` / ``__slots__``."""
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                exempt.add(id(body[0].value))
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("__all__", "__slots__") for t in node.targets
        ):
            exempt.update(id(n) for n in ast.walk(node.value))
        # an attribute docstring: a bare string right after an assignment
        if isinstance(node, ast.Module | ast.ClassDef):
            for before, after in zip(node.body, node.body[1:], strict=False):
                if (
                    isinstance(before, ast.Assign | ast.AnnAssign)
                    and isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                ):
                    exempt.add(id(after.value))
    return exempt


def bare_ids(source: str, names: dict[str, str]) -> list[tuple[int, str]]:
    """(line, literal) of each string literal in ``source`` that equals a checked id."""
    tree = ast.parse(source)
    exempt = _exempt_nodes(tree)
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in names
        and id(node) not in exempt
    )


def test_the_finder_sees_a_bare_id_and_skips_docstrings() -> None:
    names = vocabulary()
    source = '"""lead_check in a docstring."""\n__all__ = ["lead_check"]\nctx.work(case, "lead_check")\n'
    assert bare_ids(source, names) == [(3, "lead_check")]
    assert bare_ids('x = Task.LEAD_CHECK\nrule = "frozen_covers"\n', names) == [(2, "frozen_covers")]


@pytest.mark.parametrize("path", sorted(p for p in SIM.rglob("*.py") if p.relative_to(SIM).parts[0] not in HOMES))
def test_no_bare_vocabulary_strings(path: Path) -> None:
    names = vocabulary()
    module = path.relative_to(SIM.parent).as_posix()
    found = [
        f"{module}:{line}: {literal!r} names a {names[literal]}"
        for line, literal in bare_ids(path.read_text(encoding="utf-8"), names)
        if (module, literal) not in NOT_IDS
    ]
    assert not found, "use the vocabulary (sim.vocab / sim.rules), not a string:\n" + "\n".join(found)


def test_every_exception_is_still_needed() -> None:
    """An entry of NOT_IDS whose literal is gone is removed, so the list stays true."""
    names = vocabulary()
    stale = [
        key
        for key in NOT_IDS
        if key[1] not in {literal for _, literal in bare_ids((SIM.parent / key[0]).read_text(encoding="utf-8"), names)}
    ]
    assert not stale
