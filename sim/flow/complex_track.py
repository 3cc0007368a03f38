"""精执团队 (执行二至五团队): the standard track (方案 三(二)2).

The plan's rules, in order: serve within 10 days of receipt (electronic service
after first contact); interview the debtor; deduct frozen funds; complete the
traditional investigation within 30 days of receipt (banks, land, housing,
vehicles, registry, securities, the debtor's village or community); verify the
applicant's leads within 7 days; restrict consumption at once (及时限消), list as
dishonest within 7 days where the conditions are met (纳失), detain or fine where
warranted, refer refusal-to-enforce crimes within 30 days; start appraisal and
auction of seized property within 30 days; draw up a distribution plan when
several creditors share the debtor; behaviour cases follow an operation plan;
every 终本 goes before the collegial panel (for property found but not sold, the plan says so).
Before a sale the property is investigated (变价前调查); a reward notice or an audit
(悬赏执行、审计执行) is used case by case (根据案件具体情况决定是否采取) where the
scenario's policy allows them (``policy.reward_notice``, ``policy.audit``; off by default).
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow import handling
from sim.flow.asset_disposal import dispose
from sim.flow.closure import finish
from sim.flow.context import FlowContext, Step
from sim.vocab import Deadline, Decision, Delay, Milestone, Outcome, Ratio, Task, Team, Track

__all__ = [
    "complex_track",
    "receive_standard",
    "standard_closing",
    "standard_disposal",
    "standard_handling",
    "standard_investigation",
]


def complex_track(ctx: FlowContext, case: Case) -> Step:
    """A standard case's path through one of the 精执 teams."""
    team = ctx.scenario.organisation.team_for(Team.COMPLEX_TRACK)
    front_end = ctx.scenario.organisation.team_for(Team.INTAKE)
    yield from ctx.reform.transfer(case, front_end, team)  # the file comes over (sim.flow.mechanisms)
    receive_standard(ctx, case, team)
    yield from ctx.reform.take_up(case, front_end, team)  # in-tray, reading, a flaw sent back
    yield from standard_handling(ctx, case)


def receive_standard(
    ctx: FlowContext, case: Case, team: Team, *, served: bool = False, investigated: bool = False
) -> None:
    """A 精执 team receives ``case``; 送达 within 10 days and the investigation within 30 days of receipt.

    ``served``, ``investigated``: done before (a case of the starting backlog further on),
    so their clocks are not started again.
    """
    handling.receive(ctx, case, team, Track.STANDARD)
    received = handling.receipt(ctx, case)
    if not served:
        ctx.clocks.start(case, Deadline.SERVE, at=received)
    if not investigated:
        ctx.clocks.start(case, Deadline.INVESTIGATION, at=received)


def standard_handling(ctx: FlowContext, case: Case) -> Step:
    """The standard track's rules from service to closure."""
    yield from handling.serve(ctx, case)
    yield from handling.interview(ctx, case)
    if case.behaviour:
        yield from handling.behaviour_case(ctx, case)
        return
    if (yield from handling.voluntary(ctx, case)):
        return
    yield from ctx.work(case, Task.CONSUMPTION_RESTRICTION)  # 对被执行人应及时限消
    yield from handling.deduct(ctx, case, case.frozen_cny)
    if case.outstanding_cny <= 0:
        yield from finish(ctx, case, Outcome.COMPLETED)
        return
    yield from standard_investigation(ctx, case)


def standard_investigation(ctx: FlowContext, case: Case) -> Step:
    """From the traditional investigation to closure (served, interviewed, frozen funds paid out)."""
    yield from handling.investigate(ctx, case)
    ctx.clocks.end(case, Deadline.INVESTIGATION)
    found = handling.property_found(ctx, case)
    found = (yield from _check_lead(ctx, case)) or found
    if not found:
        found = yield from _reward_and_audit(ctx, case)
    if found:
        yield from handling.seize(ctx, case)
        ctx.clocks.start(case, Deadline.DISPOSAL_START)  # 对查控（首封）的财产应在30日内启动评估、拍卖
    yield from _coercive_measures(ctx, case, found)
    if found:
        yield from _dispose(ctx, case)
        if case.outstanding_cny <= 0:
            yield from finish(ctx, case, Outcome.COMPLETED)
            return
    yield from standard_closing(ctx, case)


def standard_closing(ctx: FlowContext, case: Case) -> Step:
    """What is left when nothing (more) is to be sold: settlement, an ending, else 终本."""
    if (yield from handling.settle(ctx, case)):
        return
    if (yield from handling.ending(ctx, case)):
        return
    yield from handling.zhongben(ctx, case)


def standard_disposal(ctx: FlowContext, case: Case) -> Step:
    """From the disposal of seized property (the ruling to sell signed and referred) to closure."""
    yield from _sell(ctx, case)
    if case.outstanding_cny <= 0:
        yield from finish(ctx, case, Outcome.COMPLETED)
        return
    yield from standard_closing(ctx, case)


def _check_lead(ctx: FlowContext, case: Case) -> Step:
    """对申请人提供的财产线索应在7日内调查核实; returns True if the lead finds property."""
    probs = ctx.scenario.probabilities
    if not ctx.decide(case, Decision.LEAD_GIVEN, probs.lead_given_rate):
        return False
    ctx.clocks.start(case, Deadline.LEAD_CHECK)  # the 7 days span the check and the answers to it
    yield from ctx.work(case, Task.LEAD_CHECK)
    yield from ctx.wait(case, Delay.LEAD_CHECK_DAYS, step="lead_answers")
    ctx.clocks.end(case, Deadline.LEAD_CHECK)
    useful = ctx.decide(case, Decision.LEAD_USEFUL, probs.lead_useful_rate)
    if useful:
        case.has_property = True
        ctx.mark(case, Milestone.PROPERTY_FOUND, case.team)
    return useful


def _reward_and_audit(ctx: FlowContext, case: Case) -> Step:
    """悬赏执行 and 审计执行 where nothing was found (方案 三(二)2; 终本规定 art. 3: part of an
    exhausted investigation, on the applicant's request); returns True if property is found.

    Each is a scenario option (``policy.reward_notice``, ``policy.audit``), used for a share
    of the cases that reach this point (``reward_rate``, ``audit_rate``, EST). The reward's
    notice period waits for leads; the audit firm's time is not counted against the 6-month
    limit (审限规定 art. 9 item 8).
    """
    policy, probs = ctx.scenario.policy, ctx.scenario.probabilities
    found = False
    if policy.reward_notice and ctx.decide(case, Decision.REWARD, probs.reward_rate):
        case.stage = f"{case.team}:reward"
        yield from ctx.work(case, Task.REWARD_NOTICE)
        yield from ctx.wait(case, Delay.REWARD_DAYS, step="reward_period")
        found = ctx.decide(case, Decision.REWARD_FINDS, probs.reward_find_rate)
    if not found and policy.audit and ctx.decide(case, Decision.AUDIT, probs.audit_rate):
        case.stage = f"{case.team}:audit"
        yield from ctx.work(case, Task.AUDIT)
        yield from ctx.wait(case, Delay.AUDIT_DAYS, step="audit_firm", excluded=True)
        found = ctx.decide(case, Decision.AUDIT_FINDS, probs.audit_find_rate)
    if found:
        case.has_property = True
        ctx.mark(case, Milestone.PROPERTY_FOUND, case.team)
    return found


def _coercive_measures(ctx: FlowContext, case: Case, found: bool) -> Step:
    """纳失 within 7 days, detention where warranted, 拒执罪 referral within 30 days.

    Property found is seized; when its value covers what is owed, 失信规定 art. 3 bars
    the listing now (it is asked again at 终本 if the sale falls short).
    """
    probs = ctx.scenario.probabilities
    seized = case.owed_cny * ctx.book.ratio(Ratio.PROPERTY_VALUE_RATIO, case) if found else 0.0
    yield from handling.list_dishonest(ctx, case, seized_cny=seized)
    if ctx.decide(case, Decision.DETENTION, probs.detention_rate):
        yield from ctx.work(case, Task.SIGN_OFF)  # the judge approves (the president's approval is not staff here)
        yield from ctx.work(case, Task.DETENTION)
    if ctx.decide(case, Decision.CRIMINAL, probs.criminal_referral_rate):
        # The 30 days span making up the evidence the police need and the judge's signature.
        ctx.clocks.start(case, Deadline.CRIMINAL_REFERRAL)
        yield from ctx.wait(case, Delay.REFERRAL_EVIDENCE_DAYS, step="referral_evidence")
        yield from ctx.work(case, Task.CRIMINAL_REFERRAL)
        yield from ctx.work(case, Task.SIGN_OFF)
        ctx.clocks.end(case, Deadline.CRIMINAL_REFERRAL)


def _dispose(ctx: FlowContext, case: Case) -> Step:
    """对查控（首封）的财产应在30日内启动评估、拍卖程序: investigated, the ruling signed, the file sent over."""
    yield from handling.pre_sale_inquiry(ctx, case)
    yield from ctx.work(case, Task.SIGN_OFF)
    yield from ctx.work(case, Task.DISPOSAL_REFERRAL)
    ctx.clocks.end(case, Deadline.DISPOSAL_START)
    yield from _sell(ctx, case)


def _sell(ctx: FlowContext, case: Case) -> Step:
    """The disposal team sells; the proceeds are shared out (a distribution plan) and paid."""
    proceeds = yield from dispose(ctx, case)
    if proceeds > 0 and ctx.decide(case, Decision.CREDITORS, ctx.scenario.probabilities.multiple_creditors_rate):
        # 对同一被执行人有多个执行债权人申请执行的依法制作分配方案.
        yield from ctx.work(case, Task.DISTRIBUTION_PLAN)
        yield from ctx.work(case, Task.PANEL_REVIEW)
    yield from handling.deduct(ctx, case, proceeds)
