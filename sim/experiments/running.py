"""Running experiments: scenarios × replications → a long KPI table, the same whatever the workers.

Replication ``r`` of every scenario uses the streams of ``(seed, r)``, so all
scenarios see the same cases (common random numbers) and their differences can
be paired. Work is spread over a backend (:mod:`sim.experiments.backends`); results
are put back in (scenario, replication) order, so one worker or many give identical
tables. Finished replications go to a store as they arrive (:mod:`sim.experiments.cache`,
:mod:`sim.experiments.resume`), so an interrupted experiment resumes. The statistics
of the table are :mod:`sim.experiments.statistics`.

Answers stream. :func:`stream_experiment` yields each replication as it finishes
(:class:`Finished`), for a progress bar or a page that shows the first estimate
after the first replications; :class:`Estimates` turns the stream into running
means and intervals, always over the replications ``0 .. n-1`` received in order,
so that what it shows does not depend on which worker finished first; and
:func:`run_to_precision` stops once an interval is as narrow as asked
(:class:`Precision`). :func:`run_experiment` is the stream collected into a table.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim.config.schema import MAX_REPLICATIONS, Scenario
from sim.experiments.backends import Backend, make_backend, worker_count
from sim.experiments.cache import ReplicationCache
from sim.experiments.extensions import shipped
from sim.experiments.statistics import replications_needed, summarise
from sim.experiments.types import ExperimentResult, Output, Progress, ReplicationStore
from sim.metrics import kpi_values
from sim.model import RunResult, build_calendar, run_replication

__all__ = [
    "Estimate",
    "Estimates",
    "Evaluator",
    "Finished",
    "Precision",
    "check_reps",
    "replicate",
    "run_experiment",
    "run_to_precision",
    "sequential_replications",
    "stream_experiment",
]

logger = logging.getLogger(__name__)


def replicate(scenario: Scenario, replication: int, seed: int, keep_run: bool = False) -> Output:
    """One replication: run the model, compute its KPIs; keep the tables if asked."""
    result = run_replication(scenario, replication, seed)
    values = kpi_values(result, scenario, build_calendar(scenario))
    return values, (result if keep_run else None)


def _replicate_task(args: tuple[Scenario, int, int, bool, ReplicationStore | None]) -> Output:
    """A worker's replication; with a ``keeper``, kept there and handed back as its KPIs alone."""
    scenario, replication, seed, keep_run, keeper = args
    output = replicate(scenario, replication, seed, keep_run)
    if keeper is None:
        return output
    keeper.save(scenario, seed, replication, output)
    return output[0], None


def _kept_by_workers(cache: ReplicationStore | None, runner: Backend, keep_runs: bool, hold_runs: bool) -> bool:
    """Whether the workers keep their own replications in ``cache`` (instead of this process).

    Only when nothing here needs the tables (``hold_runs=False``), the store says a worker
    may write it (:attr:`RunStore.workers_may_save`, a folder on disk) and the workers see
    this process's files (:attr:`Backend.shares_files`: this process, a local pool, a Dask
    LocalCluster). Then a finished replication's tables never travel to this process: the
    worker encodes them into the store, and this process receives the KPIs only.
    """
    return (
        keep_runs
        and not hold_runs
        and cache is not None
        and bool(getattr(cache, "workers_may_save", False))
        and bool(getattr(runner, "shares_files", False))
    )


@dataclass(frozen=True)
class Finished:
    """One finished replication, as :func:`stream_experiment` hands it over.

    ``done`` of ``total`` replications of the experiment are finished with this one
    (those found in the store count as done); ``cached`` says it came from the store.
    ``run`` holds its tables when they were asked for (``keep_runs``), else ``None``.
    """

    label: str
    replication: int
    kpis: Mapping[str, float]
    run: RunResult | None = None
    cached: bool = False
    done: int = 0
    total: int = 0


def stream_experiment(
    scenarios: Mapping[str, Scenario],
    reps: int,
    seed: int | None = None,
    *,
    jobs: int = 1,
    keep_runs: bool = False,
    backend: Backend | None = None,
    cache: ReplicationStore | None = None,
    hold_runs: bool = True,
) -> Generator[Finished, None, None]:
    """Yield each replication of every scenario as it finishes (see :func:`run_experiment`).

    Replications found in ``cache`` come first, in order; the others as the backend
    finishes them, in any order (each carries its label and replication number).
    Work is handed out replication by replication (replication 0 of every scenario,
    then replication 1, ...), so the first estimates of all scenarios come early.
    Each new replication is stored in ``cache`` before it is yielded: by the worker
    itself when the caller holds no runs (``hold_runs=False``, the yielded ``run`` is
    then ``None``) and the store and the backend allow it (:func:`_kept_by_workers`),
    else in this process. Closing the
    iterator early (``break``, or :func:`run_to_precision` stopping) cancels the
    work not yet started; replications already finished stay in the cache.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1 (got {reps})")
    if not scenarios:
        raise ValueError("no scenarios to run")
    seed = next(iter(scenarios.values())).run.seed if seed is None else seed
    tasks = [(label, scenario, rep) for rep in range(reps) for label, scenario in scenarios.items()]
    total, done, todo = len(tasks), 0, []
    for label, scenario, rep in tasks:
        output = cache.load(scenario, seed, rep, keep_runs) if cache is not None else None
        if output is None:
            todo.append((label, scenario, rep))
            continue
        done += 1
        yield Finished(label, rep, output[0], output[1], True, done, total)
    if not todo:
        return
    for scenario in {id(s): s for _, s, _ in todo}.values():
        # Here, not in each worker: the warning about years without official holiday data
        # is said once per process, and workers forked after this inherit that it was said.
        build_calendar(scenario)
    with _opened(backend, jobs, len(todo)) as runner:
        keeper = cache if _kept_by_workers(cache, runner, keep_runs, hold_runs) else None
        args = [(scenario, rep, seed, keep_runs, keeper) for _, scenario, rep in todo]
        # Extensions (your KPIs, rules, families) travel with each task; see extensions.py.
        with closing(runner.imap(shipped(_replicate_task, local=runner.name == "serial"), args)) as results:
            yield from _arrivals(results, todo, seed, cache, keeper is None, done, total)


def _arrivals(
    results: Iterator[tuple[int, Output]],
    todo: Sequence[tuple[str, Scenario, int]],
    seed: int,
    cache: ReplicationStore | None,
    save_here: bool,
    done: int,
    total: int,
) -> Generator[Finished, None, None]:
    """The backend's results as :class:`Finished`, each kept in ``cache`` first (``save_here``)."""
    for k, output in results:
        label, scenario, rep = todo[k]
        if cache is not None and save_here:
            cache.save(scenario, seed, rep, output)
        done += 1
        yield Finished(label, rep, output[0], output[1], False, done, total)


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
    hold_runs: bool = True,
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
        as soon as it arrives, so an interrupted experiment resumes. It is stored in this
        process, whichever backend computed it, except with ``hold_runs=False`` and a
        :class:`~sim.experiments.resume.RunStore`: then the worker keeps it, if it sees this
        process's files, and only its KPIs come back here.
    hold_runs : bool
        With ``keep_runs``, whether the result holds every run's tables in memory. False
        drops each run once ``cache`` has stored it (a :class:`~sim.experiments.resume.RunStore`
        keeps the tables on disk): this process then holds the KPIs only, whatever the
        number of replications, and the tables are read back from the store
        (``write_results(..., stored=...)``); ``result.runs`` is empty.
    """
    check_reps(reps)
    wall = time.perf_counter()
    finished: dict[tuple[str, int], Finished] = {}
    drop = not hold_runs and cache is not None
    stream = stream_experiment(
        scenarios, reps, seed, jobs=jobs, keep_runs=keep_runs, backend=backend, cache=cache, hold_runs=hold_runs
    )
    for item in stream:
        finished[(item.label, item.replication)] = replace(item, run=None) if drop else item
        if progress:
            progress(item.done, item.total)
    seed = next(iter(scenarios.values())).run.seed if seed is None else seed
    return _collect(scenarios, reps, seed, finished, time.perf_counter() - wall)


def _collect(
    scenarios: Mapping[str, Scenario], reps: int, seed: int, finished: Mapping[tuple[str, int], Finished], wall: float
) -> ExperimentResult:
    """The replications ``0 .. reps-1`` of every scenario, in (scenario, replication) order."""
    ordered = [finished[(label, rep)] for label in scenarios for rep in range(reps)]
    rows = [(f.label, f.replication, kpi, value) for f in ordered for kpi, value in f.kpis.items()]
    kpis = pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])
    runs = {(f.label, f.replication): f.run for f in ordered if f.run}
    computed = sum(not f.cached for f in ordered)
    logger.debug("experiment: %d replications computed, %d from the cache", computed, len(ordered) - computed)
    return ExperimentResult(
        kpis, dict(scenarios), seed, reps, runs, wall, computed=computed, cached=len(ordered) - computed
    )


# ---------------------------------------------------------------- streaming estimates


@dataclass(frozen=True)
class Estimate:
    """The running estimate of one KPI of one scenario: mean and Student-t interval over ``n``."""

    label: str
    kpi: str
    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    level: float

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN below two replications)."""
        return (self.ci_high - self.ci_low) / 2


class Estimates:
    """Running means and intervals of a stream of replications, for a page or a stopping rule.

    Like the tally a registrar keeps while results come in: each :class:`Finished`
    is added as it arrives, and every estimate is taken over the replications
    ``0 .. n-1`` of a scenario once all of them are in (a replication that finished
    ahead of an earlier one waits for it). What the estimates say after ``n``
    replications is therefore the same on one worker or many, and a stopping rule
    on them stops at the same ``n``.
    """

    def __init__(self, level: float = 0.95) -> None:
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1) (got {level})")
        self.level = level
        self._values: dict[str, dict[int, Mapping[str, float]]] = {}
        self._n: dict[str, int] = {}

    def add(self, finished: Finished) -> bool:
        """Take one replication; ``True`` if it lengthened its scenario's run of replications in order."""
        received = self._values.setdefault(finished.label, {})
        received[finished.replication] = finished.kpis
        before = n = self._n.get(finished.label, 0)
        while n in received:
            n += 1
        self._n[finished.label] = n
        return n > before

    @property
    def labels(self) -> list[str]:
        """The scenarios seen so far, in the order they first arrived."""
        return list(self._values)

    def n(self, label: str) -> int:
        """How many replications ``0 .. n-1`` of ``label`` are in (the estimates' sample size)."""
        return self._n.get(label, 0)

    def kpis(self) -> pd.DataFrame:
        """The long KPI table (scenario, replication, kpi, value) of the replications counted."""
        rows = [
            (label, rep, kpi, value)
            for label, received in self._values.items()
            for rep in range(self.n(label))
            for kpi, value in received[rep].items()
        ]
        return pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])

    def estimate(self, label: str, kpi: str, n: int | None = None) -> Estimate:
        """Mean and t-interval of ``kpi`` over the replications ``0 .. n-1`` of ``label``.

        ``n`` defaults to all counted so far (:meth:`n`), and cannot exceed it. NaN
        replications (a KPI undefined in that run) are left out of the estimate's ``n``,
        as in :func:`~sim.experiments.statistics.summarise`; the interval is NaN below two values.
        """
        counted = self.n(label)
        if n is None:
            n = counted
        elif not 0 <= n <= counted:
            raise ValueError(f"only {counted} replications of {label!r} are in (asked for {n})")
        received = self._values.get(label, {})
        values = np.array([received[rep].get(kpi, math.nan) for rep in range(n)], dtype=float)
        values = values[~np.isnan(values)]
        table = summarise(
            pd.DataFrame({"scenario": label, "replication": range(values.size), "kpi": kpi, "value": values}),
            self.level,
        )
        if table.empty:
            return Estimate(label, kpi, 0, math.nan, math.nan, math.nan, math.nan, self.level)
        row = table.iloc[0]
        return Estimate(
            label, kpi, int(row["n"]), float(row["mean"]), float(row["sd"]), row["ci_low"], row["ci_high"], self.level
        )

    def summary(self) -> pd.DataFrame:
        """Every KPI of every scenario so far, as :func:`~sim.experiments.statistics.summarise` gives it."""
        return summarise(self.kpis(), self.level)


@dataclass(frozen=True)
class Precision:
    """How narrow an interval must be: ``kpi`` within ``± half_width`` (a share of the mean if ``relative``)."""

    kpi: str
    half_width: float
    relative: bool = False
    level: float = 0.95

    def __post_init__(self) -> None:
        if not self.half_width > 0:
            raise ValueError(f"half_width must be positive (got {self.half_width})")
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1) (got {self.level})")

    def target(self, estimate: Estimate) -> float:
        """The half-width asked for, in the KPI's units."""
        return self.half_width * abs(estimate.mean) if self.relative else self.half_width

    def met(self, estimate: Estimate) -> bool:
        """Whether the estimate's interval is as narrow as asked (never below two values)."""
        return estimate.n >= 2 and bool(estimate.half_width <= self.target(estimate))

    def __str__(self) -> str:
        width = f"{100 * self.half_width:g}% of the mean" if self.relative else f"{self.half_width:g}"
        return f"{self.kpi} within ±{width} ({self.level:.0%} interval)"


def run_to_precision(
    scenarios: Mapping[str, Scenario],
    precision: Precision | Sequence[Precision],
    seed: int | None = None,
    *,
    min_reps: int = 3,
    max_reps: int = 100,
    jobs: int = 1,
    keep_runs: bool = False,
    backend: Backend | None = None,
    cache: ReplicationStore | None = None,
    on_update: Callable[[Estimates], None] | None = None,
    hold_runs: bool = True,
) -> tuple[ExperimentResult, str]:
    """Replications until every interval asked for is narrow enough in every scenario, or ``max_reps``.

    The fully sequential form of Law & Kelton's procedure (§9.4.1): after each
    replication the intervals over replications ``0 .. n-1`` are checked, from
    ``min_reps`` on, and the run stops at the first ``n`` where every
    :class:`Precision` holds in every scenario (the same ``n`` for all, so they stay
    paired). Work beyond ``n`` that was already under way on other workers is
    kept in the cache but not counted, so the answer does not depend on the
    workers. Hoad, Robinson & Davies (2010) advise not stopping at the very first
    lucky narrow interval: keep ``min_reps`` at 5 or more for a KPI whose spread is
    not known.

    ``on_update(estimates)`` is called whenever the estimates change (the first
    estimate after the first replications, then an interval that narrows).
    ``hold_runs=False`` with ``keep_runs`` drops each run's tables once ``cache`` has
    stored them, as in :func:`run_experiment`: this process holds the KPIs only, and
    ``result.runs`` is empty (``write_results(..., stored=...)`` reads them back).
    Returns the experiment over replications ``0 .. n-1`` and why it stopped.
    """
    wanted = [precision] if isinstance(precision, Precision) else list(precision)
    if not wanted:
        raise ValueError("no precision asked for")
    if not 2 <= min_reps <= max_reps:
        raise ValueError(f"need 2 <= min_reps <= max_reps (got {min_reps=}, {max_reps=})")
    if not scenarios:
        raise ValueError("no scenarios to run")
    seed = next(iter(scenarios.values())).run.seed if seed is None else seed
    wall = time.perf_counter()
    estimates = Estimates(wanted[0].level)
    finished: dict[tuple[str, int], Finished] = {}
    n, reason = max_reps, f"the limit of {max_reps} replications was reached"
    checked = min_reps - 1  # the prefixes 0 .. k-1 already checked, k <= checked
    stop: int | None = None
    drop = not hold_runs and cache is not None
    stream = stream_experiment(
        scenarios, max_reps, seed, jobs=jobs, keep_runs=keep_runs, backend=backend, cache=cache, hold_runs=hold_runs
    )
    with closing(stream):
        for item in stream:
            finished[(item.label, item.replication)] = replace(item, run=None) if drop else item
            if not estimates.add(item):
                continue
            if on_update:
                on_update(estimates)
            common = min(estimates.n(label) for label in scenarios)
            # On a pool the common prefix can grow by several replications at once (one that
            # finished late closes a gap): check every length in order, so that the stop is
            # the first n where the intervals hold, as with one worker.
            for k in range(checked + 1, common + 1):
                if all(p.met(estimates.estimate(label, p.kpi, k)) for p in wanted for label in scenarios):
                    stop = k
                    break
            checked = max(checked, common)
            if stop is not None:
                n = stop
                reason = f"{'; '.join(str(p) for p in wanted)} after {n} replications"
                break
    result = _collect(scenarios, n, seed, finished, time.perf_counter() - wall)
    return result, reason


def check_reps(reps: object, name: str = "reps") -> None:
    """``reps`` is a whole number in ``1 .. MAX_REPLICATIONS`` (not ``True``, not ``1e9``);
    the error names the argument ``name``."""
    if isinstance(reps, bool) or not isinstance(reps, int):
        raise TypeError(f"{name} must be a whole number of replications (got {reps!r})")
    if not 1 <= reps <= MAX_REPLICATIONS:
        raise ValueError(f"{name} must be between 1 and {MAX_REPLICATIONS:,} (got {reps:,})")


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
