"""执行审查团队: objections, reconsiderations, supervision (方案 三(三)).

An objection (执行异议) is docketed within 3 days and ruled within 15 days
(CPL 2023 art. 236; 执行程序解释 art. 5); a party may ask the higher court to
reconsider (复议, decided within 30 days, art. 8). Enforcement does not stop
meanwhile (art. 9), so the objection runs beside the case. A third party's
objection to the property (案外人异议, CPL 2023 art. 238) is different: the court
may not dispose of the property while it is reviewed (执行异议复议规定 art. 15), so
the disposal waits for the ruling (:func:`third_party`). Supervision, instruction
and oversight matters (执行监督、请示、督办) arrive as a side stream.
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow.context import FlowContext, Step
from sim.vocab import Deadline, Decision, Delay, Milestone, Task, Team

__all__ = ["objection", "panel_teams", "third_party"]

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


def third_party(ctx: FlowContext, case: Case) -> Step:
    """A 案外人异议 to the property of ``case``, from the written objection to the ruling.

    CPL 2023 art. 238: reviewed within 15 days of the written objection; upheld, enforcement
    on that property stops (裁定中止对该标的的执行), else the objection is dismissed. The
    review is the 合议庭's (异议复议规定 art. 11: the review team's judge with two judges of
    other teams). Returns whether it was upheld. Nothing is excluded from the 6-month
    limit while it runs: 审限规定 art. 9 lists no such period, and the 中止 that follows an
    upheld objection ends the property's disposal rather than pausing it. The suit a
    party may bring afterwards (执行异议之诉, 民诉法解释 art. 313) is not modelled.
    """
    team = ctx.scenario.organisation.team_for(Team.REVIEW)
    ctx.clocks.start(case, Deadline.THIRD_PARTY_OBJECTION)
    yield from ctx.wait(case, Delay.THIRD_PARTY_FILING_DAYS, step="third_party_docketing")
    for member in panel_teams(ctx, case):
        yield from ctx.work(case, Task.PANEL_MEMBER, member)
    yield from ctx.work(case, Task.THIRD_PARTY_REVIEW, team)
    ctx.clocks.end(case, Deadline.THIRD_PARTY_OBJECTION)
    return ctx.decide(case, Decision.THIRD_PARTY_UPHELD, ctx.scenario.probabilities.third_party_upheld_rate)
