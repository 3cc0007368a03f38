"""A tandem network with feedback and a branch, station by station, against Jackson's theorem.

The ordinary case flow, with effort only where a desk should form:

    filings (Poisson λ) ─▶ [1] filing check, intake clerks ──(p: returned for correction,
        1 day outside, checked again once)──▶ [1]
                         ─▶ [2] first contact, intake officers
                         ─▶ triage (no effort) ─(q: simple)─▶ [3] service, fast-track clerks
                                               └(1 - q)────▶ [4] service, standard-track clerks

Routing is the model's own: ``filing_error_rate = p`` sends a share back through correction
(a delay that holds nobody) to a second check, and triage sends a share ``q`` to the fast
track (every claim is "small", ``small_claim_closable_rate = q``). Then every case pays
voluntarily and closes. By Jackson's theorem (BCMP for the two kinds of visit to desk 1,
which share one exponential effort) each desk is an M/M/c queue fed at the rate of the
traffic equations, so its mean wait per visit is Erlang C's at that rate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from sim.config.schema import Scenario
from sim.model import RunResult
from sim.queueing import jackson_arrival_rates, jackson_mean_waits, mmc_mean_wait
from tests.validation.reduce import (
    HOURS_PER_DAY,
    counted_tasks,
    estimate,
    exponential,
    fixed,
    reduced,
    replicate,
)

LAMBDA = 6.0  # filings per day
P_RETURN = 0.25  # filing_error_rate
Q_SIMPLE = 0.4  # small_claim_closable_rate
# Nodes of the traffic equations: first check, correction (delay), second check, first contact,
# fast-track service, standard-track service. Nodes 0 and 2 are the same desk.
NODES = ("check", "correction", "recheck", "contact", "fast", "standard")
ROUTING = [
    [0, P_RETURN, 0, 1 - P_RETURN, 0, 0],
    [0, 0, 1, 0, 0, 0],
    [0, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, Q_SIMPLE, 1 - Q_SIMPLE],
    [0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
]
STATIONS = (0, 1, 0, 2, 3, 4)
SERVERS = (1, 0, 1, 2, 1, 2)
MEAN_HOURS = (2.0, 24.0, 2.0, 5.0, 6.0, 6.0)  # the correction's "hours" are its 1-day delay
SERVICE_RATES = tuple(HOURS_PER_DAY / h for h in MEAN_HOURS)  # per person per day
DESKS = {"check": 0, "contact": 3, "fast": 4, "standard": 5}  # desk → its first node


def network_scenario(base: Scenario, days: float, servers: tuple[int, ...] = SERVERS) -> Scenario:
    """The baseline reduced to the network above (module docstring)."""
    return reduced(
        base,
        per_day=LAMBDA,
        warmup_days=40,
        horizon_days=40 + days,
        overrides={
            "tasks.verify_filing.hours": exponential(MEAN_HOURS[0]),
            "staffing.intake.clerks": servers[0],
            "tasks.first_contact.hours": exponential(MEAN_HOURS[3]),
            "staffing.intake.officers": servers[3],
            "tasks.serve_documents.hours": exponential(MEAN_HOURS[4]),
            "staffing.fast_track.clerks": servers[4],
            "staffing.complex_track.clerks": servers[5],
            "staffing.complex_track.units": [],
            "probabilities.filing_error_rate": P_RETURN,
            "delays.filing_correction_days": fixed(1.0),
            "policy.simple_threshold_cny": 1e15,
            "probabilities.small_claim_closable_rate": Q_SIMPLE,
            "probabilities.freeze_full_small_rate": 0.0,
            "probabilities.freeze_full_large_rate": 0.0,
            "probabilities.freeze_partial_rate": 0.0,
        },
    )


def station_stats(scenario: Scenario) -> Callable[[RunResult], dict[str, tuple[float, float]]]:
    """Per desk: visits per day and mean wait per visit (days), over the counting window."""
    window = scenario.run.horizon_days - scenario.run.warmup_days

    def stat(result: RunResult) -> dict[str, tuple[float, float]]:
        out = {}
        for name, step, team in (
            ("check", "verify_filing", "intake"),
            ("contact", "first_contact", "intake"),
            ("fast", "serve_documents", "fast_track"),
            ("standard", "serve_documents", "complex_track"),
        ):
            rows = counted_tasks(result.steps, scenario, step)
            rows = rows[rows.team == team]
            out[name] = (len(rows) / window, float((rows.start - rows.queued).mean()))
        return out

    return stat


def theory() -> tuple[pd.Series, pd.Series]:
    """Visits per day and mean wait per visit at each desk, from the traffic equations."""
    external = [LAMBDA, 0, 0, 0, 0, 0]
    lam = jackson_arrival_rates(external, ROUTING)
    waits = jackson_mean_waits(external, ROUTING, SERVERS, SERVICE_RATES, STATIONS)
    rates = {desk: lam[node] + (lam[2] if desk == "check" else 0.0) for desk, node in DESKS.items()}
    return pd.Series(rates), pd.Series({desk: waits[node] for desk, node in DESKS.items()})


def _wait_with(servers: int, rate: float, service_rate: float) -> float:
    """Erlang C's wait at a desk with ``servers`` people; infinite if they cannot keep up."""
    return mmc_mean_wait(servers, rate, service_rate) if rate < servers * service_rate else np.inf


@pytest.mark.validation
def test_network_desks_match_jackson(short: Scenario) -> None:
    scenario = network_scenario(short, days=700)
    runs = replicate(scenario, 6, station_stats(scenario))
    rates, waits = theory()
    for desk, node in DESKS.items():
        rate = estimate([r[desk][0] for r in runs])
        wait = estimate([r[desk][1] for r in runs])
        assert rate.covers(rates[desk]), f"{desk}: {rate} visits/day, traffic equations {rates[desk]:.4g}"
        assert wait.covers(waits[desk]), f"{desk}: wait {wait} days, Jackson {waits[desk]:.4g}"
        # Power: the same data reject one person more or fewer at this desk.
        for wrong in (SERVERS[node] - 1, SERVERS[node] + 1):
            alt = _wait_with(wrong, rates[desk], SERVICE_RATES[node]) if wrong > 0 else np.inf
            assert not wait.covers(alt), f"{desk}: cannot tell {SERVERS[node]} from {wrong} people"
