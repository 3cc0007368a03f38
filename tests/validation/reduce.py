"""The ordinary scenario reduced to textbook queues, and the statistics the checks share.

Nothing here is a second model: every reduction is a set of dotted overrides of the
shipped baseline (``with_overrides``), run by :func:`sim.model.run_replication`.

The reduction: the 24/7 calendar (``calendar.mode = "continuous"``), Poisson filings
at a constant rate (monthly multipliers 1), every task zero hours (a zero-hour task
needs nobody and never queues), every outside delay fixed 0, one kind of case
(首执 money cases, unrelated, unlabelled), no side streams, and every case paying
voluntarily after the notice so that it closes as soon as its last staffed step is
done, and every mechanism of ``[reform]`` switched off (they scale effort, add in-tray
waits and rework to a change of hands: none is in the textbook queue). The tests then
give effort to the one to four steps that form the queue or network under test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.model import RunResult, run_replication
from sim.vocab import Mechanism

HOURS_PER_DAY = 24.0


def zero() -> dict[str, Any]:
    return {"dist": "fixed", "value": 0}


def exponential(mean_hours: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean_hours}


def fixed(value: float) -> dict[str, Any]:
    return {"dist": "fixed", "value": value}


def reduced(
    base: Scenario,
    *,
    per_day: float,
    warmup_days: float,
    horizon_days: float,
    cooldown_days: float = 20.0,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """``base`` reduced to an empty 24/7 court filed at ``per_day`` cases a day; then ``overrides``."""
    data: dict[str, Any] = {f"tasks.{t}.hours": zero() for t in _fields(base.tasks)}
    delays = [d for d in _fields(base.delays) if hasattr(getattr(base.delays, d), "dist")]  # not the plain numbers
    data.update({f"delays.{d}": zero() for d in delays})
    data.update({f"reform.{m.value}.enabled": False for m in Mechanism})
    data.update(
        {
            "calendar.mode": "continuous",
            "calendar.hours_per_day": 24,
            "calendar.day_start_hour": 0,
            "arrivals.cases_per_year": per_day * 365.0,
            "arrivals.monthly_multipliers": [1.0] * 12,
            "arrivals.case_mix": {"first": 1.0, "resumed": 0.0, "preservation": 0.0},
            "arrivals.behaviour_rate": 0.0,
            "arrivals.related_rate": 0.0,
            "arrivals.labelled_rate": 0.0,
            "probabilities.filing_reject_rate": 0.0,
            "probabilities.filing_error_rate": 0.0,
            "probabilities.voluntary_payment_rate": 1.0,
            "side_streams.commissioned_per_year": 0,
            "side_streams.petitions_per_year": 0,
            "side_streams.supervision_per_year": 0,
            "run.warmup_days": warmup_days,
            "run.horizon_days": horizon_days,
            "run.cooldown_days": cooldown_days,
        }
    )
    data.update(overrides or {})
    return with_overrides(base, data)


def _fields(group: Any) -> list[str]:
    return [f for f in type(group).model_fields if f not in ("source", "sources")]


def counted_tasks(steps: pd.DataFrame, scenario: Scenario, step: str) -> pd.DataFrame:
    """Logged work of ``step`` asked for inside the counting window [warmup, horizon)."""
    run = scenario.run
    rows = steps[(steps.kind == "task") & (steps.step == step)]
    return rows[(rows.queued >= run.warmup_days) & (rows.queued < run.horizon_days)]


@dataclass(frozen=True)
class Estimate:
    """Mean over replications of a per-replication statistic, with its t-interval."""

    mean: float
    half_width: float
    values: tuple[float, ...]

    def covers(self, value: float) -> bool:
        return abs(self.mean - value) <= self.half_width

    def __str__(self) -> str:
        return f"{self.mean:.4g} ± {self.half_width:.2g} (n={len(self.values)})"


def estimate(values: list[float], level: float = 0.99) -> Estimate:
    """The ``level`` Student-t interval of the mean of independent replications."""
    arr = np.asarray(values, dtype=float)
    half = float(stats.t.ppf(0.5 + level / 2, arr.size - 1) * stats.sem(arr))
    return Estimate(float(arr.mean()), half, tuple(values))


def replicate(scenario: Scenario, reps: int, statistic: Callable[[RunResult], Any], first_rep: int = 0) -> list[Any]:
    """``statistic(result)`` of replications ``first_rep .. first_rep + reps - 1``."""
    return [statistic(run_replication(scenario, rep)) for rep in range(first_rep, first_rep + reps)]
