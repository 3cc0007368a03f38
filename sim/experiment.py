"""Experiments: scenarios × replications → tidy KPI tables, the same whatever the workers.

Replication ``r`` of every scenario uses the streams of ``(seed, r)``, so all
scenarios see the same cases (common random numbers) and their differences can
be paired. Work is spread over a local process pool; results are put back in
(scenario, replication) order, so one worker or many give identical tables.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from sim.backends import Backend, make_backend, worker_count
from sim.cache import ReplicationCache
from sim.config.load import scenario_hash
from sim.config.schema import Scenario
from sim.metrics import case_deadlines, kpi_values
from sim.model import RunResult, build_calendar, run_replication

__all__ = [
    "Evaluator",
    "ExperimentResult",
    "Output",
    "ReplicationStore",
    "differences",
    "manifest",
    "one_sided_bound",
    "paired_differences",
    "replicate",
    "replications_needed",
    "run_experiment",
    "sequential_replications",
    "summarise",
    "welch_differences",
]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each replication finishes."""

Output = tuple[dict[str, float], RunResult | None]
"""What one replication gives: its KPI values, and its tables if they were kept."""


class ReplicationStore(Protocol):
    """Where finished replications are kept, so that an interrupted experiment resumes.

    Two kinds exist: :class:`sim.cache.ReplicationCache` keeps KPI values only (the
    experiment commands), :class:`sim.resume.RunStore` whole runs inside a results
    folder (``courtsim run``). Entries are keyed by the scenario's content, the seed
    and the replication; the model code is part of the key too (its fingerprint).
    """

    def load(self, scenario: Scenario, seed: int, replication: int, keep_run: bool) -> Output | None:
        """The stored replication, or ``None``; with ``keep_run``, only an entry holding its tables."""
        ...

    def save(self, scenario: Scenario, seed: int, replication: int, output: Output) -> None:
        """Keep one finished replication (called in this process as each one arrives)."""
        ...


@dataclass(frozen=True)
class ExperimentResult:
    """KPIs per (scenario, replication) in long form, the runs if kept, and how it was made."""

    kpis: pd.DataFrame  # scenario, replication, kpi, value
    scenarios: dict[str, Scenario]
    seed: int
    reps: int
    runs: dict[tuple[str, int], RunResult] = field(default_factory=dict)
    wall_seconds: float = 0.0
    computed: int = 0  # replications simulated by this call
    cached: int = 0  # replications taken from the cache

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Mean, SD and t-interval of every KPI per scenario (see :func:`summarise`)."""
        return summarise(self.kpis, level)

    def case_table(self, label: str) -> pd.DataFrame:
        """The kept runs' cases of scenario ``label``, one row per case and replication, with
        each deadline's due time and whether it was met (:func:`sim.metrics.case_deadlines`).

        Needs the runs (``keep_runs=True``); raises ``ValueError`` without them.
        """
        runs = sorted((rep, run) for (lab, rep), run in self.runs.items() if lab == label)
        if not runs:
            raise ValueError(f"no kept runs of {label!r}: run the experiment with keep_runs=True")
        scenario = self.scenarios[label]
        calendar = build_calendar(scenario)
        frames = [case_deadlines(run.cases, run.slas, scenario, calendar).assign(replication=rep) for rep, run in runs]
        return pd.concat(frames, ignore_index=True)


def replicate(scenario: Scenario, replication: int, seed: int, keep_run: bool = False) -> Output:
    """One replication: run the model, compute its KPIs; keep the tables if asked."""
    result = run_replication(scenario, replication, seed)
    values = kpi_values(result, scenario, build_calendar(scenario))
    return values, (result if keep_run else None)


def _replicate_task(args: tuple[Scenario, int, int, bool]) -> Output:
    return replicate(*args)


def run_experiment(
    scenarios: Mapping[str, Scenario],
    reps: int,
    seed: int | None = None,
    *,
    jobs: int = 1,
    keep_runs: bool = False,
    progress: Progress | None = None,
    backend: Backend | None = None,
    cache: ReplicationStore | None = None,
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
        Worker processes when no ``backend`` is given; ``0`` means all cores.
        Results do not depend on it.
    keep_runs : bool
        Keep each replication's tables (steps, SLAs, cases) for a results folder.
        A :class:`~sim.cache.ReplicationCache` holds KPIs only, so with it kept runs
        are always computed; a :class:`~sim.resume.RunStore` holds the tables too.
    progress : callable, optional
        Called as ``progress(done, total)``; replications found in the cache count as done.
    backend : Backend, optional
        Where to run (:mod:`sim.backends`); left open for the caller to reuse.
        Without one, a process pool of ``jobs`` workers is opened and closed here.
    cache : ReplicationStore, optional
        Finished replications are taken from it and each new one is stored in it
        as soon as it arrives (in this process, whichever backend computed it), so
        an interrupted experiment resumes.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1 (got {reps})")
    if not scenarios:
        raise ValueError("no scenarios to run")
    seed = next(iter(scenarios.values())).run.seed if seed is None else seed
    tasks = [(label, scenario, rep) for label, scenario in scenarios.items() for rep in range(reps)]
    wall = time.perf_counter()
    outputs: list[Output | None] = [None] * len(tasks)
    if cache is not None:
        for i, (_, scenario, rep) in enumerate(tasks):
            outputs[i] = cache.load(scenario, seed, rep, keep_runs)
    todo = [i for i, output in enumerate(outputs) if output is None]
    done = len(tasks) - len(todo)
    if progress and done:
        progress(done, len(tasks))
    args = [(tasks[i][1], tasks[i][2], seed, keep_runs) for i in todo]
    with _opened(backend, jobs, len(args)) as runner:
        for k, output in runner.imap(_replicate_task, args):
            i = todo[k]
            outputs[i] = output
            if cache is not None:
                cache.save(tasks[i][1], seed, tasks[i][2], output)
            done += 1
            if progress:
                progress(done, len(tasks))
    logger.debug("experiment: %d replications computed, %d from the cache", len(todo), len(tasks) - len(todo))
    finished = [output for output in outputs if output is not None]
    rows = [
        (label, rep, kpi, value)
        for (label, _, rep), (values, _) in zip(tasks, finished, strict=True)
        for kpi, value in values.items()
    ]
    kpis = pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])
    runs = {(label, rep): run for (label, _, rep), (_, run) in zip(tasks, finished, strict=True) if run}
    return ExperimentResult(
        kpis,
        dict(scenarios),
        seed,
        reps,
        runs,
        time.perf_counter() - wall,
        computed=len(todo),
        cached=len(tasks) - len(todo),
    )


@contextmanager
def _opened(backend: Backend | None, jobs: int, n_tasks: int) -> Iterator[Backend]:
    """The caller's backend as is, or a pool of ``jobs`` workers for this call only."""
    if backend is not None:
        yield backend
        return
    workers = min(worker_count(jobs), max(n_tasks, 1))
    with make_backend(workers) as own:
        yield own


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
            rows.append(
                {
                    "scenario": other,
                    "base": base,
                    "kpi": kpi,
                    "n": n,
                    "mean_diff": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "significant": bool(n >= 2 and (mean - half > 0 or mean + half < 0)),
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "base", "kpi", "n", "mean_diff", "ci_low", "ci_high", "significant"])


def differences(kpis: pd.DataFrame, base: str) -> pd.DataFrame:
    """Per replication, each other scenario's KPI minus ``base``'s, as a long KPI table.

    The input of :func:`replications_needed` when the precision that matters is
    that of a comparison: under common random numbers it needs far fewer
    replications than either scenario's own level.
    """
    wide = kpis.pivot_table(index=["kpi", "replication"], columns="scenario", values="value", dropna=False)
    frames = [
        (wide[other] - wide[base]).rename("value").reset_index().assign(scenario=other)
        for other in wide.columns
        if other != base
    ]
    columns = ["scenario", "replication", "kpi", "value"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def welch_differences(kpis: pd.DataFrame, base: str, level: float = 0.95) -> pd.DataFrame:
    """Each other scenario minus ``base`` as if the runs were independent (Welch's t-interval).

    The comparison common random numbers improve on: same columns as
    :func:`paired_differences`, with ``n`` the smaller of the two sample sizes.
    """
    table = summarise(kpis, level).set_index(["scenario", "kpi"])
    rows: list[dict[str, Any]] = []
    for other in [s for s in kpis["scenario"].unique() if s != base]:
        for kpi in table.loc[other].index.intersection(table.loc[base].index):
            a, b = table.loc[(other, kpi)], table.loc[(base, kpi)]
            va, vb = a["sd"] ** 2 / a["n"], b["sd"] ** 2 / b["n"]
            with np.errstate(invalid="ignore", divide="ignore"):
                dof = (va + vb) ** 2 / (va**2 / (a["n"] - 1) + vb**2 / (b["n"] - 1))
                half = float(stats.t.ppf(0.5 + level / 2, dof) * np.sqrt(va + vb))
            if not va + vb:
                half = 0.0 if min(a["n"], b["n"]) >= 2 else float("nan")
            mean = float(a["mean"] - b["mean"])
            rows.append(
                {
                    "scenario": other,
                    "base": base,
                    "kpi": kpi,
                    "n": int(min(a["n"], b["n"])),
                    "mean_diff": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "significant": bool(mean - half > 0 or mean + half < 0),
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "base", "kpi", "n", "mean_diff", "ci_low", "ci_high", "significant"])


def one_sided_bound(values: np.ndarray, side: str, confidence: float = 0.95) -> float:
    """The one-sided Student-t bound of the mean: ``"lower"`` or ``"upper"``; NaN below 2 values.

    "The mean is at least the lower bound" holds with probability ``confidence``.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size < 2:
        return float("nan")
    half = float(stats.t.ppf(confidence, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    mean = float(values.mean())
    return mean - half if side == "lower" else mean + half


def replications_needed(
    kpis: pd.DataFrame,
    kpi: str,
    half_width: float,
    level: float = 0.95,
    *,
    relative: bool = False,
    max_reps: int = 10_000,
) -> pd.DataFrame:
    """How many replications bring the ``level`` t-interval of ``kpi`` to ``± half_width``.

    The confidence-interval method (Law & Kelton, *Simulation Modeling and
    Analysis*, §9.4.1; Hoad, Robinson & Davies 2010, J. Oper. Res. Soc. 61:1632):
    with the SD ``s`` of the ``n`` replications run so far,

        n* = min { i >= n : t(i-1, 1-α/2) · s / √i <= half_width }.

    ``s`` is itself an estimate: run ``n*`` replications and ask again (with the
    cache only the new ones are computed) until the interval's own half-width
    meets the target — the sequential procedure. ``relative=True`` reads
    ``half_width`` as a share of the mean (Hoad et al.'s precision ``d``).

    Returns
    -------
    DataFrame
        Per scenario: ``n, mean, sd, half_width`` (now), ``target`` (absolute),
        ``needed`` (``n*``; NaN if more than ``max_reps``) and ``enough``.
    """
    if half_width <= 0:
        raise ValueError(f"half_width must be positive (got {half_width})")
    table = summarise(kpis[kpis["kpi"] == kpi], level)
    if table.empty:
        raise ValueError(f"no values of KPI {kpi!r} in the table")
    rows = []
    for row in table.itertuples(index=False):
        target = half_width * abs(row.mean) if relative else half_width
        needed = _needed(float(row.sd), int(row.n), target, level, max_reps)
        rows.append(
            {
                "scenario": row.scenario,
                "kpi": kpi,
                "n": int(row.n),
                "mean": row.mean,
                "sd": row.sd,
                "half_width": (row.ci_high - row.ci_low) / 2,
                "target": target,
                "needed": needed,
                "enough": bool(row.n >= 2 and (row.ci_high - row.ci_low) / 2 <= target),
            }
        )
    return pd.DataFrame(rows)


def _needed(sd: float, n: int, target: float, level: float, max_reps: int) -> float:
    if n < 2 or math.isnan(sd):
        return float("nan")  # one replication says nothing about the spread
    if sd == 0:
        return float(n)
    i = np.arange(max(n, 2), max_reps + 1)
    fits = stats.t.ppf(0.5 + level / 2, i - 1) * sd / np.sqrt(i) <= target
    return float(i[fits.argmax()]) if fits.any() else float("nan")


def sequential_replications(
    scenario: Scenario,
    kpi: str,
    half_width: float,
    *,
    start: int = 5,
    max_reps: int = 100,
    level: float = 0.95,
    relative: bool = False,
    seed: int | None = None,
    backend: Backend | None = None,
    cache: ReplicationCache | None = None,
) -> tuple[ExperimentResult, pd.DataFrame]:
    """Add replications until the interval of ``kpi`` is within ``± half_width`` (or ``max_reps``).

    The sequential procedure of Law & Kelton §9.4.1: run ``start``, estimate
    ``n*`` with :func:`replications_needed`, run up to it, and check again. A
    cache (in memory if none is given) means each replication is simulated once.
    Returns the final experiment and one row per round.
    """
    cache = cache if cache is not None else ReplicationCache(None)
    label, reps, rounds = scenario.name, max(start, 2), []
    while True:
        result = run_experiment({label: scenario}, reps, seed, backend=backend, cache=cache)
        advice = replications_needed(result.kpis, kpi, half_width, level, relative=relative, max_reps=max_reps)
        rounds.append(advice.iloc[0].to_dict())
        needed = advice["needed"].iloc[0]
        if bool(advice["enough"].iloc[0]) or reps >= max_reps:
            return result, pd.DataFrame(rounds)
        reps = min(max_reps, max(reps + 1, int(needed) if not math.isnan(needed) else max_reps))


class Evaluator:
    """``evaluator(scenarios, reps)`` → long KPI table: the searches' view of an experiment.

    Holds the seed, the backend and a cache (in memory if none is given), so a
    search that revisits a scenario, or checks it with more replications, never
    simulates a replication twice; counts what it simulated.
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        backend: Backend | None = None,
        cache: ReplicationCache | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.seed, self.backend, self.progress = seed, backend, progress
        self.cache = cache if cache is not None else ReplicationCache(None)
        self.computed = 0
        self.cached = 0

    def __call__(self, scenarios: Mapping[str, Scenario], reps: int) -> pd.DataFrame:
        result = run_experiment(
            scenarios, reps, self.seed, backend=self.backend, cache=self.cache, progress=self.progress
        )
        self.computed += result.computed
        self.cached += result.cached
        return result.kpis


def manifest(result: ExperimentResult, sources: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How the experiment was made: resolved scenarios, hashes, seeds, versions, wall time."""
    from sim.provenance import environment

    return {
        "seed": result.seed,
        "reps": result.reps,
        "scenarios": {
            label: {
                "hash": scenario_hash(s),
                "source": (sources or {}).get(label),
                "resolved": s.model_dump(mode="json"),
            }
            for label, s in result.scenarios.items()
        },
        "wall_seconds": round(result.wall_seconds, 3),
        **environment(),
    }
