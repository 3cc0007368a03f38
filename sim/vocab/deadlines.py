"""The deadlines of the plan and the statutes, each tracked per case as a clock (an SLA).

Every deadline is a field of the scenario's ``[deadlines]`` table (its length and
day-counting basis), a clock the flows start and stop at the events the plan or
the statute names, and a row of the on-time table (各节点按期完成率) under the
names below.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from sim.vocab._complete import require_complete

__all__ = ["DEADLINE_NAMES", "DEADLINE_STARTS", "RECEIPT_DEADLINES", "RECEIPT_STARTS", "Deadline", "ReceiptBasis"]


class Deadline(StrEnum):
    """Every deadline clock (the ``[deadlines]`` table), in the order reports list them."""

    VERIFY_FILING = "verify_filing"
    FIRST_CONTACT = "first_contact"
    STANDARD_DOCUMENTS = "standard_documents"
    RECORDS_HANDOVER = "records_handover"
    SCAN = "scan"
    SERVE = "serve"
    FAST_DISPOSAL_START = "fast_disposal_start"
    FAST_CLOSE = "fast_close"
    INVESTIGATION = "investigation"
    LEAD_CHECK = "lead_check"
    DISPOSAL_START = "disposal_start"
    DISHONEST_LISTING = "dishonest_listing"
    CRIMINAL_REFERRAL = "criminal_referral"
    PRICE_START = "price_start"
    PRICE_DONE = "price_done"
    REPORT_SERVICE = "report_service"
    PRICE_OBJECTION = "price_objection"
    OBJECTION = "objection"
    THIRD_PARTY_OBJECTION = "third_party_objection"  # 案外人异议 reviewed within 15 days (CPL 2023 art. 238)
    SALE_RULING = "sale_ruling"
    HANDOVER = "handover"
    REAUCTION = "reauction"  # 2nd auction within 30 days of the 1st failing (网拍规定 art. 26)
    PAYOUT = "payout"
    EXECUTION_LIMIT = "execution_limit"  # 6 months (审限规定 art. 5), exclusions applied in metrics


DEADLINE_NAMES: Mapping[Deadline, tuple[str, str]] = {
    Deadline.VERIFY_FILING: ("立案信息核对", "filing data checked"),
    Deadline.FIRST_CONTACT: ("初次接待申请人", "first contact with the applicant"),
    Deadline.STANDARD_DOCUMENTS: ("制作统一制式法律文书", "standard documents issued"),
    Deadline.RECORDS_HANDOVER: ("移交卷宗管理中心", "papers handed to the records centre"),
    Deadline.SCAN: ("卷宗扫描上传", "papers scanned and uploaded"),
    Deadline.SERVE: ("送达法律文书", "documents served on the debtor"),
    Deadline.FAST_DISPOSAL_START: ("快执启动财产处置", "fast track: disposal started"),
    Deadline.FAST_CLOSE: ("简案45日内结案", "simple case closed (45 days)"),
    Deadline.INVESTIGATION: ("完成传统查控", "traditional investigation done"),
    Deadline.LEAD_CHECK: ("核实财产线索", "applicant's lead verified"),
    Deadline.DISPOSAL_START: ("启动评估拍卖", "appraisal/auction started"),
    Deadline.DISHONEST_LISTING: ("纳入失信名单", "listed as dishonest debtor"),
    Deadline.CRIMINAL_REFERRAL: ("移送拒执犯罪线索", "refusal-to-enforce referral"),
    Deadline.PRICE_START: ("启动确定参考价", "reference price started"),
    Deadline.PRICE_DONE: ("完成确定参考价", "reference price fixed"),
    Deadline.REPORT_SERVICE: ("送达评估报告", "price report served"),
    Deadline.PRICE_OBJECTION: ("审查参考价异议", "price objection reviewed"),
    Deadline.OBJECTION: ("执行异议审查", "enforcement objection ruled"),
    Deadline.THIRD_PARTY_OBJECTION: ("案外人异议审查", "third-party objection ruled"),
    Deadline.SALE_RULING: ("作出成交裁定", "sale confirmation ruling"),
    Deadline.HANDOVER: ("交付拍卖财产", "sold property handed over"),
    Deadline.REAUCTION: ("流拍后30日内再次拍卖", "re-auction within 30 days"),
    Deadline.PAYOUT: ("执行款发放", "collected money paid out"),
    Deadline.EXECUTION_LIMIT: ("法定执行期限", "6-month enforcement limit"),
}
"""Chinese and English names of each deadline, as the reports print them."""

require_complete(DEADLINE_NAMES, Deadline, "DEADLINE_NAMES")


class ReceiptBasis(StrEnum):
    """Where a clock worded "收案后" starts (``policy.receipt_basis``).

    The plan says 收案 both for the front-end team, which receives the case on the day
    it is filed, and for the implementation teams ("在收案后10日内…送达", "收案45日内结案").
    In court usage 收案 is the court's acceptance of the case, the day it is filed (立案):
    收案数 in every statistic counts filings. So by default such a clock runs from filing;
    ``team`` measures it from the day the implementation team received the case, which
    leaves out the time at the front end (docs/legal.md §4).
    """

    FILING = "filing"  # 立案
    TEAM = "team"  # the implementation team's receipt


RECEIPT_DEADLINES: tuple[Deadline, ...] = (
    Deadline.SERVE,
    Deadline.FAST_DISPOSAL_START,
    Deadline.FAST_CLOSE,
    Deadline.INVESTIGATION,
)
"""The implementation teams' clocks the plan words "收案后" / "收案…内" (方案 三(二)1–2)."""

RECEIPT_STARTS: Mapping[ReceiptBasis, tuple[str, str]] = {
    ReceiptBasis.FILING: ("立案（收案）", "filing (收案)"),
    ReceiptBasis.TEAM: ("团队收案", "team's receipt"),
}

DEADLINE_STARTS: Mapping[Deadline, tuple[str, str]] = {
    Deadline.VERIFY_FILING: ("前置团队收案", "front end's receipt"),
    Deadline.FIRST_CONTACT: ("前置团队收案", "front end's receipt"),
    Deadline.STANDARD_DOCUMENTS: ("前置团队收案", "front end's receipt"),
    Deadline.RECORDS_HANDOVER: ("形成纸质材料", "paper produced"),
    Deadline.SCAN: ("材料移交", "paper handed over"),
    Deadline.SERVE: RECEIPT_STARTS[ReceiptBasis.FILING],
    Deadline.FAST_DISPOSAL_START: RECEIPT_STARTS[ReceiptBasis.FILING],
    Deadline.FAST_CLOSE: RECEIPT_STARTS[ReceiptBasis.FILING],
    Deadline.INVESTIGATION: RECEIPT_STARTS[ReceiptBasis.FILING],
    Deadline.LEAD_CHECK: ("收到线索", "lead received"),
    Deadline.DISPOSAL_START: ("首封", "first seizure"),
    Deadline.DISHONEST_LISTING: ("符合纳失条件", "grounds for listing established"),
    Deadline.CRIMINAL_REFERRAL: ("发现拒执情形", "refusal found"),
    Deadline.PRICE_START: ("收到流转材料", "file received"),
    Deadline.PRICE_DONE: ("收到流转材料", "file received"),
    Deadline.REPORT_SERVICE: ("收到评估报告", "report received"),
    Deadline.PRICE_OBJECTION: ("收到异议", "objection received"),
    Deadline.OBJECTION: ("异议立案", "objection docketed"),
    Deadline.THIRD_PARTY_OBJECTION: ("收到书面异议", "written objection received"),
    Deadline.SALE_RULING: ("价款交付", "price paid"),
    Deadline.HANDOVER: ("裁定送达", "ruling served"),
    Deadline.REAUCTION: ("流拍", "auction failed"),
    Deadline.PAYOUT: ("执行款到账", "funds arrived"),
    Deadline.EXECUTION_LIMIT: ("立案", "filing"),
}
"""The event each clock starts at, as the on-time tables name it; the 收案-worded clocks
(:data:`RECEIPT_DEADLINES`) start where ``policy.receipt_basis`` says (filing by default)."""

require_complete(DEADLINE_STARTS, Deadline, "DEADLINE_STARTS")
