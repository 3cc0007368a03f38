""" "三统一"管理团队: preservation cases and the side streams (方案 三(一)4).

Besides monitoring and reporting (每月通报执行质效，每季度分析通报), the team
keeps the command platform (执行指挥平台事务办理) each working day, compiles the
statistics higher courts and authorities ask for (对上级法院、上级机关要求上报的数据进行
统计报送), handles commissioned matters from other courts (外地法院委托事务办理),
preservation cases (保全类案件办理) and enforcement petitions (执行信访). Except for
the preservation cases, this is work that is not an enforcement case but takes the
same people's time, so it is modelled as side streams that consume capacity: the
requests (commissions, petitions, statistics) arrive as Poisson streams of their own
(:mod:`sim.model`), the reports and the platform come round by the calendar
(:mod:`sim.flow.recurring`).
"""

from __future__ import annotations

import numpy as np

from sim.cases import Case
from sim.config.checks import task_team
from sim.distributions import build
from sim.flow import handling
from sim.flow.closure import finish
from sim.flow.context import FlowContext, Step
from sim.flow.recurring import month_starts, working_days
from sim.vocab import Delay, Outcome, Task, Team, Track

__all__ = ["platform_duty", "preservation", "recurring_reports", "side_stream"]


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
    for when, month in month_starts(ctx):
        yield ctx.env.timeout(max(when - ctx.env.now, 0.0))
        hours = float(monthly.sample(rng, 1)[0])
        ctx.spawn(ctx.desks.side_work(ctx.docket.next_side_id(), Task.MONTHLY_REPORT, team, hours))
        if month in (1, 4, 7, 10):
            hours = float(quarterly.sample(rng, 1)[0])
            ctx.spawn(ctx.desks.side_work(ctx.docket.next_side_id(), Task.QUARTERLY_REPORT, team, hours))


def platform_duty(ctx: FlowContext, rng: np.random.Generator) -> Step:
    """执行指挥平台事务办理 (方案 三(一)4): an officer's ``platform_duty`` hours each working day.

    The platform's matters (督办 of the higher courts, 事项委托 sent and received, query
    exceptions, the 终本 library's checks) come every day whatever the cases do, so the
    work is drawn per day from its own stream, not per case.
    """
    team = ctx.scenario.organisation.team_for(Team.OVERSIGHT)
    daily = build(ctx.scenario.tasks.platform_duty.hours)
    for when in working_days(ctx):
        yield ctx.env.timeout(max(when - ctx.env.now, 0.0))
        hours = float(daily.sample(rng, 1)[0])
        ctx.spawn(ctx.desks.side_work(ctx.docket.next_side_id(), Task.PLATFORM_DUTY, team, hours))
