""" "三统一"管理团队: preservation cases and the side streams (方案 三(一)4).

Besides monitoring and reporting (每月通报执行质效，每季度分析通报), the team
handles commissioned matters from other courts (外地法院委托事务办理), preservation
cases (保全类案件办理) and enforcement petitions (执行信访). Except for the
preservation cases, this is work that is not an enforcement case but takes
the same people's time, so it is modelled as side streams that consume capacity.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sim.cases import Case
from sim.config.checks import task_team
from sim.distributions import build
from sim.flow import handling
from sim.flow.closure import finish
from sim.flow.context import FlowContext, Step
from sim.vocab import Delay, Outcome, Task, Team, Track

__all__ = ["preservation", "recurring_reports", "side_stream"]


def preservation(ctx: FlowContext, case: Case) -> Step:
    """A 执保 case: carry out the freeze or seizure the ruling orders, then close.

    保全类案件办理 is the "三统一" team's (方案 三(一)4) unless the scenario gives
    preservation cases to the fast track (``policy.preservation_team``).
    """
    team = task_team(ctx.scenario, Task.PRESERVATION)
    front_end = ctx.scenario.organisation.team_for(Team.INTAKE)
    yield from ctx.reform.transfer(case, front_end, team)  # the file comes over (sim.flow.mechanisms)
    handling.receive(ctx, case, team, Track.OVERSIGHT)
    yield from ctx.reform.take_up(case, front_end, team)
    yield from ctx.work(case, Task.PRESERVATION, team)
    case.stage = f"{team}:freeze"
    yield from ctx.wait(case, Delay.ONLINE_INQUIRY_DAYS, step="freeze_answers")
    yield from finish(ctx, case, Outcome.COMPLETED)


def side_stream(
    ctx: FlowContext, task: Task, team: Team, times: np.ndarray, hours: np.ndarray, external: np.ndarray | None = None
) -> Step:
    """Items of ``task`` arriving at ``times`` (sim days), each taking ``hours`` of work.

    ``external`` optional outside delays (days) after the work, e.g. a commissioned
    matter waiting on the other court before its closing report.
    """
    for i, time in enumerate(times.tolist()):
        yield ctx.env.timeout(max(time - ctx.env.now, 0.0))
        ctx.spawn(_item(ctx, task, team, float(hours[i]), None if external is None else float(external[i])))


def _item(ctx: FlowContext, task: Task, team: Team, hours: float, external: float | None) -> Step:
    item_id = ctx.docket.next_side_id()
    yield from ctx.desks.side_work(item_id, task, team, hours)
    if external:
        yield ctx.env.timeout(external)


def recurring_reports(ctx: FlowContext, rng: np.random.Generator) -> Step:
    """每月通报执行质效 on the first working day of each month; 每季度 also the quarter's analysis."""
    team = ctx.scenario.organisation.team_for(Team.OVERSIGHT)
    monthly = build(ctx.scenario.tasks.monthly_report.hours)
    quarterly = build(ctx.scenario.tasks.quarterly_report.hours)
    for when, month in _month_starts(ctx):
        yield ctx.env.timeout(max(when - ctx.env.now, 0.0))
        hours = float(monthly.sample(rng, 1)[0])
        ctx.spawn(ctx.desks.side_work(ctx.docket.next_side_id(), Task.MONTHLY_REPORT, team, hours))
        if month in (1, 4, 7, 10):
            hours = float(quarterly.sample(rng, 1)[0])
            ctx.spawn(ctx.desks.side_work(ctx.docket.next_side_id(), Task.QUARTERLY_REPORT, team, hours))


def _month_starts(ctx: FlowContext) -> Iterator[tuple[float, int]]:
    cal = ctx.calendar
    d = cal.date_of(0.0).replace(day=1)
    end = ctx.scenario.run.horizon_days + ctx.scenario.run.cooldown_days
    while True:
        d = d.replace(year=d.year + (d.month == 12), month=d.month % 12 + 1)
        t = cal.next_working_time(cal.time_of(d))
        if t >= end:
            return
        yield t, d.month
