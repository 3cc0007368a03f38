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

__all__ = ["objection", "panel_teams"]

PANEL_SOURCES = (Team.OVERSIGHT, Team.ASSET_DISPOSAL, Team.FAST_TRACK, Team.COMPLEX_TRACK)
"""Teams whose judges may be asked to sit on an objection's panel, in the order asked."""


def panel_teams(ctx: FlowContext, case: Case) -> list[Team]:
    """The two teams whose judges join the review team's judge on the 合议庭 (异议复议规定 art. 11).

    Not the team that handles the case (办理执行实施案件的人员不得参与); teams with a
    judge, in :data:`PANEL_SOURCES` order; fewer than two if the court has fewer.
    """
    staffing = ctx.scenario.staffing
    chosen: list[Team] = []
    for team in PANEL_SOURCES:
        performer = ctx.scenario.organisation.team_for(team)
        if performer in chosen or performer is case.team or performer is Team.REVIEW:
            continue
        if staffing.team(performer).judges > 0:
            chosen.append(performer)
        if len(chosen) == 2:
            break
    return chosen


def objection(ctx: FlowContext, case: Case) -> Step:
    """One 执行异议 raised in ``case``, from filing to ruling (and 复议 if asked)."""
    team = ctx.scenario.organisation.team_for(Team.REVIEW)
    yield from ctx.wait(case, Delay.OBJECTION_FILING_DAYS, step="objection_docketing")
    # The 15 days span the hearing notice (a hearing where the case is complex, art. 12)
    # and the 合议庭: two judges of teams that did not handle the case read the file
    # (异议复议规定 art. 11), then the panel hears or reviews and rules.
    ctx.clocks.start(case, Deadline.OBJECTION)
    if ctx.decide(case, Decision.HEARING, ctx.scenario.probabilities.hearing_rate):
        yield from ctx.wait(case, Delay.HEARING_NOTICE_DAYS, step="hearing_notice")
    for member in panel_teams(ctx, case):
        yield from ctx.work(case, Task.PANEL_MEMBER, member)
    yield from ctx.work(case, Task.OBJECTION_HEARING, team)
    ctx.clocks.end(case, Deadline.OBJECTION)
    ctx.mark(case, Milestone.OBJECTION_RULED, team)
    if ctx.decide(case, Decision.RECONSIDERATION, ctx.scenario.probabilities.reconsideration_rate):
        yield from ctx.wait(case, Delay.HIGHER_COURT_REVIEW_DAYS, step="reconsideration")
