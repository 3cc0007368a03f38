"""Steps the fast-track and the standard-track teams share (方案 三(二)1 and 2).

Both implementation teams serve the standard documents within 10 days, interview
the debtor, deduct frozen funds and pay the applicant, investigate, and close
the case. The team modules put these steps in the order and under the deadlines
of their own rules; the steps themselves live here once.
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow import records
from sim.flow.closure import finish
from sim.flow.context import FlowContext, Step
from sim.flow.fees import fee_share
from sim.vocab import CaseType, Deadline, Decision, Delay, Milestone, Outcome, Ratio, ReceiptBasis, Task, Team, Track
from sim.workcalendar import add_months

__all__ = [
    "behaviour_case",
    "deduct",
    "ending",
    "interview",
    "investigate",
    "list_dishonest",
    "pre_sale_inquiry",
    "property_found",
    "receipt",
    "receive",
    "seize",
    "serve",
    "settle",
    "voluntary",
    "zhongben",
]


def receive(ctx: FlowContext, case: Case, team: Team, track: Track) -> None:
    """The team receives the case and one officer becomes its handler (承办人).

    Related cases (same debtor) go to the handler who has the group's earlier case
    in this team (方案 三(一)1: 关联案件、类案相对集中同一团队或承办人), the others by the
    scenario's assignment rule; the staff office keeps the caseloads.
    """
    case.track, case.team, case.stage = track, team, f"{team}:received"
    ctx.office.take_case(case, team)
    ctx.mark(case, Milestone.RECEIVED, team)


def receipt(ctx: FlowContext, case: Case) -> float:
    """When the team's "收案后…" clocks start (``policy.receipt_basis``): filing by default, else now.

    方案 三(二) words the implementation teams' limits from 收案 (收案后10日内送达,
    收案45日内结案); read as the court's 收案, the filing (立案), they include the
    front end's days (docs/legal.md §4).
    """
    return case.arrived if ctx.scenario.policy.receipt_basis is ReceiptBasis.FILING else ctx.env.now


def serve(ctx: FlowContext, case: Case) -> Step:
    """Serve the standard documents on the debtor within 10 days of receipt.

    A debtor who cannot be found is served by public notice (公告送达, deemed
    served 30 days later, CPL art. 95), which misses the 10 days by law's design;
    the case remembers that the debtor is missing (``case.missing``).
    """
    case.stage = f"{case.team}:service"
    yield from ctx.work(case, Task.SERVE_DOCUMENTS)
    if ctx.decide(case, Decision.MISSING, ctx.scenario.probabilities.debtor_missing_rate):
        case.missing = True
        yield from ctx.work(case, Task.PUBLIC_NOTICE)
        # The notice period does not count against the 6-month limit (审限规定 art. 9; 执行程序解释 art. 10).
        yield from ctx.wait(case, Delay.PUBLIC_NOTICE_DAYS, step="public_notice", excluded=True)
    elif (electronic := ctx.reform.electronic_service_days(case)) is not None:  # [reform.electronic_service]
        yield from ctx.wait(case, Delay.SERVICE_DAYS, days=electronic, step="electronic_service")
    else:
        yield from ctx.wait(case, Delay.SERVICE_DAYS, step="service")
    ctx.clocks.end(case, Deadline.SERVE)


def interview(ctx: FlowContext, case: Case) -> Step:
    """初次询问 of the debtor with a record (执行笔录), which goes to the records centre.

    A debtor served by public notice is not there to be asked: the officer and a
    bailiff look for him first (police, registry, village committee; 查找被执行人,
    终本规定 art. 1(5) asks for it before a 终本), and only a debtor found is interviewed.
    """
    if case.missing:
        case.stage = f"{case.team}:search"
        yield from ctx.work(case, Task.DEBTOR_SEARCH)
        yield from ctx.wait(case, Delay.DEBTOR_SEARCH_DAYS, step="debtor_search")
        if not ctx.decide(case, Decision.DEBTOR_FOUND, ctx.scenario.probabilities.debtor_found_rate):
            return
        case.missing = False
    yield from ctx.work(case, Task.DEBTOR_INTERVIEW)
    records.hand_over(ctx, case)
    if ctx.decide(case, Decision.STAY, ctx.scenario.probabilities.stay_rate):
        # 暂缓执行 on the debtor's security (民诉法解释 art. 467, ≤ 1 year): not counted
        # against the 6-month limit (审限规定 art. 9).
        yield from ctx.wait(case, Delay.STAY_DAYS, step="stay", excluded=True)


def voluntary(ctx: FlowContext, case: Case) -> Step:
    """The debtor pays after the notice; returns True if the case closed (a missing debtor does not)."""
    if case.missing or not ctx.decide(case, Decision.VOLUNTARY, ctx.scenario.probabilities.voluntary_payment_rate):
        return False
    yield from ctx.wait(case, Delay.VOLUNTARY_PAYMENT_DAYS, step="voluntary_payment")
    yield from deduct(ctx, case, case.owed_cny)
    yield from finish(ctx, case, Outcome.COMPLETED)
    return True


def deduct(ctx: FlowContext, case: Case, amount_cny: float) -> Step:
    """扣划 funds and pay them out to the applicant (within 30 days of arrival).

    The 执行申请费 comes out of the money first (扣除执行费后支付申请人, :mod:`sim.flow.fees`);
    the applicant receives the rest, up to what he is owed.
    """
    if amount_cny <= 0:
        return
    case.stage = f"{case.team}:payout"
    k = case.counts.get(Task.DEDUCT_PAYOUT, 0)  # the k-th payout of this case has its own clock
    ctx.clocks.start(case, Deadline.PAYOUT, occurrence=k)
    fee = fee_share(case, amount_cny, ctx.scenario.policy)
    yield from ctx.work(case, Task.DEDUCT_PAYOUT)
    yield from ctx.wait(case, Delay.PAYOUT_DAYS, step="payout")
    ctx.clocks.end(case, Deadline.PAYOUT, occurrence=k)
    case.fee_paid_cny += fee
    paid = amount_cny - fee
    # What covers the claim to within a fen pays it (no case left open over rounding).
    case.recovered_cny = case.claim_cny if paid >= case.outstanding_cny - 0.005 else case.recovered_cny + paid


def investigate(ctx: FlowContext, case: Case) -> Step:
    """传统查控: banks, land, housing, vehicles, registry, securities, the village."""
    case.stage = f"{case.team}:investigation"
    yield from ctx.work(case, Task.FIELD_INVESTIGATION)
    yield from ctx.wait(case, Delay.INVESTIGATION_DAYS, step="registry_answers")


def property_found(ctx: FlowContext, case: Case) -> bool:
    """Whether the investigation finds disposable property.

    A 执恢 case was filed because something turned up (终本规定 art. 9): property to sell
    with ``resumed_property_rate``, else money, which the online inquiry froze
    (:func:`sim.flow.intake.intake`); either way it has property (``has_property``).
    """
    probs = ctx.scenario.probabilities
    rate = probs.resumed_property_rate if case.case_type is CaseType.RESUMED else probs.property_found_rate
    found = ctx.decide(case, Decision.PROPERTY, rate)
    if found:
        case.has_property = True
        ctx.mark(case, Milestone.PROPERTY_FOUND, case.team)
    return found


def settle(ctx: FlowContext, case: Case) -> Step:
    """执行和解: the parties settle and the debtor performs; returns True if closed.

    A debtor who cannot be found settles nothing."""
    if case.missing or not ctx.decide(case, Decision.SETTLEMENT, ctx.scenario.probabilities.settlement_rate):
        return False
    yield from ctx.work(case, Task.SETTLEMENT_RECORD)
    # The time the settlement runs is not counted against the 6-month limit (审限规定 art. 9).
    yield from ctx.wait(case, Delay.SETTLEMENT_DAYS, step="settlement_performance", excluded=True)
    yield from deduct(ctx, case, case.outstanding_cny * ctx.book.ratio(Ratio.SETTLEMENT_SHARE, case))
    yield from finish(ctx, case, Outcome.COMPLETED)
    return True


def ending(ctx: FlowContext, case: Case) -> Step:
    """终结执行, 不予执行 or 销案 where their grounds arise; returns True if closed."""
    probs = ctx.scenario.probabilities
    u = ctx.book.u(Decision.ENDING, case)
    for outcome, rate in (
        (Outcome.TERMINATED, probs.termination_rate),
        (Outcome.NOT_ENFORCED, probs.not_enforced_rate),
        (Outcome.WITHDRAWN, probs.withdrawal_rate),
    ):
        if u < rate:
            yield from finish(ctx, case, outcome)
            return True
        u -= rate
    return False


def behaviour_case(ctx: FlowContext, case: Case) -> Step:
    """腾退交付等行为类执行: an operation plan, then the operation with bailiffs."""
    case.stage = f"{case.team}:behaviour"
    yield from ctx.wait(case, Delay.BEHAVIOUR_PLAN_DAYS, step="operation_plan")
    yield from ctx.work(case, Task.BEHAVIOUR_ENFORCEMENT)
    records.hand_over(ctx, case)
    if ctx.decide(case, Decision.BEHAVIOUR_SUCCESS, ctx.scenario.probabilities.behaviour_success_rate):
        yield from finish(ctx, case, Outcome.COMPLETED)
    else:
        yield from zhongben(ctx, case)


def list_dishonest(ctx: FlowContext, case: Case, *, seized_cny: float = 0.0) -> Step:
    """纳入失信名单 within 7 days where a ground exists and nothing bars it (失信规定 arts. 1, 3).

    Not for a debtor who has paid (art. 1: 未履行); not under ground (1) where property
    already seized or frozen covers what is owed (art. 3): ``seized_cny`` is the value of
    property the court holds and has not yet sold. Whether a ground exists is the case's
    ``dishonest`` decision, so asking again later (at 终本, when a sale fell short) gives
    the same answer about the grounds; a debtor is listed once.
    """
    if Task.DISHONEST_LISTING in case.counts:
        return
    if not case.behaviour and case.owed_cny <= 0.0:
        return
    if seized_cny >= case.owed_cny > 0.0:
        return
    if ctx.decide(case, Decision.DISHONEST, ctx.scenario.probabilities.dishonest_rate):
        # The 7 days run to the judge's signed decision (a written decision, 失信规定 art. 6).
        ctx.clocks.start(case, Deadline.DISHONEST_LISTING)
        yield from ctx.work(case, Task.DISHONEST_LISTING)
        yield from ctx.work(case, Task.SIGN_OFF)
        ctx.clocks.end(case, Deadline.DISHONEST_LISTING)


def seize(ctx: FlowContext, case: Case) -> Step:
    """查封、扣押 the property found (首封): the officer and a clerk, then the registry records it."""
    case.stage = f"{case.team}:seizure"
    yield from ctx.work(case, Task.SEIZURE)
    yield from ctx.wait(case, Delay.SEIZURE_DAYS, step="seizure_registered")
    ctx.mark(case, Milestone.SEIZED, case.team)


def pre_sale_inquiry(ctx: FlowContext, case: Case) -> Step:
    """变价前调查 of the seized property before it is referred for sale (方案 三(二)2).

    在采取变价措施前，应对财产权属、共有情况、权利负担、占有使用、装饰装修、附属设施、欠缴税费、
    质量瑕疵等事项进行调查，必要时保存上传视频资料: a visit with a record (or video) and the
    answers of the registry, the tax office and the property manager; the record goes to
    the records centre. The plan gives it to the standard track; the fast track refers
    property to the same disposal team, which needs the same facts, so it does it too (EST).
    It runs inside the 30 days from 首封 to the start of the disposal.
    """
    case.stage = f"{case.team}:pre_sale_inquiry"
    yield from ctx.work(case, Task.PRE_SALE_INQUIRY)
    yield from ctx.wait(case, Delay.PRE_SALE_INQUIRY_DAYS, step="pre_sale_answers")
    records.hand_over(ctx, case)


def zhongben(ctx: FlowContext, case: Case) -> Step:
    """终结本次执行程序: restriction, interview, panel, ruling.

    Conditions (终本规定 art. 1): consumption restricted (限消), investigation done,
    and **more than 3 months since filing** (art. 1(4)); with the scenario's
    ``zhongben_floor`` on, the case waits for that date. The applicant is
    interviewed first (终本约谈, required by the Henan High Court since 2019). The
    collegial panel reviews the 终本 (民诉法解释 art. 517; for property found but
    not sold, 方案 三(二)2: 由合议庭评议后，按无财产可供执行处理).
    """
    case.stage = f"{case.team}:zhongben"
    if Task.CONSUMPTION_RESTRICTION not in case.counts:  # 限消 not yet ordered
        yield from ctx.work(case, Task.CONSUMPTION_RESTRICTION)
    yield from list_dishonest(ctx, case)  # art. 1(2): 已限消并依法纳入失信 where the grounds exist
    policy = ctx.scenario.policy
    if policy.zhongben_floor:
        filed = ctx.calendar.date_of(case.arrived)
        floor = add_months(filed, policy.zhongben_floor_months)
        yield from ctx.wait_until(case, ctx.calendar.time_of(floor) + 1.0, "zhongben_floor")
    yield from ctx.work(case, Task.ZHONGBEN_INTERVIEW)
    yield from ctx.work(case, Task.PANEL_REVIEW)
    yield from ctx.wait(case, Delay.ZHONGBEN_RULING_DAYS, step="zhongben_ruling")
    yield from finish(ctx, case, Outcome.ZHONGBEN)
