"""Targets and reference ranges the report holds the KPIs against, each with its source.

Like the 考核 column of a court's quality report: a *target* (目标) is a level
the court is asked to reach; a *reference range* (参考区间) is what comparable
courts publish, used to judge whether the model is plausible, not whether the
court is doing well. A verdict compares the 95% confidence interval of the
mean over replications with the target: met when the whole interval is on the
right side, not met when the whole interval is on the wrong side, uncertain
otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["TARGETS", "Status", "Target", "judge"]

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


@dataclass(frozen=True)
class Target:
    """A level for one KPI: ``low``/``high`` bounds, a target or a reference range."""

    kpi: str
    kind: Literal["target", "reference"]
    low: float | None
    high: float | None
    source: str

    def label(self, percent: bool) -> str:
        """``≥ 90%``, ``≤ 100``, ``40%–50%``."""

        def show(v: float) -> str:
            return f"{100 * v:.0f}%" if percent else f"{v:g}"

        if self.low is not None and self.high is not None:
            return f"{show(self.low)}–{show(self.high)}"
        if self.low is not None:
            return f"≥ {show(self.low)}"
        return f"≤ {show(self.high)}" if self.high is not None else ""


FAST45_TARGET = Target(
    "fast45_rate",
    "target",
    0.90,
    None,
    "方案 三(二)1 asks every simple case to close within 45 days of receipt and states no "
    "tolerance; "
    "the 90% level is ours (EST), by analogy with the SPC's ≥90% targets for cases with property "
    "closed within the legal limit and for 终本 compliance (2018; domain-facts §5, "
    "https://news.shi-fen.com/china/201810/50-25739.html)",
)

TARGETS: dict[str, Target] = {
    t.kpi: t
    for t in (
        FAST45_TARGET,
        Target(
            "property_within_limit_rate",
            "target",
            0.90,
            None,
            "SPC 2018 national target ≥90% (domain-facts §5; news.shi-fen.com 201810)",
        ),
        Target(
            "zhongben_rate",
            "reference",
            0.40,
            0.50,
            "domain-facts §4.6: 40–43% national 'no property', 51% at a Wuhan court (S→EST)",
        ),
        Target("completion_rate", "reference", 0.35, 0.45, "domain-facts §4.6 (EST)"),
        Target("recovery_rate", "reference", 0.40, 0.55, "domain-facts §4.6: Nanyang 2024 50.56% (S)"),
        Target(
            "mean_days_to_close_first",
            "reference",
            75,
            100,
            "domain-facts §4.6: Tongbai 76, Fengshun 99, Yiling 73 days (S)",
        ),
        Target(
            "mean_days_to_close_completed",
            "reference",
            50,
            65,
            "domain-facts §4.6: 勃利 51, Fengshun 64 days (S)",
        ),
        Target(
            "closed_per_officer",
            "reference",
            200,
            274,
            "domain-facts §3.10: Guizhou ~200, Hangzhou 243–274 closed per head a year (A)",
        ),
    )
}
"""Every KPI the report holds against a level, by KPI id."""


def judge(target: Target, mean: float, ci_low: float, ci_high: float) -> Status:
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
