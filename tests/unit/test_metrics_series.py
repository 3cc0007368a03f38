"""Time series, the monthly report and the bottleneck ranking on hand-built logs.

Calendar: simulation day 0 is Sunday 2024-09-01; working window 08:30–16:30.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.eventlog import CaseRecord, EventLog, cases_frame
from sim.metrics import (
    WorkClock,
    backlog_series,
    bottlenecks,
    late_clock_spans,
    monthly_table,
    queue_series,
    stage_series,
    utilisation_series,
)
from tests.unit.metrics_fixtures import NAN, calendar, case_record

H = 1 / 24


def case(case_id: int, arrived: float, closed: float = NAN, outcome: str = "", **kw: Any) -> CaseRecord:
    return case_record(case_id, arrived, closed, outcome, counted=True, **kw)


def task(
    log: EventLog,
    cid: int,
    team: str,
    roles: str,
    staff: str,
    queued: float,
    start: float,
    end: float,
    hours: float,
) -> None:
    log.step(cid, "work", "task", team, "", roles, staff, queued, start, end, hours)


# ---------------------------------------------------------------- backlog and stages


def test_backlog_counts_open_cases_at_each_day() -> None:
    cases = cases_frame([case(1, 0.5, 2.5, "completed"), case(2, 1.0), case(3, 2.0, 2.0, "rejected")])
    # t=0: none; t=1: cases 1, 2 (arrived at t counts); t=2: 1, 2 (3 opened and closed at 2.0);
    # t=3: case 2 (case 1 closed at 2.5).
    assert backlog_series(cases, 3).tolist() == [0, 2, 2, 1]


def test_backlog_by_track() -> None:
    cases = cases_frame([case(1, 0.5, track="fast"), case(2, 1.0), case(3, 1.5, 1.8, "completed")])
    frame = backlog_series(cases, 2, by="track")
    assert frame.to_dict("list") == {"fast": [0, 1, 1], "standard": [0, 1, 1]}


def test_stage_follows_the_received_marks() -> None:
    log = EventLog()
    log.mark(1, "received", "intake", 0.5)
    log.mark(1, "received", "fast_track", 1.5)
    log.mark(2, "received", "intake", 2.5)
    cases = cases_frame([case(1, 0.5, 3.5, "completed"), case(2, 2.5)])
    frame = stage_series(log.steps_frame(), cases, 4)
    assert frame["intake"].tolist() == [0, 1, 0, 1, 1]
    assert frame["fast_track"].tolist() == [0, 0, 1, 1, 0]


# ---------------------------------------------------------------- queues and utilisation


def test_queue_is_the_time_average_waiting_per_day() -> None:
    log = EventLog()
    task(log, 1, "intake", "clerk", "intake/clerk/1", 0.25, 0.75, 0.8, 1.0)  # waits half of day 0
    task(
        log,
        2,
        "fast_track",
        "clerk+officer",
        "fast_track/clerk/1+fast_track/officer/1",
        1.0,
        3.0,
        3.1,
        1.0,
    )
    frame = queue_series(log.steps_frame(), end=4)
    assert frame[("intake", "clerk")].tolist() == pytest.approx([0.5, 0, 0, 0])
    assert frame[("fast_track", "officer")].tolist() == pytest.approx([0, 1, 1, 0])
    assert frame[("fast_track", "clerk")].tolist() == pytest.approx([0, 1, 1, 0])


def test_daily_utilisation_splits_by_working_hours() -> None:
    log = EventLog()
    # Mon 12:30 + 8 h → Tue 12:30 (4 h on day 1, 4 h on day 2); Tue 09:00–10:00 by both officers.
    task(
        log,
        1,
        "fast_track",
        "officer",
        "fast_track/officer/1",
        1 + 12.5 * H,
        1 + 12.5 * H,
        2 + 12.5 * H,
        8.0,
    )
    task(
        log,
        2,
        "fast_track",
        "officer+officer",
        "fast_track/officer/1+fast_track/officer/2",
        2 + 9 * H,
        2 + 9 * H,
        2 + 10 * H,
        1.0,
    )
    staff = pd.DataFrame(
        {
            "team": ["fast_track"] * 2,
            "unit": ["", ""],
            "role": ["officer"] * 2,
            "name": ["fast_track/officer/1", "fast_track/officer/2"],
        }
    )
    share = utilisation_series(log.steps_frame(), staff, calendar(), 7)[("fast_track", "officer")]
    # Day 0 is a Sunday (no working hours: NaN); day 1: 4 / 16; day 2: (4 + 2) / 16; day 6 Saturday.
    assert math.isnan(share.iloc[0])
    assert math.isnan(share.iloc[6])
    assert share.iloc[1:6].tolist() == pytest.approx([0.25, 0.375, 0, 0, 0])


def test_work_clock_matches_the_calendar() -> None:
    cal = calendar()
    rng = np.random.default_rng(3)
    times = np.sort(rng.uniform(0, 120, 200))
    clock = WorkClock(cal, 0, 120)
    w = clock(times)
    expected = [cal.working_hours_between(times[0], t) for t in times]
    assert (w - w[0]).tolist() == pytest.approx(expected, abs=1e-9)


# ---------------------------------------------------------------- 月度通报


def test_monthly_table() -> None:
    log = EventLog()
    # Two simple cases received by the fast-track team (fast_days = 10):
    # received Thu 09-26 (day 25.4): due end of Tue 10-08 (day 38.0), closed 37.9 → in time;
    # received Fri 09-27 (day 26.4): 10-07 is a holiday, so also due 38.0; closed 38.5 → late.
    log.mark(1, "received", "fast_track", 25.4)
    log.mark(2, "received", "fast_track", 26.4)
    cases = cases_frame(
        [
            case(
                1,
                20.0,
                37.9,
                "completed",
                track="fast",
                team="fast_track",
                claim=100,
                recovered=100,
            ),
            case(2, 21.0, 38.5, "zhongben", track="fast", team="fast_track", claim=300, recovered=0),
            case(3, 29.5),  # filed on 09-30 (day 29), open
        ]
    )
    table = monthly_table(cases, log.steps_frame(), calendar(), fast_days=10).set_index("month")
    assert table.loc["2024-09", "received"] == 3
    assert table.loc["2024-09", "closed"] == 0
    oct_ = table.loc["2024-10"]
    assert (
        oct_["received"],
        oct_["closed"],
        oct_["closed_completed"],
        oct_["closed_zhongben"],
    ) == (0, 2, 1, 1)
    assert (oct_["fast_closed"], oct_["fast45_closed"]) == (2, 1)
    assert oct_["fast45_rate"] == pytest.approx(0.5)
    assert oct_["recovery_rate"] == pytest.approx(100 / 400)
    assert math.isnan(table.loc["2024-09", "fast45_rate"])


# ---------------------------------------------------------------- bottlenecks


def test_late_clocks_of_a_case_merge_into_one_span() -> None:
    log = EventLog()
    for sla, start, due, end in (
        ("a", 10, 15, 20),
        ("b", 15, 18, 22),
        ("c", 30, 40, 35),
        ("d", 40, 41, 45),
    ):
        log.sla_start(1, sla, start, due)
        log.sla_end(1, sla, end)
    spans = late_clock_spans(log.slas_frame())
    # a and b overlap → [10, 22]; c ended on time; d → [40, 45].
    assert spans[["start", "end"]].to_numpy().tolist() == [[10, 22], [40, 45]]


def test_bottleneck_waits_inside_late_clocks() -> None:
    log = EventLog()
    for sla, start, due, end in (("a", 10, 15, 20), ("b", 15, 18, 22)):
        log.sla_start(1, sla, start, due)
        log.sla_end(1, sla, end)
    log.sla_start(2, "a", 10, 30)
    log.sla_end(2, "a", 20)  # on time
    task(log, 1, "intake", "clerk", "intake/clerk/1", 12, 14, 14.1, 1.0)  # 2 days, all inside [10, 22]
    task(log, 1, "fast_track", "officer", "fast_track/officer/1", 18, 25, 25.1, 1.0)  # 7 days, 18–22 inside
    task(log, 2, "fast_track", "officer", "fast_track/officer/1", 11, 16, 16.1, 1.0)  # 5 days, clock on time
    task(log, 1, "fast_track", "officer", "fast_track/officer/1", 60, 61, 61.1, 1.0)  # queued after the window
    staff = pd.DataFrame(
        {
            "team": ["intake", "fast_track"],
            "unit": ["", ""],
            "role": ["clerk", "officer"],
            "name": ["intake/clerk/1", "fast_track/officer/1"],
        }
    )
    table = bottlenecks(log.steps_frame(), staff, log.slas_frame(), calendar(), (0.0, 50.0))
    rows = table.set_index(["team", "role"])
    officer, clerk = rows.loc[("fast_track", "officer")], rows.loc[("intake", "clerk")]
    assert (officer["tasks"], officer["wait_days"], officer["late_wait_days"]) == (2, 12.0, 4.0)
    assert (clerk["tasks"], clerk["wait_days"], clerk["late_wait_days"]) == (1, 2.0, 2.0)
    assert table["team"].iloc[0] == "fast_track"
    assert table["rank"].tolist() == [1, 2]
