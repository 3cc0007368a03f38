"""结案: closing formalities, archiving, and the life of a 终本 case afterwards.

A case closes with one outcome (执行完毕, 终本, 终结执行, 不予执行, 驳回, 销案).
The file then goes to the records centre for archiving. A 终本 case is not
forgotten: for 5 years the online system queries the debtor every 6 months
(终本规定 art. 9), and when property turns up the front-end team checks the 终本
file and reviews the request to resume (:mod:`sim.flow.resumption`); accepted, it
resumes as a new 执恢 case.
"""

from __future__ import annotations

import math

from sim.cases import Case, resumed_case
from sim.flow import records, resumption
from sim.flow.context import FlowContext, Step
from sim.vocab import Deadline, Decision, Milestone, Outcome, Task

__all__ = ["close", "finish"]


def finish(ctx: FlowContext, case: Case, outcome: Outcome) -> Step:
    """Close ``case`` with ``outcome`` after the handling clerk's formalities."""
    if case.team is not None:
        yield from ctx.work(case, Task.CLOSING)
    close(ctx, case, outcome)
    # The case's own story ends here and its process goes on with the file: the
    # records centre archives it, and a 终本 case then waits for its queries.
    yield from records.archive(ctx, case)
    if outcome is Outcome.ZHONGBEN:
        yield from _requery(ctx, case)


def close(ctx: FlowContext, case: Case, outcome: Outcome) -> None:
    """结案 now: the case leaves the docket and its handler's caseload.

    Closing ends the simple case's 45 days (方案 三(二)1: 在收案45日内结案) and the
    6-month limit, which runs from filing to closing (审限规定 art. 5).
    """
    ctx.docket.close(case, outcome)
    ctx.clocks.end(case, Deadline.FAST_CLOSE, Deadline.EXECUTION_LIMIT)
    ctx.mark(case, Milestone.CLOSED, case.team)


def _requery(ctx: FlowContext, case: Case) -> Step:
    """Six-monthly automatic queries; on the query that finds property, resume.

    The chance that one of the ``n`` queries finds property is
    ``resume_within_5y_rate``; which query does is uniform over the ``n``.
    A resumed case does not resume again (its draws have no row for that).
    """
    if case.parent_id >= 0 or not ctx.book.can_resume(case):
        return
    delays, probs = ctx.scenario.delays, ctx.scenario.probabilities
    n = max(1, math.floor(delays.requery_years * 365.0 / delays.requery_interval_days))
    u = ctx.book.u(Decision.RESUME, case)
    if u >= probs.resume_within_5y_rate:
        return
    query = 1 + min(n - 1, int(u / probs.resume_within_5y_rate * n))
    # Counted from the closure (the archiving before this takes days, the queries months).
    yield ctx.env.timeout(max(case.closed + query * delays.requery_interval_days - ctx.env.now, 0.0))
    # Property found: the applicant (or the court) asks to resume on the next working day;
    # the front end checks the 终本 file and reviews the request before a 执恢 is filed.
    asked = ctx.calendar.next_working_time(ctx.env.now)
    yield ctx.env.timeout(asked - ctx.env.now)
    if not (yield from resumption.review(ctx, case)):
        return  # refused: no 执恢 case, nothing to replace
    ctx.mark(case, Milestone.RESUMED)
    resumed = resumed_case(ctx.book, case, ctx.env.now)
    resumed.fee_due_cny = max(case.fee_due_cny - case.fee_paid_cny, 0.0)  # no new fee (诉讼费用交纳办法 art. 26)
    if ctx.scenario.arrivals.own_resumptions_replace_filed:
        ctx.docket.resumptions_to_replace += 1  # the next 执恢 filing of the mix is this one
    ctx.start_case(resumed)
