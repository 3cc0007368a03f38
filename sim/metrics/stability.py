"""Is the court keeping up? A detector for a backlog that is still growing at the end.

Like a clerk who looks at the pile of open files over the last months and asks
whether it is levelling off or still rising: when more cases arrive than the
court can close, the open-case count grows without bound, and a mean "days to
close" computed from the cases that did close describes a run that had not
settled — it depends on how long the run was, not on the court. This module fits
the trend of the open-case count (:func:`sim.metrics.backlog_series`) over the
last third of the run after the warm-up and flags the run as unstable when the
growth is both statistically significant and large against the arrivals.

The test: ordinary least squares of the daily open-case count on time, with a
Newey–West (Bartlett kernel) standard error, because a backlog series is strongly
autocorrelated and the plain OLS error would call any wiggle significant. The
practical threshold guards the other way: a seasonal rise of a few per cent of
the arrivals is not instability. Both are parameters; see docs/validation.md.

Limitations: a window that ends in a seasonal upswing (March after the Spring
Festival dip) can rise by ~20% of the arrival rate for a while in a stable court;
runs meant for this KPI should end in a flat stretch of the year, as the
baseline's does (July–December). And only open cases are watched: work that piles
up where no case waits for it (archiving after closure, scanning beside the case)
is not seen here; see docs/validation.md.

Importing the module registers ``backlog_growth_per_day`` and ``unstable``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from sim.metrics.registry import Group, RunView, View, register
from sim.metrics.series import backlog_series

__all__ = [
    "BALANCE_COLUMNS",
    "UNSTABLE_KPI",
    "BacklogTrend",
    "backlog_trend",
    "case_balance",
    "closed_case_kpi",
    "instability_warning",
    "unstable_replications",
]

TAIL_SHARE = 1.0 / 3.0
"""The part of [warm-up, end] whose trend is tested: the last third."""
ALPHA = 0.01
"""One-sided significance level of the growth test."""
MIN_GROWTH_SHARE = 0.05
"""Growth below this share of the arrival rate is not called unstable (cases/day ÷ cases/day)."""


@dataclass(frozen=True, slots=True)
class BacklogTrend:
    """The trend of open cases over ``[start, end]`` (sim days) and the verdict.

    ``slope_per_day`` is in cases per day; ``growth_share`` is that slope ÷ the mean
    filings per day in the window (1 - closures ÷ arrivals, roughly).
    """

    start: float
    end: float
    slope_per_day: float
    stderr: float
    p_value: float
    arrivals_per_day: float
    growth_share: float
    unstable: bool


def backlog_trend(
    cases: pd.DataFrame,
    start: float,
    end: float,
    *,
    tail_share: float = TAIL_SHARE,
    alpha: float = ALPHA,
    min_growth_share: float = MIN_GROWTH_SHARE,
) -> BacklogTrend:
    """Fit and test the growth of open cases over the last ``tail_share`` of ``[start, end]``.

    Parameters
    ----------
    cases : DataFrame
        The case table (``arrived``, ``closed``; NaN closed = still open), all cases.
    start, end : float
        The part of the run to judge, sim days (the KPI uses [warm-up, end of log]).
    tail_share : float
        Share of ``[start, end]``, counted back from ``end``, whose trend is fitted.
    alpha : float
        One-sided level of the test "slope > 0".
    min_growth_share : float
        Smallest growth, as a share of the arrival rate, that counts as unstable.
    """
    lo = _tail_start(start, end, tail_share)
    series = backlog_series(cases, end)
    tail = series.loc[series.index >= lo]
    return _judge(
        lo,
        end,
        tail.index.to_numpy(float),
        tail.to_numpy(float),
        cases["arrived"].to_numpy(float),
        alpha,
        min_growth_share,
    )


def _tail_start(start: float, end: float, tail_share: float) -> float:
    if not 0 < tail_share <= 1:
        raise ValueError(f"tail_share must be in (0, 1], got {tail_share!r}")
    return end - tail_share * (end - start)


def _judge(
    lo: float, end: float, x: np.ndarray, y: np.ndarray, arrived: np.ndarray, alpha: float, min_growth_share: float
) -> BacklogTrend:
    """Fit ``y`` (a count at days ``x``) and call it unstable if it grows, significantly and fast."""
    width = float(x[-1] - x[0]) if x.size else 0.0
    rate = float(((arrived >= lo) & (arrived <= end)).sum()) / width if width > 0 else math.nan
    if x.size < 3 or np.ptp(y) == 0:
        slope = 0.0 if x.size >= 2 else math.nan
        return BacklogTrend(lo, end, slope, 0.0, 1.0, rate, _share(slope, rate), False)
    slope, stderr = _ols_hac(x, y)
    p_value = float(special.ndtr(-slope / stderr)) if stderr > 0 else float(slope <= 0)  # = stats.norm.sf
    share = _share(slope, rate)
    unstable = bool(p_value < alpha and share > min_growth_share)
    return BacklogTrend(lo, end, slope, stderr, p_value, rate, share, unstable)


def _share(slope: float, rate: float) -> float:
    if math.isnan(slope) or math.isnan(rate):
        return math.nan
    return slope / rate if rate > 0 else (math.inf if slope > 0 else 0.0)


def _ols_hac(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """OLS slope of ``y`` on ``x`` and its Newey–West standard error.

    The bandwidth ``L = ⌈n^(1/2)⌉`` is wider than the usual ``n^(1/4)`` rule because a
    backlog drifts for weeks: the wider window keeps the error honest.
    """
    n = x.size
    xc = x - x.mean()
    sxx = float(xc @ xc)
    slope = float(xc @ (y - y.mean())) / sxx
    resid = y - y.mean() - slope * xc
    score = xc * resid
    lags = min(n - 1, math.ceil(math.sqrt(n)))
    meat = float(score @ score)
    for lag in range(1, lags + 1):
        weight = 1.0 - lag / (lags + 1.0)
        meat += 2.0 * weight * float(score[lag:] @ score[:-lag])
    return slope, math.sqrt(max(meat, 0.0)) / sxx


def _trend(view: RunView) -> BacklogTrend:
    # Both KPIs refit: a backlog series of a year of cases costs milliseconds.
    return backlog_trend(view.cases, view.warmup, view.end)


@register(
    "backlog_growth_per_day",
    "未结案件日均增长",
    "backlog growth at the end",
    "cases/day",
    "lower",
    "OLS slope of the daily open-case count (all cases) over the last third of [warmup, end of "
    "log]. Near 0 in a court that keeps up; in an overloaded one it is the arrivals the court "
    "cannot close, and means of closed cases are then misleading. sim.metrics.stability",
    group=Group.STABILITY,
    position=1,
    headline=True,
)
def backlog_growth_per_day(view: RunView) -> float:
    return _trend(view).slope_per_day


@register(
    "unstable",
    "积案持续增长（不稳定）",
    "unstable: backlog still growing",
    "flag",
    "lower",
    "1 if the open-case count still grows over the last third of [warmup, end of log]: slope > 0 "
    f"at the one-sided {ALPHA:g} level (Newey–West error) and above {MIN_GROWTH_SHARE:.0%} of the "
    "filings per day; else 0. The mean over replications is the share of runs flagged. "
    "sim.metrics.stability",
    group=Group.STABILITY,
    position=2,
    headline=(View.TERMINAL, View.APP),
)
def unstable(view: RunView) -> float:
    return float(_trend(view).unstable)


# ---------------------------------------------------------------- flags and the case balance

UNSTABLE_KPI = "unstable"
"""The KPI whose replications are flagged (1) when the backlog still grows."""


def closed_case_kpi(kpi_id: str) -> bool:
    """Whether ``kpi_id`` is computed over closed cases only (days to close, outcome shares,
    rates "of closed"): such a mean describes the cases the court managed to close and is
    misleading when the backlog grows, because the cases still open are the slow ones."""
    from sim.metrics.registry import KPIS  # the register is filled by the metrics modules

    kpi = KPIS.get(kpi_id)
    return kpi is not None and (kpi.group in (Group.TIME, Group.OUTCOME) or kpi.closed_only)


def unstable_replications(kpis: pd.DataFrame, scenario: str | None = None) -> tuple[int, int]:
    """``(flagged, replications)`` of the ``unstable`` KPI in a long KPI table
    (``scenario, replication, kpi, value``), for one scenario or all rows."""
    rows = kpis.loc[kpis["kpi"] == UNSTABLE_KPI]
    if scenario is not None and "scenario" in rows:
        rows = rows.loc[rows["scenario"] == scenario]
    values = rows["value"].dropna().to_numpy(float)
    return int((values > 0.5).sum()), int(values.size)


def instability_warning(flagged: int, replications: int) -> tuple[str, str]:
    """The warning printed first wherever the numbers of an unstable run appear."""
    return (
        f"不稳定：{flagged}/{replications}次重复中未结案件持续增长（收案多于结案能力）；按已结案件计算的"
        "均值（结案用时、结案方式占比等）只反映结得了的案件，有误导性。",
        f"UNSTABLE: the open-case backlog still grows in {flagged} of {replications} replications (more "
        "cases arrive than the court closes); means over closed cases (days to close, outcome shares) "
        "describe only the cases it managed to close and are misleading.",
    )


BALANCE_COLUMNS = ("arrived", "closed")
"""The columns of the case table that :func:`case_balance` reads."""


def case_balance(cases: pd.DataFrame, start: float, end: float) -> dict[str, int]:
    """The court's case balance over ``[start, end)``: every case, not only the counted ones.

    ``open_start`` filed before ``start`` and not closed by it; ``arrived`` filed in the
    window; ``closed`` closed in it; ``open_end`` filed before ``end`` and not closed by it.
    ``open_start + arrived == closed + open_end`` holds by construction.
    """
    arrived_at = cases["arrived"].to_numpy(float)
    closed_at = cases["closed"].to_numpy(float)  # NaN: still open
    open_start = (arrived_at < start) & ~(closed_at < start)
    arrived = (arrived_at >= start) & (arrived_at < end)
    closed = (closed_at >= start) & (closed_at < end)
    open_end = (arrived_at < end) & ~(closed_at < end)
    return {
        "open_start": int(open_start.sum()),
        "arrived": int(arrived.sum()),
        "closed": int(closed.sum()),
        "open_end": int(open_end.sum()),
    }
