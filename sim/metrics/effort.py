"""The workload check: the work the cases ask for against the hours the staff have.

Like a court's 工作量测算: count what each kind of task costs, multiply by how
often the year's cases need it, and set the sum beside each team × role's
working hours. Utilisation (:mod:`sim.metrics.utilisation`) says how busy the
staff *were*; it cannot exceed 100% however much work waits. This module says
how much work the counted cases *asked* for (their tasks at any time, done or
still waiting when the log stops, plus the side streams' work in the window),
per year, so that a staffing that cannot carry its load shows a load above 1
instead of a utilisation pinned at 100% (issue 13 §5, ``docs/workload.md``).

It also puts the run's throughput beside the published workload figures
(:data:`PUBLISHED`): cases closed per handling officer and per judge a year, and
the officer hours a closed case costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.metrics._common import safe_ratio
from sim.metrics.registry import RunView
from sim.vocab import Role, Team

__all__ = ["OVERLOAD", "PUBLISHED", "Reference", "WorkloadCheck", "check_workload", "task_demand", "team_load"]

OVERLOAD = 0.95
"""A team × role whose asked-for work reaches this share of its hours is flagged:
queues grow without bound as the load approaches 1 (and much earlier with the
variability of court work)."""


@dataclass(frozen=True)
class Reference:
    """One published workload figure: a range of cases per head a year."""

    id: str
    low: float
    high: float
    per: str
    source: str


PUBLISHED = (
    Reference(
        "closed_per_officer_old_model",
        200,
        274,
        "closed per officer (old model, one person per case)",
        "domain-facts §3.10: Guizhou ~200, Hangzhou 243–274 (A)",
    ),
    Reference(
        "whole_case_judge",
        138,
        175,
        "closed per person doing whole cases (judges' time survey)",
        "sources-13 §2.1: MC county court 2020, 138–175 a year (C)",
    ),
    Reference(
        "handled_per_enforcement_judge",
        861,
        928,
        "handled per enforcement judge (team model)",
        "sources-13 §2.1: national 2024 928 handled per 执行法官 (C, mirror of B); 宝安 2017 ≈ 861 closed (A)",
    ),
)
"""The published figures the check compares a run with (sources in ``docs/sources.md``)."""


_ASKED = ["case_id", "step", "team", "roles", "start", "effort_hours"]


def _asked(view: RunView, unfinished: pd.DataFrame | None = None) -> pd.DataFrame:
    """Task steps of the counted cases (any time) and of the work outside cases started in the window,
    with the work still waiting or under way at the end of the log (``RunResult.unfinished``) if given."""
    tasks = view.steps.loc[view.steps["kind"] == "task", _ASKED]
    if unfinished is not None and len(unfinished):
        waiting = unfinished.assign(start=unfinished["start"].fillna(unfinished["queued"]))[_ASKED]
        tasks = pd.concat([tasks, waiting], ignore_index=True)
    counted = tasks["case_id"].isin(view.counted["case_id"])
    window = (tasks["start"] >= view.warmup) & (tasks["start"] < view.horizon)
    return tasks.loc[counted | (~tasks["case_id"].isin(view.cases["case_id"]) & window)]


def task_demand(view: RunView, unfinished: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per task and team: how often a year, mean hours per person, and person-hours a year."""
    per_year = 365.0 / view.window_days
    asked = _asked(view, unfinished)
    persons = asked["roles"].str.count(r"\+") + 1
    frame = asked.assign(person_hours=asked["effort_hours"] * persons)
    grouped = frame.groupby(["step", "team"])
    out = pd.DataFrame(
        {
            "per_year": grouped.size() * per_year,
            "mean_hours": grouped["effort_hours"].mean(),
            "person_hours": grouped["person_hours"].sum() * per_year,
        }
    )
    return out.sort_values("person_hours", ascending=False).reset_index()


def team_load(view: RunView, unfinished: pd.DataFrame | None = None) -> pd.DataFrame:
    """Work asked for per year against working hours per year, per team × role.

    Returns
    -------
    DataFrame
        ``team, role, headcount, demand_hours, capacity_hours, load``, all per
        year: ``demand_hours`` is the effort of every task of the counted cases
        (whenever done, and the work waiting or under way at the end of the log
        when ``unfinished`` is given; the work the open cases would ask for later
        is missing, so with a growing backlog the figure is a lower bound) plus
        the work outside cases (reports, petitions, commissions)
        started in the window, each person of a task's ``roles`` holding its
        ``effort_hours``; ``capacity_hours`` is the head-count's working hours;
        ``load`` is their ratio.
    """
    per_year = 365.0 / view.window_days
    asked = _asked(view, unfinished)
    people = asked.assign(role=asked["roles"].str.split("+")).explode("role")
    demand = people.groupby(["team", "role"])["effort_hours"].sum() * per_year
    util = view.utilisation.set_index(["team", "role"])
    capacity = util["available_hours"] * per_year
    frame = pd.DataFrame({"headcount": util["headcount"], "capacity_hours": capacity})
    frame["demand_hours"] = demand.reindex(frame.index, fill_value=0.0)
    frame["load"] = frame["demand_hours"] / frame["capacity_hours"].where(frame["capacity_hours"] > 0)
    frame = frame[frame["headcount"] > 0].reset_index()
    return frame[["team", "role", "headcount", "demand_hours", "capacity_hours", "load"]]


@dataclass(frozen=True)
class WorkloadCheck:
    """The workload check of one run: per-head throughput and the overloaded posts."""

    load: pd.DataFrame  # team_load()
    closed_per_handling_officer: float  # closed in the window by the fast and standard teams, per officer a year
    closed_per_judge: float  # all closures in the window per judge of the bureau a year
    officer_hours_per_case: float  # handling officers' effort per counted case
    overloaded: tuple[str, ...]  # "team × role (load 1.07)" for each post at or above OVERLOAD

    def lines(self) -> list[str]:
        """The check as printable lines, published figures beside the run's."""
        out = [
            f"cases closed per handling officer a year: {self.closed_per_handling_officer:,.0f}",
            f"cases closed per judge a year: {self.closed_per_judge:,.0f}",
            f"handling-officer hours per counted case: {self.officer_hours_per_case:.2f}",
        ]
        out += [f"  published: {r.low:,.0f}–{r.high:,.0f} {r.per} ({r.source})" for r in PUBLISHED]
        if self.overloaded:
            out.append("WARNING: the staffing cannot carry the work asked for: " + "; ".join(self.overloaded))
        else:
            out.append(f"no team × role is asked for {OVERLOAD:.0%} or more of its working hours")
        return out


def check_workload(view: RunView, unfinished: pd.DataFrame | None = None) -> WorkloadCheck:
    """The workload check of one run (see the module docstring); pass ``RunResult.unfinished``."""
    load = team_load(view, unfinished)
    org = view.scenario.organisation
    handling = {org.team_for(Team.FAST_TRACK).value, org.team_for(Team.COMPLEX_TRACK).value}
    per_year = 365.0 / view.window_days
    closed = view.cases  # every case closed in the window, as the 人均结案 KPIs count them
    in_window = closed["closed"].lt(view.horizon) & closed["closed"].ge(view.warmup)
    staff = view.staff
    officers = int((staff["team"].isin(handling) & (staff["role"] == Role.OFFICER.value)).sum())
    judges = int((staff["role"] == Role.JUDGE.value).sum())
    handled = closed.loc[in_window & closed["team"].isin(handling)]
    tasks = view.steps.loc[(view.steps["kind"] == "task") & view.steps["team"].isin(handling)]
    tasks = tasks.loc[tasks["case_id"].isin(view.counted["case_id"]) & tasks["roles"].str.contains("officer")]
    officer_hours = float(np.sum(tasks["effort_hours"] * tasks["roles"].str.count("officer")))
    flagged = load.loc[load["load"] >= OVERLOAD]
    return WorkloadCheck(
        load=load,
        closed_per_handling_officer=safe_ratio(len(handled) * per_year, officers),
        closed_per_judge=safe_ratio(int(in_window.sum()) * per_year, judges),
        officer_hours_per_case=safe_ratio(officer_hours, len(view.counted)),
        overloaded=tuple(f"{row.team} × {row.role} (load {row.load:.2f})" for row in flagged.itertuples()),
    )
