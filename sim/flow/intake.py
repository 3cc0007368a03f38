"""执行指挥中心·前置团队: every case starts here (方案 三(一)1).

The front-end team checks the filing, contacts the applicant, issues the
standard documents, launches the online asset inquiry, reads its answers, and
sorts the case: simple cases (简案) to the fast-track team, the rest to the
standard-track teams (繁简分流), by the scenario's triage rules
(:mod:`sim.rules.triage`). Preservation cases go to the team the scenario
names, straight after the filing check: a preservation ruling is carried out at once
(CPL 2023 art. 103: 裁定采取保全措施的，应当立即开始执行), without the first contact, the
standard documents and the inquiry that an enforcement case needs. 执恢 requests are
checked and reviewed here before they are filed (终本核查、恢复执行审查,
:mod:`sim.flow.resumption`), so a 执恢 case arrives reviewed.
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow import records
from sim.flow.closure import close
from sim.flow.context import FlowContext, Step
from sim.flow.fees import application_fee
from sim.rules.triage import PLAN_TRIAGE, is_simple
from sim.vocab import CaseType, Deadline, Decision, Delay, Milestone, Outcome, Ratio, Task, Team, Track

__all__ = ["freeze", "intake", "sort_case", "triage"]


def intake(ctx: FlowContext, case: Case) -> Step:
    """From filing (立案) to triage; returns the track the case goes to, or NONE if closed."""
    probs = ctx.scenario.probabilities
    team = ctx.scenario.organisation.team_for(Team.INTAKE)
    case.stage = "intake"
    ctx.mark(case, Milestone.RECEIVED, team)
    # The 6-month limit runs from filing (审限规定 art. 5); its exclusions are applied in metrics.
    case.limit_due = ctx.clocks.start(case, Deadline.EXECUTION_LIMIT, at=case.arrived)
    if case.case_type is CaseType.FIRST and ctx.scenario.policy.execution_fee:
        # 执行申请费 on the claim (诉讼费用交纳办法 art. 14(1)); a 执恢 of the same title pays
        # none again (art. 26 by analogy), a 执恢 of the run's own case carries what is unpaid.
        case.fee_due_cny = application_fee(case.claim_cny)
    # The front end's three time limits all run from receipt (收案).
    received = ctx.env.now
    ctx.clocks.start(case, Deadline.VERIFY_FILING)

    # 立案信息核对: within 1 working day; errors go back for correction, the
    # uncorrectable ones are rejected by ruling (驳回执行申请).
    yield from ctx.work(case, Task.VERIFY_FILING, team)
    ctx.clocks.end(case, Deadline.VERIFY_FILING)
    u = ctx.book.u(Decision.FILING, case)
    if u < probs.filing_reject_rate:
        close(ctx, case, Outcome.REJECTED)
        return Track.NONE
    if u < probs.filing_reject_rate + probs.filing_error_rate:
        yield from ctx.wait(case, Delay.FILING_CORRECTION_DAYS, step="returned_for_correction")
        yield from ctx.work(case, Task.VERIFY_FILING, team)
    if case.case_type is CaseType.PRESERVATION:
        return Track.OVERSIGHT  # 保全类案件: at once to the team policy.preservation_team names
    ctx.clocks.start(case, Deadline.FIRST_CONTACT, at=received)
    ctx.clocks.start(case, Deadline.STANDARD_DOCUMENTS, at=received)

    # 初次接待: within 2 working days (risk notice, rights, leads, account).
    yield from ctx.work(case, Task.FIRST_CONTACT, team)
    ctx.clocks.end(case, Deadline.FIRST_CONTACT)
    records.hand_over(ctx, case)  # 初次接待笔录 to the records centre within 2 days

    # 制作统一制式法律文书 within 3 days, and the online inquiry (网络查控) with it.
    yield from ctx.work(case, Task.STANDARD_DOCUMENTS, team)
    ctx.clocks.end(case, Deadline.STANDARD_DOCUMENTS)
    yield from ctx.reform.inquiry_batch(case)  # 集约: the day's inquiries go out together
    yield from ctx.wait(case, Delay.ONLINE_INQUIRY_DAYS, step="online_inquiry")
    freeze(ctx, case)
    return (yield from sort_case(ctx, case, team))


def sort_case(ctx: FlowContext, case: Case, team: Team) -> Step:
    """查控结果分析 and 繁简分流 once the inquiry has answered; returns the track."""
    # 查控结果分析 and 繁简分流.
    yield from ctx.work(case, Task.TRIAGE, team)
    track = triage(ctx, case)
    ctx.mark(case, Milestone.TRIAGED_FAST if track is Track.FAST else Milestone.TRIAGED_STANDARD, team)
    return track


def freeze(ctx: FlowContext, case: Case) -> None:
    """The online inquiry's answer: all, part or none of what is owed frozen (the fee with it).

    A 执恢 case was filed because money or property turned up: when it was money
    (not ``resumed_property_rate``) and the inquiry's usual answer froze none, part of
    the claim is frozen now; either way the case has property.
    """
    if case.case_type is CaseType.RESUMED:
        case.has_property = True
    if case.behaviour:
        return
    probs = ctx.scenario.probabilities
    small = case.claim_cny < ctx.scenario.policy.simple_threshold_cny
    full = probs.freeze_full_small_rate if small else probs.freeze_full_large_rate
    u = ctx.book.u(Decision.FREEZE, case)
    share = ctx.book.ratio(Ratio.PARTIAL_FREEZE_SHARE, case)
    if u < full:
        case.frozen_cny = case.owed_cny
    elif u < full + probs.freeze_partial_rate:
        case.frozen_cny = case.owed_cny * share
    money = case.case_type is CaseType.RESUMED and ctx.book.u(Decision.PROPERTY, case) >= probs.resumed_property_rate
    if money and case.frozen_cny == 0.0:
        case.frozen_cny = case.owed_cny * share  # the money the re-query or the applicant found
    if case.frozen_cny > 0:
        case.has_property = True
        ctx.mark(case, Milestone.FUNDS_FROZEN, ctx.scenario.organisation.team_for(Team.INTAKE))


def triage(ctx: FlowContext, case: Case) -> Track:
    """繁简分流 (方案 三(一)1): 属简案的分配至快执团队，其他案件分配至精执团队.

    The scenario's triage rules are asked in order (:func:`sim.rules.triage.is_simple`):
    the first that says simple or not simple decides, and a case no rule claims is a
    standard case. With no rules (the pre-reform court) nothing is simple.

    Whatever the rules, the case's ``simple_by_rules`` records the verdict of the plan's
    standards (:data:`sim.rules.triage.PLAN_TRIAGE`), the population of the would-be
    simple KPIs (``sim.metrics.comparable``).
    """

    def chance(decision: Decision, probability: float) -> bool:
        return ctx.decide(case, decision, probability)

    rules = ctx.scenario.policy.triage
    simple = is_simple(rules, case, ctx.scenario, chance)
    # 按规则应属简案: what the plan's standards would call this case, recorded whatever the court
    # routes by (before the reform it routes by none), so that the would-be simple cases of two
    # organisations are compared on the same cases. Asking draws nothing (common random numbers).
    same = tuple(rules) == PLAN_TRIAGE
    case.simple_by_rules = simple if same else is_simple(PLAN_TRIAGE, case, ctx.scenario, chance)
    return Track.FAST if simple else Track.STANDARD
