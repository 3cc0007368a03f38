"""What every team's flow needs, and the three kinds of step a case goes through.

A step is one of: **work** (staff held for the effort, in working time), an
**outside wait** (post, banks, appraisers, announcement periods: nobody is held),
or a **milestone** (received, triaged, closed). Deadlines are clocks started and
stopped around steps; the metrics read them from the log.

The context holds the run's inputs (scenario, calendar, the cases' draws) and the
services the steps call on, each the one owner of its state: the deadline
``clocks`` (:mod:`sim.flow.clocks`), the work ``desks`` (:mod:`sim.flow.desks`),
the ``docket`` of open and closed cases (:mod:`sim.flow.docket`), the reform's
mechanisms at every change of hands, ``reform`` (:mod:`sim.flow.mechanisms`), and
the staff ``office``, which keeps every handler's caseload (:class:`~sim.staffing.StaffOffice`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import simpy

from sim.cases import Case, CaseBook
from sim.config.schema import Scenario
from sim.eventlog import NAN, EventLog
from sim.flow.clocks import DeadlineClocks
from sim.flow.desks import WorkDesks
from sim.flow.docket import Docket
from sim.flow.mechanisms import Mechanisms
from sim.staffing import StaffOffice
from sim.streams import Streams
from sim.vocab import Deadline, Decision, Delay, Milestone, Task, Team
from sim.workcalendar import WorkCalendar

__all__ = ["FlowContext", "Step"]

Step = Generator[Any, Any, Any]
"""A SimPy process generator: what every flow function is."""


class Work(Protocol):
    """The signature of :meth:`WorkDesks.work <sim.flow.desks.WorkDesks.work>`, which ``ctx.work`` is."""

    def __call__(
        self,
        case: Case,
        task: Task,
        team: Team | None = None,
        *,
        deadline: Deadline | None = None,
        handler: bool = True,
    ) -> Iterable[Any]: ...


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
    streams: Streams  # the replication's named streams (the mechanisms draw their waits from them)
    clocks: DeadlineClocks = field(init=False)
    desks: WorkDesks = field(init=False)
    docket: Docket = field(init=False)
    reform: Mechanisms = field(init=False)
    handovers: dict[float, list[tuple[Case, int]]] = field(default_factory=dict)
    """Paper waiting to go to the records centre, by hand-over time (see :mod:`sim.flow.records`)."""
    work: Work = field(init=False, repr=False)
    """``ctx.work(case, task, …)``: do a task (:meth:`WorkDesks.work <sim.flow.desks.WorkDesks.work>`,
    bound here once: the flows' most frequent call goes straight to it)."""
    _append_step: Callable[[tuple[object, ...]], None] = field(init=False, repr=False)
    _delays: Mapping[Delay, np.ndarray] = field(init=False, repr=False)
    _decisions: Mapping[Decision, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._append_step = self.log.append_step
        self._delays = self.book.delay_days
        self._decisions = self.book.decisions
        self.clocks = DeadlineClocks(self.env, self.scenario.deadlines, self.calendar, self.log)
        self.desks = WorkDesks(self.env, self.scenario, self.calendar, self.office, self.book, self.log, self.clocks)
        self.docket = Docket(self.env, self.office)
        self.work = self.desks.work
        rows = self.book.decisions[Decision.FILING].shape[0]  # filed cases and their resumptions
        self.reform = Mechanisms(self.env, self.scenario, self.calendar, self.log, self.work, self.streams, rows)

    def wait(
        self, case: Case, delay: Delay, *, days: float | None = None, excluded: bool = False, step: str | None = None
    ) -> Step:
        """An outside party's delay ``delay`` (drawn for the case), or ``days`` given.

        ``excluded`` marks time that does not count against the 6-month limit
        (审限规定 art. 9: appraisal, auction, sell-off). The log names the step
        ``step``, by default the delay without its ``_days``.
        """
        if days is None:  # the k-th such delay of the case (CaseBook.days, inlined for speed)
            k = case.counts.get(delay, 0)
            case.counts[delay] = k + 1
            table = self._delays[delay]
            days = table.item(case.row, k % table.shape[1])
        if days <= 0.0:
            return
        env = self.env
        start = env.now
        yield env.timeout(days)
        if excluded:
            case.excluded_days += days
        name = step or delay.removesuffix("_days")
        self._append_step((case.id, name, "wait", "", "", "", "", start, start, env.now, 0.0, excluded, NAN))

    def wait_until(self, case: Case, time: float, step: str) -> Step:
        """Wait (holding nobody) until ``time``, e.g. the 终本 floor."""
        if time > self.env.now:
            start = self.env.now
            yield self.env.timeout(time - start)
            self.log.step(case.id, step, "wait", "", "", "", "", start, start, self.env.now, 0.0)

    def mark(self, case: Case, milestone: Milestone, team: Team | None = None) -> None:
        """Log an instant milestone."""
        now, where = self.env.now, team if team is not None else ""  # a StrEnum is its id
        self._append_step((case.id, milestone, "mark", where, "", "", "", now, now, now, 0.0, False, NAN))

    def decide(self, case: Case, decision: Decision, probability: float) -> bool:
        """Whether chance says yes to ``decision`` for this case (CRN uniform < probability)."""
        return bool(self._decisions[decision].item(case.row) < probability)  # CaseBook.u, inlined

    def spawn(self, process: Step) -> simpy.Process:
        """Start a parallel process (records scanning, an objection) beside the case."""
        return self.env.process(process)
