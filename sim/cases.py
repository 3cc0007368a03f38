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

import math
from dataclasses import dataclass, field

import numpy as np

from sim.config.schema import Scenario
from sim.distributions import build, categorical_ppf
from sim.staffing import Member
from sim.streams import Streams
from sim.vocab import BacklogStage, CaseType, Decision, Delay, Outcome, Ratio, Task, Team, Track
from sim.workcalendar import WorkCalendar

__all__ = ["REPEATS", "Case", "CaseBook", "generate_cases", "resumed_case", "with_backlog"]

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
    random numbers too. A starting backlog of ``b`` cases (``[initial_backlog]``) adds
    rows ``2n .. 2n+b-1`` for its cases and ``2n+b+j`` for the resumption of its case
    ``j``, drawn from streams of their own (``backlog.…``): the filed cases' draws are
    the same with or without a backlog. A case's id is its row.
    """

    cases: list[Case]
    decisions: dict[Decision, np.ndarray]
    effort_hours: dict[Task, np.ndarray]  # task → (rows, repeats)
    delay_days: dict[Delay, np.ndarray]  # delay → (rows, repeats)
    ratios: dict[Ratio, np.ndarray]  # amounts as shares of a claim, e.g. partial_freeze_share
    backlog: list[tuple[Case, BacklogStage]] = field(default_factory=list)
    """The open cases seeded at time 0 and the stage each waits at (rows from ``2 n``)."""

    def release_draws(self) -> None:
        """Let the draw arrays go once the run is over: the tables are built from the cases and
        the log, not from the draws (about 53 MB of a baseline year, freed before the tables
        are built rather than after them)."""
        for draws in (self.decisions, self.effort_hours, self.delay_days, self.ratios):
            draws.clear()

    def ratio(self, name: Ratio, case: Case) -> float:
        """The ``amounts`` ratio ``name`` for ``case`` (shares of a claim; see :data:`RATIOS`)."""
        return float(self.ratios[name][case.row])

    @property
    def n_filed(self) -> int:
        """Cases filed from outside (not resumptions)."""
        return len(self.cases)

    def can_resume(self, case: Case) -> bool:
        """Whether ``case``'s draws have a row for its 执恢 (a filed or a backlog case, not a resumption)."""
        n = len(self.cases)
        return case.row < n or 2 * n <= case.row < 2 * n + len(self.backlog)

    def resumption_row(self, parent: Case) -> int:
        """The row (and id) of the 执恢 that resumes ``parent``."""
        n = len(self.cases)
        return n + parent.row if parent.row < n else parent.row + len(self.backlog)

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
    row = book.resumption_row(parent)
    return Case(
        id=row,
        row=row,
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


FAR_ALONG = (
    BacklogStage.FAST_INVESTIGATION,
    BacklogStage.STANDARD_INVESTIGATION,
    BacklogStage.DISPOSAL,
    BacklogStage.FAST_ZHONGBEN_FLOOR,
    BacklogStage.STANDARD_ZHONGBEN_FLOOR,
)
"""Stages past the interview: a behaviour case (腾退、交付) has no investigation, sale or floor to wait at."""


def with_backlog(book: CaseBook, scenario: Scenario, calendar: WorkCalendar, streams: Streams) -> CaseBook:
    """``book`` with the cases of ``scenario.initial_backlog`` added (the book itself if it has none).

    Each backlog case has draws of its own from the ``backlog.…`` streams (its rows after
    the filed cases' and their resumptions'), and a filing day drawn uniformly among the
    working days whose age (days before time 0, at midday) falls in its band, at a uniform
    time of the working window, so always before time 0 (a band without a working day, such
    as [0, 1) on a Monday, takes the last working day before it). Its type is 执保 at the
    preservation stage, else 首执 or 执恢 in the proportion of the case mix; its claim,
    labels and behaviour follow the arrivals' rates (behaviour cases only where one can
    stand). The cases are listed oldest first, the order they queue in at time 0.
    """
    spec = scenario.initial_backlog
    if spec is None or spec.total == 0:
        return book
    b, rows = spec.total, 2 * spec.total
    decisions = {d: streams.get(f"backlog.case.{d.value}").random(rows) for d in Decision}
    effort = {
        task: build(scenario.tasks[task].hours).ppf(
            streams.get(f"backlog.effort.{task.value}").random((rows, REPEATS.get(task, 2)))
        )
        for task in Task
    }
    delays = {
        d: build(scenario.delays[d]).ppf(streams.get(f"backlog.delay.{d.value}").random((rows, 2))) for d in Delay
    }
    ratios = {name: _ratio(scenario, name, decisions[decision]) for name, decision in RATIOS.items()}
    claims = build(scenario.amounts.claim_cny).ppf(decisions[Decision.CLAIM])
    age_u, time_u = streams.get("backlog.age").random(b), streams.get("backlog.time").random(b)
    mix = scenario.arrivals.case_mix
    enforcement = mix[CaseType.FIRST] + mix[CaseType.RESUMED]
    first_share = mix[CaseType.FIRST] / enforcement if enforcement > 0 else 1.0
    first_row = 2 * book.n_filed
    edges = spec.age_bands_days
    window = calendar.hours_per_day / 24.0
    days = [_filing_days(calendar, edges[i], edges[i + 1]) for i in range(len(edges) - 1)]
    seeded: list[tuple[Case, BacklogStage]] = []
    j = 0
    for stage in BacklogStage:  # a fixed order, so a case keeps its row whatever the file's order
        for band, count in enumerate(spec.counts.get(stage, ())):
            for _ in range(count):
                choice = days[band]
                day = choice[min(int(float(age_u[j]) * len(choice)), len(choice) - 1)]
                arrived = day + calendar.day_start_hour / 24.0 + window * float(time_u[j])
                if stage is BacklogStage.PRESERVATION:
                    case_type = CaseType.PRESERVATION
                else:
                    case_type = CaseType.FIRST if decisions[Decision.CASE_TYPE][j] < first_share else CaseType.RESUMED
                behaviour = (
                    case_type is CaseType.FIRST
                    and stage not in FAR_ALONG
                    and bool(decisions[Decision.BEHAVIOUR][j] < scenario.arrivals.behaviour_rate)
                )
                case = Case(
                    id=first_row + j,
                    row=first_row + j,
                    case_type=case_type,
                    behaviour=behaviour,
                    labelled=bool(decisions[Decision.LABELLED][j] < scenario.arrivals.labelled_rate),
                    related_group=first_row + j,
                    claim_cny=0.0 if behaviour else float(claims[j]),
                    arrived=arrived,
                )
                seeded.append((case, stage))
                j += 1
    seeded.sort(key=lambda item: (item[0].arrived, item[0].id))
    # The backlog's draws go after the filed cases' rows and their resumptions' (2 n of them).
    return CaseBook(
        cases=book.cases,
        decisions={d: np.concatenate([book.decisions[d], decisions[d]]) for d in Decision},
        effort_hours={t: np.concatenate([book.effort_hours[t], effort[t]]) for t in Task},
        delay_days={d: np.concatenate([book.delay_days[d], delays[d]]) for d in Delay},
        ratios={r: np.concatenate([book.ratios[r], ratios[r]]) for r in RATIOS},
        backlog=seeded,
    )


def _filing_days(calendar: WorkCalendar, low: float, high: float) -> list[int]:
    """Working days ``k < 0`` (sim day numbers) whose age at midday, ``-k - 0.5``, is in ``[low, high)``."""
    first, last = -math.floor(high + 0.5), -1
    found = [
        k for k in range(first, last + 1) if low <= -k - 0.5 < high and calendar.is_working_day(calendar.date_of(k))
    ]
    if found:
        return found
    before = calendar.add_working_days(calendar.date_of(min(first + 1, last)), -1)  # older than the band
    return [round(calendar.time_of(before))]
