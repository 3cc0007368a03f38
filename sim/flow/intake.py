"""执行指挥中心·前置团队: every case starts here (方案 三(一)1).

The front-end team checks the filing, contacts the applicant, issues the
standard documents, launches the online asset inquiry, reads its answers, and
sorts the case: simple cases (简案) to the fast-track team, the rest to the
standard-track teams (繁简分流). Preservation cases go to the team the scenario
names. 执恢 applications are reviewed here first (恢复执行审查).
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow import records
from sim.flow.context import FlowContext, Step
from sim.vocab import CaseType, Outcome, Team, Track

__all__ = ["intake", "is_simple"]


def intake(ctx: FlowContext, case: Case) -> Step:
    """From filing (立案) to triage; returns the track the case goes to, or NONE if closed."""
    probs = ctx.scenario.probabilities
    team = ctx.scenario.organisation.team_for(Team.INTAKE)
    case.stage = "intake"
    ctx.mark(case, "received", team)
    # The 6-month limit runs from filing (审限规定 art. 5); its exclusions are applied in metrics.
    case.limit_due = ctx.start_sla(case, "execution_limit", at=case.arrived)
    for sla in ("verify_filing", "first_contact", "standard_documents"):
        ctx.start_sla(case, sla)

    # 立案信息核对: within 1 working day; errors go back for correction, the
    # uncorrectable ones are rejected by ruling (驳回执行申请).
    yield from ctx.work(case, "verify_filing", team)
    ctx.end_sla(case, "verify_filing")
    u = ctx.book.u("filing", case)
    if u < probs.filing_reject_rate:
        ctx.close(case, Outcome.REJECTED)
        return Track.NONE
    if u < probs.filing_reject_rate + probs.filing_error_rate:
        yield from ctx.wait(case, "filing_correction_days", step="returned_for_correction")
        yield from ctx.work(case, "verify_filing", team)

    # 初次接待: within 2 working days (risk notice, rights, leads, account).
    yield from ctx.work(case, "first_contact", team)
    ctx.end_sla(case, "first_contact")
    records.hand_over(ctx, case)  # 初次接待笔录 to the records centre within 2 days

    # 制作统一制式法律文书 within 3 days, and the online inquiry (网络查控) with it.
    yield from ctx.work(case, "standard_documents", team)
    ctx.end_sla(case, "standard_documents")
    if case.case_type is CaseType.PRESERVATION:
        return Track.OVERSIGHT if ctx.scenario.policy.preservation_team == "oversight" else Track.FAST
    yield from ctx.wait(case, "online_inquiry_days", step="online_inquiry")
    _freeze(ctx, case)

    if case.case_type is CaseType.RESUMED:
        yield from ctx.work(case, "resume_review", team)  # 恢复执行审查
    # 查控结果分析 and 繁简分流.
    yield from ctx.work(case, "triage", team)
    track = Track.FAST if is_simple(ctx, case) else Track.STANDARD
    ctx.mark(case, f"triaged_{track.value}", team)
    return track


def _freeze(ctx: FlowContext, case: Case) -> None:
    """The online inquiry's answer: all, part or none of the claim frozen."""
    if case.behaviour:
        return
    probs = ctx.scenario.probabilities
    small = case.claim_cny < ctx.scenario.policy.simple_threshold_cny
    full = probs.freeze_full_small_rate if small else probs.freeze_full_large_rate
    u = ctx.book.u("freeze", case)
    if u < full:
        case.frozen_cny = case.outstanding_cny
    elif u < full + probs.freeze_partial_rate:
        case.frozen_cny = case.outstanding_cny * ctx.book.ratio("partial_freeze_share", case)
    if case.frozen_cny > 0:
        case.has_property = True
        ctx.mark(case, "funds_frozen", ctx.scenario.organisation.team_for(Team.INTAKE))


def is_simple(ctx: FlowContext, case: Case) -> bool:
    """The plan's simple-case rules (简案标准, 方案 三(一)1).

    Simple when: frozen funds cover the claim; or the claim is below the threshold
    (100,000 yuan) and the case can be closed within 45 days; or it is a simple
    behaviour case. With triage off (the pre-reform court) nothing is simple.
    """
    policy, probs = ctx.scenario.policy, ctx.scenario.probabilities
    if not policy.triage:
        return False
    if case.behaviour:
        return policy.simple_if_behaviour and ctx.decide(case, "behaviour_simple", probs.behaviour_simple_rate)
    if policy.simple_if_frozen_covers and case.frozen_cny >= case.outstanding_cny > 0:
        return True
    small = case.claim_cny < policy.simple_threshold_cny
    return (
        policy.simple_if_small_claim and small and ctx.decide(case, "small_closable", probs.small_claim_closable_rate)
    )
