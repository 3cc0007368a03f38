"""Running experiments: scenarios × replications → a long KPI table, the same whatever the workers.

Replication ``r`` of every scenario uses the streams of ``(seed, r)``, so all
scenarios see the same cases (common random numbers) and their differences can
be paired. Work is spread over a backend (:mod:`sim.experiments.backends`); results
are put back in (scenario, replication) order, so one worker or many give identical
tables. Finished replications go to a store as they arrive (:mod:`sim.experiments.cache`,
:mod:`sim.experiments.resume`), so an interrupted experiment resumes. The statistics
of the table are :mod:`sim.experiments.statistics`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pandas as pd

from sim.config.schema import MAX_REPLICATIONS, Scenario
from sim.experiments.backends import Backend, make_backend, worker_count
from sim.experiments.cache import ReplicationCache
from sim.experiments.statistics import replications_needed
from sim.experiments.types import ExperimentResult, Output, Progress, ReplicationStore
from sim.metrics import kpi_values
from sim.model import build_calendar, run_replication

__all__ = [
    "Evaluator",
    "replicate",
    "run_experiment",
    "sequential_replications",
]

logger = logging.getLogger(__name__)


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
        A :class:`~sim.experiments.cache.ReplicationCache` holds KPIs only, so with it kept runs
        are always computed; a :class:`~sim.experiments.resume.RunStore` holds the tables too.
    progress : callable, optional
        Called as ``progress(done, total)``; replications found in the cache count as done.
    backend : Backend, optional
        Where to run (:mod:`sim.experiments.backends`); left open for the caller to reuse.
        Without one, a process pool of ``jobs`` workers is opened and closed here.
    cache : ReplicationStore, optional
        Finished replications are taken from it and each new one is stored in it
        as soon as it arrives (in this process, whichever backend computed it), so
        an interrupted experiment resumes.
    """
    _check_reps(reps)
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


def _check_reps(reps: object) -> None:
    """``reps`` is a whole number in ``1 .. MAX_REPLICATIONS`` (not ``True``, not ``1e9``)."""
    if isinstance(reps, bool) or not isinstance(reps, int):
        raise TypeError(f"reps must be a whole number of replications (got {reps!r})")
    if not 1 <= reps <= MAX_REPLICATIONS:
        raise ValueError(f"reps must be between 1 and {MAX_REPLICATIONS:,} (got {reps:,})")


@contextmanager
def _opened(backend: Backend | None, jobs: int, n_tasks: int) -> Iterator[Backend]:
    """The caller's backend as is, or a pool of ``jobs`` workers for this call only."""
    if backend is not None:
        yield backend
        return
    workers = min(worker_count(jobs), max(n_tasks, 1))
    with make_backend(workers) as own:
        yield own


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
