"""The KPI register is the only place that says which KPI is printed where, in what order, against what.

Each KPI carries its group and position (the order of every listing), its headline
views (the short lists) and its target or reference range with the source. These
tests hold the register to that: no list of KPI ids anywhere else in ``sim/``, one
order for every listing, a consistent rule for the generated utilisation KPIs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.metrics import KPIS, Group, Level, View, catalogue, headline, in_order, levels
from sim.metrics.registry import RunView, register

SIM = Path(__file__).resolve().parents[2] / "sim"

# sim.calibration computes its own statistics on court records (calibration.checkfit.METRICS),
# some of which share a name with a KPI; they are not the register's KPIs.
NOT_KPIS = ("calibration",)
# Names of other tables whose columns share a KPI's name: the monthly report's columns
# (sim.metrics.series.monthly_table: per month, all cases; sim.metrics.monthly.monthly_view: per
# month of the counted window) are not the KPIs.
OTHER_TABLES = {"MONTHLY_ZH", "MONTHLY_VIEW_ZH"}


def _skipped(tree: ast.AST) -> set[int]:
    """Nodes inside an assignment to one of :data:`OTHER_TABLES`."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id in OTHER_TABLES for t in targets):
            inside.update(id(n) for n in ast.walk(node))
    return inside


def kpi_lists(root: Path, ids: set[str]) -> Iterator[str]:
    """Every tuple, list or set literal naming two or more KPI ids, and every dict keyed by two or more."""
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] in NOT_KPIS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _skipped(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                items = node.elts
            elif isinstance(node, ast.Dict):
                items = [k for k in node.keys if k is not None]
            else:
                continue
            # An id, or the first of a pair such as ("fast45_rate", BLUE).
            heads = [i.elts[0] if isinstance(i, ast.Tuple) and i.elts else i for i in items]
            named = [i.value for i in heads if isinstance(i, ast.Constant) and i.value in ids]
            if len(named) >= 2:
                yield f"{path.relative_to(root.parent)}:{node.lineno}: {named}"


def test_no_list_of_kpis_outside_the_register() -> None:
    found = list(kpi_lists(SIM, set(KPIS)))
    assert not found, "KPI ids listed outside their @register(...); use the register's fields:\n" + "\n".join(found)


def test_the_list_finder_finds_a_hand_kept_list(tmp_path: Path) -> None:
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "old.py").write_text(
        'ORDER = ("fast45_rate", "within_limit_rate")\nTARGET = {"fast45_rate": 0.9, "zhongben_rate": (0.4, 0.5)}\n'
        'ONE = ("fast45_rate", "not a kpi")\nMONTHLY_ZH = {"fast45_rate": "x", "recovery_rate": "y"}\n'
        'CURVES = (("fast45_rate", "blue"), ("property_within_limit_rate", "green"))\n',
        encoding="utf-8",
    )
    assert [line.split(": ", 1)[0] for line in kpi_lists(tmp_path, set(KPIS))] == [
        f"{tmp_path.name}/report/old.py:1",
        f"{tmp_path.name}/report/old.py:2",
        f"{tmp_path.name}/report/old.py:5",
    ]


def test_levels_are_given_only_where_kpis_are_registered() -> None:
    made = []
    for path in sorted(SIM.rglob("*.py")):
        if path.relative_to(SIM).parts[0] == "metrics":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Level":
                made.append(f"{path.relative_to(SIM.parent)}:{node.lineno}")
    assert not made, f"targets and reference ranges belong to the KPI's @register(level=...): {made}"


def test_every_listing_goes_by_group_then_position() -> None:
    order = in_order(KPIS)
    assert sorted(order) == sorted(KPIS)
    groups = [KPIS[k].group for k in order]
    assert groups == sorted(groups, key=list(Group).index)
    for group in Group:
        members = [KPIS[k] for k in order if KPIS[k].group is group]
        assert members, f"group {group.value!r} is empty"
        assert [(k.position, k.id) for k in members] == sorted((k.position, k.id) for k in members)
    # What a report opens with, and the order of the first group.
    assert order[:4] == ["fast45_rate", "fast45_closed_rate", "fast45_rate_completed", "fast45_rate_zhongben"]


def test_positions_are_unique_within_a_group() -> None:
    seen: dict[tuple[Group, int], str] = {}
    for kpi in KPIS.values():
        if kpi.group is Group.UTILISATION:
            continue
        assert (kpi.group, kpi.position) not in seen, f"{kpi.id} and {seen[(kpi.group, kpi.position)]}"
        seen[(kpi.group, kpi.position)] = kpi.id


def test_utilisation_kpis_follow_one_rule() -> None:
    util = [k for k in KPIS.values() if k.id.startswith("util_")]
    assert len(util) == 28  # 7 teams × 4 roles
    for kpi in util:
        assert (kpi.group, kpi.position, kpi.headline, kpi.level) == (Group.UTILISATION, 0, frozenset(), None)
    order = in_order(KPIS)
    assert order[-len(util) :] == sorted(k.id for k in util)  # last, by id


def test_unknown_ids_follow_in_the_order_given() -> None:
    assert in_order(["zz_old", "backlog_end", "aa_old", "fast45_rate"]) == [
        "fast45_rate",
        "backlog_end",
        "zz_old",
        "aa_old",
    ]


def test_headline_views_are_sublists_in_listing_order() -> None:
    assert headline(View.FOCUS) == [
        "fast45_rate",
        "simple_rules_45_rate",  # the would-be simple cases: defined in a court without a fast track too
        "property_within_limit_rate",
        "mean_days_to_close",
        "backlog_end",
    ]
    assert headline(View.SWEEP) == ["fast45_rate", "within_limit_rate", "mean_days_to_close", "backlog_end"]
    assert headline(View.STATUTE) == ["fast45_rate_completed", "fast45_rate_zhongben"]
    terminal = headline(View.TERMINAL)
    assert len(terminal) == 20 and terminal == [k for k in in_order(KPIS) if k in terminal]
    assert headline(View.SWEEP, ["backlog_end", "unknown", "fast45_rate"]) == ["fast45_rate", "backlog_end"]


def test_levels_come_from_the_kpis() -> None:
    found = levels()
    assert list(found) == [k for k in in_order(KPIS) if KPIS[k].level is not None]
    assert {k for k, lv in found.items() if lv.kind == "target"} == {"fast45_rate", "property_within_limit_rate"}
    for kpi_id, level in found.items():
        assert level.source, kpi_id
        assert level.low is not None or level.high is not None, kpi_id
        if level.low is not None and level.high is not None:
            assert level.low < level.high, kpi_id


def test_the_catalogue_is_the_register_as_a_table() -> None:
    table = catalogue()
    assert list(table["id"]) == in_order(KPIS)
    row = table.set_index("id").loc["fast45_rate"]
    assert row["group"] == "fast45" and row["level"] == "target" and row["low"] == 0.9
    assert row["headline"] == "terminal,focus,sweep,sweep_report,app"
    import sim

    pd.testing.assert_frame_equal(sim.kpi_catalogue(), table)  # the notebook API shows the same


def _nothing(view: RunView) -> float:
    return 0.0


@pytest.fixture
def scratch() -> Iterator[list[str]]:
    """Ids registered by a test, removed from the register afterwards."""
    added: list[str] = []
    yield added
    for kpi_id in added:
        KPIS.pop(kpi_id, None)


def test_headline_true_means_the_terminal(scratch: list[str]) -> None:
    scratch.append("scratch_kpi")
    register(
        "scratch_kpi", "测试", "scratch", "share", "higher", "a test", group=Group.LOAD, position=99, headline=True
    )(_nothing)
    assert KPIS["scratch_kpi"].headline == {View.TERMINAL}
    assert "scratch_kpi" in headline(View.TERMINAL)
    assert "scratch_kpi" not in headline(View.FOCUS)


def test_a_taken_position_or_a_bad_view_is_refused(scratch: list[str]) -> None:
    with pytest.raises(ValueError, match="position 1 of group 'fast45' is 'fast45_rate'"):
        register("scratch_a", "测试", "scratch", "share", "higher", "a test", group=Group.FAST45, position=1)(_nothing)
    with pytest.raises(ValueError, match=r"headline views must be sim\.metrics\.View members"):
        register("scratch_b", "测试", "scratch", "share", "higher", "", group=Group.LOAD, position=98, headline=["tv"])
    with pytest.raises(ValueError, match=r"group must be a sim\.metrics\.Group member"):
        register("scratch_c", "测试", "scratch", "share", "higher", "", group="fast45", position=96)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="registered twice"):
        register("fast45_rate", "测试", "scratch", "share", "higher", "", group=Group.LOAD, position=97)(_nothing)
    assert "scratch_a" not in KPIS and "scratch_b" not in KPIS


def test_a_level_without_bounds_or_source_is_refused() -> None:
    with pytest.raises(ValueError, match="'target' or 'reference'"):
        Level("goal", 0.9, None, "s")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="low or a high bound"):
        Level("target", None, None, "s")
    with pytest.raises(ValueError, match="below its high bound"):
        Level("reference", 0.5, 0.4, "s")
    with pytest.raises(ValueError, match="needs its source"):
        Level("target", 0.9, None, " ")


def test_a_level_labels_its_bounds() -> None:
    assert Level("target", 0.9, None, "s").label(percent=True) == "≥ 90%"
    assert Level("reference", 0.4, 0.5, "s").label(percent=True) == "40%–50%"
    assert Level("reference", 50, 65, "s").label(percent=False) == "50–65"
    assert Level("target", None, 100, "s").label(percent=False) == "≤ 100"
