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
Appraisal, auction and sell-off time do not count against the 6-month limit
(审限规定 art. 9), so those waits are marked ``excluded``.
"""

from __future__ import annotations

from sim.cases import Case
from sim.distributions import categorical_ppf
from sim.flow import records, review
from sim.flow.context import FlowContext, Step
from sim.vocab import Team

__all__ = ["SECOND_ROUND_PRICE", "dispose"]

SECOND_ROUND_PRICE = 0.8
"""Price of the 2nd auction, sell-off and payment in kind against the reference price:
the largest cut the statute allows (网拍规定 art. 26: ≤20%), which courts routinely take."""

_PRICE_DELAY = {
    "negotiation": "negotiation_days",
    "directed": "directed_price_days",
    "online": "online_price_days",
    "appraisal": "appraisal_days",
}


def dispose(ctx: FlowContext, case: Case) -> Step:
    """Turn the case's property into money; returns the proceeds for the applicant (yuan)."""
    team = ctx.scenario.organisation.team_for(Team.ASSET_DISPOSAL)
    case.stage = "asset_disposal:price"
    ctx.mark(case, "received", team)
    ctx.start_sla(case, "price_start")
    ctx.start_sla(case, "price_done")
    yield from ctx.work(case, "price_file", team)
    ctx.end_sla(case, "price_start")
    yield from _reference_price(ctx, case)
    ctx.end_sla(case, "price_done")
    yield from _serve_report(ctx, case, team)
    records.hand_over(ctx, case)  # 询价、评估报告、通知书 …
    if ctx.decide(case, "objection", ctx.scenario.probabilities.objection_rate):
        ctx.spawn(review.objection(ctx, case))  # enforcement does not stop (执行程序解释 art. 9)

    value = case.outstanding_cny * ctx.book.ratio("property_value_ratio", case)
    price, in_kind = yield from _sell(ctx, case, team)
    if price == 0.0:
        ctx.mark(case, "unsold", team)
    else:
        yield from _complete_sale(ctx, case, team, buyer_pays=not in_kind)
    # 处置款 (or the unsold file) goes back to the handling team for payout or 终本.
    ctx.mark(case, "received", case.team)
    return min(case.outstanding_cny, price * value)


def _reference_price(ctx: FlowContext, case: Case) -> Step:
    probs = ctx.scenario.probabilities
    u = ctx.book.decisions["price_method"][case.row : case.row + 1]
    method = str(categorical_ppf(probs.price_method, u)[0])
    yield from ctx.wait(case, _PRICE_DELAY[method], step=f"price_{method}", excluded=method == "appraisal")
    if method == "online" and ctx.decide(case, "price_extension", probs.online_price_extension_rate):
        yield from ctx.wait(case, "online_price_days", step="price_online_extension")


def _serve_report(ctx: FlowContext, case: Case, team: Team) -> Step:
    """Serve the price report within 3 days; objections reviewed within 15 days."""
    case.stage = "asset_disposal:report"
    ctx.start_sla(case, "report_service")
    yield from ctx.work(case, "report_service", team)
    ctx.end_sla(case, "report_service")
    yield from ctx.wait(case, "report_service_days", step="report_delivery")
    yield from ctx.wait(case, "price_objection_window_days", step="price_objection_window")
    if ctx.decide(case, "price_objection", ctx.scenario.probabilities.price_objection_rate):
        ctx.start_sla(case, "price_objection")
        yield from ctx.work(case, "price_objection_review", team)
        ctx.end_sla(case, "price_objection")


def _sell(ctx: FlowContext, case: Case, team: Team) -> Step:
    """Auction, re-auction, payment in kind, sell-off.

    Returns the price as a share of the reference price (0 if nothing sold) and
    whether the creditor took the property in payment.
    """
    probs = ctx.scenario.probabilities
    real_estate = ctx.decide(case, "real_estate", probs.real_estate_rate)
    kind = "real_estate" if real_estate else "movable"
    defaulted = ctx.decide(case, "buyer_default", probs.buyer_default_rate)
    case.stage = "asset_disposal:auction"
    yield from ctx.work(case, "auction_listing", team)
    yield from ctx.wait(case, f"announcement_{kind}_days", step="auction_announcement", excluded=True)
    yield from ctx.wait(case, "auction_days", step="auction_1", excluded=True)
    if ctx.decide(case, "auction1", probs.auction_first_sale_rate) and not defaulted:
        return 1.0, False
    # 流拍 (or 悔拍): re-auction within 30 days at up to 20% less.
    yield from ctx.wait(case, "relist_days", step="relist", excluded=True)
    yield from ctx.work(case, "auction_listing", team)
    yield from ctx.wait(case, f"second_announcement_{kind}_days", step="auction_announcement", excluded=True)
    yield from ctx.wait(case, "auction_days", step="auction_2", excluded=True)
    if ctx.decide(case, "auction2", probs.auction_second_sale_rate):
        return SECOND_ROUND_PRICE, False
    # Ask the creditors within 10 days whether they take the property in payment.
    case.stage = "asset_disposal:in_kind"
    yield from ctx.work(case, "in_kind_offer", team)
    yield from ctx.wait(case, "in_kind_reply_days", step="in_kind_reply", excluded=True)
    if ctx.decide(case, "in_kind", probs.in_kind_rate):
        ctx.mark(case, "in_kind", team)
        return SECOND_ROUND_PRICE, True
    # 变卖 on the same platform, listed within 15 days, open up to 60 days.
    case.stage = "asset_disposal:selloff"
    yield from ctx.wait(case, "selloff_listing_days", step="selloff_listing", excluded=True)
    if ctx.decide(case, "selloff", probs.selloff_rate):
        yield from ctx.wait(case, "selloff_days", step="selloff", excluded=True)
        return SECOND_ROUND_PRICE, False
    yield from ctx.wait(
        case, "selloff_days", days=ctx.scenario.delays.selloff_period_days, step="selloff", excluded=True
    )
    return 0.0, False


def _complete_sale(ctx: FlowContext, case: Case, team: Team, *, buyer_pays: bool) -> Step:
    """Balance payment, the sale ruling within 10 days, handover within 15 days."""
    case.stage = "asset_disposal:handover"
    if buyer_pays:
        yield from ctx.wait(case, "balance_payment_days", step="balance_payment", excluded=True)
    ctx.start_sla(case, "sale_ruling")
    yield from ctx.work(case, "sale_ruling", team)
    ctx.end_sla(case, "sale_ruling")
    # The handling team's officer and bailiffs hand over: the disposal team has no bailiffs.
    ctx.start_sla(case, "handover")
    yield from ctx.work(case, "handover")
    ctx.end_sla(case, "handover")
    records.hand_over(ctx, case)
