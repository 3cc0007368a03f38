"""Replication statistics: intervals, paired and independent differences, how many replications.

Pure functions of a long KPI table (``scenario, replication, kpi, value``), one row per
replication: the Student-t interval of each mean, each scenario's difference from a base
paired replication by replication (common random numbers) or as independent samples
(Welch), one-sided bounds for targets, and the number of replications a precision needs
(Law & Kelton §9.4.1), and the screen that drops candidates clearly worse than another
(Nelson et al. 2001). Nothing here runs the model; :mod:`sim.experiments.running` does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from sim import frames

__all__ = [
    "differences",
    "one_sided_bound",
    "paired_differences",
    "replications_needed",
    "screen",
    "summarise",
    "t_quantile",
    "welch_differences",
]


def t_quantile(q: Any, df: Any) -> Any:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom (arrays broadcast).

    ``scipy.stats.t.ppf`` computes exactly this (``special.stdtrit``, bit for bit), but
    importing ``scipy.stats`` costs most of a second of every command's start for
    nothing else; ``scipy.special`` is loaded anyway by the distributions.
    """
    return special.stdtrit(np.asarray(df, dtype=float), q)


def summarise(kpis: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per scenario and KPI: n, mean, SD and the Student-t confidence interval of the mean.

    NaN replications (a KPI undefined in that run, e.g. no simple cases) are left
    out of ``n``; with fewer than two values the interval is NaN. A KPI undefined in
    every replication stays in the table with ``n`` 0 and a NaN mean, so that listings
    show it as missing (:func:`sim.metrics.registry.missing_reason`) rather than drop it.
    """
    grouped = kpis.groupby(["scenario", "kpi"], sort=False)["value"]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    half = _half_width(table["sd"].to_numpy(), table["n"].to_numpy(), level)
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    return table


def _half_width(sd: np.ndarray, n: np.ndarray, level: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t_quantile(0.5 + level / 2, np.maximum(n - 1, 1))
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
                half = float(t_quantile(0.5 + level / 2, dof) * np.sqrt(va + vb))
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
    half = float(t_quantile(confidence, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
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
    for row in frames.rows(table, index=False):
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
    fits = t_quantile(0.5 + level / 2, i - 1) * sd / np.sqrt(i) <= target
    return float(i[fits.argmax()]) if fits.any() else float("nan")


def screen(samples: Mapping[str, Sequence[float] | np.ndarray], alpha: float = 0.05) -> list[str]:
    """The candidates not clearly worse than another (smaller is better), compared under CRN.

    The screening procedure of Nelson, Swann, Goldsman & Song (2001, "Simple procedures
    for selecting the best simulated system when the number of alternatives is large",
    *Operations Research* 49:950–963), on the replications ``0 .. n−1`` that every
    candidate has (common random numbers: replication *r* of each saw the same cases).
    Candidate *i* is kept if, for every other *l*,

        X̄_i ≤ X̄_l + W_il,   W_il = t((1−α)^(1/(k−1)), n−1) · S_il / √n,

    with ``S_il`` the SD of the paired differences ``X_i − X_l``. For normal outputs the
    best is kept with probability at least ``1 − α``, whatever the others' means. Below
    two common replications, or with one candidate, every candidate is kept. Returns the
    labels kept, in the given order.
    """
    labels = list(samples)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1) (got {alpha})")
    n = min((len(samples[label]) for label in labels), default=0)
    if len(labels) < 2 or n < 2:
        return labels
    values = np.array([np.asarray(samples[label], dtype=float)[:n] for label in labels])
    if np.isnan(values).any():
        return labels  # an undefined KPI in some replication: nothing is clearly worse
    t = float(t_quantile((1 - alpha) ** (1 / (len(labels) - 1)), n - 1))
    means = values.mean(axis=1)
    kept = []
    for i, label in enumerate(labels):
        diffs = values[i] - values  # row j: X_i − X_j, replication by replication
        width = t * diffs.std(axis=1, ddof=1) / np.sqrt(n)
        if all(means[i] <= means[j] + width[j] for j in range(len(labels)) if j != i):
            kept.append(label)
    return kept
