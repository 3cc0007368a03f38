"""终结本次执行案件核查及恢复执行审查: the front end's check before a 执恢 is filed (方案 三(一)1).

A 终本 case whose debtor is found to have property again (终本规定 art. 9) is not simply
filed anew: the front-end team first checks the 终本 file (终本核查: its ruling, what was
done before it, what the re-query found) and then reviews the request to resume
(恢复执行审查). Only a request it accepts becomes a 执恢 case, filed when the review is
done; a share ``resume_refused_rate`` (EST) is refused, because what turned up is not
the debtor's, is already held by another court, is exempt or too small to enforce.

The 执恢 filings of the case mix stand for requests about 终本 cases closed before the
run, counted as filings (立案) in the court's statistics: they were accepted, so they
are reviewed without a refusal. Their filing times are data, which already hold the
review's days, so the model asks the front end for the review's work at the filing and
does not hold the case back for it (:mod:`sim.model`). The run's own requests wait for
their review: a front end behind with its work files them late.
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow.context import FlowContext, Step
from sim.vocab import Decision, Milestone, Task, Team

__all__ = ["review"]


def review(ctx: FlowContext, file: Case, *, refusable: bool = True) -> Step:
    """Check ``file`` (the 终本 case, or the mix's 执恢 request) and review the request.

    Returns whether the request is accepted (then the caller files the 执恢 case). The
    work is the front end's officer's; where the handling team does the front end's work
    (the court before the reform), it is the case's handler's, as all its officer work is
    (a pooled officer task there would wait behind the handlers' own work).
    """
    team = ctx.scenario.organisation.team_for(Team.INTAKE)
    own = file.handler is not None and not file.handler.leaving  # a handler who left has no desk
    yield from ctx.work(file, Task.ZHONGBEN_CHECK, team, handler=own)
    yield from ctx.work(file, Task.RESUME_REVIEW, team, handler=own)
    if refusable and ctx.decide(file, Decision.RESUME_REFUSED, ctx.scenario.probabilities.resume_refused_rate):
        ctx.mark(file, Milestone.RESUME_REFUSED, team)
        return False
    return True
