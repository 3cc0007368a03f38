"""财产处置团队: reference price, auctions, sell-off, payment, handover (方案 三(一)2).

The plan's rules: within 15 days of receiving the file, start fixing the
reference price in the national system (议价, 定向询价, 网络询价, 委托评估), done
within 30 days as a rule; serve the report within 3 days; review objections to
it within 15 days; then the online judicial auction. The statutes supply the
rest: announcements of ≥15 days (movables) or ≥30 days (real estate) before the
1st auction (网拍规定 art. 12); a 2nd auction within 30 days with 7/15 days'
notice and a price cut of up to 20% (art. 26); then payment in kind (以物抵债)
or an online sell-off of up to 60 days (衔接通知); the buyer pays, the court
rules (拍卖变卖规定 art. 20: 10 days) and hands over (art. 27: 15 days).
A third party's objection to the property (案外人异议) holds the sale until it is
ruled on (执行异议复议规定 art. 15: 审查期间不得处分); upheld, the property is not sold.
Appraisal, auction and sell-off time do not count against the 6-month limit
(审限规定 art. 9), so those waits are marked ``excluded``.
"""

from __future__ import annotations

from sim.cases import Case
from sim.distributions import categorical_ppf
from sim.flow import records, review
from sim.flow.context import FlowContext, Step
from sim.vocab import Deadline, Decision, Delay, Milestone, PriceMethod, Ratio, Task, Team

__all__ = ["SECOND_ROUND_PRICE", "dispose"]

SECOND_ROUND_PRICE = 0.8
"""Price of the 2nd auction, sell-off and payment in kind against the reference price:
the largest cut the statute allows (网拍规定 art. 26: ≤20%), which courts routinely take."""

_PRICE_DELAY = {
    PriceMethod.NEGOTIATION: Delay.NEGOTIATION_DAYS,
    PriceMethod.DIRECTED: Delay.DIRECTED_PRICE_DAYS,
    PriceMethod.ONLINE: Delay.ONLINE_PRICE_DAYS,
    PriceMethod.APPRAISAL: Delay.APPRAISAL_DAYS,
}


def dispose(ctx: FlowContext, case: Case) -> Step:
    """Turn the case's property into money; returns the proceeds (yuan), the 执行申请费 still in them."""
    team = ctx.scenario.organisation.team_for(Team.ASSET_DISPOSAL)
    handling_team = case.team if case.team is not None else team
    yield from ctx.reform.transfer(case, handling_team, team)  # the file comes over (sim.flow.mechanisms)
    case.stage = "asset_disposal:price"
    ctx.mark(case, Milestone.RECEIVED, team)
    # 收到卷宗之日起15日内启动, 30日内完成 the reference price.
    ctx.clocks.start(case, Deadline.PRICE_START)
    ctx.clocks.start(case, Deadline.PRICE_DONE)
    yield from ctx.reform.take_up(case, handling_team, team)  # in-tray, reading, a flaw sent back
    yield from ctx.work(case, Task.PRICE_FILE, team)
    ctx.clocks.end(case, Deadline.PRICE_START)
    yield from _reference_price(ctx, case)
    ctx.clocks.end(case, Deadline.PRICE_DONE)
    yield from _serve_report(ctx, case, team)
    records.hand_over(ctx, case)  # 询价、评估报告、通知书 …
    if ctx.decide(case, Decision.OBJECTION, ctx.scenario.probabilities.objection_rate):
        ctx.spawn(review.objection(ctx, case))  # enforcement does not stop (执行程序解释 art. 9)

    value = case.owed_cny * ctx.book.ratio(Ratio.PROPERTY_VALUE_RATIO, case)  # as seized (complex_track)
    released = False
    if ctx.decide(case, Decision.THIRD_PARTY, ctx.scenario.probabilities.third_party_objection_rate):
        # 处分 (the sale) waits for the review; pricing, which disposes of nothing, went ahead.
        case.stage = "asset_disposal:third_party"
        released = yield from review.third_party(ctx, case)
    if released:
        price = 0.0  # 裁定中止对该标的的执行 (CPL 2023 art. 238): nothing is sold
        ctx.mark(case, Milestone.THIRD_PARTY_UPHELD, team)
    else:
        price, in_kind = yield from _sell(ctx, case, team)
        if price == 0.0:
            ctx.mark(case, Milestone.UNSOLD, team)
        else:
            yield from _complete_sale(ctx, case, team, buyer_pays=not in_kind)
    # 处置款 (or the unsold file) goes back to the handling team for payout or 终本.
    yield from ctx.reform.transfer(case, team, handling_team)
    ctx.mark(case, Milestone.RECEIVED, case.team)
    yield from ctx.reform.take_up(case, team, handling_team)
    return min(case.owed_cny, price * value)


def _reference_price(ctx: FlowContext, case: Case) -> Step:
    probs = ctx.scenario.probabilities
    u = ctx.book.decisions[Decision.PRICE_METHOD][case.row : case.row + 1]
    method = PriceMethod(categorical_ppf(probs.price_method, u)[0])
    appraisal = method is PriceMethod.APPRAISAL  # 委托评估 time does not count (审限规定 art. 9)
    yield from ctx.wait(case, _PRICE_DELAY[method], step=f"price_{method}", excluded=appraisal)
    if method is PriceMethod.ONLINE and ctx.decide(case, Decision.PRICE_EXTENSION, probs.online_price_extension_rate):
        yield from ctx.wait(case, Delay.ONLINE_PRICE_DAYS, step="price_online_extension")


def _serve_report(ctx: FlowContext, case: Case, team: Team) -> Step:
    """Serve the price report within 3 days; objections reviewed within 15 days."""
    case.stage = "asset_disposal:report"
    # 3日内…送达: the clock runs to delivery, not to sending.
    ctx.clocks.start(case, Deadline.REPORT_SERVICE)
    yield from ctx.work(case, Task.REPORT_SERVICE, team)
    yield from ctx.wait(case, Delay.REPORT_SERVICE_DAYS, step="report_delivery")
    ctx.clocks.end(case, Deadline.REPORT_SERVICE)
    yield from ctx.wait(case, Delay.PRICE_OBJECTION_WINDOW_DAYS, step="price_objection_window")
    if ctx.decide(case, Decision.PRICE_OBJECTION, ctx.scenario.probabilities.price_objection_rate):
        # The 15 days span the appraiser's written answer (参考价规定 art. 23) and the review.
        ctx.clocks.start(case, Deadline.PRICE_OBJECTION)
        yield from ctx.wait(case, Delay.APPRAISER_REPLY_DAYS, step="appraiser_reply")
        yield from ctx.work(case, Task.PRICE_OBJECTION_REVIEW, team)
        ctx.clocks.end(case, Deadline.PRICE_OBJECTION)


def _sell(ctx: FlowContext, case: Case, team: Team) -> Step:
    """Auction, re-auction, payment in kind, sell-off.

    Returns the price as a share of the reference price (0 if nothing sold) and
    whether the creditor took the property in payment.
    """
    probs = ctx.scenario.probabilities
    real_estate = ctx.decide(case, Decision.REAL_ESTATE, probs.real_estate_rate)
    defaulted = ctx.decide(case, Decision.BUYER_DEFAULT, probs.buyer_default_rate)
    case.stage = "asset_disposal:auction"
    yield from ctx.work(case, Task.AUCTION_LISTING, team)
    first = Delay.ANNOUNCEMENT_REAL_ESTATE_DAYS if real_estate else Delay.ANNOUNCEMENT_MOVABLE_DAYS
    yield from ctx.wait(case, first, step="auction_announcement", excluded=True)
    yield from ctx.wait(case, Delay.AUCTION_DAYS, step="auction_1", excluded=True)
    if ctx.decide(case, Decision.AUCTION1, probs.auction_first_sale_rate) and not defaulted:
        return 1.0, False
    # 流拍 (or 悔拍): re-auction within 30 days at up to 20% less (art. 26). The team
    # prepares the new listing at once and has it published (the relist delay) in time
    # for the 2nd auction to open, after its notice, by the 30th day: only the team's
    # own backlog can make it late.
    due = ctx.clocks.start(case, Deadline.REAUCTION)
    yield from ctx.work(case, Task.AUCTION_LISTING, team)
    second = Delay.SECOND_ANNOUNCEMENT_REAL_ESTATE_DAYS if real_estate else Delay.SECOND_ANNOUNCEMENT_MOVABLE_DAYS
    notice = ctx.book.days(second, case, case.next_index(second))
    relist = ctx.book.days(Delay.RELIST_DAYS, case, case.next_index(Delay.RELIST_DAYS))
    latest = due - ctx.env.now - notice - 0.5
    yield from ctx.wait(case, Delay.RELIST_DAYS, days=max(min(relist, latest), 0.0), step="relist", excluded=True)
    yield from ctx.wait(case, second, days=notice, step="auction_announcement", excluded=True)
    ctx.clocks.end(case, Deadline.REAUCTION)
    yield from ctx.wait(case, Delay.AUCTION_DAYS, step="auction_2", excluded=True)
    if ctx.decide(case, Decision.AUCTION2, probs.auction_second_sale_rate):
        return SECOND_ROUND_PRICE, False
    # Ask the creditors within 10 days whether they take the property in payment.
    case.stage = "asset_disposal:in_kind"
    yield from ctx.work(case, Task.IN_KIND_OFFER, team)
    yield from ctx.wait(case, Delay.IN_KIND_REPLY_DAYS, step="in_kind_reply", excluded=True)
    if ctx.decide(case, Decision.IN_KIND, probs.in_kind_rate):
        ctx.mark(case, Milestone.IN_KIND, team)
        return SECOND_ROUND_PRICE, True
    # 变卖 on the same platform, listed within 15 days, open up to 60 days.
    case.stage = "asset_disposal:selloff"
    yield from ctx.wait(case, Delay.SELLOFF_LISTING_DAYS, step="selloff_listing", excluded=True)
    if ctx.decide(case, Decision.SELLOFF, probs.selloff_rate):
        yield from ctx.wait(case, Delay.SELLOFF_DAYS, step="selloff", excluded=True)
        return SECOND_ROUND_PRICE, False
    period = ctx.scenario.delays.selloff_period_days  # nothing sold: the whole period ran out
    yield from ctx.wait(case, Delay.SELLOFF_DAYS, days=period, step="selloff", excluded=True)
    return 0.0, False


def _complete_sale(ctx: FlowContext, case: Case, team: Team, *, buyer_pays: bool) -> Step:
    """Balance payment, the sale ruling within 10 days, handover within 15 days."""
    case.stage = "asset_disposal:handover"
    if buyer_pays:
        yield from ctx.wait(case, Delay.BALANCE_PAYMENT_DAYS, step="balance_payment", excluded=True)
    # 价款全额交付后十日内…送达: the 10 days run to the ruling's delivery.
    ctx.clocks.start(case, Deadline.SALE_RULING)
    yield from ctx.work(case, Task.SALE_RULING, team)
    yield from ctx.wait(case, Delay.SERVICE_DAYS, step="sale_ruling_service")
    ctx.clocks.end(case, Deadline.SALE_RULING)
    # The handling team's officer and bailiffs hand over: the disposal team has no bailiffs.
    yield from ctx.work(case, Task.HANDOVER, deadline=Deadline.HANDOVER)
    records.hand_over(ctx, case)
