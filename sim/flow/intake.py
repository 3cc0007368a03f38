"""执行指挥中心·前置团队: every case starts here (方案 三(一)1).

The front-end team checks the filing, contacts the applicant, issues the
standard documents, launches the online asset inquiry, reads its answers, and
sorts the case: simple cases (简案) to the fast-track team, the rest to the
standard-track teams (繁简分流), by the scenario's triage rules
(:mod:`sim.rules.triage`). Preservation cases go to the team the scenario
names. 执恢 applications are reviewed here first (恢复执行审查).
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow import records
from sim.flow.closure import close
from sim.flow.context import FlowContext, Step
from sim.rules.triage import PLAN_TRIAGE, is_simple
from sim.vocab import CaseType, Deadline, Decision, Delay, Milestone, Outcome, Ratio, Task, Team, Track

__all__ = ["intake", "triage"]


def intake(ctx: FlowContext, case: Case) -> Step:
    """From filing (立案) to triage; returns the track the case goes to, or NONE if closed."""
    probs = ctx.scenario.probabilities
    team = ctx.scenario.organisation.team_for(Team.INTAKE)
    case.stage = "intake"
    ctx.mark(case, Milestone.RECEIVED, team)
    # The 6-month limit runs from filing (审限规定 art. 5); its exclusions are applied in metrics.
    case.limit_due = ctx.clocks.start(case, Deadline.EXECUTION_LIMIT, at=case.arrived)
    # The front end's three time limits all run from receipt (收案).
    ctx.clocks.start(case, Deadline.VERIFY_FILING)
    ctx.clocks.start(case, Deadline.FIRST_CONTACT)
    ctx.clocks.start(case, Deadline.STANDARD_DOCUMENTS)

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

    # 初次接待: within 2 working days (risk notice, rights, leads, account).
    yield from ctx.work(case, Task.FIRST_CONTACT, team)
    ctx.clocks.end(case, Deadline.FIRST_CONTACT)
    records.hand_over(ctx, case)  # 初次接待笔录 to the records centre within 2 days

    # 制作统一制式法律文书 within 3 days, and the online inquiry (网络查控) with it.
    yield from ctx.work(case, Task.STANDARD_DOCUMENTS, team)
    ctx.clocks.end(case, Deadline.STANDARD_DOCUMENTS)
    if case.case_type is CaseType.PRESERVATION:
        return Track.OVERSIGHT  # 保全类案件: to the team policy.preservation_team names
    yield from ctx.reform.inquiry_batch(case)  # 集约: the day's inquiries go out together
    yield from ctx.wait(case, Delay.ONLINE_INQUIRY_DAYS, step="online_inquiry")
    _freeze(ctx, case)

    if case.case_type is CaseType.RESUMED:
        yield from ctx.work(case, Task.RESUME_REVIEW, team)  # 恢复执行审查
    # 查控结果分析 and 繁简分流.
    yield from ctx.work(case, Task.TRIAGE, team)
    track = triage(ctx, case)
    ctx.mark(case, Milestone.TRIAGED_FAST if track is Track.FAST else Milestone.TRIAGED_STANDARD, team)
    return track


def _freeze(ctx: FlowContext, case: Case) -> None:
    """The online inquiry's answer: all, part or none of the claim frozen."""
    if case.behaviour:
        return
    probs = ctx.scenario.probabilities
    small = case.claim_cny < ctx.scenario.policy.simple_threshold_cny
    full = probs.freeze_full_small_rate if small else probs.freeze_full_large_rate
    u = ctx.book.u(Decision.FREEZE, case)
    if u < full:
        case.frozen_cny = case.outstanding_cny
    elif u < full + probs.freeze_partial_rate:
        case.frozen_cny = case.outstanding_cny * ctx.book.ratio(Ratio.PARTIAL_FREEZE_SHARE, case)
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
