"""Is a target within reach at all? A target against its ceiling, over replications.

Like the line a 执行局长 writes before asking for posts ("even with every post filled,
at most X% can close in 45 days, because …"): the ceiling KPIs of
:mod:`sim.metrics.ceiling` are computed in every replication like any KPI, so an
experiment's long KPI table (cached, CRN-paired) carries them. Here they become one
:class:`CeilingCheck` per target that has a ceiling: the ceiling's mean, its 95%
t-interval (clipped to [0, 1]), its one-sided upper bound at the search's confidence,
the mean share of each reason, and whether the target can be reached. A target whose
threshold lies above the ceiling's upper bound is out of reach of any staffing;
:func:`sim.experiments.staffing_search.search_staffing` then stops at once and says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.experiments.statistics import one_sided_bound, summarise
from sim.experiments.types import Target
from sim.metrics.ceiling import CEILINGS, REASON_NAMES

__all__ = ["CeilingCheck", "ceiling_checks"]


@dataclass(frozen=True)
class CeilingCheck:
    """A rate target against the most any staffing could reach, in one scenario's replications."""

    target: Target
    kpi: str  # the ceiling KPI
    n: int
    mean: float
    ci_low: float
    ci_high: float
    bound: float  # one-sided upper bound at the confidence asked
    confidence: float
    reasons: dict[str, float] = field(default_factory=dict)  # reason → mean share of the cases
    subject: tuple[str, str] = ("", "")

    @property
    def reachable(self) -> bool:
        """False when the threshold is above the ceiling's upper bound (NaN: cannot tell, reachable)."""
        return math.isnan(self.bound) or self.bound >= self.target.threshold

    def sentence(self) -> tuple[str, str]:
        """``the ceiling is X% because …`` in Chinese and English."""
        zh_subject, en_subject = self.subject
        zh_parts, en_parts = [], []
        for reason, share in sorted(self.reasons.items(), key=lambda kv: -kv[1]):
            if not share > 0.0005:
                continue
            zh, en = REASON_NAMES[reason]
            zh_parts.append(f"{_pct(share)}的{zh_subject}{zh}")
            en_parts.append(f"{_pct(share)} of {en_subject}: {en}")
        interval = f"{_pct(self.ci_low)}–{_pct(self.ci_high)}"
        head_zh = f"人手不限时{self.target.kpi}最高约{_pct(self.mean)}（95%区间{interval}，{self.n}次重复）"
        head_en = f"the ceiling of {self.target.kpi} is {_pct(self.mean)} (95% CI {interval}, {self.n} replications)"
        if not self.reachable:
            head_zh += f"，低于目标{_pct(self.target.threshold)}，任何人员配置都达不到"
            head_en += f", below the target {_pct(self.target.threshold)}: no staffing can reach it"
        return (
            head_zh + ("，因为" + "；".join(zh_parts) if zh_parts else "") + "。",
            head_en + (", because " + "; ".join(en_parts) if en_parts else ""),
        )


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{100 * value:.1f}%"


def ceiling_checks(kpis: pd.DataFrame, label: str, targets: Sequence[Target], confidence: float) -> list[CeilingCheck]:
    """One check per ``>=``/``>`` target whose KPI has a ceiling, on scenario ``label`` of a long KPI table.

    Targets without a ceiling, or whose ceiling KPI is not in the table (a cache of an older
    version), give no check.
    """
    rows = kpis.loc[kpis["scenario"] == label]
    checks = []
    for target in targets:
        ceiling = CEILINGS.get(target.kpi)
        if ceiling is None or target.side != "lower":
            continue
        own = rows.loc[rows["kpi"] == ceiling.ceiling]
        if own.empty:
            continue
        values = own["value"].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        if not values.size:
            continue
        stats = summarise(own.assign(scenario=label)).iloc[0]
        bound = one_sided_bound(values, "upper", confidence)
        reasons = {
            reason: float(rows.loc[rows["kpi"] == kpi, "value"].mean()) for reason, kpi in ceiling.reasons.items()
        }
        checks.append(
            CeilingCheck(
                target,
                ceiling.ceiling,
                int(values.size),
                float(values.mean()),
                float(np.clip(stats["ci_low"], 0.0, 1.0)) if values.size > 1 else math.nan,
                float(np.clip(stats["ci_high"], 0.0, 1.0)) if values.size > 1 else math.nan,
                bound if math.isnan(bound) else min(1.0, bound),
                confidence,
                {r: v for r, v in reasons.items() if not math.isnan(v)},
                ceiling.subject,
            )
        )
    return checks
