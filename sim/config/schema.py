"""The scenario: one frozen, validated description of a court, its load and its rules.

Frozen through and through: the models refuse assignment, their tables (case mix,
roles, sources …) are :class:`~sim.config.frozen.FrozenDict`, and lists are tuples, so
nothing can change a scenario after validation; a variant is a new, validated one.

A scenario is to the simulation what the reform plan is to the court: it says
who works where, how much work arrives, how long outside parties take, and which
rules apply. Every field is explicit (no defaults hidden in model code), units
live in the field names (``_days`` calendar days, ``_wdays`` working days,
``_hours`` staff effort, ``_cny`` yuan, ``_rate`` a probability), and every
group may carry a ``source`` (a citation, or ``EST`` for an assumption) that the
reports print.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.config.base import Frozen, Sourced
from sim.config.distspec import MAX_DAYS, DistSpec, Probability
from sim.config.frozen import FrozenDict, ReadOnly
from sim.config.reform import Reform
from sim.config.uncertainty import UncertainRange
from sim.rules import (
    DEFAULT_DISPATCH,
    DEFAULT_HANDLER_ASSIGNMENT,
    DISPATCH,
    HANDLERS,
    PLAN_TRIAGE,
    TRIAGE,
    Registry,
)
from sim.vocab import (
    BacklogStage,
    CaseType,
    Deadline,
    Delay,
    PriceMethod,
    ReceiptBasis,
    Role,
    Task,
    Team,
    require_complete,
)
from sim.workcalendar import MARGIN_YEARS, allowed_start_dates

__all__ = [
    "MAX_BACKLOG_AGE_DAYS",
    "MAX_PER_YEAR",
    "MAX_REPLICATIONS",
    "UNIT_ROLES",
    "Amounts",
    "Arrivals",
    "CalendarSpec",
    "DeadlineSpec",
    "Deadlines",
    "Delays",
    "InitialBacklog",
    "Organisation",
    "Policy",
    "Probabilities",
    "RunSpec",
    "Scenario",
    "SideStreams",
    "Staffing",
    "StaffingChange",
    "TaskSpec",
    "Tasks",
    "TeamStaffing",
    "UnitStaffing",
]

# Numbers are strict ("6500" or true is not a number) and bounded: a bound far above any court
# keeps a typo such as 1e308 from reaching the model, where it could not be simulated.
MAX_COUNT = 100_000  # people, items per year
MAX_HOURS = 2_000  # a person-year of effort for one task
MAX_REPLICATIONS = 10_000  # far above any precision a court needs; 1e9 used to exhaust memory first
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]
PositiveFloat = Annotated[float, Field(gt=0, le=MAX_DAYS, allow_inf_nan=False, strict=True)]
NonNegFloat = Annotated[float, Field(ge=0, le=MAX_DAYS, allow_inf_nan=False, strict=True)]
Amount = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False, strict=True)]
MAX_PER_YEAR = 1_000_000  # cases (or side-stream items) a year
PerYear = Annotated[float, Field(ge=0, le=MAX_PER_YEAR, allow_inf_nan=False, strict=True)]
_Shares = TypeVar("_Shares", bound=dict)  # type: ignore[type-arg]


def _sum_to_one(shares: _Shares) -> _Shares:
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"shares must sum to 1 (got {total:g})")
    return shares


# ---------------------------------------------------------------- run and calendar


class RunSpec(Sourced):
    """What one replication covers, and the default experiment size.

    KPIs count the cases that arrive in ``[warmup_days, horizon_days)``. Cases keep
    arriving during ``cooldown_days`` after the horizon, so the counted cases see a
    realistic load while they finish; those late arrivals are not counted.
    """

    start_date: date
    horizon_days: PositiveFloat
    warmup_days: NonNegFloat
    cooldown_days: NonNegFloat = 0.0
    seed: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)] = 20220525
    replications: Annotated[StrictInt, Field(ge=1, le=MAX_REPLICATIONS)] = 5

    @model_validator(mode="after")
    def _horizon_after_warmup(self) -> RunSpec:
        if self.horizon_days <= self.warmup_days:
            raise ValueError(
                f"horizon_days must exceed warmup_days (got horizon_days={self.horizon_days:g}, "
                f"warmup_days={self.warmup_days:g})"
            )
        return self

    @model_validator(mode="after")
    def _dates_fit_the_calendar(self) -> RunSpec:
        days = self.horizon_days + self.cooldown_days
        first, last = allowed_start_dates(days)
        if not first <= self.start_date <= last:
            raise ValueError(
                f"start_date must leave the run's {days:g} days and {MARGIN_YEARS} years after them "
                f"(for the legal periods of cases still open) before 9999-12-31, the last date the "
                f"calendar can hold: use a start_date up to {last} (got start_date={self.start_date})"
            )
        return self


class CalendarSpec(Sourced):
    """The working calendar: official Chinese calendar (with 调休) or 24/7."""

    mode: Literal["official", "continuous"] = "official"
    hours_per_day: Annotated[float, Field(gt=0, le=24, allow_inf_nan=False, strict=True)] = 8.0
    day_start_hour: Annotated[float, Field(ge=0, lt=24, allow_inf_nan=False, strict=True)] = 8.5
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()
    closures: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _holiday_or_workday(self) -> CalendarSpec:
        both = sorted(set(self.extra_holidays) & set(self.extra_workdays))
        if both:
            shown = ", ".join(str(d) for d in both[:3]) + (f" and {len(both) - 3} more" if len(both) > 3 else "")
            raise ValueError(
                "a day is a holiday or a working day, not both: remove it from extra_holidays or from "
                f"extra_workdays (got {shown} in both)"
            )
        return self

    @model_validator(mode="after")
    def _window_fits_in_day(self) -> CalendarSpec:
        if self.mode == "continuous" and (self.hours_per_day != 24 or self.day_start_hour != 0):
            raise ValueError("continuous mode works around the clock: set hours_per_day = 24 and day_start_hour = 0")
        if self.day_start_hour + self.hours_per_day > 24:
            raise ValueError(
                f"the working window must end by midnight (got day_start_hour={self.day_start_hour:g} "
                f"+ hours_per_day={self.hours_per_day:g} > 24)"
            )
        return self


# ---------------------------------------------------------------- load


class Arrivals(Sourced):
    """Enforcement cases filed, and side-stream work arriving, per year.

    Cases are filed on working days as a Poisson count whose mean follows the
    monthly multipliers; the rate is normalised so that a year receives
    ``cases_per_year`` on average.
    """

    cases_per_year: PerYear
    monthly_multipliers: Annotated[
        tuple[Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)], ...],
        Field(min_length=12, max_length=12),
    ]
    case_mix: Annotated[dict[CaseType, Probability], ReadOnly]
    behaviour_rate: Probability  # share of 首执 that are behaviour cases (腾退、交付)
    related_rate: Probability  # share of cases related to an earlier one (same debtor)
    labelled_rate: Probability  # 涉营商环境、涉党政机关、涉黑恶 labels
    own_resumptions_replace_filed: bool = True
    """The ``resumed`` share of ``case_mix`` is the court's whole 执恢 intake: each resumption
    the model makes of its own 终本 cases takes the place of the next 执恢 filing drawn from
    the mix, which stands for resumptions of 终本 cases closed before the run began (so the
    two are not counted on top of each other). ``false``: the model's own come on top."""

    @field_validator("case_mix")
    @classmethod
    def _mix_is_complete(cls, mix: dict[CaseType, float]) -> dict[CaseType, float]:
        missing = [t.value for t in CaseType if t not in mix]
        if missing:
            raise ValueError(f"lacks {missing}; give shares for first, resumed and preservation")
        return _sum_to_one(mix)

    @model_validator(mode="after")
    def _some_month_open(self) -> Arrivals:
        if self.cases_per_year > 0 and not any(self.monthly_multipliers):
            raise ValueError("monthly_multipliers are all zero while cases_per_year > 0")
        return self


class Amounts(Sourced):
    """Money: what is claimed, frozen online and realised from property."""

    claim_cny: DistSpec
    partial_freeze_share: DistSpec  # frozen ÷ claim when the freeze is partial; capped at 1
    property_value_ratio: DistSpec  # realisable value of found property ÷ claim
    settlement_share: DistSpec  # paid under a settlement ÷ outstanding claim; capped at 1

    @model_validator(mode="after")
    def _finite_money(self) -> Amounts:
        for name in ("claim_cny", "partial_freeze_share", "property_value_ratio", "settlement_share"):
            mean = getattr(self, name).mean()
            if not mean <= 1e13:
                raise ValueError(f"{name} averages {mean:g}; expected at most 1e13")
        return self


class Probabilities(Sourced):
    """Decisions by chance, each drawn per case independently of staffing (CRN)."""

    filing_error_rate: Probability  # returned for correction (退回纠正)
    filing_reject_rate: Probability  # not correctable: 驳回申请
    freeze_full_small_rate: Probability  # online freeze covers a claim below the threshold
    freeze_full_large_rate: Probability
    freeze_partial_rate: Probability
    small_claim_closable_rate: Probability  # a small claim judged closable within 45 days
    behaviour_simple_rate: Probability  # 简单行为类 among behaviour cases
    resumed_property_rate: Probability  # a 执恢 case's find is property to sell (else money, frozen at once)
    voluntary_payment_rate: Probability  # pays after the notice, before measures
    debtor_missing_rate: Probability  # cannot be found: served by public notice
    debtor_found_rate: Probability  # the search after the notice finds the missing debtor
    stay_rate: Probability  # 暂缓执行 on security after the interview (民诉法解释 art. 467)
    property_found_rate: Probability  # traditional investigation finds disposable property
    real_estate_rate: Probability  # found property is real estate (longer announcements)
    lead_given_rate: Probability
    lead_useful_rate: Probability
    settlement_rate: Probability
    dishonest_rate: Probability  # a ground of 失信规定 art. 1 exists (applied only where art. 3 does not bar it)
    detention_rate: Probability
    criminal_referral_rate: Probability
    multiple_creditors_rate: Probability
    behaviour_success_rate: Probability
    termination_rate: Probability  # 终结执行 (withdrawal, death with no estate …)
    not_enforced_rate: Probability  # 不予执行
    withdrawal_rate: Probability  # 销案
    objection_rate: Probability  # 执行异议 per case with seizure or disposal
    hearing_rate: Probability  # objections heard (听证) rather than reviewed in writing (异议复议规定 art. 12)
    reconsideration_rate: Probability  # 复议 after an objection ruling
    price_objection_rate: Probability
    online_price_extension_rate: Probability
    auction_first_sale_rate: Probability
    auction_second_sale_rate: Probability
    in_kind_rate: Probability  # 以物抵债 accepted after the 2nd failure
    selloff_rate: Probability  # 变卖 sells within the sell-off period
    buyer_default_rate: Probability  # 悔拍
    third_party_objection_rate: Probability  # 案外人异议 to the property of a disposal (CPL 2023 art. 238)
    third_party_upheld_rate: Probability  # the objection upheld: that property is not disposed of
    reward_rate: Probability  # 悬赏执行 used, where policy.reward_notice allows it, before a 终本
    reward_find_rate: Probability  # the reward brings a lead that finds property
    audit_rate: Probability  # 审计执行 used, where policy.audit allows it, before a 终本
    audit_find_rate: Probability  # the audit finds property
    resume_within_5y_rate: Probability  # 终本 case resumed over the 5 years of re-queries
    resume_refused_rate: Probability  # 恢复执行审查 refuses a request of the run's own 终本 cases
    price_method: Annotated[dict[PriceMethod, Probability], ReadOnly]

    @field_validator("price_method")
    @classmethod
    def _price_methods(cls, shares: dict[PriceMethod, float]) -> dict[PriceMethod, float]:
        return _sum_to_one(shares)


class Delays(Sourced):
    """Waits on outside parties, in calendar days; they hold no staff.

    The distributions a case waits through are the :class:`~sim.vocab.Delay` vocabulary, one
    field each; ``commissioned_days`` is the side stream's, the sell-off period and the
    re-query schedule are plain numbers.
    """

    filing_correction_days: DistSpec
    online_inquiry_days: DistSpec
    service_days: DistSpec
    public_notice_days: DistSpec
    debtor_search_days: DistSpec
    voluntary_payment_days: DistSpec
    investigation_days: DistSpec  # registries, banks, village committees answering
    lead_check_days: DistSpec
    seizure_days: DistSpec
    pre_sale_inquiry_days: DistSpec  # 变价前调查: the answers of registries, tax office, property manager
    reward_days: DistSpec  # 悬赏公告期
    audit_days: DistSpec  # 审计 by an outside firm (审限规定 art. 9 item 8: not counted)
    stay_days: DistSpec
    referral_evidence_days: DistSpec
    settlement_days: DistSpec
    payout_days: DistSpec
    zhongben_ruling_days: DistSpec
    behaviour_plan_days: DistSpec
    online_price_days: DistSpec
    negotiation_days: DistSpec
    directed_price_days: DistSpec
    appraisal_days: DistSpec
    report_service_days: DistSpec
    price_objection_window_days: DistSpec
    appraiser_reply_days: DistSpec
    announcement_movable_days: DistSpec
    announcement_real_estate_days: DistSpec
    second_announcement_movable_days: DistSpec
    second_announcement_real_estate_days: DistSpec
    relist_days: DistSpec
    auction_days: DistSpec
    in_kind_reply_days: DistSpec
    selloff_listing_days: DistSpec
    selloff_days: DistSpec  # time to a sale when the sell-off succeeds
    selloff_period_days: PositiveFloat  # the whole sell-off period, when nothing sells
    balance_payment_days: DistSpec
    objection_filing_days: DistSpec
    third_party_filing_days: DistSpec  # 案外人异议 docketed (异议复议规定 art. 2: 3 days)
    hearing_notice_days: DistSpec
    higher_court_review_days: DistSpec
    commissioned_days: DistSpec
    requery_interval_days: PositiveFloat
    requery_years: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False, strict=True)]

    def __getitem__(self, delay: Delay) -> DistSpec:
        """The distribution of ``delay``."""
        spec: DistSpec = getattr(self, delay)
        return spec

    @model_validator(mode="after")
    def _delays_fit_in_a_century(self) -> Delays:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if hasattr(value, "mean") and callable(value.mean) and value.mean() > MAX_DAYS:
                raise ValueError(f"{name} averages {value.mean():g} days; expected at most {MAX_DAYS}")
        return self


# ---------------------------------------------------------------- staff work


class TaskSpec(Frozen):
    """One kind of staff work: who does it together, and for how many hours.

    ``roles`` maps a role to the number of people needed at once; a task of zero
    hours needs nobody and never queues.
    """

    roles: Annotated[dict[Role, Annotated[StrictInt, Field(ge=1, le=100)]], ReadOnly]
    hours: DistSpec

    @model_validator(mode="after")
    def _has_roles(self) -> TaskSpec:
        if not self.roles:
            raise ValueError("roles must name at least one role (judge, officer, clerk, bailiff)")
        if self.hours.mean() > MAX_HOURS:
            raise ValueError(f"hours average {self.hours.mean():g}; expected at most {MAX_HOURS} (a person-year)")
        return self


class Tasks(Sourced):
    """Every kind of staff work in the plan: the :class:`~sim.vocab.Task` vocabulary, one field each.

    Field names are the step ids of the event log.
    """

    verify_filing: TaskSpec  # 立案信息核对 (前置)
    first_contact: TaskSpec  # 初次接待
    standard_documents: TaskSpec  # 统一制式法律文书、网络查控
    triage: TaskSpec  # 查控结果分析、繁简分流
    zhongben_check: TaskSpec  # 终本案件核查 before a 执恢 is filed
    resume_review: TaskSpec  # 恢复执行审查
    serve_documents: TaskSpec
    public_notice: TaskSpec
    debtor_search: TaskSpec
    debtor_interview: TaskSpec
    deduct_payout: TaskSpec
    field_investigation: TaskSpec
    lead_check: TaskSpec
    seizure: TaskSpec  # 查封 (首封)
    consumption_restriction: TaskSpec
    dishonest_listing: TaskSpec
    detention: TaskSpec
    criminal_referral: TaskSpec
    distribution_plan: TaskSpec
    behaviour_enforcement: TaskSpec
    panel_review: TaskSpec  # 合议庭评议
    settlement_record: TaskSpec
    zhongben_interview: TaskSpec
    pre_sale_inquiry: TaskSpec  # 变价前调查 (方案 三(二)2)
    reward_notice: TaskSpec  # 悬赏执行 (policy.reward_notice)
    audit: TaskSpec  # 审计执行 (policy.audit)
    disposal_referral: TaskSpec
    sign_off: TaskSpec  # 签发 by the handling team's judge
    price_file: TaskSpec
    report_service: TaskSpec
    price_objection_review: TaskSpec
    auction_listing: TaskSpec
    in_kind_offer: TaskSpec
    sale_ruling: TaskSpec
    handover: TaskSpec
    scan: TaskSpec
    archive: TaskSpec
    paper_handover: TaskSpec
    node_monitoring: TaskSpec  # per open case and monitoring round (side_streams.monitoring_interval_wdays)
    records_report: TaskSpec  # 定期通报, monthly
    file_lending: TaskSpec  # 借阅登记, per request (side_streams.lending_per_year)
    objection_hearing: TaskSpec
    panel_member: TaskSpec
    third_party_review: TaskSpec  # 案外人异议审查 (CPL 2023 art. 238)
    preservation: TaskSpec
    commissioned: TaskSpec
    petition: TaskSpec
    monthly_report: TaskSpec
    quarterly_report: TaskSpec
    platform_duty: TaskSpec  # 执行指挥平台事务, each working day
    data_report: TaskSpec  # 数据统计报送, per request (side_streams.data_requests_per_year)
    closing: TaskSpec  # 结案 formalities by the handling clerk
    read_file: TaskSpec  # 阅卷 by the team a case is handed to (reform.handoff)
    rework: TaskSpec  # 补正 by the team a flawed step is sent back to (reform.rework)

    def __getitem__(self, task: Task) -> TaskSpec:
        """The spec of ``task``."""
        spec: TaskSpec = getattr(self, task)
        return spec


# ---------------------------------------------------------------- deadlines and rules


class DeadlineSpec(Sourced):
    """A time limit: N 日 (legal day counting), N 工作日, or N months."""

    days: Count
    basis: Literal["days", "working_days", "months"]


class Deadlines(Frozen):
    """Every deadline of the plan and the statutes, tracked per case as an SLA (:class:`~sim.vocab.Deadline`)."""

    verify_filing: DeadlineSpec
    first_contact: DeadlineSpec
    standard_documents: DeadlineSpec
    records_handover: DeadlineSpec
    scan: DeadlineSpec
    serve: DeadlineSpec
    fast_disposal_start: DeadlineSpec
    fast_close: DeadlineSpec
    investigation: DeadlineSpec
    lead_check: DeadlineSpec
    disposal_start: DeadlineSpec
    dishonest_listing: DeadlineSpec
    criminal_referral: DeadlineSpec
    price_start: DeadlineSpec
    price_done: DeadlineSpec
    report_service: DeadlineSpec
    price_objection: DeadlineSpec
    objection: DeadlineSpec
    third_party_objection: DeadlineSpec  # 15 days (CPL 2023 art. 238)
    sale_ruling: DeadlineSpec
    handover: DeadlineSpec
    reauction: DeadlineSpec
    payout: DeadlineSpec
    execution_limit: DeadlineSpec  # 6 months (审限规定 art. 5), exclusions applied in metrics

    def __getitem__(self, deadline: Deadline) -> DeadlineSpec:
        """The time limit of ``deadline``."""
        spec: DeadlineSpec = getattr(self, deadline)
        return spec


def _registered(registry: Registry[Any]) -> Callable[[str], str]:
    """A validator refusing a name ``registry`` does not know, listing the names it does."""

    def check(name: str) -> str:
        if name not in registry:
            allowed = "one of: " + ", ".join(registry.names())
            raise PydanticCustomError(
                "unknown_rule", "unknown {kind} rule", {"kind": registry.kind, "expected": allowed}
            )
        return name

    return check


def _listed(registry: Registry[Any]) -> Callable[[dict[str, Any]], None]:
    """JSON Schema completion for a rule name: the names registered when the schema is built."""

    def extra(schema: dict[str, Any]) -> None:
        schema["examples"] = list(registry.names())
        schema["description"] = f"a registered {registry.kind} rule (sim.rules)"

    return extra


TriageRuleName = Annotated[str, AfterValidator(_registered(TRIAGE)), Field(json_schema_extra=_listed(TRIAGE))]
DispatchRuleName = Annotated[str, AfterValidator(_registered(DISPATCH)), Field(json_schema_extra=_listed(DISPATCH))]
HandlerRuleName = Annotated[str, AfterValidator(_registered(HANDLERS)), Field(json_schema_extra=_listed(HANDLERS))]

PRESERVATION_TEAMS = (Team.OVERSIGHT, Team.FAST_TRACK)
"""Who may handle preservation cases: the "三统一" team (方案 三(一)4) or the fast track
(三(一)1 counts 保全类案件 among the simple cases)."""


def _preservation_team(value: object) -> object:
    if value not in PRESERVATION_TEAMS:
        expected = " or ".join(repr(t.value) for t in PRESERVATION_TEAMS)
        raise PydanticCustomError("preservation_team", "not a team that handles preservation", {"expected": expected})
    return value


PreservationTeam = Annotated[
    Team,
    BeforeValidator(_preservation_team),
    WithJsonSchema({"type": "string", "enum": [t.value for t in PRESERVATION_TEAMS]}),
]

_OLD_TRIAGE_KEYS = ("simple_if_frozen_covers", "simple_if_small_claim", "simple_if_behaviour")


class Policy(Sourced):
    """Rules a court can choose; each has the plan's or the statute's reading as default.

    ``triage`` lists the simple-case rules applied in order (empty: no triage, the
    pre-reform court), ``dispatch`` orders each team's waiting work and
    ``handler_assignment`` picks a new case's officer: each names a rule registered in
    :mod:`sim.rules`.
    """

    triage: tuple[TriageRuleName, ...] = PLAN_TRIAGE  # 方案 三(一)1 简案标准, in the plan's order
    simple_threshold_cny: Amount = 100_000
    preservation_team: PreservationTeam = Team.OVERSIGHT
    zhongben_floor: bool = True
    zhongben_floor_months: Count = 3
    receipt_basis: ReceiptBasis = ReceiptBasis.FILING  # where "收案后" clocks start (sim.vocab.deadlines)
    execution_fee: bool = True  # 执行申请费 deducted from the money collected (诉讼费用交纳办法 arts. 14, 20, 38)
    execution_fee_basis: Literal["claimed", "collected"] = "claimed"  # art. 14(1) 执行金额: claimed or collected
    dispatch: DispatchRuleName = DEFAULT_DISPATCH
    handler_assignment: HandlerRuleName = DEFAULT_HANDLER_ASSIGNMENT
    related_same_handler: bool = True
    reward_notice: StrictBool = False  # 悬赏执行 as an option (方案 三(二)2: 根据案件具体情况决定是否采取)
    audit: StrictBool = False  # 审计执行 as an option (same clause; 终本规定 art. 3: on the applicant's request)

    @model_validator(mode="before")
    @classmethod
    def _old_triage_switches(cls, data: Any) -> Any:
        """Files written before triage rules had names: say what replaces the old switches."""
        if not isinstance(data, dict):
            return data
        old = [key for key in _OLD_TRIAGE_KEYS if key in data]
        if isinstance(data.get("triage"), bool):
            old.insert(0, f"triage = {str(data['triage']).lower()}")
        if old:
            plan = ", ".join(f'"{name}"' for name in PLAN_TRIAGE)
            raise ValueError(
                "triage is now the list of simple-case rules applied in order: "
                f"triage = [{plan}] for the plan, without a rule to switch it off, [] for no triage "
                f"(got {', '.join(old)})"
            )
        return data

    @field_validator("triage")
    @classmethod
    def _each_rule_once(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"lists a rule twice: {', '.join(twice)}")
        return names


class Organisation(Sourced):
    """Which staffed team performs each function (the 2022 plan: each its own).

    The pre-reform organisation maps intake, disposal and records onto the
    handling team, so one officer takes a case from filing to closure.
    """

    performed_by: Annotated[dict[Team, Team], ReadOnly] = Field(default_factory=FrozenDict)

    def team_for(self, function: Team) -> Team:
        """The staffed team doing ``function``'s work."""
        return self.performed_by.get(function, function)


class SideStreams(Sourced):
    """Work that is not an enforcement case but takes the same people's time."""

    commissioned_per_year: PerYear  # 外地法院委托事务
    petitions_per_year: PerYear  # 执行信访
    supervision_per_year: PerYear  # 执行监督、请示、督办 at the review team
    lending_per_year: PerYear  # 借出、借阅、复制 requests at the records centre (方案 三(一)3)
    data_requests_per_year: PerYear  # 上级法院、上级机关要求上报的数据 (方案 三(一)4)
    monitoring_interval_wdays: Annotated[StrictInt, Field(ge=1, le=250)]
    """Working days between the records centre's rounds of key-node monitoring (方案 三(一)3: 实时监控)."""


# ---------------------------------------------------------------- staffing


UNIT_ROLES = (Role.OFFICER, Role.CLERK)
"""Roles a sub-team has of its own; judges and bailiffs serve the whole team."""


class UnitStaffing(Frozen):
    """A sub-team (e.g. 执行二团队) with its own officers and clerks."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    officers: Count
    clerks: Count

    @field_validator("name")
    @classmethod
    def _visible_name(cls, name: str) -> str:
        if name != name.strip():
            raise ValueError(f"a unit name must not begin or end with spaces (got {name!r})")
        hidden = [c for c in name if unicodedata.category(c) in _INVISIBLE]
        if hidden:
            code = f"U+{ord(hidden[0]):04X} {unicodedata.name(hidden[0], 'control character')}"
            raise ValueError(f"a unit name must not hold invisible characters (got {name!r}, which holds {code})")
        return name


_INVISIBLE = ("Cc", "Cf", "Co", "Cn", "Zl", "Zp")
"""Unicode categories a reader cannot see: controls, format characters (the zero-width space,
joiners, direction marks, the byte-order mark), private-use and unassigned code points."""


def _unit_key(name: str) -> str:
    """What a reader sees in a unit's name: compatibility forms folded, spaces left out."""
    return "".join(unicodedata.normalize("NFKC", name).split())


class TeamStaffing(Sourced):
    """Head-count of one team by role.

    ``units`` split the officers and clerks into sub-teams (精执 teams 2–5); the
    judges and bailiffs serve all units of the team.
    """

    judges: Count = 0
    officers: Count = 0
    clerks: Count = 0
    bailiffs: Count = 0
    units: tuple[UnitStaffing, ...] = ()

    @model_validator(mode="after")
    def _units_add_up(self) -> TeamStaffing:
        if not self.units:
            return self
        names = [u.name for u in self.units]
        if len(set(names)) != len(names):
            raise ValueError(f"unit names must be unique (got {names})")
        seen: dict[str, str] = {}
        for name in names:
            other = seen.setdefault(_unit_key(name), name)
            if other != name:
                raise ValueError(
                    "two unit names differ only in spacing or in the form of their characters, so a "
                    f"reader cannot tell them apart: name them differently (got {other!r} and {name!r})"
                )
        for role in ("officers", "clerks"):
            total = sum(getattr(u, role) for u in self.units)
            if total != getattr(self, role):
                raise ValueError(f"units' {role} add up to {total} but the team has {role} = {getattr(self, role)}")
        return self

    def count(self, role: Role) -> int:
        """Head-count of ``role`` in the whole team."""
        return int(getattr(self, f"{role.value}s"))


class Staffing(Frozen):
    """The seven teams of the plan (邓法〔2022〕41号 三)."""

    intake: TeamStaffing
    fast_track: TeamStaffing
    complex_track: TeamStaffing
    asset_disposal: TeamStaffing
    records: TeamStaffing
    review: TeamStaffing
    oversight: TeamStaffing

    def team(self, team: Team) -> TeamStaffing:
        """The staffing of ``team``."""
        result: TeamStaffing = getattr(self, team.value)
        return result


class StaffingChange(Frozen):
    """A hire, transfer or leave taking effect on ``date`` (``delta`` people of ``role``)."""

    date: date
    team: Team
    role: Role
    delta: Annotated[StrictInt, Field(ge=-MAX_COUNT, le=MAX_COUNT)]
    unit: str | None = None
    note: str = ""

    @model_validator(mode="after")
    def _nonzero(self) -> StaffingChange:
        if self.delta == 0:
            raise ValueError("delta must be a non-zero whole number of people (+ hire, - leave)")
        return self


# ---------------------------------------------------------------- the court's open cases at the start

MAX_BACKLOG_AGE_DAYS = 3653
"""Ten years since filing: the oldest open case a starting backlog may hold. An 执行 case older
than that is outside every limit the model knows (the 6-month limit, the 5 years of 终本
re-queries) and almost surely a data error of the export."""


class InitialBacklog(Sourced):
    """The court's open cases when the run starts, by stage and by age (days since 立案).

    ``age_bands_days`` are the edges of the age bands, e.g. ``[0, 30, 90, 180, 365]`` gives
    the bands [0, 30), [30, 90), [90, 180) and [180, 365) days; ``counts`` gives, for each
    stage of :class:`~sim.vocab.BacklogStage`, one count per band. Each case's age is drawn
    uniformly within its band (its own named random stream, so common random numbers hold).
    """

    age_bands_days: Annotated[
        tuple[Annotated[float, Field(ge=0, le=MAX_BACKLOG_AGE_DAYS, allow_inf_nan=False, strict=True)], ...],
        Field(min_length=2, max_length=100),
    ]
    counts: Annotated[dict[BacklogStage, tuple[Count, ...]], ReadOnly]

    @field_validator("age_bands_days")
    @classmethod
    def _edges_increase(cls, edges: tuple[float, ...]) -> tuple[float, ...]:
        for i in range(1, len(edges)):
            if edges[i] <= edges[i - 1]:
                raise ValueError(
                    f"band edges must increase strictly (edge {i} is {edges[i]:g} after {edges[i - 1]:g}), "
                    "e.g. [0, 30, 90, 180, 365]"
                )
        return edges

    @model_validator(mode="after")
    def _one_count_per_band(self) -> InitialBacklog:
        bands = len(self.age_bands_days) - 1
        for stage, row in self.counts.items():
            if len(row) != bands:
                raise ValueError(
                    f"counts.{stage} has {len(row)} counts for the {bands} age bands of age_bands_days "
                    f"{list(self.age_bands_days)}: give one count per band"
                )
        if self.total > MAX_COUNT:
            raise ValueError(f"the backlog holds {self.total} cases, more than the {MAX_COUNT} a court can hold")
        return self

    @property
    def total(self) -> int:
        """Open cases seeded at the start."""
        return sum(sum(row) for row in self.counts.values())


# ---------------------------------------------------------------- the scenario


class Scenario(Frozen):
    """A whole scenario file after ``base`` inheritance, validated."""

    # No leading "-": a name is neither an option on the command line nor a formula in a spreadsheet.
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]
    title: str = ""
    description: str = ""
    run: RunSpec
    calendar: CalendarSpec
    arrivals: Arrivals
    amounts: Amounts
    probabilities: Probabilities
    delays: Delays
    tasks: Tasks
    deadlines: Deadlines
    policy: Policy
    organisation: Organisation = Organisation()
    side_streams: SideStreams
    staffing: Staffing
    staffing_changes: tuple[StaffingChange, ...] = ()
    # Ranges of the assumptions for `courtsim sensitivity` (sim/config/uncertainty.py); they do
    # not change what a replication computes, so the scenario's hash leaves them out.
    uncertainty: Annotated[dict[str, UncertainRange], ReadOnly] = Field(default_factory=FrozenDict)
    reform: Reform = Reform()  # the reform's mechanisms (sim.config.reform); absent: all off
    initial_backlog: InitialBacklog | None = None  # the open cases at the start; absent: an empty court


# ---------------------------------------------------------------- one vocabulary


def _require_fields(model: type[BaseModel], vocabulary: type[StrEnum], besides: tuple[str, ...] = ()) -> None:
    """Refuse at import a table whose fields are not its vocabulary, in the vocabulary's order."""
    fields = [name for name in model.model_fields if name not in ("source", "sources", *besides)]
    require_complete(fields, vocabulary, f"the fields of {model.__name__}")
    if fields != [member.value for member in vocabulary]:
        raise TypeError(f"the fields of {model.__name__} must be in the order of {vocabulary.__name__}")


_require_fields(Tasks, Task)
_require_fields(Deadlines, Deadline)
_require_fields(
    Delays, Delay, besides=("selloff_period_days", "commissioned_days", "requery_interval_days", "requery_years")
)
