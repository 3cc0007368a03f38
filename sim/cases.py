"""Cases and everything about them that chance decides, drawn before the run starts.

Like the pile of applications that will reach the filing window this year, the
cases of a replication are fixed before any staff touch them: when each is
filed, its type, its amount, whether the banks will freeze money, whether
property exists, whether auctions sell, and how many hours each piece of work
will take. All of it comes from named streams that do not depend on staffing
(common random numbers), so two staffing scenarios see the same cases and
differ only by how the court handles them.

Decisions are stored as uniforms in [0, 1) and compared with the scenario's
probabilities when used, so changing a probability moves only the cases near
the threshold. Effort hours and outside delays are stored as uniforms too and
mapped through the scenario's distributions in bulk (inverse transform).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config.schema import Scenario
from sim.distributions import build, categorical_ppf
from sim.staffing import Member
from sim.streams import Streams
from sim.vocab import CaseType, Outcome, Team, Track
from sim.workcalendar import WorkCalendar

__all__ = ["DECISIONS", "REPEATS", "Case", "CaseBook", "generate_cases"]

DECISIONS = (
    "case_type",
    "behaviour",
    "related",
    "related_pick",
    "labelled",
    "claim",
    "filing",
    "freeze",
    "freeze_share",
    "small_closable",
    "behaviour_simple",
    "resumed_property",
    "voluntary",
    "missing",
    "property",
    "real_estate",
    "property_value",
    "lead_given",
    "lead_useful",
    "settlement",
    "settlement_share",
    "dishonest",
    "detention",
    "criminal",
    "creditors",
    "behaviour_success",
    "ending",
    "objection",
    "reconsideration",
    "price_objection",
    "price_extension",
    "price_method",
    "auction1",
    "auction2",
    "in_kind",
    "selloff",
    "buyer_default",
    "resume",
)
"""Every per-case decision; each has its own stream ``case.<name>``."""

REPEATS: dict[str, int] = {"scan": 12, "deduct_payout": 4, "panel_review": 3, "auction_listing": 3}
"""Draws kept per case for work that can happen several times (others keep 2)."""

RATIOS: dict[str, str] = {
    "partial_freeze_share": "freeze_share",
    "property_value_ratio": "property_value",
    "settlement_share": "settlement_share",
}
"""``amounts`` ratios and the decision uniform each is mapped from."""
CAPPED_AT_ONE = ("partial_freeze_share", "settlement_share")

RELATED_WINDOW = 50  # a related case points at one of the previous 50 filings (same debtor, filed together)


@dataclass(slots=True)
class Case:
    """One enforcement case: its fixed attributes and where it stands now."""

    id: int
    row: int  # index into the CaseBook's draw arrays
    case_type: CaseType
    behaviour: bool
    labelled: bool
    related_group: int
    claim_cny: float
    arrived: float
    parent_id: int = -1
    track: Track = Track.NONE
    team: Team | None = None
    unit: str = ""
    handler: Member | None = None
    stage: str = "filed"
    closed: float = float("nan")
    outcome: Outcome | None = None
    frozen_cny: float = 0.0
    recovered_cny: float = 0.0
    has_property: bool = False
    excluded_days: float = 0.0
    limit_due: float = float("inf")
    papers: int = 0  # paper hand-overs so far (indexes the scan draws)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def outstanding_cny(self) -> float:
        """What is still owed to the applicant."""
        return max(self.claim_cny - self.recovered_cny, 0.0)

    def next_index(self, task: str) -> int:
        """How many times ``task`` was done for this case before (then counts this one)."""
        k = self.counts.get(task, 0)
        self.counts[task] = k + 1
        return k


@dataclass(frozen=True)
class CaseBook:
    """The cases filed in a replication and their draws.

    Rows ``0 .. n-1`` are the filed cases; row ``n + i`` holds the draws of the
    执恢 case that would resume case ``i`` after 终本, so resumptions are common
    random numbers too.
    """

    cases: list[Case]
    decisions: dict[str, np.ndarray]
    effort_hours: dict[str, np.ndarray]  # task → (rows, repeats)
    delay_days: dict[str, np.ndarray]  # delay → (rows, repeats)
    ratios: dict[str, np.ndarray]  # amounts as shares of a claim, e.g. partial_freeze_share

    def ratio(self, name: str, case: Case) -> float:
        """The ``amounts`` ratio ``name`` for ``case`` (shares of a claim; see :data:`RATIOS`)."""
        return float(self.ratios[name][case.row])

    @property
    def n_filed(self) -> int:
        """Cases filed from outside (not resumptions)."""
        return len(self.cases)

    def u(self, name: str, case: Case) -> float:
        """The uniform that decides ``name`` for ``case``."""
        return float(self.decisions[name][case.row])

    def hours(self, task: str, case: Case, k: int = 0) -> float:
        """Effort of the ``k``-th time ``task`` is done for ``case``."""
        table = self.effort_hours[task]
        return float(table[case.row, k % table.shape[1]])

    def days(self, delay: str, case: Case, k: int = 0) -> float:
        """The ``k``-th outside delay ``delay`` of ``case``, in days."""
        table = self.delay_days[delay]
        return float(table[case.row, k % table.shape[1]])


def arrival_times(scenario: Scenario, calendar: WorkCalendar, streams: Streams) -> np.ndarray:
    """Filing times over the horizon and the cool-down: Poisson per working day.

    The daily mean is ``cases_per_year × multiplier[month] / Σ_year(multiplier × working
    days)``, so the first simulated year receives ``cases_per_year`` on average
    whatever its holidays. Each case is filed at a uniform time of the working window.
    """
    arrivals = scenario.arrivals
    days = int(np.ceil(scenario.run.horizon_days + scenario.run.cooldown_days))
    counts_rng, time_rng = streams.get("arrivals.count"), streams.get("arrivals.time")
    if arrivals.cases_per_year == 0 or days == 0:
        counts_rng.poisson(0.0, size=0), time_rng.random(0)
        return np.empty(0)
    weight = np.array([_day_weight(scenario, calendar, d) for d in range(max(days, 365))])
    per_weight = arrivals.cases_per_year / weight[:365].sum()
    counts = counts_rng.poisson(per_weight * weight[:days])
    day_index = np.repeat(np.arange(days), counts)
    window = calendar.hours_per_day / 24.0
    offsets = calendar.day_start_hour / 24.0 + window * time_rng.random(day_index.size)
    times = day_index + offsets
    return np.sort(times[times < days])


def _day_weight(scenario: Scenario, calendar: WorkCalendar, day: int) -> float:
    d = calendar.date_of(day + 0.5)
    if not calendar.is_working_day(d):
        return 0.0
    return scenario.arrivals.monthly_multipliers[d.month - 1]


def generate_cases(scenario: Scenario, calendar: WorkCalendar, streams: Streams) -> CaseBook:
    """Every filed case of one replication with all its draws (see module docstring)."""
    times = arrival_times(scenario, calendar, streams)
    n = times.size
    rows = 2 * n
    decisions = {name: streams.get(f"case.{name}").random(rows) for name in DECISIONS}
    effort = {
        task: build(spec.hours).ppf(streams.get(f"effort.{task}").random((rows, REPEATS.get(task, 2))))
        for task, spec in _tasks(scenario)
    }
    delays = {name: build(spec).ppf(streams.get(f"delay.{name}").random((rows, 2))) for name, spec in _delays(scenario)}
    ratios = {name: _ratio(scenario, name, decisions[decision]) for name, decision in RATIOS.items()}
    mix = scenario.arrivals.case_mix
    types = categorical_ppf({t.value: mix[t] for t in CaseType}, decisions["case_type"])
    claims = build(scenario.amounts.claim_cny).ppf(decisions["claim"])
    cases = [
        _case(scenario, i, CaseType(str(types[i])), float(claims[i]), float(times[i]), decisions) for i in range(n)
    ]
    _link_related(cases, decisions, scenario.arrivals.related_rate)
    return CaseBook(cases, decisions, effort, delays, ratios)


def _case(scenario: Scenario, i: int, case_type: CaseType, claim: float, time: float, u: dict[str, np.ndarray]) -> Case:
    arrivals = scenario.arrivals
    behaviour = case_type is CaseType.FIRST and u["behaviour"][i] < arrivals.behaviour_rate
    return Case(
        id=i,
        row=i,
        case_type=case_type,
        behaviour=bool(behaviour),
        labelled=bool(u["labelled"][i] < arrivals.labelled_rate),
        related_group=i,
        claim_cny=0.0 if behaviour else claim,
        arrived=time,
    )


def _link_related(cases: list[Case], u: dict[str, np.ndarray], rate: float) -> None:
    """Related cases (same debtor) join the group of a recent earlier filing."""
    for i in range(1, len(cases)):
        if u["related"][i] < rate:
            back = 1 + int(u["related_pick"][i] * min(i, RELATED_WINDOW))
            cases[i].related_group = cases[i - back].related_group


def resumed_case(book: CaseBook, parent: Case, time: float) -> Case:
    """The 执恢 case that resumes ``parent`` (closed by 终本) at ``time``."""
    return Case(
        id=book.n_filed + parent.id,
        row=book.n_filed + parent.row,
        case_type=CaseType.RESUMED,
        behaviour=parent.behaviour,
        labelled=parent.labelled,
        related_group=parent.related_group,
        claim_cny=parent.outstanding_cny,
        arrived=time,
        parent_id=parent.id,
    )


def _ratio(scenario: Scenario, name: str, u: np.ndarray) -> np.ndarray:
    values = build(getattr(scenario.amounts, name)).ppf(u)
    return np.minimum(values, 1.0) if name in CAPPED_AT_ONE else values


def _tasks(scenario: Scenario) -> list[tuple[str, object]]:
    return [
        (name, getattr(scenario.tasks, name))
        for name in type(scenario.tasks).model_fields
        if name not in ("source", "sources")
    ]


def _delays(scenario: Scenario) -> list[tuple[str, object]]:
    return [
        (name, getattr(scenario.delays, name))
        for name in type(scenario.delays).model_fields
        if name.endswith("_days") and not isinstance(getattr(scenario.delays, name), float)
    ]
