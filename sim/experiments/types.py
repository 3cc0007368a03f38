"""The types the experiment modules share: what a replication gives, where it is kept, what a search aims at.

Like the forms a registry office and its clerks agree on before anyone files anything,
these are the few shapes every experiment module speaks in, kept in one place so that no
module imports a sibling only to name a type:

- :data:`Output`: one replication's KPI values, and its tables if they were kept;
- :class:`ExperimentResult`: what an experiment gives (the long KPI table, the kept runs,
  how it was made), made by :func:`sim.experiments.running.run_experiment` and read by
  results folders, the API and the commands;
- :class:`ReplicationStore`: where finished replications are kept (the replication cache,
  a results folder's kept runs), so an interrupted experiment resumes;
- :data:`Progress`: the ``progress(done, total)`` callback;
- :data:`Evaluate`: ``evaluate(scenarios, reps)`` → long KPI table, the searches' view of
  an experiment (:class:`sim.experiments.running.Evaluator` is one);
- :class:`Target` (``fast45_rate>=0.9``, from :func:`parse_target`) and the
  :class:`TargetCheck` of one scenario's replications against it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from sim.config.schema import Scenario
from sim.experiments.statistics import one_sided_bound, summarise
from sim.lang import bi
from sim.metrics import KPIS, case_deadlines
from sim.metrics.registry import SHARE_UNITS
from sim.model import RunResult, build_calendar
from sim.vocab import Role, Team

__all__ = [
    "Evaluate",
    "ExperimentResult",
    "Output",
    "Progress",
    "ReplicationStore",
    "Target",
    "TargetCheck",
    "parse_target",
]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each replication finishes."""

Output = tuple[dict[str, float], RunResult | None]
"""What one replication gives: its KPI values, and its tables if they were kept."""

Evaluate = Callable[[Mapping[str, Scenario], int], pd.DataFrame]
"""``evaluate(scenarios, reps)`` → long KPI table (scenario, replication, kpi, value) under CRN."""


class ReplicationStore(Protocol):
    """Where finished replications are kept, so that an interrupted experiment resumes.

    Two kinds exist: :class:`sim.experiments.cache.ReplicationCache` keeps KPI values only
    (the experiment commands), :class:`sim.experiments.resume.RunStore` whole runs inside a
    results folder (``courtsim run``). Entries are keyed by the scenario's content, the seed
    and the replication; the model code is part of the key too (its fingerprint).
    """

    def load(self, scenario: Scenario, seed: int, replication: int, keep_run: bool) -> Output | None:
        """The stored replication, or ``None``; with ``keep_run``, only an entry holding its tables."""
        ...

    def save(self, scenario: Scenario, seed: int, replication: int, output: Output) -> None:
        """Keep one finished replication, as each one arrives.

        Called in the process running the experiment, or in the worker that computed the
        replication when the store has ``workers_may_save = True`` and the backend's workers
        see this process's files (:func:`sim.experiments.running.stream_experiment`).
        """
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
        frames = list(self.case_parts(label))
        if not frames:
            raise ValueError(f"no kept runs of {label!r}: run the experiment with keep_runs=True")
        return pd.concat(frames, ignore_index=True)

    def case_parts(self, label: str) -> Iterator[pd.DataFrame]:
        """:meth:`case_table` one kept replication at a time, in replication order (none without runs)."""
        runs = sorted((rep, run) for (lab, rep), run in self.runs.items() if lab == label)
        if not runs:
            return
        scenario = self.scenarios[label]
        calendar = build_calendar(scenario)
        for rep, run in runs:
            yield case_deadlines(run.cases, run.slas, scenario, calendar).assign(replication=rep)


# ---------------------------------------------------------------- targets

_TARGET = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*(%?)\s*$")


@dataclass(frozen=True)
class TargetCheck:
    """A target against the replications of one scenario."""

    n: int
    mean: float
    bound: float  # the one-sided bound on the threshold's side (NaN below 2 replications)
    holds: bool  # the bound is on the right side of the threshold


@dataclass(frozen=True)
class Target:
    """``kpi op threshold``, e.g. ``fast45_rate >= 0.9``; rates are shares (0.9, not 90)."""

    kpi: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.kpi}{self.op}{self.threshold:g}"

    @property
    def side(self) -> str:
        """Which one-sided bound must clear the threshold: ``"lower"`` for ``>=``."""
        return "lower" if self.op in (">=", ">") else "upper"

    def met_by(self, value: float) -> bool:
        """Whether ``value`` satisfies the target (False for NaN)."""
        if math.isnan(value):
            return False
        return {
            ">=": value >= self.threshold,
            ">": value > self.threshold,
            "<=": value <= self.threshold,
            "<": value < self.threshold,
        }[self.op]

    def check(self, values: np.ndarray, confidence: float) -> TargetCheck:
        """Mean and one-sided bound of ``values``; holds if the bound meets the target."""
        values = np.asarray(values, dtype=float)
        values = values[~np.isnan(values)]
        mean = float(values.mean()) if values.size else math.nan
        bound = one_sided_bound(values, self.side, confidence)
        return TargetCheck(int(values.size), mean, bound, self.met_by(bound))

    def shortfall(self, value: float) -> float:
        """How far ``value`` is from meeting the target, relative to the threshold (0 if met)."""
        if math.isnan(value):
            return math.inf
        gap = self.threshold - value if self.side == "lower" else value - self.threshold
        return max(0.0, gap) / (abs(self.threshold) or 1.0)

    def on(self, kpis: pd.DataFrame, scenario: str, confidence: float) -> TargetCheck:
        """The check on one scenario's rows of a long KPI table."""
        rows = kpis[(kpis["scenario"] == scenario) & (kpis["kpi"] == self.kpi)]
        return self.check(rows["value"].to_numpy(dtype=float), confidence)


def parse_target(text: str) -> Target:
    """``"fast45_rate>=0.9"`` → :class:`Target`; ``90%`` is read as 0.9.

    Raises ``ValueError`` naming the problem (an unknown KPI lists the known ones).
    """
    match = _TARGET.match(text)
    if not match:
        raise ValueError(f"target {text!r} is not like 'fast45_rate>=0.9' (KPI, one of >= <= > <, a number)")
    kpi, op, number, percent = match.groups()
    try:
        threshold = float(number) / (100 if percent else 1)
    except ValueError:
        raise ValueError(f"target {text!r}: {number!r} is not a number") from None
    if not math.isfinite(threshold):
        raise ValueError(f"target {text!r}: the threshold {number!r} is not a finite number")
    if kpi not in KPIS and not _is_utilisation(kpi):
        known = ", ".join(k for k in KPIS if not k.startswith("util_"))
        raise ValueError(f"target {text!r}: unknown KPI {kpi!r}; known: {known}, util_<team>_<role>")
    share = _is_utilisation(kpi) or KPIS[kpi].unit in SHARE_UNITS
    if share and not 0.0 <= threshold <= 1.0:
        meant = threshold / 100 if 1.0 < threshold <= 100.0 else 0.9
        raise ValueError(
            bi(
                f"目标 {text!r}：{kpi} 是0到1之间的比率；请写成 {kpi}{op}{meant:g} 或 {kpi}{op}{100 * meant:g}%",
                f"target {text!r}: {kpi} is a rate between 0 and 1 (got {threshold:g}); write it as a "
                f"fraction, {kpi}{op}{meant:g}, or as a percentage, {kpi}{op}{100 * meant:g}%",
            )
        )
    return Target(kpi, op, threshold)


def _is_utilisation(kpi: str) -> bool:
    teams, roles = "|".join(t.value for t in Team), "|".join(r.value for r in Role)
    return re.fullmatch(rf"util_({teams})_({roles})", kpi) is not None
