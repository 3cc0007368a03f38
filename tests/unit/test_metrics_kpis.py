"""KPIs on hand-built runs whose answers are worked out in the comments.

Calendar: simulation day 0 is Sunday 2024-09-01; the counting window is
[10, 100) and the log ends at day 250 (``META``). Unless a test says otherwise,
a case is counted when 10 <= arrived < 100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

from sim.eventlog import CaseRecord, EventLog, cases_frame
from sim.metrics import KPIS, kpi_table, kpi_values, utilisation
from tests.unit.metrics_fixtures import NAN, calendar, case_record, scenario

META = {"warmup_days": 10.0, "horizon_days": 100.0, "end_days": 250.0}


@dataclass
class Run:
    """A RunResult look-alike built by hand."""

    steps: pd.DataFrame
    slas: pd.DataFrame
    cases: pd.DataFrame
    staff: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=lambda: dict(META))


def case(case_id: int, arrived: float, closed: float = NAN, outcome: str = "", **kw: Any) -> CaseRecord:
    return case_record(case_id, arrived, closed, outcome, **kw)


def staff_frame(*names: str) -> pd.DataFrame:
    rows = [(n.split("/")[0], n.split("/")[1] if n.count("/") == 3 else "", n.split("/")[-2], n) for n in names]
    return pd.DataFrame(rows, columns=["team", "unit", "role", "name"])


def run(cases: list[CaseRecord], log: EventLog | None = None, staff: pd.DataFrame | None = None) -> Run:
    log = log if log is not None else EventLog()
    return Run(
        log.steps_frame(),
        log.slas_frame(),
        cases_frame(cases),
        staff if staff is not None else staff_frame(),
    )


def values(r: Run) -> dict[str, float]:
    return kpi_values(r, scenario(), calendar())


# ---------------------------------------------------------------- 简案45日内结案率


def fast_run() -> Run:
    log = EventLog()
    cases = [
        case(0, 5, 30, "completed", track="fast"),  # warm-up: ignored (it closed in time)
        case(1, 20, 40, "completed", track="fast"),  # in time
        case(2, 30, 125, "zhongben", track="fast"),  # late (the 3-month 终本 floor)
        case(3, 40, 87, "completed", track="fast", case_type="resumed"),  # ends exactly at due: in time
        case(4, 50, track="fast"),  # still open
        case(5, 60, 90, "completed"),  # standard track: not a simple case
        case(6, 65, 70, "completed", track="fast", case_type="preservation"),  # 执保: not counted as simple
    ]
    for cid, start, due, end in (
        (0, 6, 52, 30),
        (1, 21, 67, 40),
        (2, 31, 77, 125),
        (3, 41, 87, 87.0),
        (4, 51, 97, NAN),
        (6, 66, 112, 70),
    ):
        log.sla_start(cid, "fast_close", start, due)
        if not math.isnan(end):
            log.sla_end(cid, "fast_close", end)
    return run(cases, log)


def test_fast45_counts_simple_cases_received_in_the_window() -> None:
    v = values(fast_run())
    # Simple = counted fast 首执/执恢: cases 1, 2, 3, 4. In time: 1 and 3 (3 ends exactly at due).
    assert v["fast45_rate"] == pytest.approx(2 / 4)
    assert v["fast45_closed_rate"] == pytest.approx(2 / 3)  # closed: 1, 2, 3
    assert v["fast45_rate_completed"] == pytest.approx(1.0)  # completed: 1, 3 both in time
    assert v["fast45_rate_zhongben"] == pytest.approx(0.0)  # 终本: 2, late


def test_no_simple_cases_gives_nan_not_an_error() -> None:
    v = values(run([case(1, 20, 40, "completed"), case(2, 30)]))
    for kpi in (
        "fast45_rate",
        "fast45_closed_rate",
        "fast45_rate_completed",
        "fast45_rate_zhongben",
    ):
        assert math.isnan(v[kpi]), kpi


# ---------------------------------------------------------------- the 6-month limit


def limit_run() -> Run:
    # Limit due = end of (filing date + 6 months, rolled to a working day):
    #   arrived 12 = 2024-09-13 → 2025-03-13 (Thu) = day 193 → due 194.0
    #   arrived 14 = 2024-09-15 → 2025-03-15 (Sat) → Mon 03-17 = day 197 → due 198.0
    #   arrived 16 = 2024-09-17 → 2025-03-17 (Mon) = day 197 → due 198.0
    #   arrived 90 = 2024-11-30 → 2025-05-30 (Fri) = day 271 → due 272.0 (after the log's end 250)
    return run(
        [
            case(9, 12, 200, "completed", has_property=True, excluded=10),  # 200 − 10 = 190 ≤ 194: in time
            case(10, 14, has_property=True),  # open, 250 > 198: past its limit
            case(11, 16, 220, "completed", has_property=True),  # 220 > 198: late
            case(12, 20, 60, "zhongben", has_property=True),  # in time, but 终本 is not 实际执结
            case(13, 90, has_property=True),  # open, limit not yet reached: not in the denominator
            case(14, 5, 300, "completed", has_property=True),  # warm-up: ignored
        ]
    )


def test_within_limit_subtracts_excluded_days() -> None:
    v = values(limit_run())
    # Closed counted: 9 (in time thanks to its 10 excluded days), 11 (late), 12 (in time).
    assert v["within_limit_rate"] == pytest.approx(2 / 3)


def test_property_within_limit_counts_completed_over_closed_or_past_limit() -> None:
    v = values(limit_run())
    # Denominator: 9, 10 (past), 11, 12 → 4; numerator: 9 only (11 late, 12 is 终本).
    assert v["property_within_limit_rate"] == pytest.approx(1 / 4)


# ---------------------------------------------------------------- outcomes, money, days


def outcome_run() -> Run:
    return run(
        [
            case(1, 20, 50, "completed", track="fast", claim=100, recovered=100),  # 30 days
            case(2, 20, 120, "zhongben", claim=300, recovered=60),  # 100 days
            case(3, 30, 40, "terminated", claim=100),  # 10 days
            case(4, 40, 60, "completed", case_type="resumed", claim=200, recovered=200),  # 20 days
            case(5, 50, 55, "completed", case_type="preservation", track="oversight", claim=1000),  # 5 days
            case(6, 60, 100, "completed", behaviour=True),  # 40 days, no claim
            case(7, 70, claim=500),  # open
            case(8, 5, 10, "completed", claim=1000),  # warm-up: ignored
        ]
    )


def test_outcome_rates() -> None:
    v = values(outcome_run())
    # 首执+执恢 closed: 1, 2, 3, 4, 6; completed 1, 4, 6.
    assert v["actual_enforcement_rate"] == pytest.approx(3 / 5)
    # 首执 closed: 1, 2, 3, 6; completed 1, 6; 终本 2.
    assert v["completion_rate"] == pytest.approx(2 / 4)
    assert v["zhongben_rate"] == pytest.approx(1 / 4)
    # Money 首执+执恢 closed: (100 + 60 + 0 + 200) / (100 + 300 + 100 + 200); 执保 and warm-up out.
    assert v["recovery_rate"] == pytest.approx(360 / 700)


def test_days_to_close() -> None:
    v = values(outcome_run())
    # Closed counted: 30, 100, 10, 20, 5, 40 days.
    assert v["mean_days_to_close"] == pytest.approx(205 / 6)
    assert v["median_days_to_close"] == pytest.approx(25.0)  # (20 + 30) / 2
    assert v["p90_days_to_close"] == pytest.approx(70.0)  # 40 + 0.5 × (100 − 40)
    assert v["mean_days_to_close_fast"] == pytest.approx(30.0)
    assert v["mean_days_to_close_standard"] == pytest.approx((100 + 10 + 20 + 40) / 4)
    assert v["mean_days_to_close_completed"] == pytest.approx((30 + 20 + 5 + 40) / 4)
    assert v["mean_days_to_close_first"] == pytest.approx((30 + 100 + 10 + 40) / 4)


# ---------------------------------------------------------------- load and backlog


def load_run() -> Run:
    log = EventLog()
    cases = [
        case(1, 5, 20, "completed", team="fast_track"),  # warm-up filing, closed in the window
        case(2, 20, 99.9, "completed"),
        case(3, 30, 100.0, "completed"),  # closed exactly at the horizon: not in [10, 100)
        case(4, 40, team="fast_track"),  # open
        case(5, 50, 120, "completed", team="fast_track"),  # open at the horizon
        case(6, 95, track="none", team=""),  # still at intake
        case(7, 60, 70, "completed", case_type="preservation", track="oversight", team="oversight"),
    ]
    for c in cases:
        log.mark(c.case_id, "received", "intake", c.arrived)
        if c.team:
            log.mark(c.case_id, "received", c.team, c.arrived + 1)
    staff = staff_frame(
        "fast_track/officer/1",
        "fast_track/officer/2",
        "fast_track/clerk/1",
        "complex_track/u2/officer/1",
        "complex_track/u3/officer/1",
    )
    return run(cases, log, staff)


def test_load_kpis() -> None:
    v = values(load_run())
    # Handling officers: 2 fast + 2 complex = 4. Closed in [10, 100) by them: cases 1 and 2.
    assert v["closed_per_officer"] == pytest.approx(2 * 365 / (4 * 90))
    # Received by a handling team and open at day 100: cases 4 and 5 → 2 / 4 officers.
    assert v["open_per_handler"] == pytest.approx(0.5)
    # Counted (2–7) and not closed by day 100: 4, 5, 6.
    assert v["backlog_end"] == 3
    # Closed in [10, 100): 1, 2, 7 ÷ received in it: 2–7.
    assert v["closed_rate"] == pytest.approx(3 / 6)
    assert (v["received_cases"], v["closed_cases"]) == (6, 4)


# ---------------------------------------------------------------- edge cases


def test_all_open() -> None:
    v = values(run([case(1, 20, track="fast"), case(2, 30), case(3, 40)]))
    assert v["fast45_rate"] == 0.0  # one simple case received, none closed in time
    assert v["backlog_end"] == 3
    for kpi in (
        "fast45_closed_rate",
        "within_limit_rate",
        "completion_rate",
        "recovery_rate",
        "mean_days_to_close",
        "p90_days_to_close",
    ):
        assert math.isnan(v[kpi]), kpi
    assert v["closed_rate"] == 0.0  # nothing closed of three received


def test_empty_run_gives_nan_and_zero_counts() -> None:
    v = values(run([]))
    assert v["received_cases"] == 0
    assert v["backlog_end"] == 0
    assert math.isnan(v["fast45_rate"])
    assert math.isnan(v["closed_per_officer"])
    assert not [k for k in v if k.startswith("util_")]  # no staff, no utilisation


def test_every_registered_kpi_is_labelled() -> None:
    v = values(outcome_run())
    table = kpi_table(v)
    assert list(table.columns) == ["id", "zh", "en", "unit", "better", "value"]
    assert set(v) <= set(KPIS)
    assert (table["zh"] != table["id"]).all()
    assert {k.better for k in KPIS.values()} <= {"higher", "lower", "none"}


# ---------------------------------------------------------------- 利用率


def util_log() -> EventLog:
    # Working window 08:30–16:30. Day 1 = Mon 09-02, 2 = Tue, 3 = Wed, 4 = Thu.
    log = EventLog()
    h = 1 / 24
    # A: Mon 12:30 + 8 h → Tue 12:30: 4 h on Monday, 4 h inside the window.
    log.step(
        1,
        "a",
        "task",
        "fast_track",
        "",
        "officer",
        "fast_track/officer/1",
        1 + 12.5 * h,
        1 + 12.5 * h,
        2 + 12.5 * h,
        8.0,
    )
    # B: Wed 14:30 + 4 h → Thu 10:30: 2 h inside, 2 h after the window.
    log.step(
        2,
        "b",
        "task",
        "fast_track",
        "",
        "officer",
        "fast_track/officer/2",
        3 + 14.5 * h,
        3 + 14.5 * h,
        4 + 10.5 * h,
        4.0,
    )
    # C: both officers, Tue 09:00–10:00: 1 h each.
    log.step(
        3,
        "c",
        "task",
        "fast_track",
        "",
        "officer+officer",
        "fast_track/officer/1+fast_track/officer/2",
        2 + 9 * h,
        2 + 9 * h,
        2 + 10 * h,
        1.0,
    )
    return log


def test_utilisation_splits_tasks_at_the_window_edge() -> None:
    staff = staff_frame("fast_track/officer/1", "fast_track/officer/2", "fast_track/clerk/1")
    table = utilisation(util_log().steps_frame(), staff, calendar(), (2.0, 4.0)).set_index(["team", "role"])
    # Window = Tue + Wed: 2 officers × 16 h = 32 h available; busy 4 (A) + 2 (B) + 2 (C) = 8 h.
    officer = table.loc[("fast_track", "officer")]
    assert (officer["busy_hours"], officer["available_hours"]) == (
        pytest.approx(8.0),
        pytest.approx(32.0),
    )
    assert officer["utilisation"] == pytest.approx(0.25)
    assert table.loc[("fast_track", "clerk"), "utilisation"] == 0.0


def test_utilisation_kpi_uses_the_counting_window() -> None:
    r = run([], util_log(), staff_frame("fast_track/officer/1", "fast_track/officer/2"))
    r.meta = {"warmup_days": 2.0, "horizon_days": 4.0, "end_days": 10.0}
    assert values(r)["util_fast_track_officer"] == pytest.approx(0.25)


def test_utilisation_counts_a_person_only_while_employed() -> None:
    # Officer 2 joins on Wednesday (day 3): 8 h available in the window instead of 16,
    # so 16 + 8 = 24 h in all; busy hours are unchanged (8 h).
    staff = staff_frame("fast_track/officer/1", "fast_track/officer/2")
    staff = staff.assign(joined=[NAN, 3.0], left=[NAN, NAN])
    table = utilisation(util_log().steps_frame(), staff, calendar(), (2.0, 4.0))
    assert table["available_hours"].tolist() == pytest.approx([24.0])
    assert table["utilisation"].tolist() == pytest.approx([8 / 24])
