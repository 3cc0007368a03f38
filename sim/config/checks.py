"""Checks across fields that a per-field schema cannot express.

The main one: a team that receives work must have the roles its steps need
(a fast-track team without bailiffs cannot do a field investigation). The table
:data:`TASK_FUNCTION` says which function of the plan does each kind of work;
``organisation.performed_by`` says which staffed team performs that function.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Literal

from sim.config.distspec import FixedSpec
from sim.config.errors import Problem
from sim.config.schema import UNIT_ROLES, Scenario
from sim.vocab import Role, Team

__all__ = ["HANDLING", "TASK_FUNCTION", "cross_checks", "receiving_teams", "task_team"]

HANDLING: Literal["handling"] = "handling"
"""The handling team of the case (快执 or 精执), whose officer is the case's 承办人."""

TASK_FUNCTION: dict[str, Team | Literal["handling"]] = {
    # 前置团队 (方案 三(一)1)
    "verify_filing": Team.INTAKE,
    "first_contact": Team.INTAKE,
    "standard_documents": Team.INTAKE,
    "triage": Team.INTAKE,
    "resume_review": Team.INTAKE,
    # 快执/精执 (方案 三(二))
    "serve_documents": HANDLING,
    "debtor_interview": HANDLING,
    "deduct_payout": HANDLING,
    "field_investigation": HANDLING,
    "lead_check": HANDLING,
    "consumption_restriction": HANDLING,
    "dishonest_listing": HANDLING,
    "detention": HANDLING,
    "criminal_referral": HANDLING,
    "distribution_plan": HANDLING,
    "behaviour_enforcement": HANDLING,
    "panel_review": HANDLING,
    "settlement_record": HANDLING,
    "zhongben_interview": HANDLING,
    "disposal_referral": HANDLING,
    "handover": HANDLING,
    "closing": HANDLING,
    # 财产处置团队 (方案 三(一)2)
    "price_file": Team.ASSET_DISPOSAL,
    "report_service": Team.ASSET_DISPOSAL,
    "price_objection_review": Team.ASSET_DISPOSAL,
    "auction_listing": Team.ASSET_DISPOSAL,
    "in_kind_offer": Team.ASSET_DISPOSAL,
    "sale_ruling": Team.ASSET_DISPOSAL,
    # 卷宗管理中心 (方案 三(一)3)
    "scan": Team.RECORDS,
    "archive": Team.RECORDS,
    # 执行审查团队 (方案 三(三))
    "objection_hearing": Team.REVIEW,
    # "三统一"管理团队 (方案 三(一)4)
    "preservation": Team.OVERSIGHT,
    "commissioned": Team.OVERSIGHT,
    "petition": Team.OVERSIGHT,
    "monthly_report": Team.OVERSIGHT,
    "quarterly_report": Team.OVERSIGHT,
}


def receiving_teams(scenario: Scenario) -> dict[Team, set[str]]:
    """Staffed team → the kinds of work it can receive under this scenario."""
    policy, org = scenario.policy, scenario.organisation
    handling = [Team.COMPLEX_TRACK] + ([Team.FAST_TRACK] if policy.triage else [])
    work: dict[Team, set[str]] = defaultdict(set)
    for task, function in TASK_FUNCTION.items():
        if task == "preservation" and policy.preservation_team == "fast_track":
            function = Team.FAST_TRACK
        functions = handling if function == HANDLING else [function]
        for f in functions:
            work[org.team_for(f)].add(task)
    return work


def task_team(scenario: Scenario, task: str, handling_team: Team | None = None) -> Team:
    """The staffed team that performs ``task`` (``handling_team`` for a case's own work)."""
    function = TASK_FUNCTION[task]
    if function == HANDLING:
        if handling_team is None:
            raise ValueError(f"task {task!r} is done by the case's handling team; none given")
        return handling_team
    if task == "preservation" and scenario.policy.preservation_team == "fast_track":
        function = Team.FAST_TRACK
    return scenario.organisation.team_for(function)


def cross_checks(scenario: Scenario) -> list[Problem]:
    """Every cross-field problem of a schema-valid scenario."""
    return [*_roles_present(scenario), *_staffing_changes(scenario), *_mix_needs(scenario)]


def _roles_present(scenario: Scenario) -> list[Problem]:
    problems = []
    for team, tasks in sorted(receiving_teams(scenario).items()):
        staffing = scenario.staffing.team(team)
        for task in sorted(tasks):
            spec = getattr(scenario.tasks, task)
            if isinstance(spec.hours, FixedSpec) and spec.hours.value == 0:
                continue  # zero effort needs nobody
            for role, needed in spec.roles.items():
                per_unit = bool(staffing.units) and role in UNIT_ROLES
                have = min(getattr(u, f"{role.value}s") for u in staffing.units) if per_unit else staffing.count(role)
                if have < needed:
                    where = " in every unit" if per_unit else ""
                    problems.append(
                        Problem(
                            f"staffing.{team.value}.{role.value}s",
                            f"team {team.value} does {task!r}, which needs {needed} {role.value}(s) at once{where}",
                            str(have),
                            f">= {needed}",
                        )
                    )
    return problems


def _staffing_changes(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    start = scenario.run.start_date
    end = start + timedelta(days=scenario.run.horizon_days)
    counts: dict[tuple[Team, str, Role], int] = {}
    for i, change in enumerate(sorted(scenario.staffing_changes, key=lambda c: c.date)):
        path = f"staffing_changes[{i}]"
        staffing = scenario.staffing.team(change.team)
        units = {u.name: u for u in staffing.units}
        if not start <= change.date <= end:
            problems.append(
                Problem(f"{path}.date", "outside the simulated period", str(change.date), f"between {start} and {end}")
            )
        if change.unit is not None and change.unit not in units:
            allowed = "one of: " + ", ".join(units) if units else "no unit (the team has none)"
            problems.append(Problem(f"{path}.unit", "no such unit", change.unit, allowed))
            continue
        unit_level = bool(units) and change.role in UNIT_ROLES
        if unit_level and change.unit is None:
            problems.append(
                Problem(
                    f"{path}.unit",
                    f"team {change.team.value} has units; say which",
                    None,
                    "one of: " + ", ".join(units),
                )
            )
            continue
        key = (change.team, change.unit or "", change.role)
        if key not in counts:
            counts[key] = (
                getattr(units[change.unit], f"{change.role.value}s")
                if unit_level and change.unit
                else staffing.count(change.role)
            )
        counts[key] += change.delta
        if counts[key] < 0:
            problems.append(
                Problem(
                    f"{path}.delta",
                    "would leave a negative head-count",
                    str(change.delta),
                    f">= {counts[key] - change.delta} people to remove",
                )
            )
    return problems


def _mix_needs(scenario: Scenario) -> list[Problem]:
    problems = []
    handling = [Team.COMPLEX_TRACK] + ([Team.FAST_TRACK] if scenario.policy.triage else [])
    for team in handling:
        staffing = scenario.staffing.team(team)
        if staffing.officers < 1:
            problems.append(
                Problem(
                    f"staffing.{team.value}.officers",
                    "a handling team needs at least one officer (承办人) to own its cases",
                    str(staffing.officers),
                    ">= 1",
                )
            )
        for j, unit in enumerate(staffing.units):
            if unit.officers < 1:
                problems.append(
                    Problem(
                        f"staffing.{team.value}.units[{j}].officers",
                        f"unit {unit.name!r} receives cases but has no officer",
                        "0",
                        ">= 1",
                    )
                )
    return problems
