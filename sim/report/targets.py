"""Verdicts of the KPIs against their targets and reference ranges.

Like the 考核 column of a court's quality report: a *target* (目标) is a level
the court is asked to reach; a *reference range* (参考区间) is what comparable
courts publish, used to judge whether the model is plausible, not whether the
court is doing well. A verdict compares the 95% confidence interval of the
mean over replications with the target: met when the whole interval is on the
right side, not met when the whole interval is on the wrong side, uncertain
otherwise.

The levels themselves, with their sources, are fields of the KPIs
(:class:`sim.metrics.Level`, given where each KPI is registered); this module
reads them from the register and judges.
"""

from __future__ import annotations

import math
from typing import Literal

from sim.metrics import KPIS, Level

__all__ = [
    "FAST45",
    "FAST45_TARGET",
    "STATUS_EN",
    "STATUS_ZH",
    "VERDICT_HEADLINES",
    "Status",
    "judge",
    "level_of",
    "tone",
]

Status = Literal["met", "not_met", "uncertain", "inside", "above", "below", "n/a"]

STATUS_ZH: dict[str, str] = {
    "met": "达标",
    "not_met": "未达标",
    "uncertain": "不确定",
    "inside": "在参考区间内",
    "above": "高于参考区间",
    "below": "低于参考区间",
    "n/a": "无数据",
}
STATUS_EN: dict[str, str] = {
    "met": "met",
    "not_met": "not met",
    "uncertain": "uncertain",
    "inside": "within range",
    "above": "above range",
    "below": "below range",
    "n/a": "no data",
}

VERDICT_HEADLINES: dict[str, tuple[str, str]] = {
    "not_met": ("45日结案目标未能达到", "The 45-day target is not met"),
    "met": ("45日结案目标可以达到", "The 45-day target holds"),
    "uncertain": ("能否达到45日结案目标尚不确定", "Whether the 45-day target holds is uncertain"),
    "n/a": (
        "本次运行没有简案，无法判断45日目标",
        "No simple cases in this run: no verdict on the 45-day target",
    ),
}
"""The verdict's headline for each status of the 45-day target (the report's page one, the
terminal's verdict line and the brief say the same words)."""

FAST45 = "fast45_rate"
"""The KPI of the reports' verdict: 方案 三(二)1's 45-day closure of simple cases."""


def level_of(kpi: str) -> Level | None:
    """The target or reference range of ``kpi`` (``None`` when it has none or is unknown)."""
    info = KPIS.get(kpi)
    return info.level if info else None


def _fast45_target() -> Level:
    level = level_of(FAST45)
    if level is None or level.kind != "target" or level.low is None:
        raise RuntimeError(f"the verdict needs a target with a lower bound on KPI {FAST45!r}")
    return level


FAST45_TARGET: Level = _fast45_target()
"""The 45-day target (the level registered with :data:`FAST45`)."""


def judge(target: Level, mean: float, ci_low: float, ci_high: float) -> Status:
    """Where the mean (a target: its 95% interval) stands against ``target``."""
    if mean is None or math.isnan(mean):
        return "n/a"
    if target.kind == "reference":
        if target.low is not None and mean < target.low:
            return "below"
        if target.high is not None and mean > target.high:
            return "above"
        return "inside"
    lo = mean if ci_low is None or math.isnan(ci_low) else ci_low
    hi = mean if ci_high is None or math.isnan(ci_high) else ci_high
    above_low = target.low is None or lo >= target.low
    below_high = target.high is None or hi <= target.high
    if above_low and below_high:
        return "met"
    fails_low = target.low is not None and hi < target.low
    fails_high = target.high is not None and lo > target.high
    return "not_met" if fails_low or fails_high else "uncertain"


def tone(kpi: str, status: Status) -> str:
    """The colour class of ``status`` for ``kpi``: a target's own status (met, not met, uncertain);
    outside a reference range ``better`` (blue) when it lies on the side the KPI's direction
    prefers (above a range of a rate where higher is better), else ``worse`` (amber). Neither is
    red: a reference range is a plausibility check of the model, not a level the court failed."""
    if status not in ("above", "below"):
        return status
    info = KPIS.get(kpi)
    preferred = {"higher": "above", "lower": "below"}.get(info.better if info else "none")
    return f"{status} better" if status == preferred else f"{status} worse"
