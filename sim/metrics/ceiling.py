"""目标上限: the most a target's rate can reach whatever the staffing, and why.

Like the note a 执行局长 adds under a quarterly target ("even with every post
filled, these cases cannot close in time"), this module finds, in one run, the
counted cases that no number of staff could have put on time, and says why:

``floor``
    the case ends in 终本 and the scenario applies the 3-month floor (终本规定
    art. 1(4)): it cannot close before the day after three months from filing
    (the model's ``zhongben_floor`` wait), and that day is past its due;
``outside``
    not the floor, but its waits on outside parties inside the clock (service,
    inquiries, announcements, auctions…; :data:`sim.metrics.why_late.PARTS`'s
    ``outside``) alone are longer than the clock's allowed time (due − start);
``handoff``
    neither, but the outside waits together with the court's own hand-over
    waits (交接: in-tray, file in transit, waiting for the scans) are.

More staff shortens queues, never these waits: every wait is drawn per case
before it is needed (common random numbers, :mod:`sim.streams`), and whether a
case ends in 终本 is drawn with the case. So the **ceiling** ``1 − (floor +
outside + handoff) / cases`` is an upper bound on the rate under any staffing
(first order: a wait counted in working days can take a day more or less of
calendar time when it starts on another day, and a case still open at the end
of the log is never counted as unreachable, which keeps the bound an upper one).
Staff effort is left out of the bound although staffing does not shorten it
either, so the bound is not the tightest there is; it is one with a plain reason.
Hand-off waits are a ``[reform]`` setting, not staff: a lever search can move them.

The KPIs registered here are the ceiling of the 45-day rate (``fast45_ceiling``)
and its three reasons as shares of the same simple cases (they add up to
``1 − fast45_ceiling``). :data:`CEILINGS` maps a target KPI to its ceiling and reasons.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.metrics._common import safe_ratio
from sim.metrics.registry import Group, RunView, register
from sim.metrics.why_late import clock_parts
from sim.vocab import CaseType, Deadline, Outcome, Track
from sim.workcalendar import add_months

__all__ = ["CEILINGS", "REASONS", "REASON_NAMES", "Ceiling", "unreachable_simple"]

_ENFORCED = (CaseType.FIRST.value, CaseType.RESUMED.value)
_SRC = (
    "fast_close clocks (方案 三(二)1) and the why-late split of the run (sim.metrics.why_late); "
    "终本规定 art. 1(4) for the floor"
)

REASONS: tuple[str, ...] = ("floor", "outside", "handoff")
"""Why a case is out of reach of any staffing, in the order each is tested."""

REASON_NAMES: Mapping[str, tuple[str, str]] = {
    "floor": ("终本须满3个月，早于此日不能结案", "终本 only after 3 months from filing, past the due"),
    "outside": ("外部等待本身已超过期限", "outside waits alone exceed the time allowed"),
    "handoff": ("外部等待加内部交接等待超过期限", "outside and hand-off waits together exceed it"),
}
"""Chinese and English reasons."""


class Ceiling:
    """A target KPI's ceiling KPI and the KPIs of its reasons (shares of the same cases)."""

    def __init__(self, ceiling: str, reasons: Mapping[str, str], subject: tuple[str, str]) -> None:
        self.ceiling = ceiling
        self.reasons = dict(reasons)
        self.subject = subject  # what the shares are of (zh, en)


CEILINGS: Mapping[str, Ceiling] = {
    "fast45_rate": Ceiling(
        "fast45_ceiling",
        {r: f"fast45_bound_{r}" for r in REASONS},
        ("简案", "simple cases"),
    ),
}
"""Target KPI → its ceiling (only the 45-day rate has one so far)."""


def unreachable_simple(view: RunView) -> pd.DataFrame:
    """The counted simple cases with ``reason``: ``floor``, ``outside``, ``handoff`` or "" (reachable).

    One row per counted simple case (快执, 首执+执恢, as ``fast45_rate`` counts them):
    ``case_id, start, due, allowed_days, floor_end, outside_days, handoff_days, reason``.
    """
    cases = view.counted
    simple = cases.loc[(cases["track"] == Track.FAST.value) & cases["case_type"].isin(_ENFORCED)]
    clocks = view.slas.loc[(view.slas["sla"] == Deadline.FAST_CLOSE.value) & (view.slas["occurrence"] == 0)]
    clocks = clocks.drop_duplicates("case_id").set_index("case_id")
    ids = simple["case_id"]
    start = ids.map(clocks["start"]).to_numpy(dtype=float)
    due = ids.map(clocks["due"]).to_numpy(dtype=float)
    policy = view.scenario.policy
    zhongben = (simple["outcome"] == Outcome.ZHONGBEN.value).to_numpy()
    floor_end = np.full(len(simple), np.nan)
    if policy.zhongben_floor and zhongben.any():
        calendar = view.calendar
        arrived = simple["arrived"].to_numpy(dtype=float)[zhongben]
        floor_end[zhongben] = [
            calendar.time_of(add_months(calendar.date_of(float(a)), policy.zhongben_floor_months)) + 1.0
            for a in arrived
        ]
    waits = _wait_days(view, ids)
    outside = ids.map(waits["outside"]).fillna(0.0).to_numpy(dtype=float)
    handoff = ids.map(waits["handoff"]).fillna(0.0).to_numpy(dtype=float)
    allowed = due - start
    with np.errstate(invalid="ignore"):
        by_floor = floor_end > due
        by_outside = ~by_floor & (outside > allowed)
        by_handoff = ~by_floor & ~by_outside & (outside + handoff > allowed)
    reason = np.select([by_floor, by_outside, by_handoff], list(REASONS), default="")
    return pd.DataFrame(
        {
            "case_id": ids.to_numpy(),
            "start": start,
            "due": due,
            "allowed_days": allowed,
            "floor_end": floor_end,
            "outside_days": outside,
            "handoff_days": handoff,
            "reason": reason,
        }
    )


def _wait_days(view: RunView, ids: pd.Series) -> pd.DataFrame:
    """Per case: days of outside and of hand-off waits inside its fast_close clock (index case_id)."""
    steps = view.steps.loc[view.steps["case_id"].isin(ids)]
    clocks, parts = clock_parts(
        steps, view.slas, view.cases, view.scenario, view.calendar, at=view.end, deadlines=[Deadline.FAST_CLOSE]
    )
    first = clocks.loc[clocks["occurrence"] == 0, ["clock", "case_id"]]
    own = parts.loc[parts["part"].isin(["outside", "handoff"])].merge(first, on="clock")
    table = own.pivot_table(index="case_id", columns="part", values="days", aggfunc="sum")
    return table.reindex(columns=["outside", "handoff"]).fillna(0.0)


def _cached(view: RunView) -> pd.DataFrame:
    """:func:`unreachable_simple` once per run view (four KPIs read it)."""
    store = view.__dict__.setdefault("_ceiling_cache", {})
    if "simple" not in store:
        store["simple"] = unreachable_simple(view)
    table: pd.DataFrame = store["simple"]
    return table


@register(
    "fast45_ceiling",
    "简案45日内结案率上限（人手不限）",
    "45-day rate ceiling, any staffing",
    "share",
    "none",
    "1 − simple cases no staffing could close within 45 days ÷ simple cases received (as fast45_rate): "
    "those that end in 终本 under the 3-month floor when that day is past the due, and those whose "
    "outside and hand-off waits inside the clock alone exceed its time (sim.metrics.ceiling). An upper "
    f"bound on fast45_rate under any staffing. {_SRC}",
    group=Group.FAST45,
    position=10,
)
def fast45_ceiling(view: RunView) -> float:
    table = _cached(view)
    return safe_ratio(float((table["reason"] == "").sum()), len(table))


def _reason_share(view: RunView, reason: str) -> float:
    table = _cached(view)
    return safe_ratio(float((table["reason"] == reason).sum()), len(table))


@register(
    "fast45_bound_floor",
    "简案因终本满3个月不可能45日内结案的比例",
    "simple cases held past 45 days by the 终本 floor",
    "share",
    "none",
    "Simple cases (as fast45_rate) that end in 终本 while policy.zhongben_floor applies and whose "
    f"earliest lawful 终本 (the day after filing + 3 months) is past the 45-day due ÷ simple cases. {_SRC}",
    group=Group.FAST45,
    position=11,
)
def fast45_bound_floor(view: RunView) -> float:
    return _reason_share(view, "floor")


@register(
    "fast45_bound_outside",
    "简案因外部等待超过45日的比例",
    "simple cases held past 45 days by outside waits alone",
    "share",
    "none",
    "Simple cases not held by the floor whose outside waits inside the fast_close clock (service, "
    f"inquiries, announcements, auctions…) alone exceed its allowed days ÷ simple cases. {_SRC}",
    group=Group.FAST45,
    position=12,
)
def fast45_bound_outside(view: RunView) -> float:
    return _reason_share(view, "outside")


@register(
    "fast45_bound_handoff",
    "简案因外部等待加交接等待超过45日的比例",
    "simple cases held past 45 days by outside and hand-off waits",
    "share",
    "none",
    "Simple cases held by neither the floor nor outside waits alone whose outside and hand-off "
    f"(交接) waits together exceed the fast_close clock's allowed days ÷ simple cases. {_SRC}",
    group=Group.FAST45,
    position=13,
)
def fast45_bound_handoff(view: RunView) -> float:
    return _reason_share(view, "handoff")
