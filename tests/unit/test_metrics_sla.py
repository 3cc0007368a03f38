"""Deadline compliance and legal due dates, on hand-built clocks.

Calendar: simulation day 0 is Sunday 2024-09-01; the counting window is [10, 100).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from sim.config.schema import Deadlines, DeadlineSpec
from sim.eventlog import CaseRecord, EventLog, cases_frame
from sim.metrics import SLA_NAMES, add_months, due_times, recompute_due, sla_compliance
from tests.unit.metrics_fixtures import NAN, calendar, case_record, scenario


def t_of(d: date, hour: float = 0.0) -> float:
    return calendar().time_of(d) + hour / 24


def spec(days: int, basis: str) -> DeadlineSpec:
    return DeadlineSpec(days=days, basis=basis)  # type: ignore[arg-type]


# ---------------------------------------------------------------- recompute_due


def test_ten_days_ending_in_national_day_roll_to_the_next_working_day() -> None:
    # Started 2024-09-26: the 10th day is Sunday 10-06, inside the National Day
    # holiday (10-01..10-07), so the period ends at the end of Tuesday 10-08.
    due = recompute_due(t_of(date(2024, 9, 26), 10.0), spec(10, "days"), calendar())
    assert due == t_of(date(2024, 10, 8)) + 1.0 == 38.0


def test_one_working_day_from_friday_is_the_make_up_sunday() -> None:
    due = recompute_due(t_of(date(2024, 9, 27), 15.0), spec(1, "working_days"), calendar())
    assert due == t_of(date(2024, 9, 29)) + 1.0


@pytest.mark.parametrize(
    ("start", "last_day"),
    [
        (date(2024, 9, 13), date(2025, 3, 13)),  # Thursday: no roll
        (date(2024, 9, 15), date(2025, 3, 17)),  # 03-15 is a Saturday → Monday
        (date(2024, 8, 31), date(2025, 2, 28)),  # no 02-31: clamps to the month's end (a Friday)
    ],
)
def test_six_months(start: date, last_day: date) -> None:
    assert recompute_due(t_of(start, 9.0), spec(6, "months"), calendar()) == t_of(last_day) + 1.0


def test_add_months_clamps_and_crosses_years() -> None:
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)


def test_due_times_vectorised_matches_scalar_and_keeps_nan() -> None:
    starts = np.array([25.4, NAN, 25.9, 31.2])
    dues = due_times(starts, spec(10, "days"), calendar())
    assert math.isnan(dues[1])
    assert dues[[0, 2, 3]].tolist() == [recompute_due(s, spec(10, "days"), calendar()) for s in starts[[0, 2, 3]]]


# ---------------------------------------------------------------- sla_compliance


def case(case_id: int, arrived: float, closed: float = NAN, excluded: float = 0.0) -> CaseRecord:
    return case_record(case_id, arrived, closed, "completed" if closed == closed else "", excluded=excluded)


def compliance() -> dict[str, dict[str, float]]:
    log = EventLog()
    for cid, start, due, end in (
        (
            1,
            25.4,
            38.0,
            37.9,
        ),  # in time (a due ignoring the holiday roll, 36.0, would make it late)
        (2, 30.0, 41.0, 41.0),  # ends exactly at its due: in time
        (3, 31.0, 42.0, 45.5),  # 3.5 days late
        (4, 40.0, 51.0, NAN),  # open, due before day 100: open past due
        (6, 6.0, 17.0, 30.0),  # warm-up case: ignored
    ):
        log.sla_start(cid, "serve", start, due)
        if not math.isnan(end):
            log.sla_end(cid, "serve", end)
    log.sla_start(5, "investigation", 40.0, 71.0)  # never ends: case 5 closed first (void)
    cases = [
        case(1, 25),
        case(2, 29),
        case(3, 30),
        case(4, 39),
        case(5, 39, closed=60.0),
        case(6, 5),
    ]
    # The 6-month limit (never logged here): case 7 filed 2024-09-13 (due 194.0) closed at
    # 200 with 10 excluded days → in time; case 8 filed 2024-09-17 (due 198.0) closed at 220 → late.
    cases += [case(7, 12, closed=200.0, excluded=10.0), case(8, 16, closed=220.0)]
    table = sla_compliance(log.slas_frame(), cases_frame(cases), scenario(), calendar())
    return table.set_index("sla").to_dict("index")


def test_one_row_per_deadline_with_names() -> None:
    rows = compliance()
    assert list(rows) == list(Deadlines.model_fields)
    assert set(SLA_NAMES) == set(Deadlines.model_fields)
    assert rows["serve"]["zh"] == "送达法律文书"
    assert rows["serve"]["basis"] == "days"


def test_serve_compliance_counts_only_counted_cases() -> None:
    serve = compliance()["serve"]
    assert (serve["n_started"], serve["n_ended"], serve["n_on_time"]) == (4, 3, 2)
    assert serve["on_time_rate"] == pytest.approx(2 / 3)
    assert serve["mean_lateness_days"] == pytest.approx(3.5)
    assert serve["n_open_past_due"] == 1
    assert serve["open_past_due_share"] == pytest.approx(1 / 4)


def test_a_clock_of_a_closed_case_is_void_not_overdue() -> None:
    inv = compliance()["investigation"]
    assert (inv["n_started"], inv["n_ended"], inv["n_void"], inv["n_open_past_due"]) == (1, 0, 1, 0)
    assert math.isnan(inv["on_time_rate"])


def test_execution_limit_row_applies_exclusions() -> None:
    limit = compliance()["execution_limit"]
    # Counted cases 1–5, 7, 8; closed 5 (day 60), 7 (in time), 8 (late by 220 − 198 = 22 days).
    assert (limit["n_started"], limit["n_ended"], limit["n_on_time"]) == (7, 3, 2)
    assert limit["mean_lateness_days"] == pytest.approx(22.0)


def test_unused_deadline_has_nan_rates() -> None:
    row = compliance()["sale_ruling"]
    assert row["n_started"] == 0
    assert math.isnan(row["on_time_rate"])
    assert math.isnan(row["open_past_due_share"])
