"""What happens to a case, step by step: staff tasks, outside delays, milestones.

A step of a case is one of three kinds (see :mod:`sim.flow.context`): a **task**
holds staff for its effort, an outside **delay** holds nobody, a **milestone** is
an instant. Their names here are the field names of the scenario's ``[tasks]``
and ``[delays]`` tables and the ``step`` column of the event log, so a name the
flows use and the scenario lacks is an error when ``sim.config.schema`` is
imported, not a ``KeyError`` in the middle of a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final, Literal

from sim.vocab._complete import require_complete
from sim.vocab.court import Team
from sim.vocab.deadlines import Deadline

__all__ = ["DELAY_ZH", "HANDLING", "TASK_FUNCTION", "TASK_ZH", "Delay", "Handling", "Milestone", "PriceMethod", "Task"]


class Task(StrEnum):
    """Every kind of staff work in the plan (the ``[tasks]`` table)."""

    # 前置团队 (方案 三(一)1)
    VERIFY_FILING = "verify_filing"  # 立案信息核对
    FIRST_CONTACT = "first_contact"  # 初次接待
    STANDARD_DOCUMENTS = "standard_documents"  # 统一制式法律文书、网络查控
    TRIAGE = "triage"  # 查控结果分析、繁简分流
    ZHONGBEN_CHECK = "zhongben_check"  # 终结本次执行案件核查: the 终本 file checked before a 执恢 is filed
    RESUME_REVIEW = "resume_review"  # 恢复执行审查
    # 快执/精执 (方案 三(二))
    SERVE_DOCUMENTS = "serve_documents"  # 送达文书
    PUBLIC_NOTICE = "public_notice"  # 公告送达: drafting and publishing the notice
    DEBTOR_SEARCH = "debtor_search"  # 查找下落不明的被执行人
    DEBTOR_INTERVIEW = "debtor_interview"  # 询问被执行人
    DEDUCT_PAYOUT = "deduct_payout"  # 扣划发放
    FIELD_INVESTIGATION = "field_investigation"  # 传统调查（外出）
    LEAD_CHECK = "lead_check"  # 核实财产线索
    SEIZURE = "seizure"  # 查封、扣押 (首封): from it the 30 days to start the disposal run
    CONSUMPTION_RESTRICTION = "consumption_restriction"  # 限制消费
    DISHONEST_LISTING = "dishonest_listing"  # 纳入失信
    DETENTION = "detention"  # 拘留、搜查
    CRIMINAL_REFERRAL = "criminal_referral"  # 移送拒执
    DISTRIBUTION_PLAN = "distribution_plan"  # 分配方案
    BEHAVIOUR_ENFORCEMENT = "behaviour_enforcement"  # 腾退、交付
    PANEL_REVIEW = "panel_review"  # 合议庭评议
    SETTLEMENT_RECORD = "settlement_record"  # 和解笔录
    ZHONGBEN_INTERVIEW = "zhongben_interview"  # 终本约谈
    PRE_SALE_INQUIRY = "pre_sale_inquiry"  # 变价前调查: title, co-owners, charges, occupation … (方案 三(二)2)
    REWARD_NOTICE = "reward_notice"  # 悬赏执行 (an option: policy.reward_notice)
    AUDIT = "audit"  # 审计执行 (an option: policy.audit)
    DISPOSAL_REFERRAL = "disposal_referral"  # 移送财产处置
    SIGN_OFF = "sign_off"  # 签发: the handling team's judge signs a ruling or decision (以法官为主导)
    # 财产处置团队 (方案 三(一)2)
    PRICE_FILE = "price_file"  # 评估/询价材料
    REPORT_SERVICE = "report_service"  # 送达评估报告
    PRICE_OBJECTION_REVIEW = "price_objection_review"  # 审查参考价异议
    AUCTION_LISTING = "auction_listing"  # 网拍挂拍
    IN_KIND_OFFER = "in_kind_offer"  # 以物抵债询问
    SALE_RULING = "sale_ruling"  # 成交裁定
    HANDOVER = "handover"  # 交付 (by the handling team's officer and bailiffs)
    # 卷宗管理中心 (方案 三(一)3)
    SCAN = "scan"  # 扫描上传
    ARCHIVE = "archive"  # 归档
    PAPER_HANDOVER = "paper_handover"  # 接收材料登记: a day's hand-over registered on receipt
    NODE_MONITORING = "node_monitoring"  # 重要节点实时监控: per open case, each monitoring round
    RECORDS_REPORT = "records_report"  # 定期通报 of the monitoring
    FILE_LENDING = "file_lending"  # 借出、借阅、复制登记: per request
    # 执行审查团队 (方案 三(三))
    OBJECTION_HEARING = "objection_hearing"  # 异议听证、裁定
    PANEL_MEMBER = "panel_member"  # a judge of another team on the 合议庭 (异议复议规定 art. 11)
    THIRD_PARTY_REVIEW = "third_party_review"  # 案外人异议审查、裁定 (CPL 2023 art. 238)
    # "三统一"管理团队 (方案 三(一)4)
    PRESERVATION = "preservation"  # 保全
    COMMISSIONED = "commissioned"  # 委托事项
    PETITION = "petition"  # 信访
    MONTHLY_REPORT = "monthly_report"  # 月报
    QUARTERLY_REPORT = "quarterly_report"  # 季报
    PLATFORM_DUTY = "platform_duty"  # 执行指挥平台事务办理: each working day
    DATA_REPORT = "data_report"  # 上报数据统计报送: per request of a higher court or authority
    # 快执/精执 again: the handling clerk's 结案 formalities
    CLOSING = "closing"  # 结案手续
    # A case changing hands between teams (the reform's mechanisms, sim.flow.mechanisms)
    READ_FILE = "read_file"  # 阅卷: the receiving team reads the file it was handed
    REWORK = "rework"  # 补正: the previous step, found unfinished or flawed, is put right (方案 二.4)


Handling = Literal["handling"]
HANDLING: Final[Handling] = "handling"
"""The handling team of the case (快执 or 精执), whose officer is the case's 承办人."""

TASK_FUNCTION: Mapping[Task, Team | Handling] = {
    Task.VERIFY_FILING: Team.INTAKE,
    Task.FIRST_CONTACT: Team.INTAKE,
    Task.STANDARD_DOCUMENTS: Team.INTAKE,
    Task.TRIAGE: Team.INTAKE,
    Task.ZHONGBEN_CHECK: Team.INTAKE,
    Task.RESUME_REVIEW: Team.INTAKE,
    Task.SERVE_DOCUMENTS: HANDLING,
    Task.PUBLIC_NOTICE: HANDLING,
    Task.DEBTOR_SEARCH: HANDLING,
    Task.DEBTOR_INTERVIEW: HANDLING,
    Task.DEDUCT_PAYOUT: HANDLING,
    Task.FIELD_INVESTIGATION: HANDLING,
    Task.LEAD_CHECK: HANDLING,
    Task.SEIZURE: HANDLING,
    Task.CONSUMPTION_RESTRICTION: HANDLING,
    Task.DISHONEST_LISTING: HANDLING,
    Task.DETENTION: HANDLING,
    Task.CRIMINAL_REFERRAL: HANDLING,
    Task.DISTRIBUTION_PLAN: HANDLING,
    Task.BEHAVIOUR_ENFORCEMENT: HANDLING,
    Task.PANEL_REVIEW: HANDLING,
    Task.SETTLEMENT_RECORD: HANDLING,
    Task.ZHONGBEN_INTERVIEW: HANDLING,
    Task.PRE_SALE_INQUIRY: HANDLING,
    Task.REWARD_NOTICE: HANDLING,
    Task.AUDIT: HANDLING,
    Task.DISPOSAL_REFERRAL: HANDLING,
    Task.SIGN_OFF: HANDLING,
    Task.HANDOVER: HANDLING,
    Task.CLOSING: HANDLING,
    Task.PRICE_FILE: Team.ASSET_DISPOSAL,
    Task.REPORT_SERVICE: Team.ASSET_DISPOSAL,
    Task.PRICE_OBJECTION_REVIEW: Team.ASSET_DISPOSAL,
    Task.AUCTION_LISTING: Team.ASSET_DISPOSAL,
    Task.IN_KIND_OFFER: Team.ASSET_DISPOSAL,
    Task.SALE_RULING: Team.ASSET_DISPOSAL,
    Task.SCAN: Team.RECORDS,
    Task.ARCHIVE: Team.RECORDS,
    Task.PAPER_HANDOVER: Team.RECORDS,
    Task.NODE_MONITORING: Team.RECORDS,
    Task.RECORDS_REPORT: Team.RECORDS,
    Task.FILE_LENDING: Team.RECORDS,
    Task.OBJECTION_HEARING: Team.REVIEW,
    Task.PANEL_MEMBER: Team.REVIEW,  # done by judges of other teams (sim.flow.review)
    Task.THIRD_PARTY_REVIEW: Team.REVIEW,
    Task.PRESERVATION: Team.OVERSIGHT,  # or the fast track: policy.preservation_team
    Task.COMMISSIONED: Team.OVERSIGHT,
    Task.PETITION: Team.OVERSIGHT,
    Task.MONTHLY_REPORT: Team.OVERSIGHT,
    Task.QUARTERLY_REPORT: Team.OVERSIGHT,
    Task.PLATFORM_DUTY: Team.OVERSIGHT,
    Task.DATA_REPORT: Team.OVERSIGHT,
    # A change of hands: done by the team that receives (reads) or sent (reworks) the case,
    # which the flows name (sim.flow.mechanisms); a handling team's officer is the handler.
    Task.READ_FILE: HANDLING,
    Task.REWORK: HANDLING,
}
"""Which function of the plan does each task: a team, or the case's handling team.

``organisation.performed_by`` then says which staffed team performs that function
(:func:`sim.config.checks.task_team`)."""

DEADLINE_FUNCTION: Mapping[Deadline, Team | Handling] = {
    Deadline.VERIFY_FILING: Team.INTAKE,
    Deadline.FIRST_CONTACT: Team.INTAKE,
    Deadline.STANDARD_DOCUMENTS: Team.INTAKE,
    Deadline.RECORDS_HANDOVER: Team.RECORDS,  # done when the centre has registered the papers
    Deadline.SCAN: Team.RECORDS,
    Deadline.SERVE: HANDLING,
    Deadline.FAST_DISPOSAL_START: HANDLING,
    Deadline.FAST_CLOSE: HANDLING,
    Deadline.INVESTIGATION: HANDLING,
    Deadline.LEAD_CHECK: HANDLING,
    Deadline.DISPOSAL_START: HANDLING,  # the handling team refers the property for disposal
    Deadline.DISHONEST_LISTING: HANDLING,
    Deadline.CRIMINAL_REFERRAL: HANDLING,
    Deadline.PRICE_START: Team.ASSET_DISPOSAL,
    Deadline.PRICE_DONE: Team.ASSET_DISPOSAL,
    Deadline.REPORT_SERVICE: Team.ASSET_DISPOSAL,
    Deadline.PRICE_OBJECTION: Team.ASSET_DISPOSAL,
    Deadline.OBJECTION: Team.REVIEW,
    Deadline.THIRD_PARTY_OBJECTION: Team.REVIEW,
    Deadline.SALE_RULING: Team.ASSET_DISPOSAL,
    Deadline.HANDOVER: Team.ASSET_DISPOSAL,
    Deadline.REAUCTION: Team.ASSET_DISPOSAL,
    Deadline.PAYOUT: HANDLING,
    Deadline.EXECUTION_LIMIT: HANDLING,
}
"""Which function of the plan answers for each deadline: the team whose task ends the clock (the
task of the same name, or the step the flow ends it after), or the case's handling team."""

require_complete(DEADLINE_FUNCTION, Deadline, "DEADLINE_FUNCTION")


class Delay(StrEnum):
    """Outside parties' delays a case waits through, holding nobody (the ``[delays]`` distributions).

    ``commissioned_days`` is a delay of the side stream of commissioned matters, drawn there
    (:mod:`sim.model`), not a case's.
    """

    FILING_CORRECTION_DAYS = "filing_correction_days"  # 立案纠正
    ONLINE_INQUIRY_DAYS = "online_inquiry_days"  # 网络查控反馈
    SERVICE_DAYS = "service_days"  # 送达
    PUBLIC_NOTICE_DAYS = "public_notice_days"  # 公告送达
    DEBTOR_SEARCH_DAYS = "debtor_search_days"  # 查找: police, registry, village answering
    VOLUNTARY_PAYMENT_DAYS = "voluntary_payment_days"  # 自动履行
    INVESTIGATION_DAYS = "investigation_days"  # 传统查控: registries, banks, villages answering
    LEAD_CHECK_DAYS = "lead_check_days"  # 线索核实
    SEIZURE_DAYS = "seizure_days"  # 查封登记: the registry records the seizure
    PRE_SALE_INQUIRY_DAYS = "pre_sale_inquiry_days"  # 变价前调查: registries, tax office, property manager answering
    REWARD_DAYS = "reward_days"  # 悬赏公告期: leads come in or not
    AUDIT_DAYS = "audit_days"  # 审计机构审计 (审限规定 art. 9 item 8: not counted)
    STAY_DAYS = "stay_days"  # 暂缓执行 on security (民诉法解释 art. 467: ≤ 1 year)
    REFERRAL_EVIDENCE_DAYS = "referral_evidence_days"  # 拒执: evidence made up for the police
    SETTLEMENT_DAYS = "settlement_days"  # 和解履行
    PAYOUT_DAYS = "payout_days"  # 执行款发放
    ZHONGBEN_RULING_DAYS = "zhongben_ruling_days"  # 终本裁定
    BEHAVIOUR_PLAN_DAYS = "behaviour_plan_days"  # 行为类执行方案
    ONLINE_PRICE_DAYS = "online_price_days"  # 网络询价
    NEGOTIATION_DAYS = "negotiation_days"  # 当事人议价
    DIRECTED_PRICE_DAYS = "directed_price_days"  # 定向询价
    APPRAISAL_DAYS = "appraisal_days"  # 委托评估
    REPORT_SERVICE_DAYS = "report_service_days"  # 送达评估报告
    PRICE_OBJECTION_WINDOW_DAYS = "price_objection_window_days"  # 参考价异议期
    APPRAISER_REPLY_DAYS = "appraiser_reply_days"  # 评估机构书面说明 (参考价规定 art. 23)
    ANNOUNCEMENT_MOVABLE_DAYS = "announcement_movable_days"  # 一拍公告（动产）
    ANNOUNCEMENT_REAL_ESTATE_DAYS = "announcement_real_estate_days"  # 一拍公告（不动产）
    SECOND_ANNOUNCEMENT_MOVABLE_DAYS = "second_announcement_movable_days"  # 二拍公告（动产）
    SECOND_ANNOUNCEMENT_REAL_ESTATE_DAYS = "second_announcement_real_estate_days"  # 二拍公告（不动产）
    RELIST_DAYS = "relist_days"  # 重新挂拍
    AUCTION_DAYS = "auction_days"  # 竞价
    IN_KIND_REPLY_DAYS = "in_kind_reply_days"  # 以物抵债答复
    SELLOFF_LISTING_DAYS = "selloff_listing_days"  # 变卖挂网
    SELLOFF_DAYS = "selloff_days"  # 变卖成交
    BALANCE_PAYMENT_DAYS = "balance_payment_days"  # 支付尾款
    OBJECTION_FILING_DAYS = "objection_filing_days"  # 异议申请
    THIRD_PARTY_FILING_DAYS = "third_party_filing_days"  # 案外人异议: papers made up and docketed
    HEARING_NOTICE_DAYS = "hearing_notice_days"  # 听证通知
    HIGHER_COURT_REVIEW_DAYS = "higher_court_review_days"  # 上级法院复议


class Milestone(StrEnum):
    """Instants the event log marks (``kind = "mark"``)."""

    RECEIVED = "received"  # a team received the case (收案)
    TRIAGED_FAST = "triaged_fast"  # 繁简分流: simple
    TRIAGED_STANDARD = "triaged_standard"  # 繁简分流: standard
    FUNDS_FROZEN = "funds_frozen"  # the online inquiry froze money
    PROPERTY_FOUND = "property_found"
    SEIZED = "seized"  # 首封: the seizure is registered; the 30-day disposal clock starts
    UNSOLD = "unsold"  # nothing sold: the file goes back unsold
    IN_KIND = "in_kind"  # 以物抵债 accepted
    OBJECTION_RULED = "objection_ruled"
    CLOSED = "closed"  # 结案
    ARCHIVED = "archived"  # 归档
    RESUMED = "resumed"  # a 终本 case's re-query found property: it resumes as 执恢
    RETURNED = "returned"  # 方案 二.4: the receiving team sent the case back to the previous step
    RESUME_REFUSED = "resume_refused"  # 恢复执行审查 refused the request: no 执恢 is filed
    THIRD_PARTY_UPHELD = "third_party_upheld"  # 案外人异议 upheld: 中止对该标的的执行 (CPL 2023 art. 238)


class PriceMethod(StrEnum):
    """How the reference price is fixed (确定参考价, 财产处置参考价规定 art. 2)."""

    NEGOTIATION = "negotiation"  # 当事人议价
    DIRECTED = "directed"  # 定向询价
    ONLINE = "online"  # 网络询价
    APPRAISAL = "appraisal"  # 委托评估


require_complete(TASK_FUNCTION, Task, "TASK_FUNCTION")


TASK_ZH: Final[Mapping[Task, str]] = {
    Task.PUBLIC_NOTICE: "公告送达",
    Task.DEBTOR_SEARCH: "查找被执行人",
    Task.SEIZURE: "查封扣押（首封）",
    Task.SIGN_OFF: "法官签发",
    Task.PAPER_HANDOVER: "接收材料登记",
    Task.PANEL_MEMBER: "合议庭成员",
    Task.READ_FILE: "阅卷",
    Task.REWORK: "补正",
    Task.VERIFY_FILING: "立案信息核对",
    Task.FIRST_CONTACT: "初次接待",
    Task.STANDARD_DOCUMENTS: "制式文书、网络查控",
    Task.TRIAGE: "查控分析、繁简分流",
    Task.RESUME_REVIEW: "恢复执行审查",
    Task.ZHONGBEN_CHECK: "终本案件核查",
    Task.PRE_SALE_INQUIRY: "变价前调查",
    Task.REWARD_NOTICE: "悬赏执行",
    Task.AUDIT: "审计执行",
    Task.NODE_MONITORING: "重要节点监控",
    Task.RECORDS_REPORT: "卷宗中心定期通报",
    Task.FILE_LENDING: "卷宗借阅登记",
    Task.THIRD_PARTY_REVIEW: "案外人异议审查",
    Task.PLATFORM_DUTY: "指挥平台事务",
    Task.DATA_REPORT: "数据统计报送",
    Task.SERVE_DOCUMENTS: "送达文书",
    Task.DEBTOR_INTERVIEW: "询问被执行人",
    Task.DEDUCT_PAYOUT: "扣划发放",
    Task.FIELD_INVESTIGATION: "传统调查（外出）",
    Task.LEAD_CHECK: "核实线索",
    Task.CONSUMPTION_RESTRICTION: "限制消费",
    Task.DISHONEST_LISTING: "纳入失信",
    Task.DETENTION: "拘留、搜查",
    Task.CRIMINAL_REFERRAL: "移送拒执",
    Task.DISTRIBUTION_PLAN: "分配方案",
    Task.BEHAVIOUR_ENFORCEMENT: "腾退、交付",
    Task.PANEL_REVIEW: "合议庭评议",
    Task.SETTLEMENT_RECORD: "和解笔录",
    Task.ZHONGBEN_INTERVIEW: "终本约谈",
    Task.DISPOSAL_REFERRAL: "移送财产处置",
    Task.PRICE_FILE: "评估/询价材料",
    Task.REPORT_SERVICE: "送达评估报告",
    Task.PRICE_OBJECTION_REVIEW: "审查参考价异议",
    Task.AUCTION_LISTING: "网拍挂拍",
    Task.IN_KIND_OFFER: "以物抵债询问",
    Task.SALE_RULING: "成交裁定",
    Task.HANDOVER: "交付",
    Task.SCAN: "扫描上传",
    Task.ARCHIVE: "归档",
    Task.OBJECTION_HEARING: "异议听证、裁定",
    Task.PRESERVATION: "保全",
    Task.COMMISSIONED: "委托事项",
    Task.PETITION: "信访",
    Task.MONTHLY_REPORT: "月报",
    Task.QUARTERLY_REPORT: "季报",
    Task.CLOSING: "结案手续",
}
"""Each task's Chinese name, as reports and the parameter table print it."""

DELAY_ZH: Final[Mapping[Delay, str]] = {
    Delay.DEBTOR_SEARCH_DAYS: "查找被执行人答复",
    Delay.SEIZURE_DAYS: "查封登记",
    Delay.PRE_SALE_INQUIRY_DAYS: "变价前调查答复",
    Delay.REWARD_DAYS: "悬赏公告期",
    Delay.AUDIT_DAYS: "审计",
    Delay.STAY_DAYS: "暂缓执行",
    Delay.REFERRAL_EVIDENCE_DAYS: "拒执证据补充",
    Delay.APPRAISER_REPLY_DAYS: "评估机构书面说明",
    Delay.HEARING_NOTICE_DAYS: "听证通知",
    Delay.FILING_CORRECTION_DAYS: "立案纠正",
    Delay.ONLINE_INQUIRY_DAYS: "网络查控反馈",
    Delay.SERVICE_DAYS: "送达",
    Delay.PUBLIC_NOTICE_DAYS: "公告送达",
    Delay.VOLUNTARY_PAYMENT_DAYS: "自动履行",
    Delay.INVESTIGATION_DAYS: "传统查控",
    Delay.LEAD_CHECK_DAYS: "线索核实",
    Delay.SETTLEMENT_DAYS: "和解履行",
    Delay.PAYOUT_DAYS: "执行款发放",
    Delay.ZHONGBEN_RULING_DAYS: "终本裁定",
    Delay.BEHAVIOUR_PLAN_DAYS: "行为类执行方案",
    Delay.ONLINE_PRICE_DAYS: "网络询价",
    Delay.NEGOTIATION_DAYS: "当事人议价",
    Delay.DIRECTED_PRICE_DAYS: "定向询价",
    Delay.APPRAISAL_DAYS: "委托评估",
    Delay.REPORT_SERVICE_DAYS: "送达评估报告",
    Delay.PRICE_OBJECTION_WINDOW_DAYS: "参考价异议期",
    Delay.ANNOUNCEMENT_MOVABLE_DAYS: "一拍公告（动产）",
    Delay.ANNOUNCEMENT_REAL_ESTATE_DAYS: "一拍公告（不动产）",
    Delay.SECOND_ANNOUNCEMENT_MOVABLE_DAYS: "二拍公告（动产）",
    Delay.SECOND_ANNOUNCEMENT_REAL_ESTATE_DAYS: "二拍公告（不动产）",
    Delay.RELIST_DAYS: "重新挂拍",
    Delay.AUCTION_DAYS: "竞价",
    Delay.IN_KIND_REPLY_DAYS: "以物抵债答复",
    Delay.SELLOFF_LISTING_DAYS: "变卖挂网",
    Delay.SELLOFF_DAYS: "变卖成交",
    Delay.BALANCE_PAYMENT_DAYS: "支付尾款",
    Delay.OBJECTION_FILING_DAYS: "异议申请",
    Delay.THIRD_PARTY_FILING_DAYS: "案外人异议立案",
    Delay.HIGHER_COURT_REVIEW_DAYS: "上级法院复议",
}
"""Each outside delay's Chinese name (the ``[delays]`` fields)."""

require_complete(TASK_ZH, Task, "TASK_ZH")
require_complete(DELAY_ZH, Delay, "DELAY_ZH")
