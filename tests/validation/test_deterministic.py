"""Deterministic service: D/D/1 exactly, and M/D/c job by job.

Filings are Poisson by design (a Poisson count per working day, each at a uniform time of
the working window), so no scenario gives cases deterministic arrivals. Two exact checks
remain through the ordinary scenario format:

- **D/D/1** on the one deterministic arrival stream the model has: the oversight team's
  monthly report (每月通报) on the first working day of each month and the quarterly analysis
  (每季度分析) at the same moment in January, April, July and October. With fixed efforts,
  one officer, one clerk and one judge, every wait and finishing time is known in advance.
- **M/D/c** for cases: with fixed effort, the start and finish of every filing check follow
  the first-come-first-served recursion of Lindley / Kiefer–Wolfowitz from the arrival
  times alone, to the last floating-point digit; and the mean wait of M/D/1 is
  Pollaczek–Khinchine's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pytest

from sim.config.schema import Scenario
from sim.model import RunResult, build_calendar, run_replication
from sim.queueing import fcfs_schedule, mg1_mean_wait
from tests.validation.reduce import HOURS_PER_DAY, counted_tasks, estimate, fixed, reduced, replicate

REPORT_HOURS = 30.0  # 1.25 days of work per report: longer than a day, shorter than a month


def _month_starts(scenario: Scenario) -> list[tuple[float, int]]:
    """(sim day, month) of the first day of each month after the start, within the run."""
    calendar = build_calendar(scenario)
    end = scenario.run.horizon_days + scenario.run.cooldown_days
    out, d = [], scenario.run.start_date
    while True:
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        t = calendar.time_of(d)
        if t >= end:
            return out
        out.append((t, d.month))


@pytest.mark.validation
def test_reports_are_d_d_1_exactly(short: Scenario) -> None:
    """Monthly reports never wait; a quarterly one waits exactly one monthly report's effort."""
    scenario = reduced(
        short,
        per_day=0.0,
        warmup_days=10,
        horizon_days=400,
        overrides={
            "tasks.monthly_report.hours": fixed(REPORT_HOURS),
            "tasks.quarterly_report.hours": fixed(REPORT_HOURS),
            "staffing.oversight.officers": 1,
            "staffing.oversight.clerks": 1,
            "staffing.oversight.judges": 1,
        },
    )
    steps = run_replication(scenario, 0).steps
    service = REPORT_HOURS / HOURS_PER_DAY
    starts = _month_starts(scenario)
    monthly = steps[steps.step == "monthly_report"].sort_values("queued")
    quarterly = steps[steps.step == "quarterly_report"].sort_values("queued")
    assert len(monthly) == len(starts) and len(quarterly) == sum(m in (1, 4, 7, 10) for _, m in starts)
    np.testing.assert_allclose(monthly.queued, [t for t, _ in starts], rtol=0, atol=1e-9)
    np.testing.assert_allclose(monthly.start, monthly.queued, rtol=0, atol=1e-9)
    np.testing.assert_allclose(monthly.end, monthly.start + service, rtol=0, atol=1e-9)
    np.testing.assert_allclose(quarterly.start - quarterly.queued, service, rtol=0, atol=1e-9)
    np.testing.assert_allclose(quarterly.end, quarterly.queued + 2 * service, rtol=0, atol=1e-9)
    assert set(monthly.staff) == {"oversight/clerk/1+oversight/officer/1"}


def _fixed_check_scenario(base: Scenario, servers: int, rho: float, hours: float, days: float) -> Scenario:
    per_day = rho * servers * HOURS_PER_DAY / hours
    return reduced(
        base,
        per_day=per_day,
        warmup_days=30,
        horizon_days=30 + days,
        overrides={
            "tasks.verify_filing.hours": fixed(hours),
            "staffing.intake.clerks": servers,
            "probabilities.filing_reject_rate": 1.0,
        },
    )


@pytest.mark.validation
@pytest.mark.parametrize("servers", [1, 3])
def test_fixed_effort_follows_the_fcfs_recursion_job_by_job(short: Scenario, servers: int) -> None:
    """Every start and finish equals Kiefer–Wolfowitz's from the arrival times (M/D/c)."""
    scenario = _fixed_check_scenario(short, servers, rho=0.85, hours=5.0, days=300)
    result = run_replication(scenario, 0)
    tasks = result.steps[result.steps.step == "verify_filing"]
    cases = result.cases.sort_values(["arrived", "case_id"])
    # Every filing's check: done (in the log) or waiting / under way at the end (unfinished).
    assert len(tasks) + (result.unfinished.step == "verify_filing").sum() == len(cases)
    start, finish = fcfs_schedule(cases.arrived.to_numpy(), np.full(len(cases), 5.0 / HOURS_PER_DAY), servers)
    done = cases.case_id.isin(tasks.case_id).to_numpy()
    logged = tasks.set_index("case_id").loc[cases.case_id[done]]
    assert (tasks.start > tasks.queued).mean() > 0.3  # the desk did queue
    np.testing.assert_allclose(logged.queued, cases.arrived[done], rtol=0, atol=1e-9)
    np.testing.assert_allclose(logged.start, start[done], rtol=0, atol=1e-9)
    np.testing.assert_allclose(logged.end, finish[done], rtol=0, atol=1e-9)
    assert (finish[~done] > result.meta["end_days"] - 1e-9).all()  # the rest were still due at the end


def _mean_wait(scenario: Scenario) -> Callable[[RunResult], float]:
    def stat(result: RunResult) -> float:
        task = counted_tasks(result.steps, scenario, "verify_filing")
        return float((task.start - task.queued).mean())

    return stat


@pytest.mark.validation
def test_md1_mean_wait_matches_pollaczek_khinchine(short: Scenario) -> None:
    hours, rho = 6.0, 0.8
    scenario = _fixed_check_scenario(short, 1, rho, hours, days=1500)
    found = estimate(replicate(scenario, 6, _mean_wait(scenario)))
    service = hours / HOURS_PER_DAY
    theory = mg1_mean_wait(rho / service, service, service**2)
    assert found.covers(theory), f"M/D/1: simulated {found}, Pollaczek–Khinchine {theory:.4g} days"
    # Exponential effort of the same mean would wait twice as long: the data reject it.
    assert not found.covers(mg1_mean_wait(rho / service, service, 2 * service**2))


@pytest.mark.validation
@pytest.mark.parametrize("cut", [0.5, 1.5])
def test_work_caught_by_the_end_is_waiting_or_under_way_exactly(short: Scenario, cut: float) -> None:
    """The end falls while the first quarterly report waits for the monthly one (``cut`` 0.5)
    or is under way after it (1.5): the unfinished table says which, who and since when."""
    base = reduced(
        short,
        per_day=0.0,
        warmup_days=10,
        horizon_days=400,
        overrides={
            "tasks.monthly_report.hours": fixed(REPORT_HOURS),
            "tasks.quarterly_report.hours": fixed(REPORT_HOURS),
            "staffing.oversight.officers": 1,
            "staffing.oversight.clerks": 1,
            "staffing.oversight.judges": 1,
        },
    )
    service = REPORT_HOURS / HOURS_PER_DAY
    quarter = next(t for t, month in _month_starts(base) if month in (1, 4, 7, 10))
    end = quarter + service * cut  # the quarterly report queued at ``quarter``, behind a monthly one
    scenario = reduced(
        short,
        per_day=0.0,
        warmup_days=1,
        horizon_days=end,
        cooldown_days=0,
        overrides={
            "tasks.monthly_report.hours": fixed(REPORT_HOURS),
            "tasks.quarterly_report.hours": fixed(REPORT_HOURS),
            "staffing.oversight.officers": 1,
            "staffing.oversight.clerks": 1,
            "staffing.oversight.judges": 1,
        },
    )
    open_work = run_replication(scenario, 0).unfinished.set_index("step")
    report = open_work.loc["quarterly_report"]
    assert report.queued == pytest.approx(quarter, abs=1e-9)
    if cut < 1.0:  # still waiting: nobody, no start; the monthly report is under way
        assert report.staff == "" and np.isnan(report.start)
        assert open_work.loc["monthly_report"].start == pytest.approx(quarter, abs=1e-9)
    else:  # under way since the monthly report finished
        assert report.staff == "oversight/judge/1+oversight/officer/1"
        assert report.start == pytest.approx(quarter + service, abs=1e-9)
        assert "monthly_report" not in open_work.index
