"""M/M/c: one desk of ``c`` intake clerks, exponential effort, Poisson filings, the 24/7 calendar.

Every filing is rejected at the filing check (``probabilities.filing_reject_rate = 1``), so
its only work is that check; every other task has zero effort and needs nobody. The mean
wait for the check must equal Erlang C's, including at heavy load (ρ ≥ 0.9), where a model
that loses or double-books a clerk, or misreads an effort, is off by a factor.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from sim.config.schema import Scenario
from sim.model import RunResult
from sim.queueing import mmc_mean_wait
from tests.validation.reduce import HOURS_PER_DAY, counted_tasks, estimate, exponential, reduced, replicate

MEAN_HOURS = 6.0
SERVICE_RATE = HOURS_PER_DAY / MEAN_HOURS  # checks per clerk per day


def mmc_scenario(base: Scenario, servers: int, rho: float, days: float, warmup: float) -> Scenario:
    """The baseline reduced to M/M/``servers`` at utilisation ``rho`` (module docstring)."""
    return reduced(
        base,
        per_day=rho * servers * SERVICE_RATE,
        warmup_days=warmup,
        horizon_days=warmup + days,
        overrides={
            "tasks.verify_filing.hours": exponential(MEAN_HOURS),
            "staffing.intake.clerks": servers,
            "probabilities.filing_reject_rate": 1.0,
        },
    )


def mean_wait(scenario: Scenario) -> Callable[[RunResult], float]:
    """The statistic of one replication: mean wait (days) of the checks asked for in the window."""

    def stat(result: RunResult) -> float:
        task = counted_tasks(result.steps, scenario, "verify_filing")
        return float((task.start - task.queued).mean())

    return stat


def _wait_assuming(servers_assumed: int, servers_true: int, rho: float) -> float:
    """Erlang C's wait for the true arrival rate if the desk had ``servers_assumed`` clerks."""
    arrival = rho * servers_true * SERVICE_RATE
    if servers_assumed < 1 or arrival >= servers_assumed * SERVICE_RATE:
        return math.inf
    return mmc_mean_wait(servers_assumed, arrival, SERVICE_RATE)


def check(base: Scenario, servers: int, rho: float, days: float, warmup: float, reps: int) -> None:
    scenario = mmc_scenario(base, servers, rho, days, warmup)
    found = estimate(replicate(scenario, reps, mean_wait(scenario)))
    theory = _wait_assuming(servers, servers, rho)
    assert found.covers(theory), f"M/M/{servers} at rho={rho}: simulated {found}, Erlang C {theory:.4g} days"
    # The same data reject a desk with a clerk more or fewer: the check has power.
    for wrong in (servers - 1, servers + 1):
        alternative = _wait_assuming(wrong, servers, rho)
        assert not found.covers(alternative), f"cannot tell {servers} from {wrong} clerks"


@pytest.mark.validation
@pytest.mark.parametrize(("servers", "rho", "days", "reps"), [(2, 0.6, 1000, 6), (8, 0.8, 250, 6)])
def test_mmc_wait_matches_erlang_c(short: Scenario, servers: int, rho: float, days: float, reps: int) -> None:
    check(short, servers, rho, days, warmup=40, reps=reps)


@pytest.mark.validation
@pytest.mark.slow
@pytest.mark.parametrize(("servers", "rho", "days", "reps"), [(1, 0.9, 4000, 10), (4, 0.9, 1000, 10)])
def test_mmc_wait_matches_erlang_c_at_heavy_load(
    short: Scenario, servers: int, rho: float, days: float, reps: int
) -> None:
    check(short, servers, rho, days, warmup=200, reps=reps)
