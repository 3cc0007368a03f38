"""Work that comes round by the calendar, not by case: monthly reports, daily and weekly duties.

The "三统一" team reports every month and quarter and keeps the command platform each
working day (方案 三(一)4); the records centre monitors the key nodes of the open cases
in rounds and reports on them (方案 三(一)3). Each is a SimPy process that waits for its
date, draws its hours from its own named stream and asks the team's desk for the work
(:meth:`~sim.flow.desks.WorkDesks.side_work`), like any other side work.
"""

from __future__ import annotations

from collections.abc import Iterator

from sim.flow.context import FlowContext

__all__ = ["month_starts", "working_days"]


def month_starts(ctx: FlowContext) -> Iterator[tuple[float, int]]:
    """The opening of the first working day of each month after the start, and the month, to the run's end."""
    cal = ctx.calendar
    d = cal.date_of(0.0).replace(day=1)
    end = ctx.scenario.run.horizon_days + ctx.scenario.run.cooldown_days
    while True:
        d = d.replace(year=d.year + (d.month == 12), month=d.month % 12 + 1)
        t = cal.next_working_time(cal.time_of(d))
        if t >= end:
            return
        yield t, d.month


def working_days(ctx: FlowContext, every: int = 1) -> Iterator[float]:
    """The opening of every ``every``-th working day after the start, to the run's end."""
    cal = ctx.calendar
    d = cal.date_of(0.0)
    end = ctx.scenario.run.horizon_days + ctx.scenario.run.cooldown_days
    while True:
        d = cal.add_working_days(d, every)
        t = cal.next_working_time(cal.time_of(d))
        if t >= end:
            return
        yield t
