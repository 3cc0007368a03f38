"""Checks across fields that a per-field schema cannot express.

The main one: a team that receives work must have the roles its steps need
(a fast-track team without bailiffs cannot do a field investigation). The table
:data:`sim.vocab.TASK_FUNCTION` says which function of the plan does each kind of
work (:func:`task_function` applies the scenario's routing of preservation cases);
``organisation.performed_by`` says which staffed team performs that function.

The other: probabilities that share one draw. Where one uniform decides between
several outcomes (rejected, returned for correction or in order; frozen in full, in
part or not at all), the flows stack their probabilities on it, so they must sum to at
most 1: otherwise the last ones are silently cut short (:data:`EXCLUSIVE_GROUPS`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

from sim.config.distspec import FixedSpec
from sim.config.errors import Problem
from sim.config.schema import UNIT_ROLES, Scenario
from sim.config.uncertainty import uncertainty_problems
from sim.vocab import HANDLING, TASK_FUNCTION, Decision, Handling, Role, Task, Team

__all__ = [
    "EXCLUSIVE_GROUPS",
    "cross_checks",
    "hand_offs",
    "handling_teams",
    "receiving_teams",
    "task_function",
    "task_team",
]

EXCLUSIVE_GROUPS: dict[Decision, tuple[tuple[str, ...], ...]] = {
    # intake: 驳回申请, else 退回纠正, else in order (sim.flow.intake)
    Decision.FILING: (("filing_reject_rate", "filing_error_rate"),),
    # the online freeze: in full, else in part, else nothing; "in full" depends on the claim's size
    Decision.FREEZE: (
        ("freeze_full_small_rate", "freeze_partial_rate"),
        ("freeze_full_large_rate", "freeze_partial_rate"),
    ),
    # 终结执行, else 不予执行, else 销案, else none (sim.flow.handling.ending)
    Decision.ENDING: (("termination_rate", "not_enforced_rate", "withdrawal_rate"),),
}
"""Per decision whose one uniform picks among several outcomes, the ``[probabilities]`` fields
stacked on it: each tuple must sum to at most 1. A flow that stacks a new outcome on a draw adds
its field here (``tests/unit/test_exclusive_probabilities.py`` finds every stacked draw)."""


def task_function(scenario: Scenario, task: Task) -> Team | Handling:
    """The function of the plan that does ``task`` under ``scenario``: a team, or ``HANDLING``.

    Preservation work goes to the team ``policy.preservation_team`` names (方案 三(一)4:
    the "三统一" team; or the fast track, which 三(一)1 would give them as simple cases).
    """
    if task is Task.PRESERVATION:
        return scenario.policy.preservation_team
    return TASK_FUNCTION[task]


def handling_teams(scenario: Scenario) -> list[Team]:
    """The teams that own cases: the standard track, and the fast track where triage sends cases."""
    return [Team.COMPLEX_TRACK] + ([Team.FAST_TRACK] if scenario.policy.triage else [])


def receiving_teams(scenario: Scenario) -> dict[Team, set[Task]]:
    """Staffed team → the kinds of work it can receive under this scenario."""
    handling = handling_teams(scenario)
    work: dict[Team, set[Task]] = defaultdict(set)
    for task in Task:
        function = task_function(scenario, task)
        for f in handling if function == HANDLING else [function]:
            work[scenario.organisation.team_for(f)].add(task)
    return work


def task_team(scenario: Scenario, task: Task, handling_team: Team | None = None) -> Team:
    """The staffed team that performs ``task`` (``handling_team`` for a case's own work)."""
    function = task_function(scenario, task)
    if function == HANDLING:
        if handling_team is None:
            raise ValueError(f"task {task.value!r} is done by the case's handling team; none given")
        return handling_team
    return scenario.organisation.team_for(function)


def cross_checks(scenario: Scenario) -> list[Problem]:
    """Every cross-field problem of a schema-valid scenario."""
    problems = [
        *_roles_present(scenario),
        *_staffing_changes(scenario),
        *_mix_needs(scenario),
        *_exclusive_probabilities(scenario),
        *_reform(scenario),
        *_backlog_dates(scenario),
    ]
    if scenario.uncertainty:
        problems += uncertainty_problems(scenario.model_dump(mode="json"), scenario.uncertainty, type(scenario))
    return problems


def _backlog_dates(scenario: Scenario) -> list[Problem]:
    """The starting backlog's oldest filing (and a year before it, for working-day counts) is a date."""
    backlog = scenario.initial_backlog
    if backlog is None:
        return []
    oldest = math.ceil(backlog.age_bands_days[-1]) + 366
    first = date.min + timedelta(days=oldest)
    if scenario.run.start_date >= first:
        return []
    return [
        Problem(
            "initial_backlog.age_bands_days",
            f"the oldest open case would be filed before year 1: with bands up to "
            f"{backlog.age_bands_days[-1]:g} days the run must start on {first} or later",
            str(scenario.run.start_date),
            f"start_date >= {first}",
        )
    ]


def _exclusive_probabilities(scenario: Scenario) -> list[Problem]:
    """Each group of :data:`EXCLUSIVE_GROUPS` sums to at most 1, naming its fields."""
    problems = []
    probabilities = scenario.probabilities
    for decision, groups in EXCLUSIVE_GROUPS.items():
        for fields in groups:
            values = [getattr(probabilities, name) for name in fields]
            total = sum(values)
            if total > 1 + 1e-9:
                terms = " + ".join(f"{name} = {value:g}" for name, value in zip(fields, values, strict=True))
                problems.append(
                    Problem(
                        "probabilities." + " + ".join(fields),
                        f"these outcomes exclude each other (one draw, {decision.value!r}), so their "
                        f"probabilities must sum to at most 1: {terms}",
                        f"{total:g}",
                        "a sum <= 1",
                    )
                )
    return problems


def _roles_present(scenario: Scenario) -> list[Problem]:
    problems = []
    for team, tasks in sorted(receiving_teams(scenario).items()):
        staffing = scenario.staffing.team(team)
        for task in sorted(tasks):
            spec = scenario.tasks[task]
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
                            f"team {team.value} does {task.value!r}, "
                            f"which needs {needed} {role.value}(s) at once{where}",
                            str(have),
                            f">= {needed}",
                        )
                    )
    return problems


def _role_needs(scenario: Scenario) -> dict[Team, dict[Role, tuple[int, str]]]:
    """Team → role → (people needed at once, for what): the most any of its work needs
    (:func:`_roles_present`), and one officer in a team that owns cases (:func:`_mix_needs`)."""
    needs: dict[Team, dict[Role, tuple[int, str]]] = defaultdict(dict)
    for team, tasks in receiving_teams(scenario).items():
        for task in sorted(tasks):
            spec = scenario.tasks[task]
            if isinstance(spec.hours, FixedSpec) and spec.hours.value == 0:
                continue  # zero effort needs nobody
            for role, needed in spec.roles.items():
                if needed > needs[team].get(role, (0, ""))[0]:
                    needs[team][role] = (needed, f"does {task.value!r}, which needs {needed} {role.value}(s) at once")
    for team in handling_teams(scenario):
        if needs[team].get(Role.OFFICER, (0, ""))[0] < 1:
            needs[team][Role.OFFICER] = (1, "owns cases, which needs an officer (承办人)")
    return needs


def _staffing_changes(scenario: Scenario) -> list[Problem]:
    """Each change within the run, of a unit that exists, never below zero people, and never
    leaving a team (or a unit) without the people its work needs: that work would wait, unseen,
    until someone came back (the changes of one date count together)."""
    problems: list[Problem] = []
    start = scenario.run.start_date
    end = start + timedelta(days=scenario.run.horizon_days)
    needs = _role_needs(scenario)
    counts: dict[tuple[Team, str, Role], int] = {}
    touched: dict[tuple[Team, str, Role], str] = {}  # on the date being applied: key → path of its last change
    dated = sorted(enumerate(scenario.staffing_changes), key=lambda item: item[1].date)
    for n, (i, change) in enumerate(dated):
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
        touched[key] = path
        if counts[key] < 0:
            problems.append(
                Problem(
                    f"{path}.delta",
                    "would leave a negative head-count",
                    str(change.delta),
                    f">= {counts[key] - change.delta} people to remove",
                )
            )
        if n + 1 == len(dated) or dated[n + 1][1].date != change.date:
            problems += _left_short(counts, touched, needs, change.date)
            touched = {}
    return problems


def _left_short(
    counts: dict[tuple[Team, str, Role], int],
    touched: dict[tuple[Team, str, Role], str],
    needs: dict[Team, dict[Role, tuple[int, str]]],
    when: date,
) -> list[Problem]:
    problems = []
    for (team, unit, role), path in touched.items():
        have = counts[(team, unit, role)]
        needed, why = needs[team].get(role, (0, ""))
        if 0 <= have < needed:
            where = f"unit {unit!r} of team {team.value}" if unit else f"team {team.value}"
            problems.append(
                Problem(
                    f"{path}.delta",
                    f"leaves {where} with {have} {role.value}(s) from {when}, but the team {why}; "
                    "its work would wait unseen: keep enough people, or add a change bringing someone in that day",
                    str(have),
                    f">= {needed}",
                )
            )
    return problems


def _mix_needs(scenario: Scenario) -> list[Problem]:
    problems = []
    for team in handling_teams(scenario):
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


def hand_offs(scenario: Scenario) -> set[tuple[Team, Team]]:
    """(sender, receiver) pairs where a case changes team: front end → tracks and the
    preservation team, tracks → asset disposal and back (the same team twice is no hand-off)."""
    team_for = scenario.organisation.team_for
    front, disposal = team_for(Team.INTAKE), team_for(Team.ASSET_DISPOSAL)
    tracks = [team_for(team) for team in handling_teams(scenario)]
    pairs = {(front, track) for track in tracks} | {(front, task_team(scenario, Task.PRESERVATION))}
    pairs |= {(track, disposal) for track in tracks} | {(disposal, track) for track in tracks}
    return {(sender, receiver) for sender, receiver in pairs if sender is not receiver}


def _reform(scenario: Scenario) -> list[Problem]:
    """The ``[reform]`` groups against the organisation, the calendar and the staff."""
    reform, problems = scenario.reform, []
    work = receiving_teams(scenario)
    for team, tasks in reform.specialisation.tasks.items():
        for task in tasks:
            if task not in work.get(team, set()):
                does = ", ".join(sorted(t.value for t in work.get(team, set()))) or "no work in this scenario"
                problems.append(
                    Problem(
                        f"reform.specialisation.tasks.{team.value}.{task.value}",
                        f"not work of team {team.value}",
                        None,
                        does,
                    )
                )
    hour, calendar = reform.centralised_intake.inquiry_batch_hour, scenario.calendar
    opens, closes = calendar.day_start_hour, calendar.day_start_hour + calendar.hours_per_day
    if hour is not None and calendar.mode == "official" and not opens <= hour <= closes:
        problems.append(
            Problem(
                "reform.centralised_intake.inquiry_batch_hour",
                "outside the working day",
                f"{hour:g}",
                f"between day_start_hour {opens:g} and {closes:g}",
            )
        )
    needs = []
    if reform.handoff.enabled:
        needs += [(receiver, Task.READ_FILE) for _, receiver in hand_offs(scenario)]
    if reform.rework.enabled and reform.rework.flag_rate > 0:
        needs += [(sender, Task.REWORK) for sender, _ in hand_offs(scenario)]
    for team, task in sorted(set(needs)):
        problems += _team_can_do(scenario, team, task)
    return problems


def _team_can_do(scenario: Scenario, team: Team, task: Task) -> list[Problem]:
    spec, staffing = scenario.tasks[task], scenario.staffing.team(team)
    if isinstance(spec.hours, FixedSpec) and spec.hours.value == 0:
        return []
    return [
        Problem(
            f"staffing.{team.value}.{role.value}s",
            f"team {team.value} hands cases on and does {task.value!r}, which needs {needed} {role.value}(s)",
            str(staffing.count(role)),
            f">= {needed}",
        )
        for role, needed in spec.roles.items()
        if staffing.count(role) < needed
    ]
