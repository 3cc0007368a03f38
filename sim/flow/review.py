"""执行审查团队: objections, reconsiderations, supervision (方案 三(三)).

An objection (执行异议) is docketed within 3 days and ruled within 15 days
(CPL 2023 art. 236; 执行程序解释 art. 5); a party may ask the higher court to
reconsider (复议, decided within 30 days, art. 8). Enforcement does not stop
meanwhile (art. 9), so the objection runs beside the case. Supervision,
instruction and oversight matters (执行监督、请示、督办) arrive as a side stream.
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow.context import FlowContext, Step
from sim.vocab import Deadline, Decision, Delay, Milestone, Task, Team

__all__ = ["objection"]


def objection(ctx: FlowContext, case: Case) -> Step:
    """One 执行异议 raised in ``case``, from filing to ruling (and 复议 if asked)."""
    team = ctx.scenario.organisation.team_for(Team.REVIEW)
    yield from ctx.wait(case, Delay.OBJECTION_FILING_DAYS, step="objection_docketing")
    yield from ctx.work(case, Task.OBJECTION_HEARING, team, deadline=Deadline.OBJECTION)
    ctx.mark(case, Milestone.OBJECTION_RULED, team)
    if ctx.decide(case, Decision.RECONSIDERATION, ctx.scenario.probabilities.reconsideration_rate):
        yield from ctx.wait(case, Delay.HIGHER_COURT_REVIEW_DAYS, step="reconsideration")
