"""The workload check (sim.metrics.effort): the work asked for against the hours there are,
and a staffing that cannot carry it is named, not hidden behind a utilisation of 100%."""

from __future__ import annotations

import pytest

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.metrics import run_view
from sim.metrics.effort import WorkloadCheck, check_workload, task_demand
from sim.metrics.registry import RunView
from sim.model import build_calendar, run_replication


def _check(scenario: Scenario) -> WorkloadCheck:
    result = run_replication(scenario, 0)
    return check_workload(run_view(result, scenario, build_calendar(scenario)), result.unfinished)


@pytest.fixture(scope="module")
def months(baseline: Scenario) -> Scenario:
    return with_overrides(baseline, {"run.warmup_days": 0, "run.horizon_days": 60, "run.cooldown_days": 30})


@pytest.fixture(scope="module")
def view(months: Scenario) -> RunView:
    return run_view(run_replication(months, 0), months, build_calendar(months))


def test_demand_is_the_effort_of_the_counted_cases_and_the_side_work(view: RunView) -> None:
    load = check_workload(view).load.set_index(["team", "role"])
    tasks = view.steps[view.steps.kind == "task"]
    counted = tasks[tasks.case_id.isin(view.counted.case_id)]
    officer = counted[(counted.team == "intake") & counted.roles.str.contains("officer")]
    per_year = 365.0 / view.window_days
    assert load.loc[("intake", "officer"), "demand_hours"] == pytest.approx(officer.effort_hours.sum() * per_year)
    # Capacity is the head-count's working hours; every staffed post is listed.
    assert load.loc[("intake", "officer"), "headcount"] == 2
    assert (load.capacity_hours > 0).all()
    assert set(load.index) == set(view.staff.groupby(["team", "role"]).size().index)
    demand = task_demand(view)
    assert demand.person_hours.sum() == pytest.approx(load.demand_hours.sum())


def test_a_post_asked_for_more_than_its_hours_is_named(months: Scenario) -> None:
    full = _check(months).load.set_index(["team", "role"]).load
    halved = _check(with_overrides(months, {"staffing.intake.officers": 1}))
    load = halved.load.set_index(["team", "role"]).load
    # The same cases ask for the same front-end work (the waiting work counted too): one
    # officer has half the hours, and a load above 1 is named, not pinned at 100%.
    assert load[("intake", "officer")] == pytest.approx(2 * full[("intake", "officer")], rel=0.1)
    assert load[("intake", "officer")] > 1.0
    assert any(post.startswith("intake × officer") for post in halved.overloaded)
    assert any(line.startswith("WARNING") and "intake × officer" in line for line in halved.lines())


def test_the_check_prints_the_published_figures_beside_the_run(view: RunView) -> None:
    check = check_workload(view)
    lines = check.lines()
    assert lines[0].startswith("cases closed per handling officer a year")
    assert any("928" in line for line in lines) and any("138–175" in line for line in lines)
    assert 0 < check.officer_hours_per_case < 50
    assert check.closed_per_handling_officer > 0 and check.closed_per_judge > 0
