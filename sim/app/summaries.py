"""The page's result tables: verdicts per target, utilisation per team × role, the paired comparison.

Tables in, tables out (no Streamlit here). The verdicts are the reports' own
(:func:`sim.report.targets.judge` on the 95% interval), with one more status the
administrator must see first: *unstable*, when the backlog still grows in any replication,
for every target computed over closed cases (:func:`sim.metrics.stability.closed_case_kpi`).
The comparison is :func:`sim.api.comparison_table`: CRN-paired differences over the
replications both scenarios have, with their intervals and significance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from sim import frames
from sim.api import comparison_table
from sim.config.schema import Scenario
from sim.experiments.types import ExperimentResult
from sim.metrics import KPIS, View, headline, in_range
from sim.metrics.stability import closed_case_kpi, unstable_replications
from sim.report.targets import STATUS_EN, STATUS_ZH, judge
from sim.vocab import ROLE_ZH, TEAM_ZH, Role, Team

__all__ = [
    "HEADLINE_KPIS",
    "STATUS_NAMES",
    "comparison",
    "paired_kpis",
    "target_kpis",
    "utilisation_grid",
    "verdicts",
]

STATUS_NAMES: dict[str, tuple[str, str]] = {
    **{status: (STATUS_ZH[status], STATUS_EN[status]) for status in STATUS_ZH},
    "unstable": ("不稳定（积压增长）", "unstable (backlog grows)"),
}
"""Each verdict's (Chinese, English) words."""

HEADLINE_KPIS: tuple[str, ...] = tuple(headline(View.APP))
"""The KPIs of the comparison table, in the register's listing order (those a scenario has)."""


def target_kpis() -> list[str]:
    """The KPIs with a target (a level the court is asked to reach), in the register's order."""
    return [k for k, info in KPIS.items() if info.level is not None and info.level.kind == "target"]


def verdicts(summary: pd.DataFrame, kpis: pd.DataFrame, label: str) -> pd.DataFrame:
    """One row per target: mean and 95% interval over the replications in, and the verdict.

    ``summary`` is :func:`~sim.experiments.statistics.summarise` of the long table ``kpis``
    (scenario, replication, kpi, value). ``status`` is met / not_met / uncertain / n/a, or
    ``unstable`` for a KPI over closed cases when any replication's backlog grows.
    """
    table = summary.loc[summary["scenario"] == label].set_index("kpi")
    flagged, reps = unstable_replications(kpis, label) if len(kpis) else (0, 0)
    rows = []
    for kpi in target_kpis():
        info = KPIS[kpi]
        level = info.level
        if level is None:  # pragma: no cover - target_kpis() keeps only KPIs with a level
            continue
        row = frames.line(table, kpi) if kpi in table.index else None
        mean = math.nan if row is None else float(row["mean"])
        low = math.nan if row is None else float(in_range(kpi, row["ci_low"]))
        high = math.nan if row is None else float(in_range(kpi, row["ci_high"]))
        status: str = judge(level, mean, low, high)
        if flagged and closed_case_kpi(kpi) and status != "n/a":
            status = "unstable"
        zh, en = STATUS_NAMES[status]
        rows.append(
            {
                "kpi": kpi,
                "zh": info.zh,
                "en": info.en,
                "target": level.low if level.low is not None else level.high,
                "n": 0 if row is None else int(row["n"]),
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "status": status,
                "status_zh": zh,
                "status_en": en,
                "unstable_replications": flagged,
                "replications": reps,
            }
        )
    return pd.DataFrame(rows)


def utilisation_grid(summary: pd.DataFrame, label: str) -> pd.DataFrame:
    """Mean utilisation per team (rows) × role (columns), NaN where a team has no such post."""
    table = summary.loc[summary["scenario"] == label].set_index("kpi")["mean"]
    return pd.DataFrame(
        [[table.get(f"util_{team.value}_{role.value}", math.nan) for role in Role] for team in Team],
        index=[f"{TEAM_ZH[t]} {t.value}" for t in Team],
        columns=[f"{ROLE_ZH[r]} {r.value}" for r in Role],
        dtype=float,
    )


def paired_kpis(kpis: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The long table cut to the replications ``0 .. n-1`` that every scenario has (so they pair)."""
    if kpis.empty:
        return kpis, 0
    n = int(kpis.groupby("scenario")["replication"].nunique().min())
    return kpis.loc[kpis["replication"] < n], n


def comparison(kpis: pd.DataFrame, scenarios: Mapping[str, Scenario], base: str, seed: int) -> pd.DataFrame:
    """CRN-paired differences of every other scenario from ``base`` on :data:`HEADLINE_KPIS`.

    Empty until every scenario has two paired replications (no interval before that).
    """
    paired, n = paired_kpis(kpis)
    if n < 2 or base not in set(paired["scenario"]):
        return pd.DataFrame()
    result = ExperimentResult(paired.reset_index(drop=True), dict(scenarios), seed, n)
    table = comparison_table(result, base)
    table = table.loc[table["kpi"].isin(HEADLINE_KPIS)]
    order = {k: i for i, k in enumerate(HEADLINE_KPIS)}
    return table.sort_values(["scenario", "kpi"], key=lambda c: c.map(order) if c.name == "kpi" else c).reset_index(
        drop=True
    )
