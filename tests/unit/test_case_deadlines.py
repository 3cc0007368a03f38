"""The case table's deadline columns: each case's due time and whether it met it."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.config.schema import Deadlines
from sim.eventlog import cases_frame
from sim.metrics import case_deadlines, limit_clocks
from tests.unit.metrics_fixtures import calendar, case_record, scenario

NAN = math.nan


def _slas(rows: list[tuple[int, str, int, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["case_id", "sla", "occurrence", "start", "due", "end"])


def _inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    cases = cases_frame(
        [
            case_record(1, arrived=20.0, closed=50.0, outcome="completed"),
            case_record(2, arrived=80.0),  # still open at the horizon (day 100)
            case_record(3, arrived=20.0, closed=40.0, outcome="zhongben", excluded=5.0),
            case_record(4, arrived=30.0, closed=31.0, outcome="rejected"),
        ]
    )
    slas = _slas(
        [
            (1, "serve", 0, 20.0, 30.0, 25.0),  # on time
            (1, "scan", 0, 20.0, 22.0, 21.0),  # papers scanned twice: once on time ...
            (1, "scan", 1, 30.0, 32.0, 35.0),  # ... once late
            (2, "serve", 0, 80.0, 95.0, NAN),  # overdue and still running at the horizon
            (2, "investigation", 0, 90.0, 120.0, NAN),  # running, not yet due
            (3, "investigation", 0, 20.0, 50.0, NAN),  # moot: the case closed first
        ]
    )
    return cases, slas


@pytest.fixture
def table() -> pd.DataFrame:
    """As things stand at the horizon (day 100)."""
    return case_deadlines(*_inputs(), scenario(), calendar(), at=100.0).set_index("case_id")


def test_every_deadline_has_a_due_and_a_met_column(table: pd.DataFrame) -> None:
    for sla in Deadlines.model_fields:
        assert table[f"due_{sla}"].dtype == "float64"
        assert table[f"met_{sla}"].dtype == "boolean"


def _met(table: pd.DataFrame, case_id: int, sla: str) -> bool | None:
    value = table.loc[case_id, f"met_{sla}"]
    return None if pd.isna(value) else bool(value)


def test_met_is_true_false_or_unknown_as_the_clocks_say(table: pd.DataFrame) -> None:
    assert _met(table, 1, "serve") is True and table.loc[1, "due_serve"] == 30.0
    assert _met(table, 1, "scan") is False  # one late hand-over is a missed deadline
    assert table.loc[1, "due_scan"] == 22.0  # the first clock's due
    assert _met(table, 2, "serve") is False  # overdue at the horizon counts as missed
    assert _met(table, 2, "investigation") is None  # still within its time
    assert _met(table, 3, "investigation") is None  # moot
    assert _met(table, 4, "serve") is None and math.isnan(table.loc[4, "due_serve"])  # never started


def test_the_six_month_limit_counts_excluded_days(table: pd.DataFrame) -> None:
    cases = table.reset_index()
    limit = limit_clocks(_slas([]), cases, scenario(), calendar()).set_index(cases["case_id"])
    pd.testing.assert_series_equal(table["due_execution_limit"], limit["due_effective"], check_names=False)
    assert table.loc[3, "due_execution_limit"] == limit.loc[3, "due"] + 5.0
    assert _met(table, 1, "execution_limit") is True
    assert _met(table, 2, "execution_limit") is None  # open, not yet six months old


def test_by_default_the_end_of_the_run_decides() -> None:
    """At the end of the cool-down (day 250) the open case's investigation is overdue too."""
    table = case_deadlines(*_inputs(), scenario(), calendar()).set_index("case_id")
    assert _met(table, 2, "investigation") is False
    assert _met(table, 3, "investigation") is None  # still moot
