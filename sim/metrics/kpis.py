"""质效指标: the court's quality indicators, each a pure function of one run.

Like the monthly 执行质效通报, every figure is computed from the docket alone:
the case table, the steps and the deadline clocks. Rates count the cases filed
in the counting window [warmup, horizon) (``cases.counted``) and are NaN when
their denominator is empty. Definitions and sources: domain-facts §5 and
DOMAIN.md §6; the 6-month limit and its exclusions: domain-facts §2.8.
Importing the module registers the KPIs in :data:`sim.metrics.KPIS`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.metrics._common import safe_ratio
from sim.metrics.registry import Group, Level, RunView, View, register
from sim.metrics.sla import due_times
from sim.vocab import CaseType, Deadline, Outcome, Team, Track

__all__: list[str] = []

_ENFORCED = (CaseType.FIRST.value, CaseType.RESUMED.value)  # 执行实施类 with a claim: 首执 + 执恢
_SRC_FAST = "方案 三(二)1 (收案45日内结案); DOMAIN.md §6; domain-facts §5"
_SRC_TIME = "domain-facts §5 结案平均用时: mean (closing − filing), Tongbai/Fengshun/勃利 pages (§3.5)"


# ---------------------------------------------------------------- 简案45日内结案率


def _simple(view: RunView) -> pd.DataFrame:
    """Counted simple cases (快执 首执+执恢) with their fast_close clock and ``within`` flag."""
    cases = view.counted
    simple = cases.loc[(cases["track"] == Track.FAST.value) & cases["case_type"].isin(_ENFORCED)]
    clocks = view.slas.loc[(view.slas["sla"] == Deadline.FAST_CLOSE.value) & (view.slas["occurrence"] == 0)]
    clocks = clocks.drop_duplicates("case_id").set_index("case_id")
    due = simple["case_id"].map(clocks["due"]).to_numpy(dtype=float)
    end = simple["case_id"].map(clocks["end"]).to_numpy(dtype=float)
    return simple.assign(within=~np.isnan(end) & (end <= due))


@register(
    "fast45_rate",
    "简案45日内结案率",
    "fast-track 45-day closure rate",
    "share",
    "higher",
    "Simple cases (track fast, 首执+执恢, filed in the window) whose fast_close clock ended by "
    "its due (45 days from 收案 as policy.receipt_basis reads it: filing (立案) by default, or the "
    "fast-track team's receipt; CPL art. 85 counting) ÷ simple cases received. "
    f"{_SRC_FAST}",
    group=Group.FAST45,
    position=1,
    headline=(View.TERMINAL, View.FOCUS, View.SWEEP, View.SWEEP_REPORT, View.APP),
    level=Level(
        "target",
        0.90,
        None,
        "方案 三(二)1 asks every simple case to close within 45 days of receipt and states no tolerance; "
        "the 90% level is ours (EST), by analogy with the SPC's ≥90% targets for cases with property "
        "closed within the legal limit and for 终本 compliance (2018; domain-facts §5, "
        "https://news.shi-fen.com/china/201810/50-25739.html)",
    ),
)
def fast45_rate(view: RunView) -> float:
    simple = _simple(view)
    return safe_ratio(simple["within"].sum(), len(simple))


@register(
    "fast45_closed_rate",
    "简案45日内结案率（按已结）",
    "fast-track 45-day rate of closed",
    "share",
    "higher",
    f"As fast45_rate, ÷ simple cases closed. {_SRC_FAST}",
    group=Group.FAST45,
    position=2,
    closed_only=True,
)
def fast45_closed_rate(view: RunView) -> float:
    simple = _simple(view)
    return safe_ratio(simple["within"].sum(), (simple["outcome"] != "").sum())


@register(
    "fast45_team_rate",
    "简案45日内结案率（自快执团队收案）",
    "fast-track 45-day rate, from the team's receipt",
    "share",
    "higher",
    "As fast45_rate with the 45 days counted from the day the fast-track team received the case "
    "rather than from filing (立案): the front end's days left out. Reported beside fast45_rate "
    f"whatever policy.receipt_basis says (docs/legal.md §4). {_SRC_FAST}",
    group=Group.FAST45,
    position=5,
)
def fast45_team_rate(view: RunView) -> float:
    simple = _simple(view)
    received = view.steps.loc[
        (view.steps["kind"] == "mark")
        & (view.steps["step"] == "received")
        & (view.steps["team"] == Team.FAST_TRACK.value)
    ]
    start = simple["case_id"].map(received.groupby("case_id")["start"].first()).to_numpy(dtype=float)
    spec = view.scenario.deadlines[Deadline.FAST_CLOSE]
    due = due_times(start, spec, view.calendar)
    closed = simple["closed"].to_numpy(dtype=float)
    return safe_ratio(float((~np.isnan(closed) & (closed <= due)).sum()), len(simple))


def _fast45_by_outcome(view: RunView, outcome: Outcome) -> float:
    simple = _simple(view)
    own = simple.loc[simple["outcome"] == outcome.value]
    return safe_ratio(own["within"].sum(), len(own))


@register(
    "fast45_rate_completed",
    "简案45日内结案率（执行完毕）",
    "fast-track 45-day rate, completed",
    "share",
    "higher",
    f"Simple cases closed as 执行完毕 within 45 days of receipt ÷ simple cases closed as 执行完毕. {_SRC_FAST}",
    group=Group.FAST45,
    position=3,
    headline=(View.TERMINAL, View.STATUTE),
)
def fast45_rate_completed(view: RunView) -> float:
    return _fast45_by_outcome(view, Outcome.COMPLETED)


@register(
    "fast45_rate_zhongben",
    "简案45日内结案率（终本）",
    "fast-track 45-day rate, 终本",
    "share",
    "higher",
    "Simple cases closed as 终本 within 45 days of receipt ÷ simple cases closed "
    "as 终本; near 0 while the 3-month 终本 floor applies (终本规定 art. 1(4), domain-facts "
    f"§2.10). {_SRC_FAST}",
    group=Group.FAST45,
    position=4,
    headline=(View.TERMINAL, View.STATUTE),
)
def fast45_rate_zhongben(view: RunView) -> float:
    return _fast45_by_outcome(view, Outcome.ZHONGBEN)


# ---------------------------------------------------------------- the 6-month limit


@register(
    "within_limit_rate",
    "法定期限内结案率",
    "closure within the 6-month limit",
    "share",
    "higher",
    "Closed cases with (closing − excluded_days) ≤ end of the 6-month limit from filing ÷ closed "
    "cases. domain-facts §5 (Yiling page); exclusions 审限规定 art. 9, domain-facts §2.8",
    group=Group.LIMIT,
    position=1,
    headline=(View.TERMINAL, View.SWEEP, View.SWEEP_REPORT, View.APP),
    closed_only=True,
)
def within_limit_rate(view: RunView) -> float:
    limits = view.limits.loc[view.closed.index]
    return safe_ratio((limits["end"] <= limits["due_effective"]).sum(), len(limits))


@register(
    "property_within_limit_rate",
    "有财产可供执行案件法定期限内实际执结率",
    "in-time rate, cases with property",
    "share",
    "higher",
    "Cases with property (funds frozen or property found) closed as 执行完毕 within the 6-month "
    "limit (exclusions applied) ÷ cases with property that are closed or past their limit at "
    "the end of the log. Target ≥ 90%. domain-facts §5 (news.shi-fen.com 201810), §2.8",
    group=Group.LIMIT,
    position=2,
    headline=(View.TERMINAL, View.FOCUS, View.SWEEP_REPORT, View.APP),
    level=Level("target", 0.90, None, "SPC 2018 national target ≥90% (domain-facts §5; news.shi-fen.com 201810)"),
)
def property_within_limit_rate(view: RunView) -> float:
    cases = view.counted.loc[view.counted["has_property"]]
    limits = view.limits.loc[cases.index]
    closed = (cases["outcome"] != "").to_numpy()
    past = ~closed & (limits["due_effective"].to_numpy() < view.end)
    done = (
        closed
        & (cases["outcome"] == Outcome.COMPLETED.value).to_numpy()
        & (limits["end"] <= limits["due_effective"]).to_numpy()
    )
    return safe_ratio(done.sum(), (closed | past).sum())


# ---------------------------------------------------------------- outcomes and money


def _closed_of(view: RunView, types: tuple[str, ...]) -> pd.DataFrame:
    return view.closed.loc[view.closed["case_type"].isin(types)]


@register(
    "actual_enforcement_rate",
    "实际执结率",
    "actual enforcement rate",
    "share",
    "higher",
    "Closed 首执+执恢 cases closed as 执行完毕 (performed settlements close so) ÷ closed "
    "首执+执恢. "
    "domain-facts §5 (gdcourts 42305)",
    group=Group.OUTCOME,
    position=1,
    headline=True,
)
def actual_enforcement_rate(view: RunView) -> float:
    closed = _closed_of(view, _ENFORCED)
    return safe_ratio((closed["outcome"] == Outcome.COMPLETED.value).sum(), len(closed))


@register(
    "completion_rate",
    "执行完毕率",
    "completion rate",
    "share",
    "higher",
    "执行完毕 ÷ closed 首执. domain-facts §5 (usual; 2018 and 2024 SPC indicator lists)",
    group=Group.OUTCOME,
    position=2,
    headline=(View.TERMINAL, View.APP),
    level=Level("reference", 0.35, 0.45, "domain-facts §4.6 (EST)"),
)
def completion_rate(view: RunView) -> float:
    closed = _closed_of(view, (CaseType.FIRST.value,))
    return safe_ratio((closed["outcome"] == Outcome.COMPLETED.value).sum(), len(closed))


@register(
    "zhongben_rate",
    "终本率",
    "终本 rate",
    "share",
    "none",
    "终本 ÷ closed 首执. domain-facts §5 (首执案件终本率, usual; nxrb 2025)",
    group=Group.OUTCOME,
    position=3,
    headline=(View.TERMINAL, View.APP),
    level=Level(
        "reference", 0.40, 0.50, "domain-facts §4.6: 40–43% national 'no property', 51% at a Wuhan court (S→EST)"
    ),
)
def zhongben_rate(view: RunView) -> float:
    closed = _closed_of(view, (CaseType.FIRST.value,))
    return safe_ratio((closed["outcome"] == Outcome.ZHONGBEN.value).sum(), len(closed))


@register(
    "recovery_rate",
    "执行到位率",
    "amount-recovered rate",
    "share",
    "higher",
    "Σ recovered ÷ Σ claimed over closed 首执+执恢 money cases (claim > 0). domain-facts §5 "
    "(2008 SPC definition, gdcourts 42305)",
    group=Group.OUTCOME,
    position=4,
    headline=True,
    level=Level("reference", 0.40, 0.55, "domain-facts §4.6: Nanyang 2024 50.56% (S)"),
)
def recovery_rate(view: RunView) -> float:
    closed = _closed_of(view, _ENFORCED)
    money = closed.loc[closed["claim_cny"] > 0]
    return safe_ratio(money["recovered_cny"].sum(), money["claim_cny"].sum())


# ---------------------------------------------------------------- days to close


def _days(cases: pd.DataFrame) -> np.ndarray:
    return (cases["closed"] - cases["arrived"]).to_numpy(dtype=float)


def _stat(values: np.ndarray, how: str) -> float:
    if values.size == 0:
        return math.nan
    return float(np.mean(values)) if how == "mean" else float(np.quantile(values, float(how)))


def _days_kpi(
    kpi_id: str,
    zh: str,
    en: str,
    how: str,
    column: str | None,
    value: str | None,
    *,
    position: int,
    headline: tuple[View, ...] = (),
    level: Level | None = None,
) -> None:
    def func(view: RunView) -> float:
        closed = view.closed if column is None else view.closed.loc[view.closed[column] == value]
        return _stat(_days(closed), how)

    scope = "closed counted cases" if column is None else f"closed counted cases with {column} = {value}"
    register(
        kpi_id,
        zh,
        en,
        "days",
        "lower",
        f"{en} of (closing − filing) over {scope}. {_SRC_TIME}",
        group=Group.TIME,
        position=position,
        headline=headline,
        level=level,
    )(func)


_days_kpi(
    "mean_days_to_close",
    "结案平均用时",
    "mean days to close",
    "mean",
    None,
    None,
    position=1,
    headline=(View.TERMINAL, View.FOCUS, View.SWEEP, View.SWEEP_REPORT, View.APP),
)
_days_kpi("median_days_to_close", "结案用时中位数", "median days to close", "0.5", None, None, position=2)
_days_kpi("p90_days_to_close", "结案用时90分位", "90th percentile days to close", "0.9", None, None, position=3)
_days_kpi(
    "mean_days_to_close_fast",
    "简案结案平均用时",
    "mean days to close, fast track",
    "mean",
    "track",
    Track.FAST.value,
    position=4,
    headline=(View.TERMINAL,),
)
_days_kpi(
    "mean_days_to_close_standard",
    "繁案结案平均用时",
    "mean days to close, standard track",
    "mean",
    "track",
    Track.STANDARD.value,
    position=5,
    headline=(View.TERMINAL,),
)
_days_kpi(
    "mean_days_to_close_completed",
    "执行完毕案件平均用时",
    "mean days to close, completed",
    "mean",
    "outcome",
    Outcome.COMPLETED.value,
    position=6,
    headline=(View.TERMINAL,),
    level=Level("reference", 50, 65, "domain-facts §4.6: 勃利 51, Fengshun 64 days (S)"),
)
_days_kpi(
    "mean_days_to_close_first",
    "首执案件平均用时",
    "mean days to close, first enforcement",
    "mean",
    "case_type",
    CaseType.FIRST.value,
    position=7,
    headline=(View.TERMINAL,),
    level=Level("reference", 75, 100, "domain-facts §4.6: Tongbai 76, Fengshun 99, Yiling 73 days (S)"),
)
