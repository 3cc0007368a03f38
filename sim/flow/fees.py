"""执行申请费: the enforcement fee, deducted from the money collected before the applicant is paid.

诉讼费用交纳办法 (国务院令第481号, 2007) art. 14(1) charges an enforcement application by
bands of the 执行金额 (cumulative, like an income tax): 50 yuan up to 10,000, then 1.5%
of the part to 500,000, 1% to 5,000,000, 0.5% to 10,000,000 and 0.1% above. Art. 20:
the fee is paid after enforcement (执行后交纳), not advanced by the applicant; art. 38:
the debtor bears it. So the court takes it from the first money it collects
(民诉法解释 arts. 508, 514: 扣除执行费用; 方案 三(二)1: 扣除执行费后支付申请人), never
more than it collected. Which amount the bands apply to is ``policy.execution_fee_basis``:
the amount claimed (the text's 执行金额, default) or what is collected.
"""

from __future__ import annotations

from sim.cases import Case
from sim.config.schema import Policy

__all__ = ["FEE_BANDS", "MINIMUM_FEE_CNY", "application_fee", "fee_share"]

MINIMUM_FEE_CNY = 50.0
"""Art. 14(1): 执行金额或者价额不超过1万元的，每件交纳50元."""

FEE_BANDS: tuple[tuple[float, float, float], ...] = (
    (10_000.0, 500_000.0, 0.015),
    (500_000.0, 5_000_000.0, 0.01),
    (5_000_000.0, 10_000_000.0, 0.005),
    (10_000_000.0, float("inf"), 0.001),
)
"""Art. 14(1): (lower, upper, rate) of each band above the first 10,000 yuan."""


def application_fee(amount_cny: float) -> float:
    """The fee (yuan) of art. 14(1) for an enforcement of ``amount_cny``; 0 for no amount.

    A case with no amount (a behaviour case) owes 50–500 yuan by the court's choice,
    paid otherwise than from money collected (there is none): not modelled.
    """
    if amount_cny <= 0.0:
        return 0.0
    fee = MINIMUM_FEE_CNY
    for lower, upper, rate in FEE_BANDS:
        if amount_cny <= lower:
            break
        fee += (min(amount_cny, upper) - lower) * rate
    return fee


def fee_share(case: Case, amount_cny: float, policy: Policy) -> float:
    """How much of ``amount_cny`` collected now for ``case`` goes to the fee (yuan).

    On the claimed basis the fee due is fixed at filing (``case.fee_due_cny``); on the
    collected basis it is the fee of all the applicant has received, this payment
    included, less what was paid before (found by a few fixed-point steps: the fee
    takes at most 1.5% of a payment, so they converge at once).
    """
    if not policy.execution_fee or amount_cny <= 0.0:
        return 0.0
    if policy.execution_fee_basis == "claimed":
        due = case.fee_due_cny - case.fee_paid_cny
    else:
        due = 0.0
        for _ in range(4):
            applicant = min(case.recovered_cny + amount_cny - due, case.claim_cny)
            due = max(application_fee(applicant) - case.fee_paid_cny, 0.0)
    return min(max(due, 0.0), amount_cny)
