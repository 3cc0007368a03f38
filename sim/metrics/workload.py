"""Load indicators: closures per head with named denominators, open caseload, backlog, 结收比, 利用率.

Like the staffing page of a court's report: how many cases the court closes a year
per judge, per officer and per member of staff, how many each handling officer
closes and holds open, how many officer hours a closure costs, how many counted
cases are still open at the horizon, and how busy each team × role is.

人均结案数 means nothing without its denominator (domain-facts §5: closed ÷ judges
or officers, and some systems exclude 执恢 and 执保). Each per-head KPI names
its numerator and its denominator in its label and definition. The court-wide
ones (per 员额法官, per 执行员 of the court, per member of staff) keep their
denominator when the organisation changes and so compare organisations; the
per-handler ones (``closed_per_officer``, ``open_per_handler``) describe a
承办人's caseload, and their denominator (``handling_officers``) changes with
the organisation. Head-counts are means over the window (hires and leaves count
pro rata). Importing the module registers the KPIs in :data:`sim.metrics.KPIS`
(utilisation for every team × role of :mod:`sim.vocab`; :func:`sim.metrics.kpi_values`
reports those present in the staff table).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sim.config.schema import Scenario
from sim.metrics._common import safe_ratio
from sim.metrics.registry import KPIS, Group, Level, RunView, View, in_order, register, utilisation_kpi
from sim.vocab import CaseType, Milestone, Role, Team

__all__ = ["Denominator", "denominators"]


_SRC_PER_HEAD = (
    "domain-facts §5 (人均结案数: closed ÷ judges or officers; some systems exclude 执恢 and 执保) and §3.10; "
    "sources-13 §2.1 (three named denominators: 员额法官, handling 执行员, all staff)"
)
_IMPLEMENTATION = (CaseType.FIRST.value, CaseType.RESUMED.value, CaseType.PRESERVATION.value)  # 执行实施类


def _handling_teams(view: RunView) -> tuple[str, ...]:
    """The staffed teams doing fast- and standard-track handling (after organisation mapping)."""
    org = view.scenario.organisation
    return tuple(sorted({org.team_for(Team.FAST_TRACK).value, org.team_for(Team.COMPLEX_TRACK).value}))


def _headcount(view: RunView, roles: tuple[Role, ...] | None = None, teams: tuple[str, ...] | None = None) -> float:
    """Mean head-count over the window: person-hours on the books ÷ one person's working hours.

    A hire or a leave during the window counts pro rata (the staff table's ``joined`` and
    ``left``), so a denominator is the staff the court actually had, not the plan's.
    """
    table = view.utilisation
    if roles is not None:
        table = table.loc[table["role"].isin([r.value for r in roles])]
    if teams is not None:
        table = table.loc[table["team"].isin(teams)]
    per_person = view.calendar.working_hours_between(view.warmup, view.horizon)
    return safe_ratio(float(table["available_hours"].sum()), per_person) if len(table) else 0.0


def _handlers(view: RunView) -> float:
    return _headcount(view, (Role.OFFICER,), _handling_teams(view))


def _closed_in_window(view: RunView, types: tuple[str, ...] = _IMPLEMENTATION) -> int:
    """Cases of ``types`` closed in [warmup, horizon), whenever filed and whoever closed them."""
    cases = view.cases
    closed = (cases["closed"] >= view.warmup) & (cases["closed"] < view.horizon) & cases["case_type"].isin(types)
    return int(closed.sum())


def _per_year(view: RunView, count: float, heads: float) -> float:
    return safe_ratio(count * 365.0, heads * view.window_days)


@register(
    "closed_per_officer",
    "人均结案数（承办执行员）",
    "cases closed per handling officer (fast + standard teams)",
    "cases/officer/year",
    "higher",
    "Cases whose handling team is the fast or the standard track (after the organisation's "
    "mapping) closed in [warmup, horizon) ÷ those teams' officers (mean head-count over the window) "
    "× 365 ÷ window days. The caseload of a 承办人, not a comparison of organisations: the "
    "denominator changes with the organisation (the plan: 4 + 11 = 15 handling officers; before "
    "the reform all 20 officers of the five units handle cases), and so does the work a handler "
    f"does. Compare organisations with closed_per_court_officer. {_SRC_PER_HEAD}",
    group=Group.LOAD,
    position=5,
    headline=(View.TERMINAL, View.SWEEP_REPORT),
    level=Level(
        "reference",
        200,
        274,
        "domain-facts §3.10: Guizhou ~200 handled per enforcement judge, Hangzhou 243–274 closed per head "
        "(denominator not stated), both before the team model, when a judge handled a case from start to end (A)",
    ),
)
def closed_per_officer(view: RunView) -> float:
    cases = view.cases
    closed = (
        cases["team"].isin(_handling_teams(view)) & (cases["closed"] >= view.warmup) & (cases["closed"] < view.horizon)
    )
    return _per_year(view, float(closed.sum()), _handlers(view))


@register(
    "open_per_handler",
    "人均在办案件数（承办执行员）",
    "open caseload per handling officer at the horizon",
    "cases",
    "lower",
    "Cases received by a fast/standard team by the horizon and not closed by it ÷ "
    "officers of those teams (mean head-count over the window). DOMAIN.md §6 (在办案件数)",
    group=Group.LOAD,
    position=8,
)
def open_per_handler(view: RunView) -> float:
    steps = view.steps
    received = steps.loc[
        (steps["kind"] == "mark")
        & (steps["step"] == Milestone.RECEIVED.value)
        & steps["team"].isin(_handling_teams(view))
        & (steps["start"] <= view.horizon)
    ]
    held = view.cases.loc[view.cases["case_id"].isin(received["case_id"])]
    still_open = ~(held["closed"] <= view.horizon)
    return safe_ratio(still_open.sum(), _handlers(view))


@register(
    "backlog_end",
    "期末未结案件数",
    "open counted cases at the horizon",
    "cases",
    "lower",
    "Cases filed in [warmup, horizon) not closed by the horizon. DOMAIN.md §6 (未结案件)",
    group=Group.LOAD,
    position=10,
    headline=(View.TERMINAL, View.FOCUS, View.SWEEP, View.SWEEP_REPORT, View.APP),
)
def backlog_end(view: RunView) -> float:
    return float((~(view.counted["closed"] <= view.horizon)).sum())


@register(
    "closed_rate",
    "结收比",
    "closed-to-received ratio",
    "share",
    "higher",
    "Cases closed in [warmup, horizon) ÷ cases filed in it. domain-facts §5 (结收比)",
    group=Group.VOLUME,
    position=1,
)
def closed_rate(view: RunView) -> float:
    closed = (view.cases["closed"] >= view.warmup) & (view.cases["closed"] < view.horizon)
    return safe_ratio(closed.sum(), len(view.counted))


@register(
    "received_cases",
    "收案数",
    "cases received",
    "cases",
    "none",
    "Cases filed in [warmup, horizon) (all types). DOMAIN.md §6",
    group=Group.VOLUME,
    position=2,
)
def received_cases(view: RunView) -> float:
    return float(len(view.counted))


@register(
    "closed_cases",
    "结案数",
    "cases closed",
    "cases",
    "none",
    "Cases filed in [warmup, horizon) and closed by the end of the log. DOMAIN.md §6",
    group=Group.VOLUME,
    position=3,
)
def closed_cases(view: RunView) -> float:
    return float(len(view.closed))


# ---------------------------------------------------------------- per head, with named denominators
# Registered after the others so that the existing KPI tables keep their order; listings
# order them by position.


@register(
    "closed_per_judge",
    "人均结案数（员额法官）",
    "cases closed per judge (员额法官, whole court)",
    "cases/judge/year",
    "higher",
    "执行实施 cases (首执+执恢+执保) closed in [warmup, horizon) by any team ÷ the court's 员额法官 "
    "(mean head-count over the window, all teams) × 365 ÷ window days. The denominator does not "
    f"change with the organisation. {_SRC_PER_HEAD}",
    group=Group.LOAD,
    position=1,
    level=Level(
        "reference",
        861,
        928,
        "sources-13 §2.1: 宝安 2017 645.63 closed per 执行法官 in 9 months ≈ 861 a year (A, annualised EST); "
        "national 2024 928 handled per 执行法官 (C, mirror of 《中国审判》; handled includes carried-over cases)",
    ),
)
def closed_per_judge(view: RunView) -> float:
    return _per_year(view, _closed_in_window(view), _headcount(view, (Role.JUDGE,)))


@register(
    "closed_per_court_officer",
    "人均结案数（全院执行员）",
    "cases closed per officer (all 执行员 of the court)",
    "cases/officer/year",
    "higher",
    "执行实施 cases (首执+执恢+执保) closed in [warmup, horizon) by any team ÷ every 执行员 of the "
    "court (mean head-count over the window, all teams) × 365 ÷ window days. Comparable across "
    "organisations of the same people: the numerator is the court's closures and the denominator "
    f"its officers, whoever handles what. {_SRC_PER_HEAD}",
    group=Group.LOAD,
    position=2,
    headline=True,
)
def closed_per_court_officer(view: RunView) -> float:
    return _per_year(view, _closed_in_window(view), _headcount(view, (Role.OFFICER,)))


@register(
    "closed_first_per_court_officer",
    "人均首执结案数（全院执行员）",
    "first-enforcement cases closed per officer (all 执行员)",
    "cases/officer/year",
    "higher",
    "As closed_per_court_officer counting 首执 cases only, for the statistics that exclude 执恢 and "
    f"执保. {_SRC_PER_HEAD}",
    group=Group.LOAD,
    position=3,
)
def closed_first_per_court_officer(view: RunView) -> float:
    return _per_year(view, _closed_in_window(view, (CaseType.FIRST.value,)), _headcount(view, (Role.OFFICER,)))


@register(
    "closed_per_staff",
    "人均结案数（全体执行人员）",
    "cases closed per member of staff (judges, officers, clerks, bailiffs)",
    "cases/person/year",
    "higher",
    "执行实施 cases (首执+执恢+执保) closed in [warmup, horizon) ÷ all enforcement staff of every role "
    f"(mean head-count over the window) × 365 ÷ window days. {_SRC_PER_HEAD}",
    group=Group.LOAD,
    position=4,
)
def closed_per_staff(view: RunView) -> float:
    return _per_year(view, _closed_in_window(view), _headcount(view))


@register(
    "handling_officers",
    "承办执行员人数",
    "handling officers (fast + standard teams)",
    "officers",
    "none",
    "Officers of the fast- and standard-track teams (after the organisation's mapping), mean "
    "head-count over [warmup, horizon): the denominator of closed_per_officer and open_per_handler, "
    "shown so that a comparison says when it changes. DOMAIN.md §2",
    group=Group.LOAD,
    position=6,
)
def handling_officers(view: RunView) -> float:
    return _handlers(view)


@register(
    "officer_hours_per_closed",
    "每结一案执行员工时",
    "officer hours worked per case closed",
    "hours/case",
    "lower",
    "Officer effort hours worked in [warmup, horizon) in every team (the utilisation hours) ÷ "
    "执行实施 cases closed in the window. The officer time a closure costs, measured by the work done "
    "rather than the head-count: 2,000 h (250 days × 8 h, EST) ÷ this is the closures one officer-year "
    "of work buys. It counts the officers' side work (reports, petitions) too. sources-13 §2.1 (≈ 4.6 h "
    "per case implied by the plan's 15 handling officers at 6,500 cases, EST)",
    group=Group.LOAD,
    position=7,
)
def officer_hours_per_closed(view: RunView) -> float:
    table = view.utilisation
    busy = float(table.loc[table["role"] == Role.OFFICER.value, "busy_hours"].sum()) if len(table) else 0.0
    return safe_ratio(busy, _closed_in_window(view))


@register(
    "open_per_court_officer",
    "人均未结案件数（全院执行员）",
    "open cases per officer (all 执行员) at the horizon",
    "cases",
    "lower",
    "执行实施 cases (首执+执恢+执保) filed by the horizon and not closed by it, wherever they stand "
    "(intake, a handling team, disposal), ÷ every 执行员 of the court (mean head-count over the window). "
    f"Comparable across organisations, as closed_per_court_officer. {_SRC_PER_HEAD}",
    group=Group.LOAD,
    position=9,
)
def open_per_court_officer(view: RunView) -> float:
    cases = view.cases
    filed = (cases["arrived"] < view.horizon) & cases["case_type"].isin(_IMPLEMENTATION)
    still_open = filed & ~(cases["closed"] <= view.horizon)
    return safe_ratio(float(still_open.sum()), _headcount(view, (Role.OFFICER,)))


# ---------------------------------------------------------------- the denominators, stated


@dataclass(frozen=True)
class Denominator:
    """A head-count that per-head KPIs divide by, as the scenario plans it (before staffing changes)."""

    id: str
    zh: str  # the tag the KPIs' Chinese labels carry, e.g. （承办执行员）
    en: str
    count: int  # the plan's head-count in this scenario
    detail: str  # where the heads sit, e.g. "fast_track 4 + complex_track 11"

    @property
    def kpis(self) -> list[str]:
        """The KPIs that divide by it: those whose Chinese label carries its tag, in listing order."""
        return [k for k in in_order(KPIS) if self.zh in KPIS[k].zh]


def denominators(scenario: Scenario) -> list[Denominator]:
    """The denominators of the per-head KPIs in ``scenario``, with the teams they come from.

    The KPIs divide by the mean head-count over the counting window (hires and leaves pro
    rata); this is the scenario's planned head-count, which equals it without
    ``[[staffing_changes]]``. A comparison states both scenarios' values, so a reader sees
    which per-head differences come from the denominator (15 handling officers after the
    reform, 20 before it).
    """
    staffing = scenario.staffing
    org = scenario.organisation
    handling = sorted({org.team_for(Team.FAST_TRACK), org.team_for(Team.COMPLEX_TRACK)}, key=list(Team).index)

    def heads(roles: tuple[Role, ...], teams: list[Team] | None = None) -> tuple[int, str]:
        counts = [(t, sum(staffing.team(t).count(r) for r in roles)) for t in (list(Team) if teams is None else teams)]
        return sum(n for _, n in counts), " + ".join(f"{t.value} {n}" for t, n in counts if n) or "none"

    rows: list[tuple[str, str, str, tuple[Role, ...], list[Team] | None]] = [
        ("judges", "（员额法官）", "judges (员额法官), every team", (Role.JUDGE,), None),
        ("court_officers", "（全院执行员）", "officers (执行员), every team", (Role.OFFICER,), None),
        (
            "handling_officers",
            "（承办执行员）",
            "handling officers: the fast- and standard-track teams' officers",
            (Role.OFFICER,),
            handling,
        ),
        ("staff", "（全体执行人员）", "all enforcement staff: every role, every team", tuple(Role), None),
    ]
    return [Denominator(key, zh, en, *heads(roles, teams)) for key, zh, en, roles, teams in rows]


# ---------------------------------------------------------------- 利用率


def _util_func(team: str, role: str) -> Callable[[RunView], float]:
    def func(view: RunView) -> float:
        table = view.utilisation
        row = table.loc[(table["team"] == team) & (table["role"] == role), "utilisation"]
        return float(row.iloc[0]) if len(row) else math.nan

    return func


for _team in Team:
    for _role in Role:
        _kpi = utilisation_kpi(_team.value, _role.value, _util_func(_team.value, _role.value))
        KPIS[_kpi.id] = _kpi
