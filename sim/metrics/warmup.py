"""Warm-up: how many days the empty court needs before its outputs look like a running court's.

A simulated court opens empty; its first months have short queues no real court
has. MSER-5 (White 1997; White, Cobb & Spratt 2000) picks the truncation point
that minimises the standard error of the mean of what remains, computed on
batch means of 5 observations.

:func:`warmup_check` applies it to several daily outputs of each replication (the
open cases, the work in progress of each team, the closures of the day) and says
whether the scenario's ``run.warmup_days`` covers the longest truncation. A court
whose backlog still grows (:func:`sim.metrics.stability.backlog_trend`) has no
steady state to warm up to: the check says so instead of giving a truncation point.
A run started from the court's open cases (``[initial_backlog]``) needs little or
no warm-up when the backlog is the court's real one; the check measures that too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim import frames
from sim.config.schema import Scenario
from sim.metrics.series import backlog_series, stage_series

__all__ = [
    "BACKLOG_OUTPUT",
    "BATCH",
    "CASE_COLUMNS",
    "CLOSURES_OUTPUT",
    "STEP_COLUMNS",
    "WIP_PREFIX",
    "WarmupCheck",
    "mser5",
    "mser5_table",
    "suggest_warmup_days",
    "warmup_check",
    "warmup_outputs",
]

BATCH = 5
"""Observations per batch mean in MSER-5."""
BACKLOG_OUTPUT = "open_cases"
"""Output name: the court's open cases each day (all cases, counted or not)."""
CLOSURES_OUTPUT = "closures"
"""Output name: cases closed each day."""
WIP_PREFIX = "wip:"
"""Output names ``wip:<team>``: open cases held by each team each day (:func:`stage_series`)."""


def mser5(series: np.ndarray | pd.Series | list[float]) -> int:
    """MSER-5 truncation point: observations to delete from the start of ``series``.

    The series is cut into batch means of 5 (a trailing partial batch is
    dropped). For each truncation d (in batches) the statistic is
    ``Σ_{j>=d} (Z_j − mean(Z_d..))² / (m − d)²``; the minimising d over the
    first half of the m batches (beyond it the statistic is unreliable) is
    returned as ``5 d`` observations (d < m / 2). NaNs are dropped; fewer than two batches
    give 0.
    """
    values = np.asarray(series, dtype=float)
    values = values[~np.isnan(values)]
    m = values.size // BATCH
    if m < 2:
        return 0
    z = values[: m * BATCH].reshape(m, BATCH).mean(axis=1)
    # Suffix sums give every truncation's mean and sum of squares at once.
    count = np.arange(m, 0, -1, dtype=float)
    total = np.cumsum(z[::-1])[::-1]
    squares = np.cumsum((z * z)[::-1])[::-1]
    stat = (squares - total * total / count) / (count * count)
    d = int(np.argmin(stat[: max(1, m // 2)]))
    return d * BATCH


def suggest_warmup_days(cases: pd.DataFrame, end: float, freq_days: float = 1.0) -> float:
    """A warm-up length (days) from MSER-5 on the backlog sampled every ``freq_days``."""
    backlog = backlog_series(cases, end, freq_days)
    return float(mser5(backlog.to_numpy(dtype=float)) * freq_days)


STEP_COLUMNS = ("kind", "step", "case_id", "start", "team")
"""The step-log columns the check reads (:func:`~sim.metrics.series.stage_series`): a reader of a
kept log need not hold the rest."""
CASE_COLUMNS = ("case_id", "arrived", "closed")
"""The case-table columns the check reads (the backlog, the closures, the stage series)."""


def warmup_outputs(steps: pd.DataFrame, cases: pd.DataFrame, end: float) -> dict[str, np.ndarray]:
    """The daily outputs MSER-5 is applied to, over days 0, 1, … ≤ ``end``.

    ``open_cases`` (all open cases), ``wip:<team>`` (open cases each team holds) and
    ``closures`` (cases closed in ``[d, d + 1)``, the last partial day dropped).
    """
    outputs = {BACKLOG_OUTPUT: backlog_series(cases, end).to_numpy(dtype=float)}
    for team, column in stage_series(steps, cases, end).items():
        outputs[f"{WIP_PREFIX}{team}"] = column.to_numpy(dtype=float)
    closed = cases["closed"].to_numpy(float)
    closed = closed[~np.isnan(closed) & (closed >= 0) & (closed < math.floor(end))]
    outputs[CLOSURES_OUTPUT] = np.bincount(closed.astype(int), minlength=math.floor(end)).astype(float)
    return outputs


def mser5_table(runs: Iterable[tuple[int, pd.DataFrame, pd.DataFrame]], warmup: float, end: float) -> pd.DataFrame:
    """MSER-5 per replication and output: ``replication, output, truncation_days, steady``.

    ``runs`` yields (replication, steps, cases). ``steady`` is False for a replication
    whose backlog still grows over the last third of [``warmup``, ``end``]; its
    truncations are NaN (no steady state, no truncation point).
    """
    # Here, not at the top: importing sim.metrics.stability registers its KPIs, and sim.metrics
    # imports this module before the KPI modules, so a top-level import would move them to the
    # front of the register (and of every KPI table, e.g. kpis_by_rep.csv).
    from sim.metrics.stability import backlog_trend

    rows = []
    for rep, steps, cases in runs:
        steady = not backlog_trend(cases, warmup, end).unstable
        for output, values in warmup_outputs(steps, cases, end).items():
            days = float(mser5(values)) if steady else math.nan
            rows.append((rep, output, days, steady))
    return pd.DataFrame(rows, columns=["replication", "output", "truncation_days", "steady"])


@dataclass(frozen=True)
class WarmupCheck:
    """Whether a scenario's warm-up covers the MSER-5 truncation of every output.

    ``needed_days`` is the longest truncation over outputs and steady replications (NaN
    when none is steady); ``table`` is :func:`mser5_table`'s.
    """

    warmup_days: float
    needed_days: float
    steady_replications: int
    replications: int
    table: pd.DataFrame

    @property
    def steady(self) -> bool:
        """Every replication has a steady state (its backlog does not keep growing)."""
        return self.steady_replications == self.replications

    @property
    def enough(self) -> bool:
        """The warm-up is at least the longest truncation (False when there is no steady state)."""
        return self.steady and not math.isnan(self.needed_days) and self.warmup_days >= self.needed_days

    @property
    def longest(self) -> str:
        """The output whose truncation is the longest ("" when none)."""
        table = self.table.dropna(subset=["truncation_days"])
        if table.empty:
            return ""
        return str(frames.cell(table, table["truncation_days"].idxmax(), "output"))

    @classmethod
    def of(cls, table: pd.DataFrame, warmup_days: float) -> WarmupCheck:
        """The verdict on a :func:`mser5_table` (of one or several replications' tables)."""
        steady = table.drop_duplicates("replication")["steady"]
        needed = float(table["truncation_days"].max()) if table["truncation_days"].notna().any() else math.nan
        return cls(float(warmup_days), needed, int(steady.sum()), int(steady.size), table)

    def message(self) -> tuple[str, str]:
        """The verdict in Chinese and in English."""
        if not self.steady:
            unsteady = self.replications - self.steady_replications
            return (
                f"积案持续增长（{unsteady}/{self.replications} 次重复），系统无稳态：MSER-5 无法给出预热截断点，"
                f"预热 {self.warmup_days:g} 天是否足够无从判断。",
                f"The backlog still grows in {unsteady} of {self.replications} replications: there is no steady "
                f"state, so MSER-5 gives no truncation point and cannot judge the {self.warmup_days:g}-day warm-up.",
            )
        if self.enough:
            return (
                f"预热 {self.warmup_days:g} 天足够：各输出 MSER-5 截断点最长 "
                f"{self.needed_days:g} 天（{self.longest}）。",
                f"The {self.warmup_days:g}-day warm-up is long enough: the longest MSER-5 truncation over the "
                f"outputs is {self.needed_days:g} days ({self.longest}).",
            )
        return (
            f"预热不足：MSER-5 截断点最长 {self.needed_days:g} 天（{self.longest}），"
            f"长于场景的预热 {self.warmup_days:g} 天；请加长 run.warmup_days 或以在办积案起算（initial_backlog）。",
            f"The warm-up is too short: the longest MSER-5 truncation is {self.needed_days:g} days "
            f"({self.longest}), longer than the scenario's {self.warmup_days:g}-day warm-up; lengthen "
            "run.warmup_days or start from the court's open cases (initial_backlog).",
        )


def warmup_check(runs: Mapping[int, Any] | Iterable[tuple[int, Any]], scenario: Scenario) -> WarmupCheck:
    """MSER-5 over the outputs of each replication's tables (objects with ``steps`` and ``cases``).

    ``runs`` maps (or yields) replication → run (a :class:`~sim.model.RunResult` or anything
    with the two tables). The run's whole log, warm-up to cool-down, is examined.
    """
    pairs = runs.items() if isinstance(runs, Mapping) else runs  # lazily: one run's tables at a time
    spec = scenario.run
    end = spec.horizon_days + spec.cooldown_days
    table = mser5_table(((rep, run.steps, run.cases) for rep, run in pairs), spec.warmup_days, end)
    return WarmupCheck.of(table, spec.warmup_days)
