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
from sim.vocab import CaseType, Decision, Delay, Outcome, Ratio, Task, Team, Track
from sim.workcalendar import WorkCalendar

__all__ = ["REPEATS", "Case", "CaseBook", "generate_cases"]

REPEATS: dict[Task, int] = {Task.SCAN: 12, Task.DEDUCT_PAYOUT: 4, Task.PANEL_REVIEW: 3, Task.AUCTION_LISTING: 3}
"""Draws kept per case for work that can happen several times (others keep 2)."""

RATIOS: dict[Ratio, Decision] = {
    Ratio.PARTIAL_FREEZE_SHARE: Decision.FREEZE_SHARE,
    Ratio.PROPERTY_VALUE_RATIO: Decision.PROPERTY_VALUE,
    Ratio.SETTLEMENT_SHARE: Decision.SETTLEMENT_SHARE,
}
"""``amounts`` ratios and the decision uniform each is mapped from."""
CAPPED_AT_ONE = (Ratio.PARTIAL_FREEZE_SHARE, Ratio.SETTLEMENT_SHARE)

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
    simple_by_rules: bool = False  # the plan's simple-case standards call it simple (routed by them or not)
    missing: bool = False  # the debtor could not be found (served by public notice, not found since)
    fee_due_cny: float = 0.0  # 执行申请费 owed, on the claimed basis (sim.flow.fees)
    fee_paid_cny: float = 0.0  # 执行申请费 taken from the money collected so far
    excluded_days: float = 0.0
    limit_due: float = float("inf")
    papers: int = 0  # paper hand-overs so far (indexes the scan draws)
    counts: dict[Task | Delay, int] = field(default_factory=dict)  # times each task or delay came up

    @property
    def outstanding_cny(self) -> float:
        """What is still owed to the applicant."""
        return max(self.claim_cny - self.recovered_cny, 0.0)

    @property
    def owed_cny(self) -> float:
        """What the debtor still owes: the applicant's part and the unpaid 执行申请费 (borne by the debtor)."""
        return self.outstanding_cny + max(self.fee_due_cny - self.fee_paid_cny, 0.0)

    def next_index(self, step: Task | Delay) -> int:
        """How many times ``step`` came up for this case before (then counts this one)."""
        k = self.counts.get(step, 0)
        self.counts[step] = k + 1
        return k


@dataclass(frozen=True)
class CaseBook:
    """The cases filed in a replication and their draws.

    Rows ``0 .. n-1`` are the filed cases; row ``n + i`` holds the draws of the
    执恢 case that would resume case ``i`` after 终本, so resumptions are common
    random numbers too.
    """

    cases: list[Case]
    decisions: dict[Decision, np.ndarray]
    effort_hours: dict[Task, np.ndarray]  # task → (rows, repeats)
    delay_days: dict[Delay, np.ndarray]  # delay → (rows, repeats)
    ratios: dict[Ratio, np.ndarray]  # amounts as shares of a claim, e.g. partial_freeze_share

    def ratio(self, name: Ratio, case: Case) -> float:
        """The ``amounts`` ratio ``name`` for ``case`` (shares of a claim; see :data:`RATIOS`)."""
        return float(self.ratios[name][case.row])

    @property
    def n_filed(self) -> int:
        """Cases filed from outside (not resumptions)."""
        return len(self.cases)

    def u(self, decision: Decision, case: Case) -> float:
        """The uniform that decides ``decision`` for ``case``."""
        return float(self.decisions[decision][case.row])

    def hours(self, task: Task, case: Case, k: int = 0) -> float:
        """Effort of the ``k``-th time ``task`` is done for ``case``."""
        table = self.effort_hours[task]
        return float(table[case.row, k % table.shape[1]])

    def days(self, delay: Delay, case: Case, k: int = 0) -> float:
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
    decisions = {d: streams.get(f"case.{d.value}").random(rows) for d in Decision}
    effort = {
        task: build(scenario.tasks[task].hours).ppf(
            streams.get(f"effort.{task.value}").random((rows, REPEATS.get(task, 2)))
        )
        for task in Task
    }
    delays = {d: build(scenario.delays[d]).ppf(streams.get(f"delay.{d.value}").random((rows, 2))) for d in Delay}
    ratios = {name: _ratio(scenario, name, decisions[decision]) for name, decision in RATIOS.items()}
    mix = scenario.arrivals.case_mix
    types = categorical_ppf({t.value: mix[t] for t in CaseType}, decisions[Decision.CASE_TYPE])
    claims = build(scenario.amounts.claim_cny).ppf(decisions[Decision.CLAIM])
    cases = [
        _case(scenario, i, CaseType(str(types[i])), float(claims[i]), float(times[i]), decisions) for i in range(n)
    ]
    _link_related(cases, decisions, scenario.arrivals.related_rate)
    return CaseBook(cases, decisions, effort, delays, ratios)


def _case(
    scenario: Scenario, i: int, case_type: CaseType, claim: float, time: float, u: dict[Decision, np.ndarray]
) -> Case:
    arrivals = scenario.arrivals
    behaviour = case_type is CaseType.FIRST and u[Decision.BEHAVIOUR][i] < arrivals.behaviour_rate
    return Case(
        id=i,
        row=i,
        case_type=case_type,
        behaviour=bool(behaviour),
        labelled=bool(u[Decision.LABELLED][i] < arrivals.labelled_rate),
        related_group=i,
        claim_cny=0.0 if behaviour else claim,
        arrived=time,
    )


def _link_related(cases: list[Case], u: dict[Decision, np.ndarray], rate: float) -> None:
    """Related cases (same debtor) join the group of a recent earlier filing."""
    related, pick = u[Decision.RELATED], u[Decision.RELATED_PICK]
    for i in range(1, len(cases)):
        if related[i] < rate:
            back = 1 + int(pick[i] * min(i, RELATED_WINDOW))
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


def _ratio(scenario: Scenario, name: Ratio, u: np.ndarray) -> np.ndarray:
    values = build(getattr(scenario.amounts, name.value)).ppf(u)
    return np.minimum(values, 1.0) if name in CAPPED_AT_ONE else values
