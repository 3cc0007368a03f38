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
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from sim.config.load import scenario_hash
from sim.config.schema import Scenario
from sim.experiments.backends import make_backend, worker_count
from sim.experiments.results import write_results
from sim.experiments.resume import RunStore
from sim.experiments.running import Estimates, Precision, run_to_precision
from sim.experiments.types import ExperimentResult
from sim.report.analysis import RunAnalysis, analyse_run
from sim.report.data import load_results

__all__ = ["DEFAULT_ROOT", "Job", "Jobs", "Outcome", "RunSettings", "Snapshot", "State"]

logger = logging.getLogger(__name__)

DEFAULT_ROOT = Path("results") / "app"
"""Where the page keeps its replications (``.partial/``) and each finished run's folder."""

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


class _Cancelled(Exception):
    """Raised in the job's thread to stop the stream at the next replication."""


class Job:
    """One run of ``scenarios`` (the first is the base) under ``settings``, in a thread of its own."""

    def __init__(self, scenarios: Mapping[str, Scenario], settings: RunSettings, root: Path = DEFAULT_ROOT) -> None:
        if not scenarios:
            raise ValueError("no scenarios to run")
        self.scenarios = dict(scenarios)
        self.base = next(iter(self.scenarios))
        self.settings = settings
        self.root = Path(root)
        self.outcome: Outcome | None = None
        self._state: State = "running"
        self._message = ""
        self._lock = threading.Lock()
        self._report_lock = threading.Lock()
        self._cancel = threading.Event()
        self._kpis = pd.DataFrame(columns=["scenario", "replication", "kpi", "value"])
        self._done: dict[str, int] = dict.fromkeys(self.scenarios, 0)
        self._started = time.perf_counter()
        self._first_result: float | None = None
        self._first: float | None = None
        self._stopped: float | None = None
        self._thread = threading.Thread(target=self._work, name=f"courtsim-app-{self.key[:8]}", daemon=True)

    @property
    def key(self) -> str:
        """Scenario contents, labels, seed and settings: the same key is the same run."""
        return job_key(self.scenarios, self.settings)

    def start(self) -> Job:
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
        if self._cancel.is_set():
            raise _Cancelled
        kpis = estimates.kpis()
        done = {label: estimates.n(label) for label in self.scenarios}
        with self._lock:
            self._kpis, self._done = kpis, done
            elapsed = time.perf_counter() - self._started
            if self._first_result is None and min(done.values()) >= 1:
                self._first_result = elapsed
            if self._first is None and min(done.values()) >= 2:
                self._first = elapsed

    def _work(self) -> None:
        settings = self.settings
        store = RunStore(self.root)
        workers = min(worker_count(settings.jobs), max(settings.max_reps * len(self.scenarios), 1))
        try:
            with make_backend(workers) as backend:
                result, reason = run_to_precision(
                    self.scenarios,
                    settings.precision(),
                    settings.seed,
                    min_reps=settings.min_reps,
                    max_reps=settings.max_reps,
                    keep_runs=True,
                    backend=backend,
                    cache=store,
                    on_update=self._update,
                )
            with self._lock:
                self._stopped = time.perf_counter() - self._started
                self._message = "正在写结果文件夹 / writing the results folder"
            self.outcome = self._finish(result, reason)
            with self._lock:
                self._state, self._message = "finished", reason
        except _Cancelled:
            with self._lock:
                self._state, self._message = "cancelled", "已取消 / cancelled"
        except Exception as exc:  # shown on the page, which must not die with a run
            logger.exception("the run failed")
            with self._lock:
                self._state, self._message = "failed", f"运行失败 / the run failed: {type(exc).__name__}: {exc}"

    def _finish(self, result: ExperimentResult, reason: str) -> Outcome:
        folder = self.root / f"{self.key[:16]}-n{result.reps}"
        write_results(folder, result, overwrite=True, extra={"app": {"stopped": reason}})
        shown = list(self.scenarios)[-1]  # the variant (or the base run alone): the page's tables are its
        analyses = {shown: analyse_run(load_results(folder), shown)}
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


@dataclass
class Jobs:
    """The page's jobs by key: the same scenarios and settings get the same (maybe finished) job."""

    root: Path = DEFAULT_ROOT
    _jobs: dict[str, Job] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, scenarios: Mapping[str, Scenario], settings: RunSettings) -> Job:
        """The job for these scenarios: a running or finished one, else a new one started now.

        A cancelled or failed job is replaced by a new one (its finished replications are in
        the store, so the new one starts from them).
        """
        key = job_key(scenarios, settings)
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.state in ("cancelled", "failed"):
                job = Job(scenarios, settings, self.root)
                self._jobs[key] = job
                job.start()
            return job

    def get(self, key: str) -> Job | None:
        """The job with this key, if the page started it."""
        return self._jobs.get(key)
