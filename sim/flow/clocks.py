"""Deadline clocks: the registry clerk's diary of every time limit running for a case.

A clock starts at the event the plan or the statute names (收案, a hand-over, a
ruling) and stops at the event that ends it (delivery, not sending); the log
keeps its start, its due time and its end, and the metrics read them
(:mod:`sim.metrics.sla`). Due times follow the Civil Procedure Law's day counting
by the calendar's one rule (:meth:`~sim.workcalendar.WorkCalendar.due_time`),
computed once per deadline and start day.
"""

from __future__ import annotations

from math import isnan, nan

import simpy

from sim.cases import Case
from sim.config.schema import Deadlines
from sim.eventlog import EventLog
from sim.vocab import Deadline
from sim.workcalendar import WorkCalendar

__all__ = ["DeadlineClocks"]


class DeadlineClocks:
    """Starts and stops the deadline clocks of a run's cases (one per deadline and occurrence)."""

    __slots__ = ("_calendar", "_deadlines", "_dues", "_env", "_find", "_open")

    def __init__(self, env: simpy.Environment, deadlines: Deadlines, calendar: WorkCalendar, log: EventLog) -> None:
        self._env = env
        self._deadlines = deadlines
        self._calendar = calendar
        self._open = log.open_clock
        self._find = log.find_clock
        self._dues: dict[tuple[Deadline, int], float] = {}

    def due(self, deadline: Deadline, start: float) -> float:
        """When ``deadline`` started at ``start`` (days) expires: the midnight that ends its last day."""
        key = (deadline, int(start // 1))
        due = self._dues.get(key)
        if due is None:
            spec = self._deadlines[deadline]
            due = self._dues[key] = self._calendar.due_time(start, spec.days, spec.basis)
        return due

    def start(self, case: Case, deadline: Deadline, at: float | None = None, occurrence: int = 0) -> float:
        """Start the clock of ``deadline`` for ``case`` now (or at ``at``); returns its due time.

        ``occurrence`` numbers the clocks of a deadline that runs several times in one
        case (each paper hand-over, each payout). A second start of a running clock is
        ignored.
        """
        start = self._env.now if at is None else at
        due = self._dues.get((deadline, int(start // 1)))
        if due is None:
            due = self.due(deadline, start)
        self._open((case.id, deadline, occurrence), [start, due, nan])
        return due

    def end(self, case: Case, *deadlines: Deadline, occurrence: int = 0) -> None:
        """Stop the clocks of ``deadlines`` for ``case`` now; a clock never started stays so."""
        now = self._env.now
        for deadline in deadlines:
            clock = self._find((case.id, deadline, occurrence))
            if clock is not None and isnan(clock[2]):  # only the first end counts
                clock[2] = now
