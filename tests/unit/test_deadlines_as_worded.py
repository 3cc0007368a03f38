"""Deadlines measured as the plan words them (issue 13 §4): where each clock starts and stops."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.metrics import kpi_values, sla_compliance
from sim.model import RunResult, build_calendar, run_replication
from sim.vocab import RECEIPT_DEADLINES


@pytest.fixture(scope="module")
def run(short: Scenario) -> RunResult:
    return run_replication(short, 0)


def _clock_starts(result: RunResult, sla: str) -> np.ndarray:
    clocks = result.slas.loc[(result.slas["sla"] == sla) & (result.slas["occurrence"] == 0)].set_index("case_id")
    return clocks["start"]


def test_receipt_clocks_run_from_filing_by_default_and_from_the_team_on_request(
    run: RunResult, short: Scenario
) -> None:
    """方案 三(二): 收案后… read as 立案 (default); ``policy.receipt_basis = "team"`` reads the team's receipt."""
    arrived = run.cases.set_index("case_id")["arrived"]
    for deadline in RECEIPT_DEADLINES:
        starts = _clock_starts(run, deadline.value)
        assert len(starts) > 0, deadline
        assert np.allclose(starts, arrived.loc[starts.index]), deadline
    team = run_replication(with_overrides(short, {"policy.receipt_basis": "team"}), 0)
    marks = team.steps.loc[(team.steps["kind"] == "mark") & (team.steps["step"] == "received")]
    received = marks.loc[marks["team"].isin(["fast_track", "complex_track"])].groupby("case_id")["start"].first()
    starts = _clock_starts(team, "fast_close")
    assert np.allclose(starts, received.loc[starts.index])
    assert (starts > team.cases.set_index("case_id")["arrived"].loc[starts.index]).all()


def test_both_45_day_bases_are_reported_and_tables_name_the_start(run: RunResult, short: Scenario) -> None:
    calendar = build_calendar(short)
    kpis = kpi_values(run, short, calendar)
    assert kpis["fast45_team_rate"] >= kpis["fast45_rate"]  # the team's receipt comes after filing
    table = sla_compliance(run.slas, run.cases, short, calendar).set_index("sla")
    assert table.loc["fast_close", "start_zh"] == "立案（收案）"
    assert table.loc["report_service", "start_en"] == "report received"


def test_report_service_is_measured_to_delivery(run: RunResult) -> None:
    """方案 三(一)2: 3日内…送达 — the clock stops when the report reaches the parties, not when it is sent."""
    clocks = run.slas.loc[run.slas["sla"] == "report_service"].set_index("case_id")["end"].dropna()
    waits = run.steps.loc[(run.steps["kind"] == "wait") & (run.steps["step"] == "report_delivery")]
    delivered = waits.groupby("case_id")["end"].first()
    assert len(clocks) > 20
    assert np.allclose(clocks, delivered.loc[clocks.index])


def test_notice_stay_and_settlement_periods_do_not_count_against_the_6_months(short: Scenario) -> None:
    """审限规定 art. 9: the public notice, a stay (暂缓执行) and the time a settlement runs are excluded."""
    result = run_replication(with_overrides(short, {"probabilities.stay_rate": 0.1}), 0)
    waits = result.steps.loc[result.steps["kind"] == "wait"]
    for step in ("public_notice", "stay", "settlement_performance"):
        own = waits.loc[waits["step"] == step]
        assert len(own) > 5, step
        assert own["excluded"].all(), step
    excluded = (
        waits.loc[waits["excluded"]].assign(days=lambda w: w["end"] - w["start"]).groupby("case_id")["days"].sum()
    )
    cases = result.cases.set_index("case_id")
    assert np.allclose(cases.loc[excluded.index, "excluded_days"], excluded)
