"""Warm-up: how many days the empty court needs before its backlog looks like a running one.

A simulated court opens empty; its first months have short queues no real court
has. MSER-5 (White 1997; White, Cobb & Spratt 2000) picks the truncation point
that minimises the standard error of the mean of what remains, computed on
batch means of 5 observations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.metrics.series import backlog_series

__all__ = ["BATCH", "mser5", "suggest_warmup_days"]

BATCH = 5
"""Observations per batch mean in MSER-5."""


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
