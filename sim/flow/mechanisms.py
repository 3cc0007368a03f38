"""The reform's mechanisms in motion: what happens when a case changes hands, and who works faster.

Like the routing slip clipped to a file that goes from one office to the next:
the file travels (on paper, or as the scanned e-file), waits in the receiving
office's in-tray, is read by whoever takes it up, and now and then goes back
because the previous office left something undone. The scenario's ``[reform]``
table (:mod:`sim.config.reform`) switches each part on or off:

- **specialisation** and **centralised intake** change effort: a multiplier per
  (task, team), worked out once here (:func:`effort_factors`) and applied by the
  work desks when they plan a task (:mod:`sim.flow.desks`);
- **scanned files**: a receiving team waits for the case's pending scans (the
  e-file), or, without scanning, for the paper file to arrive;
- **hand-off**: the in-tray wait and the ``read_file`` task of the receiving team;
- **rework** (方案 二.4): the receiving team sends a flawed step back, the sender
  does the ``rework`` task and the case comes back;
- **centralised intake** also batches the online inquiries: they go out once a
  working day, at the batch hour;
- **electronic service**: whether a debtor who can be found is served
  electronically, and after how many days (:meth:`Mechanisms.electronic_service_days`,
  which the service step of :mod:`sim.flow.handling` asks; ``None`` means by post).

Every chance and wait is drawn per case from named streams before it is needed
(common random numbers): the k-th hand-off of a case takes the k-th draws.
Nothing here holds staff except through ``work``; waits hold nobody.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import simpy

from sim.cases import Case
from sim.config.checks import receiving_teams
from sim.config.schema import Scenario
from sim.distributions import build
from sim.eventlog import NAN, EventLog
from sim.streams import Streams
from sim.vocab import Milestone, Task, Team
from sim.workcalendar import WorkCalendar

__all__ = ["HANDOFF_DRAWS", "HANDOFF_TASKS", "Mechanisms", "effort_factors", "is_specialist"]

HANDOFF_DRAWS = 4
"""Hand-offs per case with their own draws (intake → team, team → disposal and back, one more);
a fifth reuses the first's."""

HANDOFF_TASKS = (Task.READ_FILE, Task.REWORK)
"""The work a change of hands costs; no team is a specialist at it."""

_NOTHING: tuple[()] = ()
_Process = Iterable[Any]


def is_specialist(scenario: Scenario, team: Team) -> bool:
    """Whether ``team`` does only its own function's work (no other function is performed by it)."""
    performed_by = scenario.organisation.performed_by
    return not any(by is team and function is not team for function, by in performed_by.items())


def effort_factors(scenario: Scenario) -> dict[tuple[Task, Team], float]:
    """Effort multiplier of each (task, performing team) that is not 1, from ``[reform]``.

    Specialisation: a specialist team's multiplier (or its per-task override) on
    every task it receives. Centralised intake: the batch multipliers on the
    front end's tasks, when the front end is a team of its own. Both together multiply.
    """
    reform, factors = scenario.reform, {}
    spec = reform.specialisation
    if spec.enabled:
        for team, tasks in receiving_teams(scenario).items():
            if not is_specialist(scenario, team):
                continue
            overrides = spec.tasks.get(team, {})
            for task in tasks:
                factor = overrides.get(task, spec.teams.get(team, 1.0))
                if task not in HANDOFF_TASKS and factor != 1.0:
                    factors[(task, team)] = factor
    batch = reform.centralised_intake
    if batch.enabled and scenario.organisation.team_for(Team.INTAKE) is Team.INTAKE:
        for task, factor in batch.effort.items():
            factors[(task, Team.INTAKE)] = factors.get((task, Team.INTAKE), 1.0) * factor
    return {key: f for key, f in factors.items() if f != 1.0}


class Mechanisms:
    """The hand-offs, scans and batches of one run (``ctx.reform``)."""

    __slots__ = (
        "_append_step",
        "_batch_hour",
        "_calendar",
        "_count",
        "_e_days",
        "_e_served",
        "_env",
        "_flags",
        "_intray_hours",
        "_paper_hours",
        "_pending",
        "_rework_rate",
        "_waiters",
        "scanning",
        "work",
    )

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        calendar: WorkCalendar,
        log: EventLog,
        work: Callable[..., Iterable[Any]],
        streams: Streams,
        rows: int,
    ) -> None:
        reform = scenario.reform
        self._env = env
        self._calendar = calendar
        self._append_step = log.append_step
        self.work = work
        """The context's ``ctx.work``: a change of hands costs staff time like any task."""
        shape = (rows, HANDOFF_DRAWS)
        hours = calendar.hours_per_day

        def wait_hours(name: str, spec: Any) -> np.ndarray | None:
            """Working hours of each case's k-th wait, or None when every wait is zero."""
            table = build(spec).ppf(streams.get(f"reform.{name}").random(shape)) * hours
            return table if table.any() else None

        self._intray_hours = wait_hours("handoff.wait", reform.handoff.wait_wdays) if reform.handoff.enabled else None
        self.scanning = reform.scanned_files.enabled
        """Whether papers are scanned and teams work on the e-file (:mod:`sim.flow.records` asks)."""
        paper = reform.scanned_files.paper_wait_wdays
        self._paper_hours = None if self.scanning else wait_hours("scanned_files.paper", paper)
        self._rework_rate = reform.rework.flag_rate if reform.rework.enabled else 0.0
        self._flags = streams.get("reform.rework.flag").random(shape) if self._rework_rate > 0 else None
        batch = reform.centralised_intake
        centralised = batch.enabled and scenario.organisation.team_for(Team.INTAKE) is Team.INTAKE
        self._batch_hour = batch.inquiry_batch_hour if centralised else None
        service = reform.electronic_service
        share, success = service.share_now(), service.success
        if share > 0.0 and success > 0.0:  # draws of their own: the other streams stay as they were
            attempt = streams.get("reform.electronic_service.attempt").random(rows)
            reached = streams.get("reform.electronic_service.success").random(rows)
            self._e_served: np.ndarray | None = (attempt < share) & (reached < success)
            delay = streams.get("reform.electronic_service.delay").random(rows)
            self._e_days: np.ndarray | None = build(service.delay_days).ppf(delay)
        else:
            self._e_served = self._e_days = None
        self._count: dict[int, int] = {}  # hand-offs so far, per case
        self._pending: dict[int, int] = {}  # papers handed over and not yet scanned, per case
        self._waiters: dict[int, simpy.Event] = {}  # a case waiting for its e-file

    # ------------------------------------------------------------ the e-file

    def paper_handed(self, case: Case) -> None:
        """A paper of ``case`` went to be scanned: the e-file lacks it until then."""
        self._pending[case.id] = self._pending.get(case.id, 0) + 1

    def scanned(self, case: Case) -> None:
        """One paper of ``case`` is in the e-file now; a team waiting for it may start."""
        left = self._pending[case.id] - 1
        if left:
            self._pending[case.id] = left
            return
        del self._pending[case.id]
        waiter = self._waiters.pop(case.id, None)
        if waiter is not None:
            waiter.succeed()

    # ------------------------------------------------------------ a change of hands

    def transfer(self, case: Case, sender: Team, receiver: Team) -> _Process:
        """The file goes from ``sender`` to ``receiver`` (before the receiver's 收案).

        Scanned files: wait for the case's pending scans. Paper: wait for the paper
        file to arrive. No change of hands (the same team): nothing.
        """
        if sender is receiver:
            return _NOTHING
        k = self._count.get(case.id, 0)
        self._count[case.id] = k + 1
        return self._travel(case, k)

    def _travel(self, case: Case, k: int) -> _Process:
        if self.scanning:
            if case.id in self._pending:
                waiter = self._waiters.get(case.id)
                if waiter is None:
                    waiter = self._waiters[case.id] = self._env.event()
                start = self._env.now
                yield waiter
                self._log(case, "e_file_wait", start)
        elif self._paper_hours is not None:
            yield from self._working_wait(
                case, float(self._paper_hours.item(case.row, k % HANDOFF_DRAWS)), "paper_transfer"
            )

    def take_up(self, case: Case, sender: Team, receiver: Team) -> _Process:
        """``receiver`` takes up the case it has received: in-tray, reading, and a flawed step sent back."""
        if sender is receiver or (self._intray_hours is None and self._flags is None):
            return _NOTHING
        return self._take_up(case, sender, receiver, self._count[case.id] - 1)

    def _take_up(self, case: Case, sender: Team, receiver: Team, k: int) -> _Process:
        column = k % HANDOFF_DRAWS
        if self._intray_hours is not None:
            yield from self._working_wait(case, float(self._intray_hours.item(case.row, column)), "handoff_wait")
            yield from self.work(case, Task.READ_FILE, receiver)
        if self._flags is not None and self._flags.item(case.row, column) < self._rework_rate:
            # 方案 二.4: pointed out to the previous step, which puts it right; the file goes and comes back.
            self._mark(case, receiver)
            yield from self._travel(case, k)
            yield from self.work(case, Task.REWORK, sender)
            yield from self._travel(case, k)

    # ------------------------------------------------------------ service of the documents

    def electronic_service_days(self, case: Case) -> float | None:
        """Days until the e-service reaches the debtor of ``case``, or None: served by post.

        Asked only for a debtor who can be found (a missing one is served by notice).
        """
        served, days = self._e_served, self._e_days
        if served is None or days is None or not served.item(case.row):
            return None
        return float(days.item(case.row))

    # ------------------------------------------------------------ batches at the front end

    def inquiry_batch(self, case: Case) -> _Process:
        """集约: wait for the day's batch of online inquiries (nothing without batching)."""
        if self._batch_hour is None:
            return _NOTHING
        return self._batch(case, self._batch_hour)

    def _batch(self, case: Case, hour: float) -> _Process:
        env, calendar = self._env, self._calendar
        now = env.now
        day = math.floor(now)
        at = day + hour / 24.0
        if at < now or not calendar.is_working_day(calendar.date_of(day + 0.5)):
            at = math.floor(calendar.next_working_time(day + 1.0)) + hour / 24.0
        yield env.timeout(at - now)
        self._log(case, "inquiry_batch", now)

    # ------------------------------------------------------------ the log

    def _working_wait(self, case: Case, hours: float, step: str) -> _Process:
        if hours <= 0.0:
            return
        env = self._env
        start = env.now
        yield env.timeout(self._calendar.finish_time(start, hours) - start)
        self._log(case, step, start)

    def _log(self, case: Case, step: str, start: float) -> None:
        now = self._env.now
        self._append_step((case.id, step, "wait", "", "", "", "", start, start, now, 0.0, False, NAN))

    def _mark(self, case: Case, team: Team) -> None:
        now = self._env.now
        self._append_step((case.id, Milestone.RETURNED, "mark", team, "", "", "", now, now, now, 0.0, False, NAN))
