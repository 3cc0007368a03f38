"""What every team's flow needs, and the three kinds of step a case goes through.

A step is one of: **work** (staff held for the effort, in working time), an
**outside wait** (post, banks, appraisers, announcement periods: nobody is held),
or a **milestone** (received, triaged, closed). Deadlines are clocks started and
stopped around steps; the metrics read them from the log.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.cases import Case, CaseBook
from sim.config.checks import task_team
from sim.config.schema import DeadlineSpec, Scenario
from sim.eventlog import EventLog
from sim.staffing import Member, Need, Pool, StaffOffice, TeamDesk
from sim.vocab import Outcome, Role, Team
from sim.workcalendar import WorkCalendar, add_months

__all__ = ["FlowContext", "Step"]

Step = Generator[Any, Any, Any]
"""A SimPy process generator: what every flow function is."""


@dataclass(frozen=True, slots=True)
class _WorkPlan:
    desk: TeamDesk  # the team's desk
    team: str  # its id, for the log
    unit: str
    pooled: list[Need]  # every role from the pools
    officer_pool: Pool | None  # where the case's handler sits, if the task needs an officer
    others: list[Need]  # the rest when the handler is the officer
    roles: str  # e.g. "clerk+officer", for the log


@dataclass
class FlowContext:
    """The run's shared state handed to every flow: no flow reaches further than this."""

    env: simpy.Environment
    scenario: Scenario
    calendar: WorkCalendar
    office: StaffOffice
    book: CaseBook
    log: EventLog
    start_case: Callable[[Case], None]  # file a new case (a resumption) into the court
    open_cases: dict[int, Case] = field(default_factory=dict)
    closed_cases: list[Case] = field(default_factory=list)
    related_handlers: dict[tuple[int, Team], Member] = field(default_factory=dict)
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    _side_seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _due_cache: dict[tuple[str, int], float] = field(default_factory=dict)
    _plans: dict[tuple[str, Team, str], _WorkPlan] = field(default_factory=dict)
    _teams: dict[tuple[str, Team | None], Team] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=itertools.count)
    handovers: dict[float, list[tuple[Case, int]]] = field(default_factory=dict)
    """Paper waiting to go to the records centre, by hand-over time (see :mod:`sim.flow.records`)."""
    active: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    """Work asked for or under way: (case_id, task, team, unit, roles, staff, queued, start, hours)."""
    _append_step: Callable[[tuple[Any, ...]], None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._append_step = self.log.append_step
        for desk in self.office.desks.values():
            desk.on_grant = self._granted

    def next_side_id(self) -> int:
        """A fresh (negative) id for a side-stream item, so it never clashes with a case."""
        return -next(self._side_seq)

    # ------------------------------------------------------------ deadlines

    def due(self, sla: str, start: float) -> float:
        """When deadline ``sla`` started at ``start`` expires (end of its due day)."""
        day = int(start // 1)
        key = (sla, day)
        cached = self._due_cache.get(key)
        if cached is None:
            spec: DeadlineSpec = getattr(self.scenario.deadlines, sla)
            cached = self._due_cache[key] = self._due_of(spec, start)
        return cached

    def _due_of(self, spec: DeadlineSpec, start: float) -> float:
        cal = self.calendar
        if spec.basis == "months":
            last = add_months(cal.date_of(start), spec.days)
            return cal.time_of(cal.due_date(last, 0, "days")) + 1.0
        return cal.due_time(start, spec.days, spec.basis)

    def start_sla(self, case: Case, sla: str, at: float | None = None, occurrence: int = 0) -> float:
        """Start the clock of ``sla`` for ``case`` (now, or at ``at``); returns its due time."""
        start = self.env.now if at is None else at
        due = self._due_cache.get((sla, int(start // 1)))
        if due is None:
            due = self.due(sla, start)
        self.log.sla_start(case.id, sla, start, due, occurrence)
        return due

    def end_sla(self, case: Case, *slas: str, occurrence: int = 0) -> None:
        """Stop the clocks of ``slas`` now."""
        for sla in slas:
            self.log.sla_end(case.id, sla, self.env.now, occurrence)

    # ------------------------------------------------------------ steps

    def work(
        self, case: Case, task: str, team: Team | None = None, *, due: float | None = None, handler: bool = True
    ) -> Iterable[Any]:
        """Do ``task`` for ``case``: wait for all the people it needs at once, hold them
        for its effort in working time, release them (use as ``yield from ctx.work(…)``).

        ``team`` defaults to the team that performs the task's function (the case's
        handling team for handling work). When the handling team does officer work,
        the case's own handler (承办人) is the officer. A task of zero hours needs
        nobody and is not logged.

        Not a generator itself: it settles who does the work and returns the
        :meth:`hold` that does it, one generator less on the hottest path.
        """
        if team is None:
            team = self._teams.get((task, case.team))
            if team is None:
                team = self._teams[(task, case.team)] = task_team(self.scenario, task, case.team)
        hours = self.book.hours(task, case, case.next_index(task))
        if hours <= 0.0:
            return _NOTHING
        own = team is case.team
        unit = case.unit if own else self._unit_for(team, case.id)
        plan = self._plans.get((task, team, unit)) or self._plan(task, team, unit)
        if handler and own and plan.officer_pool is not None and case.handler is not None:
            needs = [Need(plan.officer_pool, 1, case), *plan.others]
        else:
            needs = plan.pooled
        return self.hold(case.id, task, plan, needs, self._key(case, due), hours)

    def side_work(self, item_id: int, task: str, team: Team, hours: float) -> Step:
        """Work that is not an enforcement case (reports, petitions, commissions)."""
        key = (
            (self.env.now, next(self._seq))
            if self.scenario.policy.dispatch != "labelled_first"
            else (1, self.env.now, next(self._seq))
        )
        if self.scenario.policy.dispatch == "edf":
            key = (float("inf"), *key)
        unit = self._unit_for(team, item_id)
        plan = self._plan(task, team, unit)
        yield from self.hold(item_id, task, plan, plan.pooled, key, hours)

    def _unit_for(self, team: Team, item_id: int) -> str:
        """The unit of ``team`` that does work for a case it does not own.

        A team split into units has no team-wide officers or clerks, so such work (a
        pre-reform unit scanning a preservation case's file) goes to a unit chosen by
        the case number: spread evenly, and the same unit for the same case.
        """
        units = self.office.desks[team].units
        return units[item_id % len(units)] if len(units) > 1 or units[0] else ""

    def hold(
        self, case_id: int, task: str, plan: _WorkPlan, needs: list[Need], key: tuple[Any, ...], hours: float
    ) -> Step:
        """Wait for ``needs`` at ``plan``'s desk all at once, hold them for ``hours`` of
        working time, log it."""
        if hours <= 0.0:
            return
        env = self.env
        queued = env.now
        desk, team, unit, roles = plan.desk, plan.team, plan.unit, plan.roles
        token = next(self._tokens)
        active = self.active
        got = desk.request(needs, key, token)
        if isinstance(got, list):
            start = env.now
            staff = got[0].name if len(got) == 1 else "+".join(m.name for m in got)
            active[token] = (case_id, task, team, unit, roles, staff, queued, start, hours)
            yield env.timeout(self.calendar.finish_time(start, hours) - start)
        else:
            active[token] = (case_id, task, team, unit, roles, "", queued, math.nan, hours)
            got = yield got  # fires when the work is done: the desk began it (see _granted)
            _, _, _, _, _, staff, _, start, _ = active[token]
        desk.release(got)
        del active[token]
        self._append_step((case_id, task, "task", team, unit, roles, staff, queued, start, env.now, hours, False))

    def _granted(self, token: int, grant: list[Member]) -> float:
        """Waiting work ``token`` got its people now: note who and when; how long it takes."""
        case_id, task, team, unit, roles, _, queued, _, hours = self.active[token]
        start = self.env.now
        staff = grant[0].name if len(grant) == 1 else "+".join(m.name for m in grant)
        self.active[token] = (case_id, task, team, unit, roles, staff, queued, start, hours)
        return self.calendar.finish_time(start, hours) - start

    def _plan(self, task: str, team: Team, unit: str) -> _WorkPlan:
        """The pools a task draws on in ``team``/``unit`` (cached: the staffing is fixed per pool)."""
        key = (task, team, unit)
        plan = self._plans.get(key)
        if plan is None:
            spec = getattr(self.scenario.tasks, task)
            counts = sorted(spec.roles.items(), key=lambda rc: rc[0].value)
            desk = self.office.desks[team]
            pooled = [Need(desk.pool(unit, role), count) for role, count in counts]
            officer = next((n for n, (role, _) in zip(pooled, counts, strict=True) if role is Role.OFFICER), None)
            others = [n if n is not officer else Need(n.pool, n.count - 1) for n in pooled]
            others = [n for n in others if n.count > 0]
            roles = "+".join(role.value for role, count in counts for _ in range(count))
            plan = self._plans[key] = _WorkPlan(
                desk, team.value, unit, pooled, officer.pool if officer else None, others, roles
            )
        return plan

    def _key(self, case: Case, due: float | None) -> tuple[Any, ...]:
        dispatch = self.scenario.policy.dispatch
        seq = next(self._seq)
        if dispatch == "edf":
            return (case.limit_due if due is None else due, self.env.now, seq)
        if dispatch == "labelled_first":
            return (0 if case.labelled else 1, self.env.now, seq)
        return (self.env.now, seq)

    def wait(
        self, case: Case, delay: str, *, days: float | None = None, excluded: bool = False, step: str | None = None
    ) -> Step:
        """An outside party's delay of ``delay`` (a scenario ``delays`` field) or ``days``.

        ``excluded`` marks time that does not count against the 6-month limit
        (审限规定 art. 9: appraisal, auction, sell-off).
        """
        if days is None:
            days = self.book.days(delay, case, case.next_index(delay))
        if days <= 0.0:
            return
        start = self.env.now
        yield self.env.timeout(days)
        if excluded:
            case.excluded_days += days
        self.log.step(
            case.id,
            step or delay.removesuffix("_days"),
            "wait",
            "",
            "",
            "",
            "",
            start,
            start,
            self.env.now,
            0.0,
            excluded,
        )

    def wait_until(self, case: Case, time: float, step: str) -> Step:
        """Wait (holding nobody) until ``time``, e.g. the 终本 floor."""
        if time > self.env.now:
            start = self.env.now
            yield self.env.timeout(time - start)
            self.log.step(case.id, step, "wait", "", "", "", "", start, start, self.env.now, 0.0)

    def mark(self, case: Case, step: str, team: Team | None = None) -> None:
        """Log an instant milestone."""
        self.log.mark(case.id, step, team.value if team else "", self.env.now)

    def decide(self, case: Case, decision: str, probability: float) -> bool:
        """Whether chance says yes to ``decision`` for this case (CRN uniform < probability)."""
        return self.book.u(decision, case) < probability

    def spawn(self, process: Step) -> simpy.Process:
        """Start a parallel process (records scanning, an objection) beside the case."""
        return self.env.process(process)

    def close(self, case: Case, outcome: Outcome) -> None:
        """Close ``case`` with ``outcome`` now; free its handler's caseload."""
        case.closed = self.env.now
        case.outcome = outcome
        case.stage = "closed"
        if case.handler is not None:
            case.handler.caseload -= 1
        self.open_cases.pop(case.id, None)
        self.closed_cases.append(case)
        self.end_sla(case, "fast_close", "execution_limit")
        self.mark(case, "closed", case.team)


_NOTHING: tuple[()] = ()  # what ``yield from`` a task of zero hours runs through
