"""Experiments: scenarios × replications → tidy KPI tables, the same whatever the workers.

Replication ``r`` of every scenario uses the streams of ``(seed, r)``, so all
scenarios see the same cases (common random numbers) and their differences can
be paired. Work is spread over a local process pool; results are put back in
(scenario, replication) order, so one worker or many give identical tables.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.config.load import scenario_hash
from sim.config.schema import Scenario
from sim.metrics import kpi_values
from sim.model import RunResult, build_calendar, run_replication

__all__ = [
    "ExperimentResult",
    "paired_differences",
    "replicate",
    "run_experiment",
    "summarise",
]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each replication finishes."""


@dataclass(frozen=True)
class ExperimentResult:
    """KPIs per (scenario, replication) in long form, the runs if kept, and how it was made."""

    kpis: pd.DataFrame  # scenario, replication, kpi, value
    scenarios: dict[str, Scenario]
    seed: int
    reps: int
    runs: dict[tuple[str, int], RunResult] = field(default_factory=dict)
    wall_seconds: float = 0.0

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Mean, SD and t-interval of every KPI per scenario (see :func:`summarise`)."""
        return summarise(self.kpis, level)


def replicate(scenario: Scenario, replication: int, seed: int, keep_run: bool = False) -> tuple[dict[str, float], RunResult | None]:  # noqa: E501
    """One replication: run the model, compute its KPIs; keep the tables if asked."""
    result = run_replication(scenario, replication, seed)
    values = kpi_values(result, scenario, build_calendar(scenario))
    return values, (result if keep_run else None)


def _replicate_task(args: tuple[Scenario, int, int, bool]) -> tuple[dict[str, float], RunResult | None]:
    return replicate(*args)


def run_experiment(
    scenarios: Mapping[str, Scenario],
    reps: int,
    seed: int | None = None,
    *,
    jobs: int = 1,
    keep_runs: bool = False,
    progress: Progress | None = None,
) -> ExperimentResult:
    """Run every scenario for replications ``0 .. reps-1`` under common random numbers.

    Parameters
    ----------
    scenarios : mapping of label to Scenario
        What to run; labels name the rows of the result.
    reps : int
        Replications per scenario (>= 1).
    seed : int, optional
        Base seed; defaults to the first scenario's ``run.seed``.
    jobs : int
        Worker processes; ``0`` means all cores. Results do not depend on it.
    keep_runs : bool
        Keep each replication's tables (steps, SLAs, cases) for a results folder.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1 (got {reps})")
    if not scenarios:
        raise ValueError("no scenarios to run")
    seed = next(iter(scenarios.values())).run.seed if seed is None else seed
    tasks = [(label, scenario, rep) for label, scenario in scenarios.items() for rep in range(reps)]
    wall = time.perf_counter()
    outputs = list(_map(tasks, seed, keep_runs, _workers(jobs, len(tasks)), progress))
    rows = [
        (label, rep, kpi, value)
        for (label, _, rep), (values, _) in zip(tasks, outputs, strict=True)
        for kpi, value in values.items()
    ]
    kpis = pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])
    runs = {(label, rep): run for (label, _, rep), (_, run) in zip(tasks, outputs, strict=True) if run}
    return ExperimentResult(kpis, dict(scenarios), seed, reps, runs, time.perf_counter() - wall)


def _workers(jobs: int, n_tasks: int) -> int:
    if jobs < 0:
        raise ValueError(f"jobs must be 0 (all cores) or a positive number (got {jobs})")
    available = os.cpu_count() or 1
    return max(1, min(available if jobs == 0 else jobs, n_tasks))


def _map(tasks: list[tuple[str, Scenario, int]], seed: int, keep: bool, workers: int,
         progress: Progress | None) -> Iterable[tuple[dict[str, float], RunResult | None]]:  # fmt: skip
    args = [(scenario, rep, seed, keep) for _, scenario, rep in tasks]
    if workers == 1:
        for done, arg in enumerate(args, start=1):
            yield _replicate_task(arg)
            if progress:
                progress(done, len(args))
        return
    # The pool is created here, not at import; map() keeps the input order.
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, output in enumerate(pool.map(_replicate_task, args), start=1):
            if progress:
                progress(done, len(args))
            yield output


def summarise(kpis: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per scenario and KPI: n, mean, SD and the Student-t confidence interval of the mean.

    NaN replications (a KPI undefined in that run, e.g. no simple cases) are left
    out of ``n``; with fewer than two values the interval is NaN.
    """
    grouped = kpis.dropna(subset=["value"]).groupby(["scenario", "kpi"], sort=False)["value"]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    half = _half_width(table["sd"].to_numpy(), table["n"].to_numpy(), level)
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    return table


def _half_width(sd: np.ndarray, n: np.ndarray, level: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        half = t * sd / np.sqrt(n)
    return np.where(n >= 2, half, np.nan)


def paired_differences(kpis: pd.DataFrame, base: str, level: float = 0.95) -> pd.DataFrame:
    """Each other scenario minus ``base``, replication by replication (common random numbers).

    Returns per (scenario, KPI): n pairs, mean difference, its t-interval, and
    whether the interval excludes zero.
    """
    wide = kpis.pivot_table(index=["kpi", "replication"], columns="scenario", values="value", dropna=False)
    rows: list[dict[str, Any]] = []
    for other in [s for s in wide.columns if s != base]:
        diff = (wide[other] - wide[base]).dropna()
        for kpi, values in diff.groupby(level="kpi", sort=False):
            n = int(values.size)
            mean = float(values.mean()) if n else float("nan")
            sd = float(values.std()) if n >= 2 else float("nan")
            half = float(_half_width(np.array([sd]), np.array([n]), level)[0])
            rows.append({"scenario": other, "base": base, "kpi": kpi, "n": n, "mean_diff": mean,
                         "ci_low": mean - half, "ci_high": mean + half,
                         "significant": bool(n >= 2 and (mean - half > 0 or mean + half < 0))})  # fmt: skip
    return pd.DataFrame(rows, columns=["scenario", "base", "kpi", "n", "mean_diff", "ci_low", "ci_high",
                                       "significant"])  # fmt: skip


def manifest(result: ExperimentResult, sources: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How the experiment was made: resolved scenarios, hashes, seeds, versions, wall time."""
    from sim.provenance import environment

    return {
        "seed": result.seed,
        "reps": result.reps,
        "scenarios": {
            label: {"hash": scenario_hash(s), "source": (sources or {}).get(label),
                    "resolved": s.model_dump(mode="json")}  # fmt: skip
            for label, s in result.scenarios.items()
        },
        "wall_seconds": round(result.wall_seconds, 3),
        **environment(),
    }
