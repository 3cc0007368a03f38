"""M/M/1 with two priority classes: ``policy.dispatch = "labelled_first"`` at the filing check.

Labelled cases (涉营商环境、涉党政机关、涉黑恶; ``arrivals.labelled_rate`` of the filings)
go ahead of the others at every desk, without interrupting work already begun: a
non-preemptive priority queue. Each class's mean wait must match Cobham's formulas
``W_1 = W_0 / (1 - σ_1)`` and ``W_2 = W_0 / ((1 - σ_1)(1 - ρ))`` with ``W_0 = ρ / μ``, and
their load-weighted mean must equal the first-come-first-served wait (Kleinrock's
conservation law), so the priority rule reorders the queue without creating or losing work.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from sim.config.schema import Scenario
from sim.model import RunResult
from sim.queueing import mm1_priority_waits, mmc_mean_wait
from tests.validation.reduce import HOURS_PER_DAY, counted_tasks, estimate, exponential, reduced, replicate

MEAN_HOURS = 6.0
SERVICE_RATE = HOURS_PER_DAY / MEAN_HOURS


def priority_scenario(base: Scenario, rho: float, labelled: float, days: float, warmup: float) -> Scenario:
    return reduced(
        base,
        per_day=rho * SERVICE_RATE,
        warmup_days=warmup,
        horizon_days=warmup + days,
        overrides={
            "tasks.verify_filing.hours": exponential(MEAN_HOURS),
            "staffing.intake.clerks": 1,
            "probabilities.filing_reject_rate": 1.0,
            "arrivals.labelled_rate": labelled,
            "policy.dispatch": "labelled_first",
        },
    )


def class_waits(scenario: Scenario) -> Callable[[RunResult], tuple[float, float]]:
    """Mean wait (days) of labelled and of other filings checked in the window."""

    def stat(result: RunResult) -> tuple[float, float]:
        task = counted_tasks(result.steps, scenario, "verify_filing")
        labelled = task.case_id.map(result.cases.set_index("case_id").labels == "special")
        wait = task.start - task.queued
        return float(wait[labelled].mean()), float(wait[~labelled].mean())

    return stat


def check(base: Scenario, rho: float, labelled: float, days: float, reps: int) -> None:
    scenario = priority_scenario(base, rho, labelled, days, warmup=100)
    waits = replicate(scenario, reps, class_waits(scenario))
    first, second = estimate([w[0] for w in waits]), estimate([w[1] for w in waits])
    lam = rho * SERVICE_RATE
    theory = mm1_priority_waits([labelled * lam, (1 - labelled) * lam], SERVICE_RATE)
    fcfs = mmc_mean_wait(1, lam, SERVICE_RATE)
    assert first.covers(theory[0]), f"labelled: simulated {first}, Cobham {theory[0]:.4g} days"
    assert second.covers(theory[1]), f"others: simulated {second}, Cobham {theory[1]:.4g} days"
    # Conservation: the load-weighted mean wait is the FCFS wait, whatever the order.
    mixed = estimate([labelled * a + (1 - labelled) * b for a, b in waits])
    assert mixed.covers(fcfs), f"weighted mean {mixed} != FCFS {fcfs:.4g}"
    # The data reject first come, first served for either class: the check has power.
    assert not first.covers(fcfs) and not second.covers(fcfs)
    assert np.isclose(labelled * theory[0] + (1 - labelled) * theory[1], fcfs)


@pytest.mark.validation
def test_two_priority_classes_match_cobham(short: Scenario) -> None:
    check(short, rho=0.75, labelled=0.4, days=2000, reps=6)


@pytest.mark.validation
@pytest.mark.slow
def test_two_priority_classes_match_cobham_at_heavy_load(short: Scenario) -> None:
    check(short, rho=0.9, labelled=0.3, days=4000, reps=10)
