"""Staff work: a task waits for all the people it needs at once, holds them for its effort, lets go.

Like a job ticket handed to a team's desk: it names the task, the roles it needs
and the case, waits in the desk's queue in the order of the scenario's dispatch
rule (:mod:`sim.rules.dispatch`) until it has every person it needs (work for
several is convened, :class:`~sim.staffing.TeamDesk`), then holds them for its
hours of working time (:meth:`~sim.workcalendar.WorkCalendar.finish_time`) and
is logged as one ``task`` step. When the handling team does officer work, the
officer is the case's own handler (承办人). A specialist team's or a batching front
end's effort multiplier (:func:`sim.flow.mechanisms.effort_factors`) scales the
drawn hours. Work asked for or under way is kept as :class:`WorkInProgress`
records, which the run lists as unfinished at its end.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any

import simpy

from sim.cases import Case, CaseBook
from sim.config.checks import task_team
from sim.config.schema import Scenario
from sim.eventlog import EventLog
from sim.flow.clocks import DeadlineClocks
from sim.flow.mechanisms import effort_factors
from sim.rules import DISPATCH
from sim.staffing import Member, Need, Pool, StaffOffice, TeamDesk
from sim.vocab import Deadline, Role, Task, Team
from sim.workcalendar import WorkCalendar

__all__ = ["SideItem", "WorkDesks", "WorkInProgress", "WorkPlan"]


@dataclass(frozen=True, slots=True)
class WorkPlan:
    """Where a task is done and by whom: fixed per task, team and unit, so worked out once."""

    desk: TeamDesk  # the team's desk
    team: str  # its id, for the log
    unit: str
    pooled: list[Need]  # every role from the pools
    officer_pool: Pool | None  # where the case's handler sits, if the task needs an officer
    others: list[Need]  # the rest when the handler is the officer
    roles: str  # e.g. "clerk+officer", for the log
    factor: float = 1.0  # effort multiplier of this team on this task ([reform]: specialists, batching)


@dataclass(slots=True, eq=False)
class WorkInProgress:
    """A piece of work asked for (``start`` NaN: still waiting for its people) or under way."""

    case_id: int  # the case, or a negative side-stream item
    task: Task
    plan: WorkPlan
    queued: float  # when it asked for its people (days)
    hours: float  # its effort
    queue_at_request: int = 0  # work already waiting at the desk when it asked (the event log's column)
    staff: str = ""  # who holds it once granted ("a+b" for several)
    start: float = math.nan  # when it got them


@dataclass(frozen=True, slots=True)
class SideItem:
    """Side work (reports, petitions, commissions) as a dispatch rule sees it: no label, no deadline."""

    labelled: bool = False
    limit_due: float = math.inf


_SIDE = SideItem()
_Process = Generator[Any, Any, Any]
_NOTHING: tuple[()] = ()  # what ``yield from`` a task of zero hours runs through


class WorkDesks:
    """Every team's staff work for the run: cases' tasks, side work, and what is in progress."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        calendar: WorkCalendar,
        office: StaffOffice,
        book: CaseBook,
        log: EventLog,
        clocks: DeadlineClocks,
    ) -> None:
        self._env = env
        self._scenario = scenario
        self._calendar = calendar
        self._office = office
        self._effort = book.effort_hours
        self._clocks = clocks
        self._append_step = log.append_step
        self._priority = DISPATCH[scenario.policy.dispatch]
        self._seq = itertools.count()
        self._plans: dict[tuple[Task, Team, str], WorkPlan] = {}
        self._teams: dict[tuple[Task, Team | None], Team] = {}
        self._factors = effort_factors(scenario)
        self.active: dict[WorkInProgress, None] = {}
        """Work asked for or under way, in the order it asked (an ordered set)."""
        for desk in office.desks.values():
            desk.on_grant = self._granted

    def work(
        self,
        case: Case,
        task: Task,
        team: Team | None = None,
        *,
        deadline: Deadline | None = None,
        handler: bool = True,
    ) -> Iterable[Any]:
        """Do ``task`` for ``case``: wait for all the people it needs at once, hold them
        for its effort in working time, release them (use as ``yield from ctx.work(…)``).

        ``team`` defaults to the team that performs the task's function (the case's
        handling team for handling work). When the handling team does officer work,
        the case's own handler (承办人) is the officer, unless ``handler`` is false. A
        task of zero hours needs nobody and is not logged. ``deadline`` is a clock
        that starts when the work is asked for and stops when it is done.

        Not a generator itself: it settles who does the work and returns the
        :meth:`hold` that does it, one generator less on the hottest path.
        """
        if team is None:
            team = self._teams.get((task, case.team))
            if team is None:
                team = self._teams[(task, case.team)] = task_team(self._scenario, task, case.team)
        # The k-th time the task is done for the case takes the k-th of its effort draws
        # (CaseBook.hours and Case.next_index, inlined: this is the hottest call of a run).
        counts = case.counts
        k = counts.get(task, 0)
        counts[task] = k + 1
        table = self._effort[task]
        hours = table.item(case.row, k % table.shape[1])
        if deadline is not None:
            self._clocks.start(case, deadline)
        if hours <= 0.0:
            if deadline is not None:
                self._clocks.end(case, deadline)
            return _NOTHING
        own = team is case.team
        unit = case.unit if own else self._unit_for(team, case.id)
        plan = self._plans.get((task, team, unit)) or self._plan(task, team, unit)
        if plan.factor != 1.0:
            hours *= plan.factor
        if handler and own and plan.officer_pool is not None and case.handler is not None:
            needs = [Need(plan.officer_pool, 1, case), *plan.others]
        else:
            needs = plan.pooled
        held = self.hold(case.id, task, plan, needs, (self._priority(case), self._env.now, next(self._seq)), hours)
        return held if deadline is None else self._clocked(case, deadline, held)

    def _clocked(self, case: Case, deadline: Deadline, work: Iterable[Any]) -> _Process:
        yield from work
        self._clocks.end(case, deadline)

    def side_work(self, item_id: int, task: Task, team: Team, hours: float) -> _Process:
        """Work that is not an enforcement case (reports, petitions, commissions)."""
        key = (self._priority(_SIDE), self._env.now, next(self._seq))
        plan = self._plan(task, team, self._unit_for(team, item_id))
        yield from self.hold(item_id, task, plan, plan.pooled, key, hours * plan.factor)

    def _unit_for(self, team: Team, item_id: int) -> str:
        """The unit of ``team`` that does work for a case it does not own.

        A team split into units has no team-wide officers or clerks, so such work (a
        pre-reform unit scanning a preservation case's file) goes to a unit chosen by
        the case number: spread evenly, and the same unit for the same case.
        """
        units = self._office.desks[team].units
        return units[item_id % len(units)] if len(units) > 1 or units[0] else ""

    def hold(
        self, case_id: int, task: Task, plan: WorkPlan, needs: list[Need], key: tuple[Any, ...], hours: float
    ) -> _Process:
        """Wait for ``needs`` at ``plan``'s desk all at once, hold them for ``hours`` of
        working time, log it."""
        if hours <= 0.0:
            return
        env = self._env
        desk = plan.desk
        record = WorkInProgress(case_id, task, plan, env.now, hours, desk.queue_length())
        got = desk.request(needs, key, record)
        self.active[record] = None
        if isinstance(got, list):
            start = record.start = env.now
            record.staff = got[0].name if len(got) == 1 else "+".join(m.name for m in got)
            yield env.timeout(self._calendar.finish_time(start, hours) - start)
        else:
            got = yield got  # fires when the work is done: the desk began it (see _granted)
        desk.release(got)
        del self.active[record]
        self._append_step(
            (
                case_id,
                task,
                "task",
                plan.team,
                plan.unit,
                plan.roles,
                record.staff,
                record.queued,
                record.start,
                env.now,
                hours,
                False,
                record.queue_at_request,
            )
        )

    def _granted(self, record: WorkInProgress, grant: list[Member]) -> float:
        """Waiting work got its people now: note who and when; how long it takes."""
        start = record.start = self._env.now
        record.staff = grant[0].name if len(grant) == 1 else "+".join(m.name for m in grant)
        return self._calendar.finish_time(start, record.hours) - start

    def _plan(self, task: Task, team: Team, unit: str) -> WorkPlan:
        """The pools a task draws on in ``team``/``unit`` (cached: the staffing is fixed per pool)."""
        key = (task, team, unit)
        plan = self._plans.get(key)
        if plan is None:
            counts = sorted(self._scenario.tasks[task].roles.items(), key=lambda rc: rc[0].value)
            desk = self._office.desks[team]
            pooled = [Need(desk.pool(unit, role), count) for role, count in counts]
            officer = next((n for n, (role, _) in zip(pooled, counts, strict=True) if role is Role.OFFICER), None)
            others = [n if n is not officer else Need(n.pool, n.count - 1) for n in pooled]
            others = [n for n in others if n.count > 0]
            roles = "+".join(role.value for role, count in counts for _ in range(count))
            factor = self._factors.get((task, team), 1.0)
            plan = self._plans[key] = WorkPlan(
                desk, team.value, unit, pooled, officer.pool if officer else None, others, roles, factor
            )
        return plan
