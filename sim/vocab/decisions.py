"""What chance decides about a case, each drawn before the run from its own stream.

Every decision is a stream ``case.<value>`` of uniforms, one per case row
(:func:`sim.cases.generate_cases`), compared with the scenario's probability
when the case gets there. Adding a decision adds a stream and shifts no other:
the streams are named (:mod:`sim.streams`).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Decision", "Ratio"]


class Decision(StrEnum):
    """Every per-case chance decision; each has its own stream ``case.<value>``."""

    # drawn when the cases are generated
    CASE_TYPE = "case_type"  # 首执, 执恢 or 执保 (arrivals.case_mix)
    BEHAVIOUR = "behaviour"  # a behaviour case (腾退、交付)
    RELATED = "related"  # related to an earlier filing (same debtor)
    RELATED_PICK = "related_pick"  # which earlier filing
    LABELLED = "labelled"  # 涉营商环境、涉党政机关、涉黑恶
    CLAIM = "claim"  # the amount claimed
    # 前置团队
    FILING = "filing"  # rejected, returned for correction, or in order
    FREEZE = "freeze"  # the online inquiry freezes all, part or none of the claim
    FREEZE_SHARE = "freeze_share"  # how much, when part
    SMALL_CLOSABLE = "small_closable"  # a small claim closable within 45 days (triage)
    BEHAVIOUR_SIMPLE = "behaviour_simple"  # a simple behaviour case (triage)
    # 快执/精执
    VOLUNTARY = "voluntary"  # pays after the notice
    MISSING = "missing"  # cannot be found: public notice
    DEBTOR_FOUND = "debtor_found"  # the search after the notice finds the missing debtor
    STAY = "stay"  # 暂缓执行 on security (民诉法解释 art. 467)
    PROPERTY = "property"  # the investigation finds disposable property
    REAL_ESTATE = "real_estate"  # the property is real estate
    PROPERTY_VALUE = "property_value"  # its value against the claim
    LEAD_GIVEN = "lead_given"  # the applicant gives a lead
    LEAD_USEFUL = "lead_useful"  # the lead finds property
    SETTLEMENT = "settlement"  # the parties settle
    SETTLEMENT_SHARE = "settlement_share"  # how much the settlement pays
    DISHONEST = "dishonest"  # a ground for 纳失 exists (失信规定 art. 1)
    DETENTION = "detention"
    CRIMINAL = "criminal"  # 拒执罪 referral
    CREDITORS = "creditors"  # several creditors: a distribution plan
    BEHAVIOUR_SUCCESS = "behaviour_success"
    ENDING = "ending"  # 终结执行, 不予执行 or 销案
    # 财产处置团队 and 执行审查团队
    OBJECTION = "objection"  # 执行异议
    HEARING = "hearing"  # the objection is heard (听证) rather than reviewed in writing
    RECONSIDERATION = "reconsideration"  # 复议
    PRICE_OBJECTION = "price_objection"
    PRICE_EXTENSION = "price_extension"  # online pricing extended
    PRICE_METHOD = "price_method"  # which way the reference price is fixed
    AUCTION1 = "auction1"  # the 1st auction sells
    AUCTION2 = "auction2"  # the 2nd auction sells
    IN_KIND = "in_kind"  # the creditor takes the property in payment
    SELLOFF = "selloff"  # the sell-off sells
    BUYER_DEFAULT = "buyer_default"  # 悔拍
    THIRD_PARTY = "third_party"  # a 案外人异议 to the seized property (CPL 2023 art. 238)
    THIRD_PARTY_UPHELD = "third_party_upheld"  # the objection is upheld: the property is not disposed of
    # 精执's options before a 终本 (方案 三(二)2; 终本规定 art. 3)
    REWARD = "reward"  # 悬赏执行 used for the case
    REWARD_FINDS = "reward_finds"  # the reward brings a lead to property
    AUDIT = "audit"  # 审计执行 used for the case
    AUDIT_FINDS = "audit_finds"  # the audit finds property
    # after 终本
    RESUME = "resume"  # a re-query finds property
    RESUME_REFUSED = "resume_refused"  # 恢复执行审查 refuses the request to resume


class Ratio(StrEnum):
    """Amounts drawn as shares of a claim (the ``[amounts]`` ratios), each from a decision's uniform."""

    PARTIAL_FREEZE_SHARE = "partial_freeze_share"  # frozen ÷ claim when the freeze is partial
    PROPERTY_VALUE_RATIO = "property_value_ratio"  # realisable value of found property ÷ claim
    SETTLEMENT_SHARE = "settlement_share"  # paid under a settlement ÷ outstanding claim
