"""Indicators that compare organisations on the same cases: the would-be simple cases.

Like an evaluator who takes the cases the reform would have sent to the fast track and
asks how the old court handled those very cases: the fast-track KPIs exist only where
there is a fast track, and a "standard track" mean before the reform (every case) and
after it (the complex cases only) describes two different populations. These KPIs
are defined in every organisation on populations fixed by the cases themselves:

- **simple by the plan's rules** (``simple_by_rules`` in the case table): the cases
  that the plan's simple-case standards (:data:`sim.rules.triage.PLAN_TRIAGE`) call
  simple when the online inquiry has answered, recorded at triage whether or not the
  court routes by them (:func:`sim.flow.intake.triage`);
- **standard by the plan's rules**: the other 首执+执恢 cases that reached triage.

Under common random numbers both populations are the same cases in every scenario
that shares the rules' parameters (``policy.simple_threshold_cny``, the freeze and
triage probabilities), so their differences pair case by case. The 45-day rate here
is measured from filing (立案), the only start both organisations share; the plan's
fast-track clock starts at the team's receipt (``fast45_rate``). Importing the module
registers the KPIs in :data:`sim.metrics.KPIS` (after the others, so existing tables
keep their order).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.metrics._common import safe_ratio
from sim.metrics.registry import Group, RunView, View, register
from sim.metrics.sla import due_times
from sim.vocab import CaseType, Deadline, Milestone

__all__: list[str] = []

_ENFORCED = (CaseType.FIRST.value, CaseType.RESUMED.value)
_TRIAGED = (Milestone.TRIAGED_FAST.value, Milestone.TRIAGED_STANDARD.value)
_SRC = (
    "the plan's simple-case standards, 方案 三(一)1 (sim/rules/triage.py PLAN_TRIAGE), asked at triage in every "
    "organisation; issue 13 §1 (KPIs of one organisation compared on the same cases)"
)
# Positions well after the group's own KPIs, so that KPIs added to these groups elsewhere keep theirs.
_FIRST_POSITION = 20


def _triaged(view: RunView) -> pd.DataFrame:
    """Counted 首执+执恢 cases that reached triage (the online inquiry had answered)."""
    steps = view.steps
    marked = steps.loc[(steps["kind"] == "mark") & steps["step"].isin(_TRIAGED), "case_id"]
    cases = view.counted
    return cases.loc[cases["case_type"].isin(_ENFORCED) & cases["case_id"].isin(marked)]


def _by_rules(view: RunView, simple: bool) -> pd.DataFrame:
    cases = _triaged(view)
    return cases.loc[cases["simple_by_rules"] == simple]


def _mean_days(cases: pd.DataFrame) -> float:
    closed = cases.loc[cases["outcome"] != ""]
    days = (closed["closed"] - closed["arrived"]).to_numpy(dtype=float)
    return float(days.mean()) if days.size else math.nan


@register(
    "simple_rules_share",
    "按规则应属简案比例",
    "share simple by the plan's rules",
    "share",
    "none",
    "Counted 首执+执恢 cases that reached triage and that the plan's simple-case standards call "
    "simple ÷ counted 首执+执恢 cases that reached triage. The same in two organisations that share "
    "the rules' parameters (common random numbers): a check that the would-be simple KPIs compare "
    f"the same cases. {_SRC}",
    group=Group.FAST45,
    position=_FIRST_POSITION,
)
def simple_rules_share(view: RunView) -> float:
    cases = _triaged(view)
    return safe_ratio(float(cases["simple_by_rules"].sum()), len(cases))


@register(
    "simple_rules_45_rate",
    "规则简案45日内结案率（自立案）",
    "45-day rate from filing, cases simple by the plan's rules",
    "share",
    "higher",
    "Cases simple by the plan's rules (as simple_rules_share) closed by the end of the 45th day "
    "after filing (立案; the fast_close deadline's days and counting, CPL art. 85) ÷ those cases. "
    "Defined in every organisation, so the fast track is compared with the court before the reform on "
    f"the same cases; fast45_rate counts from the fast track's receipt instead. {_SRC}",
    group=Group.FAST45,
    position=_FIRST_POSITION + 1,
    headline=(View.TERMINAL, View.FOCUS),
)
def simple_rules_45_rate(view: RunView) -> float:
    cases = _by_rules(view, True)
    due = due_times(cases["arrived"], view.scenario.deadlines[Deadline.FAST_CLOSE], view.calendar)
    closed = cases["closed"].to_numpy(dtype=float)
    within = ~np.isnan(closed) & (closed <= due)
    return safe_ratio(float(within.sum()), len(cases))


@register(
    "mean_days_simple_rules",
    "规则简案结案平均用时",
    "mean days to close, cases simple by the plan's rules",
    "days",
    "lower",
    "Mean (closing − filing) over the closed cases simple by the plan's rules (as "
    f"simple_rules_share): the fast track's cases, and the same cases before the reform. {_SRC}",
    group=Group.TIME,
    position=_FIRST_POSITION,
)
def mean_days_simple_rules(view: RunView) -> float:
    return _mean_days(_by_rules(view, True))


@register(
    "mean_days_standard_rules",
    "规则繁案结案平均用时",
    "mean days to close, cases standard by the plan's rules",
    "days",
    "lower",
    "Mean (closing − filing) over the closed 首执+执恢 cases that reached triage and that the plan's "
    "rules do not call simple: the standard track's cases after the reform and the same cases before "
    "it (mean_days_to_close_standard compares the complex cases with every case). "
    f"{_SRC}",
    group=Group.TIME,
    position=_FIRST_POSITION + 1,
)
def mean_days_standard_rules(view: RunView) -> float:
    return _mean_days(_by_rules(view, False))
