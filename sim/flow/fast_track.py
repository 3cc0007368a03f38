"""快执团队: simple cases, closed within 45 days of receipt (方案 三(二)1).

The plan's rules, in order: serve the standard documents within 10 days;
interview the debtor; deduct frozen funds and pay the applicant; where the
funds fall short and a traditional investigation finds property, start the
disposal within 30 days of receipt; where there is no property, hold the 终本
interview and close within 45 days of receipt.

The 45 days meet the statute here: 终本 is allowed only more than 3 months after
filing (终本规定 art. 1(4)). With the scenario's ``zhongben_floor`` on (default)
such cases wait for the floor and miss the 45 days; the KPI splits the 45-day
rate by outcome so the conflict shows (DOMAIN.md §4).
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow import handling
from sim.flow.asset_disposal import dispose
from sim.flow.closure import finish
from sim.flow.context import FlowContext, Step
from sim.vocab import Deadline, Outcome, Task, Team, Track

__all__ = ["fast_handling", "fast_investigation", "fast_track", "receive_fast"]


def fast_track(ctx: FlowContext, case: Case) -> Step:
    """A simple case's path through the fast-track team."""
    team = ctx.scenario.organisation.team_for(Team.FAST_TRACK)
    front_end = ctx.scenario.organisation.team_for(Team.INTAKE)
    yield from ctx.reform.transfer(case, front_end, team)  # the file comes over (sim.flow.mechanisms)
    received = receive_fast(ctx, case, team)
    yield from ctx.reform.take_up(case, front_end, team)  # in-tray, reading, a flaw sent back
    yield from fast_handling(ctx, case, received)


def receive_fast(ctx: FlowContext, case: Case, team: Team, *, served: bool = False) -> float:
    """The fast-track team receives ``case``; its clocks start from receipt, which is returned.

    ``served``: the documents were served before (a case of the starting backlog further on).
    """
    handling.receive(ctx, case, team, Track.FAST)
    received = handling.receipt(ctx, case)
    # 送达 within 10 days and 结案 within 45 days of receipt (收案).
    if not served:
        ctx.clocks.start(case, Deadline.SERVE, at=received)
    ctx.clocks.start(case, Deadline.FAST_CLOSE, at=received)
    return received


def fast_handling(ctx: FlowContext, case: Case, received: float) -> Step:
    """The fast track's rules from service to closure (``received``: when its 收案 clocks started)."""
    yield from handling.serve(ctx, case)
    yield from handling.interview(ctx, case)
    if case.behaviour:
        yield from handling.behaviour_case(ctx, case)
        return
    if (yield from handling.voluntary(ctx, case)):
        return
    # 对线上已冻结…资金进行扣划，扣除执行费后支付申请人.
    yield from handling.deduct(ctx, case, case.frozen_cny)
    if case.outstanding_cny <= 0:
        yield from finish(ctx, case, Outcome.COMPLETED)
        return
    yield from fast_investigation(ctx, case, received)


def fast_investigation(ctx: FlowContext, case: Case, received: float) -> Step:
    """From the traditional investigation to closure (served, interviewed, frozen funds paid out)."""
    # 线上控制的资金不足以清偿债务，经传统调查有财产的，应在收案后30日内启动财产处置程序.
    yield from handling.investigate(ctx, case)
    if handling.property_found(ctx, case):
        # The 30 days ran from receipt; the clock is written down only when it matters.
        ctx.clocks.start(case, Deadline.FAST_DISPOSAL_START, at=received)
        yield from handling.seize(ctx, case)
        yield from handling.pre_sale_inquiry(ctx, case)
        yield from ctx.work(case, Task.SIGN_OFF)  # the judge signs the ruling to sell
        yield from ctx.work(case, Task.DISPOSAL_REFERRAL)
        ctx.clocks.end(case, Deadline.FAST_DISPOSAL_START)
        proceeds = yield from dispose(ctx, case)
        yield from handling.deduct(ctx, case, proceeds)
        if case.outstanding_cny <= 0:
            yield from finish(ctx, case, Outcome.COMPLETED)
            return
    if (yield from handling.settle(ctx, case)):
        return
    if (yield from handling.ending(ctx, case)):
        return
    # 无财产或财产不适宜处置的，应尽快进行终本约谈，在收案45日内结案.
    yield from handling.zhongben(ctx, case)
