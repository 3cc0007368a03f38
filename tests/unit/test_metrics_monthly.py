"""每月通报 (:func:`sim.metrics.monthly.monthly_view`) on hand-built logs with known answers, then on a run.

The hand-built court (tests.unit.metrics_fixtures): day 0 is 2024-09-01, the counting window
is [10, 100): September from day 10 (20 days), October, November, December to day 100 (9 days).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim.config.schema import Scenario
from sim.eventlog import cases_frame
from sim.metrics import backlog_series, kpi_values
from sim.metrics.monthly import month_bounds, monthly_view, team_of_clocks
from tests.unit.metrics_fixtures import NAN, case_record, scenario
from tests.unit.test_metrics_integration import short_run

SIMPLE = {"track": "fast", "team": "fast_track"}


def cases() -> pd.DataFrame:
    return cases_frame(
        [
            case_record(1, 12.0, 40.0, "completed", **SIMPLE),  # Sep, closed in Oct within 45 days
            case_record(2, 15.0, 80.0, "completed", **SIMPLE),  # Sep, closed in Nov: late
            case_record(3, 35.0),  # Oct, standard, still open
            case_record(4, 5.0, 20.0, "completed", **SIMPLE),  # warm-up: filed before the window, closed in Sep
            case_record(5, 95.0, **SIMPLE),  # Dec, open at the end: not within
        ]
    )


def clocks() -> pd.DataFrame:
    rows = [
        (1, "fast_close", 0, 12.0, 57.0, 40.0),  # fast_track, on time, ends in Oct
        (2, "fast_close", 0, 15.0, 60.0, 80.0),  # fast_track, late, ends in Nov
        (4, "fast_close", 0, 5.0, 50.0, 20.0),  # ends in Sep, on time
        (5, "fast_close", 0, 95.0, 140.0, NAN),
        (1, "verify_filing", 0, 12.0, 13.0, 12.5),  # intake, on time, Sep
        (3, "verify_filing", 0, 35.0, 36.0, 38.0),  # intake, late, Oct
        (2, "scan", 0, 15.0, 18.0, 16.0),  # records, on time, Sep
        (1, "execution_limit", 0, 12.0, 13.0, 40.0),  # the 6-month limit is not a team's clock here
    ]
    return pd.DataFrame(rows, columns=["case_id", "sla", "occurrence", "start", "due", "end"])


def test_month_bounds_cut_the_window_into_calendar_months() -> None:
    months = month_bounds(date(2024, 9, 1), 10.0, 100.0)
    assert months == [
        ("2024-09", 10.0, 30.0),
        ("2024-10", 30.0, 61.0),
        ("2024-11", 61.0, 91.0),
        ("2024-12", 91.0, 100.0),
    ]
    across = month_bounds(date(2024, 12, 20), 0.0, 45.0)  # over the new year
    assert [m for m, _, _ in across] == ["2024-12", "2025-01", "2025-02"]
    assert across[1][1:] == (12.0, 43.0) and across[-1][2] == 45.0
    assert month_bounds(date(2024, 9, 1), 5.0, 5.0) == []


def test_the_monthly_view_of_a_hand_built_log() -> None:
    table = monthly_view(cases(), clocks(), scenario()).set_index("month")
    assert list(table.index) == ["2024-09", "2024-10", "2024-11", "2024-12"]
    assert list(table["days"]) == [20.0, 31.0, 30.0, 9.0]
    assert list(table["filed"]) == [2, 1, 0, 1]  # case 4 was filed in the warm-up
    assert list(table["closed"]) == [1, 1, 1, 0]  # case 4's closure counts in September
    assert list(table["fast_filed"]) == [2, 0, 0, 1]
    assert list(table["fast45_within"]) == [1, 0, 0, 0]
    rate = table["fast45_rate"].tolist()
    assert rate[0] == 0.5 and math.isnan(rate[1]) and math.isnan(rate[2]) and rate[3] == 0.0
    assert list(table["open_end"]) == [2, 2, 1, 2]  # at days 30, 61, 91 and the window's end 100
    assert table.loc["2024-09", "on_time_intake"] == 1.0 and table.loc["2024-10", "on_time_intake"] == 0.0
    assert table.loc["2024-09", "on_time_records"] == 1.0 and table.loc["2024-09", "clocks_records"] == 1
    assert table.loc["2024-09", "on_time_fast_track"] == 1.0  # case 4's clock
    assert table.loc["2024-10", "on_time_fast_track"] == 1.0 and table.loc["2024-11", "on_time_fast_track"] == 0.0
    assert table.loc["2024-11", "clocks_intake"] == 0 and math.isnan(table.loc["2024-11", "on_time_intake"])
    assert table["clocks_fast_track"].sum() == 3  # the open clock and the 6-month limit are not counted


def test_a_fixed_functions_clock_goes_to_the_team_that_performs_it() -> None:
    teams = team_of_clocks(clocks(), cases(), scenario())
    assert list(teams) == ["fast_track"] * 4 + ["intake", "intake", "records", "fast_track"]


def test_the_months_add_up_to_the_runs_kpis_and_backlog() -> None:
    scenario_, calendar, result = short_run()
    table = monthly_view(result.cases, result.slas, scenario_)
    kpis = kpi_values(result, scenario_, calendar)
    assert table["fast45_within"].sum() / table["fast_filed"].sum() == pytest.approx(kpis["fast45_rate"])
    assert table["filed"].sum() == int(result.cases["counted"].sum())
    run = scenario_.run
    backlog = backlog_series(result.cases, run.horizon_days, 1.0)
    assert table["open_end"].iloc[-1] == backlog.loc[run.horizon_days]
    assert table["days"].sum() == run.horizon_days - run.warmup_days
    on_time = table.filter(like="on_time_").to_numpy(float)
    assert np.nanmin(on_time) >= 0 and np.nanmax(on_time) <= 1


def test_the_api_gives_each_replications_months(short: Scenario) -> None:
    import sim

    table = sim.monthly(short, reps=2, jobs=1)
    assert sorted(set(table["replication"])) == [0, 1]
    assert list(table.loc[table["replication"] == 0, "month"]) == ["2023-02", "2023-03", "2023-04", "2023-05"]
    assert (table["filed"] > 0).all() and table["fast45_rate"].between(0, 1).all()
