"""Behaviour of the whole model: nothing lost, reproducible, extremes, monotone, queueing theory."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.cases import generate_cases
from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.flow.mechanisms import effort_factors
from sim.model import build_calendar, run_replication
from sim.queueing import mmc_mean_wait
from sim.streams import Streams
from sim.vocab import Mechanism, Task, Team
from tests.conftest import all_tasks, zero_hours

KNOWN_STAGE_PREFIXES = (
    "closed",
    "intake",
    "filed",
    "fast_track:",
    "complex_track:",
    "asset_disposal:",
    "oversight:",
)


def test_nothing_is_lost(short: Scenario) -> None:
    """Every case filed is either closed with an outcome or open in a known stage."""
    result = run_replication(short, 0)
    cases = result.cases
    book = generate_cases(short, build_calendar(short), Streams(short.run.seed, 0))
    filed = cases[cases.parent_id < 0]
    assert len(filed) == book.n_filed  # every filing became a case row
    closed = cases.outcome != ""
    assert (cases.loc[closed, "stage"] == "closed").all()
    assert cases.loc[closed, "closed"].notna().all()
    open_stages = cases.loc[~closed, "stage"]
    assert open_stages.map(lambda s: s.startswith(KNOWN_STAGE_PREFIXES)).all(), open_stages.unique()
    # 执恢 cases exist only as resumptions of 终本 cases.
    resumed = cases[cases.parent_id >= 0]
    parents = cases.set_index("case_id").loc[resumed.parent_id]
    assert (parents.outcome == "zhongben").all()


def test_per_case_event_order(short: Scenario) -> None:
    """Within a case, time never runs backwards: queued <= start <= end, closing last."""
    steps = run_replication(short, 1).steps
    assert (steps.queued <= steps.start + 1e-12).all()
    assert (steps.start <= steps.end + 1e-12).all()
    closes = steps[steps.step == "closed"].set_index("case_id").end
    main = steps[(steps.case_id >= 0) & ~steps.step.isin(["scan", "archive", "archived", "records_handover"])]
    last_main = main[main.step != "closed"].groupby("case_id").end.max()
    common = closes.index.intersection(last_main.index)
    # Only objections (which run beside the case) may outlive the closure.
    late = last_main.loc[common] > closes.loc[common] + 1e-9
    assert late.sum() <= 0.01 * len(common)


def test_same_seed_same_output(short: Scenario) -> None:
    a, b = run_replication(short, 3), run_replication(short, 3)
    pd.testing.assert_frame_equal(a.steps, b.steps)
    pd.testing.assert_frame_equal(a.cases, b.cases)
    pd.testing.assert_frame_equal(a.slas, b.slas)
    c = run_replication(short, 4)
    assert not c.cases.equals(a.cases)


def test_cases_do_not_depend_on_staffing(short: Scenario) -> None:
    """Common random numbers: the same filings, amounts and draws whatever the staffing."""
    more = with_overrides(short, {"staffing.fast_track.officers": 9, "staffing.intake.clerks": 7})
    a = generate_cases(short, build_calendar(short), Streams(7, 0))
    b = generate_cases(more, build_calendar(more), Streams(7, 0))
    assert [c.arrived for c in a.cases] == [c.arrived for c in b.cases]
    assert [c.claim_cny for c in a.cases] == [c.claim_cny for c in b.cases]
    for name in a.decisions:
        np.testing.assert_array_equal(a.decisions[name], b.decisions[name])


def test_no_arrivals_nothing_happens(short: Scenario) -> None:
    quiet = with_overrides(
        short,
        {
            "arrivals.cases_per_year": 0,
            "side_streams.commissioned_per_year": 0,
            "side_streams.petitions_per_year": 0,
            "side_streams.supervision_per_year": 0,
            "side_streams.lending_per_year": 0,
            "side_streams.data_requests_per_year": 0,
            "tasks.monthly_report.hours": zero_hours(),
            "tasks.quarterly_report.hours": zero_hours(),
            "tasks.records_report.hours": zero_hours(),
            "tasks.platform_duty.hours": zero_hours(),
        },
    )
    result = run_replication(quiet, 0)
    assert result.cases.empty
    assert result.steps.empty
    assert result.slas.empty


def _unlimited_fixed(short: Scenario) -> Scenario:
    """Every effort and delay fixed, more staff than open cases: nobody ever waits.

    A case's officer work waits for its own handler, so "unlimited" means more
    handlers than open cases (each new case then gets an officer with no other
    case). Related cases are switched off: they share a handler by design. The panel
    is the judge alone: its second officer is always some other case's handler.
    """
    overrides: dict[str, object] = {"arrivals.related_rate": 0.0, "tasks.panel_review.roles": {"judge": 1}}
    for task in all_tasks(short):
        spec = getattr(short.tasks, task)
        overrides[f"tasks.{task}.hours"] = {"dist": "fixed", "value": round(spec.hours.mean(), 3)}
    for name, spec in short.delays:
        if hasattr(spec, "mean") and name.endswith("_days"):
            overrides[f"delays.{name}"] = {"dist": "fixed", "value": round(spec.mean(), 1)}
    for team in ("intake", "fast_track", "asset_disposal", "records", "oversight", "review"):
        for role in ("judges", "officers", "clerks", "bailiffs"):
            overrides[f"staffing.{team}.{role}"] = 200
    overrides["staffing.complex_track.judges"] = 200
    overrides["staffing.complex_track.bailiffs"] = 200
    overrides["staffing.fast_track.officers"] = 1000
    overrides["staffing.complex_track.officers"] = 1600
    overrides["staffing.complex_track.clerks"] = 800
    overrides["staffing.complex_track.units"] = [{"name": f"u{i}", "officers": 400, "clerks": 200} for i in range(4)]
    return with_overrides(short, overrides)


def test_unlimited_staff_nothing_queues_and_times_follow_the_calendar(short: Scenario) -> None:
    scenario = _unlimited_fixed(short)
    result = run_replication(scenario, 0)
    calendar = build_calendar(scenario)
    tasks = result.steps[result.steps.kind == "task"]
    assert len(tasks) > 1000
    assert (tasks.start == tasks.queued).all(), "with unlimited staff no task waits"
    expected_end = [calendar.finish_time(s, h) for s, h in zip(tasks.start, tasks.effort_hours, strict=True)]
    np.testing.assert_allclose(tasks.end, expected_end, rtol=0, atol=1e-9)
    waits = result.steps[(result.steps.kind == "wait") & (result.steps.step == "service")]
    assert set(np.round(waits.end - waits.start, 6)) <= {
        round(scenario.delays.service_days.mean(), 6),
        round(scenario.delays.public_notice_days.mean(), 6),
    }


def test_rejected_case_closes_after_exactly_its_filing_check(short: Scenario) -> None:
    """Deterministic path: a filing rejected at the check closes when the check's effort ends."""
    every_one_rejected = {"probabilities.filing_reject_rate": 1.0, "probabilities.filing_error_rate": 0.0}
    scenario = with_overrides(_unlimited_fixed(short), every_one_rejected)
    result = run_replication(scenario, 0)
    calendar = build_calendar(scenario)
    cases = result.cases
    # the check's hours, times the front end's specialisation multiplier (sim.flow.mechanisms)
    factor = effort_factors(scenario).get((Task.VERIFY_FILING, Team.INTAKE), 1.0)
    hours = scenario.tasks.verify_filing.hours.mean() * factor
    expected = [calendar.finish_time(a, hours) for a in cases.arrived]
    np.testing.assert_allclose(cases.closed, expected, atol=1e-9)
    assert (cases.outcome == "rejected").all()


def _mean_days(scenario: Scenario, reps: int) -> float:
    means = []
    for rep in range(reps):
        cases = run_replication(scenario, rep).cases
        counted = cases[cases.counted & (cases.outcome != "")]
        means.append(float((counted.closed - counted.arrived).mean()))
    return float(np.mean(means))


def test_more_staff_is_not_worse_on_average(short: Scenario) -> None:
    """Monotone in expectation (not path by path): compare means over replications."""
    more = with_overrides(
        short,
        {
            "staffing.intake.officers": 3,
            "staffing.asset_disposal.officers": 3,
            "staffing.fast_track.officers": 6,
            "staffing.fast_track.bailiffs": 3,
        },
    )
    assert _mean_days(more, 2) <= _mean_days(short, 2)


def _mmc_scenario(short: Scenario, servers: int, rho: float, mean_hours: float) -> Scenario:
    """The ordinary scenario reduced to M/M/c: one step (the filing check) on the 24/7 calendar.

    Every filing is rejected at the check, so its only work is one exponential step done by
    ``servers`` intake clerks; every other task has zero effort and needs nobody.
    """
    service_rate = 24.0 / mean_hours  # per day
    arrivals_per_day = rho * servers * service_rate
    overrides: dict[str, object] = {f"tasks.{t}.hours": zero_hours() for t in all_tasks(short)}
    overrides.update({f"reform.{m.value}.enabled": False for m in Mechanism})  # no multiplier, no in-tray
    overrides.update(
        {
            "tasks.verify_filing.hours": {"dist": "exponential", "mean": mean_hours},
            "calendar.mode": "continuous",
            "calendar.hours_per_day": 24,
            "calendar.day_start_hour": 0,
            "arrivals.cases_per_year": arrivals_per_day * 365,
            "arrivals.monthly_multipliers": [1.0] * 12,
            "probabilities.filing_reject_rate": 1.0,
            "probabilities.filing_error_rate": 0.0,  # they exclude each other: every filing is rejected
            "staffing.intake.clerks": servers,
            "side_streams.commissioned_per_year": 0,
            "side_streams.petitions_per_year": 0,
            "side_streams.supervision_per_year": 0,
            "run.warmup_days": 50,
            "run.horizon_days": 1500,
            "run.cooldown_days": 0,
        }
    )
    return with_overrides(short, overrides)


@pytest.mark.validation
@pytest.mark.parametrize(("servers", "rho"), [(1, 0.7), (3, 0.8)])
def test_mmc_mean_wait_matches_erlang_c(short: Scenario, servers: int, rho: float) -> None:
    """Mean wait for the filing check equals Erlang C within a 99% interval over replications."""
    mean_hours = 6.0
    scenario = _mmc_scenario(short, servers, rho, mean_hours)
    waits = []
    for rep in range(8):
        steps = run_replication(scenario, rep).steps
        task = steps[(steps.step == "verify_filing") & (steps.queued >= scenario.run.warmup_days)]
        waits.append(float((task.start - task.queued).mean()))
    service_rate = 24.0 / mean_hours
    expected = mmc_mean_wait(servers, rho * servers * service_rate, service_rate)
    mean, sem = np.mean(waits), stats.sem(waits)
    half = stats.t.ppf(0.995, len(waits) - 1) * sem
    assert abs(mean - expected) <= half, (mean, expected, half)


def test_staffing_changes_take_effect_on_their_dates(short: Scenario) -> None:
    """A hire joins on its date; a leaver's open cases pass to colleagues; nothing is lost."""
    start = short.run.start_date
    changed = with_overrides(
        short,
        {
            "staffing_changes": [
                {"date": (start + timedelta(days=60)).isoformat(), "team": "fast_track", "role": "officer", "delta": 2},
                {
                    "date": (start + timedelta(days=90)).isoformat(),
                    "team": "complex_track",
                    "role": "officer",
                    "delta": -1,
                    "unit": "执行二团队",
                },
            ]
        },
    )
    result = run_replication(changed, 0)
    staff = result.staff
    hires = staff[(staff.team == "fast_track") & (staff.role == "officer") & (staff.joined > 0)]
    assert len(hires) == 2 and np.allclose(hires.joined, 60.0)
    left = staff[staff.left.notna()]
    assert len(left) == 1 and left.left.iloc[0] == pytest.approx(90.0)
    leaver = left.name.iloc[0]
    tasks = result.steps[result.steps.kind == "task"]
    assert tasks[(tasks.start > 90.0 + 1e-9) & tasks.staff.str.contains(leaver, regex=False)].empty
    open_cases = result.cases[result.cases.outcome == ""]
    assert (open_cases.handler != leaver).all(), "a leaver keeps no open case"
    assert tasks[tasks.staff.str.contains(hires.name.iloc[0], regex=False)].start.min() >= 60.0
