"""A run in the background: a base and a variant, replications until a precision or a cap, cancellable.

The page must never wait for the model. A :class:`Job` runs
:func:`~sim.experiments.running.run_to_precision` in a thread of the page's server, on a
process pool of its own, and keeps what the page shows: how many replications are in,
the running estimates (the first after the first replications, narrowing as more finish),
then the finished tables. :meth:`Job.cancel` stops it at the next replication; work not yet
started is dropped, and replications already finished stay in the store.

Nothing is simulated twice. Every replication is kept, tables and all, in a
:class:`~sim.experiments.resume.RunStore` keyed by scenario content, seed and model code,
so the baseline is simulated once for all variants, and :class:`Jobs` hands back the same
finished job for the same scenarios and settings, so going back to an earlier variant is
instant. A finished job writes a results folder (:func:`~sim.experiments.results.write_results`)
and a zip of it, and its HTML run report when the page asks (:meth:`Job.report`), for the downloads.

The page's process holds the KPIs only: each replication's tables (tens of MB) go from the
worker to the store on disk and are dropped here, the results folder is written from the
store one replication at a time, and the finished run's analyses read that folder one
replication at a time (:class:`StoredRun`).

:class:`MarginalJob` is the bottleneck by effect on the same machinery: the function of
``courtsim marginal`` (:func:`~sim.experiments.marginal.marginal_staffing`, one more person
in each post, CRN-paired) in a thread, with progress and cancel, its KPIs cached on disk by
scenario content and seed (the run's own replications are read from its store).

Both leave each replication's KPIs in a :class:`~sim.experiments.cache.ReplicationCache`
(``cache``; ``courtsim app`` passes the command line's, ``results/.cache``), so ``courtsim
staff``, ``capacity`` or ``marginal`` after the page, and the page's bottleneck job after a
``courtsim run``, start from the replications already simulated.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Self, TypeVar

import pandas as pd

from sim.config.load import scenario_hash
from sim.config.schema import Scenario
from sim.experiments.backends import make_backend, worker_count
from sim.experiments.cache import ReplicationCache
from sim.experiments.marginal import MarginalResult, marginal_cost, marginal_staffing
from sim.experiments.results import write_results
from sim.experiments.resume import RunStore
from sim.experiments.running import Estimates, Evaluator, Precision, run_to_precision
from sim.experiments.types import ExperimentResult
from sim.report.analysis import RunAnalysis, analyse_run
from sim.report.data import Results, ScenarioRun, load_results
from sim.report.data import _slug as table_slug  # the file names of the per-scenario tables

__all__ = [
    "DEFAULT_ROOT",
    "MARGINAL_REPS",
    "Job",
    "Jobs",
    "MarginalJob",
    "MarginalSettings",
    "MarginalSnapshot",
    "Outcome",
    "RunSettings",
    "Snapshot",
    "State",
    "StoredRun",
    "job_key",
    "marginal_key",
    "one_at_a_time",
]

logger = logging.getLogger(__name__)

DEFAULT_ROOT = Path("results") / "app"
"""Where the page keeps its replications (``.partial/``) and each finished run's folder."""

KPI_CACHE = ".kpis"
"""Where the page keeps its replications' KPIs under its root when given no cache of its own."""


def kpi_cache(root: Path, cache: Path | None) -> Path:
    """The folder of the page's replication cache: ``cache``, else ``root/.kpis``."""
    return Path(cache) if cache is not None else Path(root) / KPI_CACHE


State = Literal["running", "cancelling", "cancelled", "finished", "failed"]


@dataclass(frozen=True)
class RunSettings:
    """How long to run: until ``kpi`` is within ``± half_width`` (95%) in every scenario, or ``max_reps``."""

    seed: int
    kpi: str = "fast45_rate"
    half_width: float = 0.02
    min_reps: int = 3
    max_reps: int = 20
    jobs: int = 0

    def precision(self) -> Precision:
        """The stopping rule of :func:`run_to_precision`."""
        return Precision(self.kpi, self.half_width)


@dataclass(frozen=True)
class Outcome:
    """A finished job: the experiment, why it stopped, and its results folder with the analyses."""

    result: ExperimentResult
    reason: str
    folder: Path
    analyses: Mapping[str, RunAnalysis]
    archive: Path


@dataclass(frozen=True)
class Snapshot:
    """What the page shows now: state, replications in per scenario, the long KPI table so far."""

    state: State
    done: Mapping[str, int]
    kpis: pd.DataFrame
    started: float
    first_result: float | None  # seconds from the start to the first replication of every scenario
    first_estimate: float | None  # seconds from the start to the first interval (two replications of each)
    stopped: float | None  # seconds from the start until the precision (or the cap) was reached
    message: str = ""


_J = TypeVar("_J", bound="_Background")
"""A kind of background job (:class:`Job`, :class:`MarginalJob`)."""


class _Cancelled(Exception):
    """Raised in a job's thread to stop the stream at the next replication."""


class _Background:
    """Work in a thread of its own: its state and message, and cancel at the next replication."""

    def __init__(self, name: str) -> None:
        self._state: State = "running"
        self._message = ""
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self._guarded, name=name, daemon=True)

    def start(self) -> Self:
        """Start the thread (once); returns the job."""
        if not self._thread.is_alive() and self._thread.ident is None:
            self._started = time.perf_counter()
            self._thread.start()
        return self

    def cancel(self) -> None:
        """Stop at the next replication that finishes; queued work is dropped."""
        with self._lock:
            if self._state == "running":
                self._state = "cancelling"
                self._message = "正在停止：进行中的重复完成后停止 / stopping once the replications under way finish"
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (for tests and the benchmark; the page never waits)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def state(self) -> State:
        """running, cancelling, cancelled, finished or failed."""
        return self._state

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise _Cancelled

    def _work(self) -> str:
        """The work; returns the message of the finished job."""
        raise NotImplementedError

    def _guarded(self) -> None:
        try:
            message = self._work()
            with self._lock:
                self._state, self._message = "finished", message
        except _Cancelled:
            with self._lock:
                self._state, self._message = "cancelled", "已取消 / cancelled"
        except Exception as exc:  # shown on the page, which must not die with a run
            logger.exception("the run failed")
            with self._lock:
                self._state, self._message = "failed", f"运行失败 / the run failed: {type(exc).__name__}: {exc}"


class Job(_Background):
    """One run of ``scenarios`` (the first is the base) under ``settings``, in a thread of its own."""

    def __init__(
        self,
        scenarios: Mapping[str, Scenario],
        settings: RunSettings,
        root: Path = DEFAULT_ROOT,
        cache: Path | None = None,
    ) -> None:
        if not scenarios:
            raise ValueError("no scenarios to run")
        self.scenarios = dict(scenarios)
        self.base = next(iter(self.scenarios))
        self.settings = settings
        self.root = Path(root)
        self.cache = kpi_cache(self.root, cache)
        self.outcome: Outcome | None = None
        self._report_lock = threading.Lock()
        self._kpis = pd.DataFrame(columns=["scenario", "replication", "kpi", "value"])
        self._done: dict[str, int] = dict.fromkeys(self.scenarios, 0)
        self._first_result: float | None = None
        self._first: float | None = None
        self._stopped: float | None = None
        super().__init__(f"courtsim-app-{self.key[:8]}")

    @property
    def key(self) -> str:
        """Scenario contents, labels, seed and settings: the same key is the same run."""
        return job_key(self.scenarios, self.settings)

    def snapshot(self) -> Snapshot:
        """A consistent copy of what is known now."""
        with self._lock:
            return Snapshot(
                self._state,
                dict(self._done),
                self._kpis,
                self._started,
                self._first_result,
                self._first,
                self._stopped,
                self._message,
            )

    # ------------------------------------------------------------ the thread

    def _update(self, estimates: Estimates) -> None:
        self._check_cancel()
        kpis = estimates.kpis()
        done = {label: estimates.n(label) for label in self.scenarios}
        with self._lock:
            self._kpis, self._done = kpis, done
            elapsed = time.perf_counter() - self._started
            if self._first_result is None and min(done.values()) >= 1:
                self._first_result = elapsed
            if self._first is None and min(done.values()) >= 2:
                self._first = elapsed

    def _work(self) -> str:
        settings = self.settings
        store = RunStore(self.root)
        workers = min(worker_count(settings.jobs), max(settings.max_reps * len(self.scenarios), 1))
        with make_backend(workers) as backend:
            result, reason = run_to_precision(
                self.scenarios,
                settings.precision(),
                settings.seed,
                min_reps=settings.min_reps,
                max_reps=settings.max_reps,
                keep_runs=True,  # the workers hand the tables over and the store keeps them on disk ...
                hold_runs=False,  # ... and this process drops them: it holds the KPIs only
                backend=backend,
                cache=store,
                on_update=self._update,
            )
        with self._lock:
            self._stopped = time.perf_counter() - self._started
            self._message = "正在写结果文件夹 / writing the results folder"
        ReplicationCache(self.cache).put_result(result)  # for the bottleneck job and the searches
        self.outcome = self._finish(result, reason, store)
        return reason

    def _finish(self, result: ExperimentResult, reason: str, store: RunStore) -> Outcome:
        folder = self.root / f"{self.key[:16]}-n{result.reps}"
        write_results(
            folder,
            result,
            overwrite=True,
            extra={"app": {"stopped": reason}},
            stored=lambda label, rep: store.table_paths(self.scenarios[label], result.seed, rep),
        )
        shown = list(self.scenarios)[-1]  # the variant (or the base run alone): the page's tables are its
        analyses = {shown: analyse_run(one_at_a_time(load_results(folder), shown), shown)}
        archive = Path(shutil.make_archive(str(folder), "zip", root_dir=folder.parent, base_dir=folder.name))
        return Outcome(result, reason, folder, analyses, archive)

    def report(self) -> Path:
        """The HTML run report of the finished run's variant, written on first asking (some seconds)."""
        if self.outcome is None:
            raise RuntimeError("the run has not finished")
        path = self.outcome.folder / "report.html"
        with self._report_lock:
            if not path.is_file():
                from sim.report import write_run_report  # matplotlib and the HTML builders: only when asked

                write_run_report(self.outcome.folder, path, label=list(self.scenarios)[-1])
        return path


def job_key(scenarios: Mapping[str, Scenario], settings: RunSettings) -> str:
    """A fingerprint of what a job computes: labels, scenario contents and the settings."""
    parts = [f"{label}={scenario_hash(s)}" for label, s in scenarios.items()]
    parts.append(repr(settings))
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- the analyses, one replication at a time


class StoredRun(ScenarioRun):
    """A scenario of a results folder whose tables are read one replication at a time.

    :class:`~sim.report.data.ScenarioRun` reads each table of every replication at once (and
    splits it by replication); this reads only the rows of the replication asked for (the
    results folder's Parquet files hold one row group per replication), so the analyses of a
    finished run hold one replication's tables at a time. The tables are the same.
    """

    def _path(self, name: str) -> Path:
        return self.folder / f"{table_slug(self.label)}.{name}.parquet"

    @property
    def replications(self) -> list[int]:
        """The replication numbers present in the case table."""
        column = pd.read_parquet(self._path("cases"), columns=["replication"])["replication"]
        return sorted(int(r) for r in column.unique())

    def per_replication(self) -> Iterator[tuple[int, dict[str, pd.DataFrame]]]:
        """As :meth:`ScenarioRun.per_replication`, each replication read from the files when its turn comes."""
        names = ["cases", "slas", "steps"]
        if self._path("unfinished").is_file():
            names.append("unfinished")
        for rep in self.replications:
            yield rep, {name: self._rows(name, rep) for name in names}

    def _rows(self, name: str, rep: int) -> pd.DataFrame:
        frame = pd.read_parquet(self._path(name), filters=[("replication", "==", rep)])
        return frame.drop(columns="replication").reset_index(drop=True)


def one_at_a_time(results: Results, label: str) -> Results:
    """``results`` with scenario ``label`` read one replication at a time (:class:`StoredRun`)."""
    run = results.runs[label]
    stored = StoredRun(run.label, run.scenario, run.source, run.folder)
    return replace(results, runs={**results.runs, label: stored})


# ---------------------------------------------------------------- the bottleneck by effect

MARGINAL_REPS = 3
"""Replications of the base and of each post's variant on the page: ``courtsim marginal``'s default.
Every post costs that many full runs, so the page keeps it modest (and says so)."""


@dataclass(frozen=True)
class MarginalSettings:
    """The seed of the run it follows, the replications of each variant, the workers."""

    seed: int
    reps: int = MARGINAL_REPS
    jobs: int = 0


@dataclass(frozen=True)
class MarginalSnapshot:
    """What the page shows of a bottleneck job: state, replications done of all, its message."""

    state: State
    done: int
    total: int
    message: str = ""


class _PageKpis(ReplicationCache):
    """KPIs only: the page's whole runs (its :class:`RunStore`) first, else the entries of ``cache``.

    The bottleneck by effect needs no tables; the replications of the run it follows are
    already in the run store, and each new one (the posts' variants) is kept as KPIs.
    """

    def __init__(self, root: Path, cache: Path) -> None:
        super().__init__(cache)
        self.runs = RunStore(root)

    def load(
        self, scenario: Scenario, seed: int, replication: int, keep_run: bool
    ) -> tuple[dict[str, float], None] | None:
        if not keep_run:
            found = self.runs.load(scenario, seed, replication, False)
            if found is not None:
                self.hits += 1
                return found[0], None
        return super().load(scenario, seed, replication, keep_run)


class MarginalJob(_Background):
    """``courtsim marginal``'s computation for one scenario (+1 person in each post), in a thread."""

    def __init__(
        self, scenario: Scenario, settings: MarginalSettings, root: Path = DEFAULT_ROOT, cache: Path | None = None
    ) -> None:
        self.scenario = scenario
        self.settings = settings
        self.root = Path(root)
        self.cache = kpi_cache(self.root, cache)
        self.result: MarginalResult | None = None
        self.computed = self.cached = 0
        self._done = 0
        self._total = marginal_cost(scenario, settings.reps)
        super().__init__(f"courtsim-marginal-{self.key[:8]}")

    @property
    def key(self) -> str:
        """Scenario content, seed and replications: the same key is the same table."""
        return marginal_key(self.scenario, self.settings)

    def snapshot(self) -> MarginalSnapshot:
        """A consistent copy of what is known now."""
        with self._lock:
            return MarginalSnapshot(self._state, self._done, self._total, self._message)

    def _progress(self, done: int, total: int) -> None:
        self._check_cancel()
        with self._lock:
            self._done, self._total = done, total

    def _work(self) -> str:
        cache = _PageKpis(self.root, self.cache)
        workers = min(worker_count(self.settings.jobs), max(self._total, 1))
        with make_backend(workers) as backend:
            evaluator = Evaluator(self.settings.seed, backend=backend, cache=cache, progress=self._progress)
            self.result = marginal_staffing(self.scenario, evaluator, reps=self.settings.reps)
        self.computed, self.cached = evaluator.computed, evaluator.cached
        zh = f"模拟 {self.computed} 次，{self.cached} 次取自缓存"
        return f"{zh} / {self.computed} simulated, {self.cached} from the cache"


def marginal_key(scenario: Scenario, settings: MarginalSettings) -> str:
    """A fingerprint of a bottleneck job: the scenario's content, the seed and the replications."""
    text = f"marginal|{scenario_hash(scenario)}|seed={settings.seed}|reps={settings.reps}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Jobs:
    """The page's jobs by key: the same scenarios and settings get the same (maybe finished) job.

    ``root`` keeps the replications with their tables and the results folders; ``cache`` is the
    replication cache the jobs leave their KPIs in (default ``root/.kpis``).
    """

    root: Path = DEFAULT_ROOT
    cache: Path | None = None
    _jobs: dict[str, Job] = field(default_factory=dict)
    _marginal: dict[str, MarginalJob] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, scenarios: Mapping[str, Scenario], settings: RunSettings) -> Job:
        """The job for these scenarios: a running or finished one, else a new one started now.

        A cancelled or failed job is replaced by a new one (its finished replications are in
        the store, so the new one starts from them).
        """
        return self._started(
            self._jobs, job_key(scenarios, settings), lambda: Job(scenarios, settings, self.root, self.cache)
        )

    def get(self, key: str) -> Job | None:
        """The job with this key, if the page started it."""
        return self._jobs.get(key)

    def marginal(self, scenario: Scenario, settings: MarginalSettings) -> MarginalJob:
        """The bottleneck job of ``scenario``: a running or finished one, else a new one started now
        (a cancelled or failed one is replaced; its replications are in the caches)."""
        return self._started(
            self._marginal,
            marginal_key(scenario, settings),
            lambda: MarginalJob(scenario, settings, self.root, self.cache),
        )

    def get_marginal(self, key: str) -> MarginalJob | None:
        """The bottleneck job with this key, if the page started it."""
        return self._marginal.get(key)

    def _started(self, table: dict[str, _J], key: str, make: Callable[[], _J]) -> _J:
        """The job of ``table`` under ``key`` if it runs or has finished, else ``make()`` started now."""
        with self._lock:
            job = table.get(key)
            if job is None or job.state in ("cancelled", "failed"):
                job = table[key] = make()
                job.start()
            return job
