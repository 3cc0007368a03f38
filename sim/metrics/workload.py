"""Load indicators: throughput per officer, open caseload, backlog, 结收比, 利用率.

Like the staffing page of a court's report: how many cases each handling
officer closes a year, how many each holds open, how many counted cases are
still open at the horizon, and how busy each team × role is. Importing the
module registers the KPIs in :data:`sim.metrics.KPIS` (utilisation for every
team × role of :mod:`sim.vocab`; :func:`sim.metrics.kpi_values` reports those
present in the staff table).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.metrics._common import safe_ratio
from sim.metrics.registry import KPIS, Group, Level, RunView, View, register, utilisation_kpi
from sim.vocab import Milestone, Role, Team

__all__: list[str] = []


def _handling_teams(view: RunView) -> tuple[str, ...]:
    """The staffed teams doing fast- and standard-track handling (after organisation mapping)."""
    org = view.scenario.organisation
    return tuple(sorted({org.team_for(Team.FAST_TRACK).value, org.team_for(Team.COMPLEX_TRACK).value}))


def _handlers(view: RunView) -> int:
    staff = view.staff
    return int((staff["team"].isin(_handling_teams(view)) & (staff["role"] == Role.OFFICER.value)).sum())


@register(
    "closed_per_officer",
    "人均结案数",
    "cases closed per handling officer",
    "cases/officer/year",
    "higher",
    "Cases of the fast and standard teams closed in [warmup, horizon) ÷ their officers, "
    "× 365 ÷ window days. domain-facts §5 (人均结案数, wlhtfy.nmgfy 2022)",
    group=Group.LOAD,
    position=1,
    headline=(View.TERMINAL, View.SWEEP_REPORT),
    level=Level("reference", 200, 274, "domain-facts §3.10: Guizhou ~200, Hangzhou 243–274 closed per head a year (A)"),
)
def closed_per_officer(view: RunView) -> float:
    cases = view.cases
    closed = (
        cases["team"].isin(_handling_teams(view)) & (cases["closed"] >= view.warmup) & (cases["closed"] < view.horizon)
    )
    return safe_ratio(closed.sum() * 365.0, _handlers(view) * view.window_days)


@register(
    "open_per_handler",
    "人均在办案件数",
    "open caseload per handler at the horizon",
    "cases",
    "lower",
    "Cases received by a fast/standard team by the horizon and not closed by it ÷ "
    "officers of those teams. DOMAIN.md §6 (在办案件数)",
    group=Group.LOAD,
    position=2,
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
    position=3,
    headline=(View.TERMINAL, View.FOCUS, View.SWEEP, View.SWEEP_REPORT),
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
