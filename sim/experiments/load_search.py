"""At what load does a target break? A search on the arrival rate (``courtsim capacity``).

Like a court president asking "how many more filings can we take before simple
cases stop closing within 45 days?", :func:`find_capacity` scales
``arrivals.cases_per_year`` by a multiplier and looks for the highest multiplier
at which a target such as ``fast45_rate>=0.9`` still holds *with confidence*:
the one-sided Student-t bound of the mean over the replications must lie on the
right side of the threshold (for ``>=``, the lower bound at or above it; the targets
themselves are :class:`sim.experiments.types.Target`).

Method (documented with its limits in ``docs/experiments.md``): evaluate the
scenario's own load (multiplier 1); if the target holds, step the multiplier up
by a factor until it does not; if it does not, try the lowest load. That
brackets the answer; bisection then halves the bracket until it is narrower
than ``tol``. Every load uses the same
replications ``0..reps-1`` of the same seed (common random numbers), so the
comparison between loads is as steady as the model allows. The search assumes
the KPI worsens with load; the table of every load tried shows where it does not.

It thinks before it simulates. Each load first runs ``first_look`` replications;
if the bound on the *other* side already shows the target failing (for ``>=``,
the upper bound below the threshold), the load is not run further — stopping
early can only turn "holds" into "not shown", so the answer stays a load at which
the target holds with confidence. And the scenario's own load gives each team's
utilisation, hence the load at which the busiest case-driven team saturates
(:func:`analytic_capacity`, utilisation 1): loads beyond it are not simulated. And a
target that fails at the scenario's load and lies above its **ceiling** there (the most
any staffing can reach, :mod:`sim.experiments.ceilings`) is not looked for at lower loads:
the ceiling comes from each case's own draws and the law (the 3-month 终本 floor, the
outside waits), not from queues, and a lower load can only close more of the cases a
loaded run leaves open, which the ceiling counts as reachable; so it does not rise as the
load falls.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.experiments.ceilings import CeilingCheck, ceiling_checks
from sim.experiments.statistics import one_sided_bound
from sim.experiments.types import Evaluate, Target
from sim.metrics.stability import unstable_replications
from sim.vocab import Team

__all__ = ["CapacityResult", "Saturation", "analytic_capacity", "find_capacity"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CapacityResult:
    """The answer of :func:`find_capacity` and every load it tried.

    ``multiplier`` is the highest load shown to meet the target (``None`` if even
    the lowest load tried does not); ``bracket`` is ``(holds, not shown)``, either
    end ``None`` when the search hit its limit on that side.
    """

    target: Target
    confidence: float
    reps: int
    base_cases_per_year: float
    multiplier: float | None
    bracket: tuple[float | None, float | None]
    evaluations: pd.DataFrame  # multiplier, cases_per_year, n, mean, bound, holds, basis, unstable (reps flagged)
    conclusion: str
    saturation: Saturation | None = None  # the analytic bound found at the scenario's load
    stopped: str = ""  # why the search stopped
    usage: str = ""  # replications used, in words
    simulated: int = 0  # replications the search asked for
    kpis: pd.DataFrame | None = None  # every replication used: scenario (x<multiplier>), replication, kpi, value
    ceiling: CeilingCheck | None = None  # the target's ceiling at the scenario's load, if its KPI has one

    @property
    def cases_per_year(self) -> float | None:
        """Filings a year at the answer."""
        return None if self.multiplier is None else self.multiplier * self.base_cases_per_year

    def at_answer(self) -> pd.Series | None:
        """The evaluation row of the answer."""
        if self.multiplier is None:
            return None
        rows = self.evaluations[self.evaluations["multiplier"] == self.multiplier]
        return rows.iloc[0]


def find_capacity(
    scenario: Scenario,
    target: Target,
    evaluate: Evaluate,
    *,
    confidence: float = 0.95,
    reps: int = 5,
    low: float = 0.25,
    high: float = 3.0,
    step: float = 1.5,
    tol: float = 0.1,
    first_look: int = 2,
) -> CapacityResult:
    """The highest arrival multiplier at which ``target`` holds with ``confidence``.

    Parameters
    ----------
    scenario : Scenario
        Its ``arrivals.cases_per_year`` is the multiplier 1.
    target : Target
        What must hold, e.g. ``parse_target("fast45_rate>=0.9")``.
    evaluate : callable
        ``evaluate(scenarios, reps)`` → long KPI table; the same replications for every load.
    confidence : float
        One-sided confidence of "the target holds" (0.95: the 95% lower bound for ``>=``).
    reps : int
        Replications per load (>= 2) for the verdict "holds".
    low, high : float
        The multipliers the search will not go beyond.
    step : float
        Factor between loads while bracketing (> 1).
    tol : float
        Stop bisecting when the bracket is this narrow (in multiplier units).
    first_look : int
        Replications after which a load whose target fails with confidence is not run
        further (2 <= first_look <= reps).
    """
    if reps < 2:
        raise ValueError("a confidence bound needs at least 2 replications per load")
    if not 2 <= first_look <= reps:
        raise ValueError(f"need 2 <= first_look <= reps (got {first_look=}, {reps=})")
    if not 0 < low <= 1 <= high or step <= 1 or tol <= 0:
        raise ValueError(f"need 0 < low <= 1 <= high, step > 1 and tol > 0 (got {low=}, {high=}, {step=}, {tol=})")
    base = scenario.arrivals.cases_per_year
    rows: list[dict[str, float | bool | int | str]] = []
    used = {"simulated": 0}
    seen: list[pd.DataFrame] = []  # the KPI tables of every load, for a results folder

    def holds(m: float) -> bool:
        label = f"x{m:.3f}"
        loaded = with_overrides(scenario, {"arrivals.cases_per_year": base * m})
        kpis = evaluate({label: loaded}, first_look)
        check, n, verdict = target.on(kpis, label, confidence), first_look, ""
        if not check.holds and _fails(target, kpis, label, confidence):
            verdict = f"fails with confidence after {n}"
        elif n < reps:
            kpis = evaluate({label: loaded}, reps)
            check, n = target.on(kpis, label, confidence), reps
        used["simulated"] += n
        seen.append(kpis)
        rows.append(
            {
                "multiplier": m,
                "cases_per_year": base * m,
                "n": check.n,
                "mean": check.mean,
                "bound": check.bound,
                "holds": check.holds,
                "basis": verdict or ("holds" if check.holds else "not shown to hold"),
                "unstable": unstable_replications(kpis, label)[0],
            }
        )
        if m == 1.0:
            saturation.append(analytic_capacity(scenario, kpis, label))
            ceilings.extend(ceiling_checks(kpis, label, [target], confidence))
        logger.info(
            "load x%.3f: %s mean %.4g, bound %.4g → %s", m, target.kpi, check.mean, check.bound, rows[-1]["basis"]
        )
        return check.holds

    saturation: list[Saturation | None] = []
    ceilings: list[CeilingCheck] = []
    lo, hi = _bracket(holds, low, high, step, saturation, ceilings)
    while lo is not None and hi is not None and hi - lo > tol:
        mid = round((lo + hi) / 2, 3)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if holds(mid) else (lo, mid)
    limit = saturation[0] if saturation else None
    ceiling = ceilings[0] if ceilings else None
    blocked = ceiling is not None and not ceiling.reachable and lo is None and hi == 1.0
    conclusion = _conclusion(lo, hi, low, high, limit, ceiling if blocked else None)
    if blocked:
        stopped = "the target is above its ceiling at 1×: no lower load was simulated"
    elif lo is None:
        stopped = f"the target is not shown to hold at the lowest load ({low:g}×)"
    elif hi is None:
        stopped = f"the target holds at the highest load ({high:g}×)"
    else:
        stopped = f"the bracket is {hi - lo:.3g} wide (tolerance {tol:g})"
    loads = f"{len(rows)} load" + ("" if len(rows) == 1 else "s")
    usage = (
        f"{used['simulated']} replications over {loads} (a load failing with confidence after "
        f"{first_look} is not run to {reps})"
    )
    columns = ["multiplier", "cases_per_year", "n", "mean", "bound", "holds", "basis", "unstable"]
    table = pd.DataFrame(rows, columns=columns)
    every = pd.concat(seen, ignore_index=True) if seen else None
    kept = None if every is None else every.drop_duplicates(["scenario", "replication", "kpi"], keep="last")
    return CapacityResult(
        target,
        confidence,
        reps,
        base,
        lo,
        (lo, hi),
        table,
        conclusion,
        limit,
        stopped,
        usage,
        used["simulated"],
        kept,
        ceiling,
    )


def _fails(target: Target, kpis: pd.DataFrame, label: str, confidence: float) -> bool:
    """Whether the bound on the other side shows the target fails (the mean is on the wrong side with confidence)."""
    rows = kpis[(kpis["scenario"] == label) & (kpis["kpi"] == target.kpi)]
    other = "upper" if target.side == "lower" else "lower"
    bound = one_sided_bound(rows["value"].to_numpy(dtype=float), other, confidence)
    return not math.isnan(bound) and not target.met_by(bound)


@dataclass(frozen=True)
class Saturation:
    """Where the court stops keeping up: the busiest case-driven team × role reaches utilisation 1."""

    team: str
    role: str
    utilisation: float  # at the scenario's own load (multiplier 1), mean over the replications
    multiplier: float  # 1 / utilisation

    def __str__(self) -> str:
        return f"{self.team} {self.role}s are busy {self.utilisation:.0%} at 1×, so saturate at {self.multiplier:.3g}×"


def analytic_capacity(scenario: Scenario, kpis: pd.DataFrame, label: str) -> Saturation | None:
    """The load multiplier at which the busiest case-driven team × role reaches utilisation 1.

    While the court keeps up, each team's case work grows in proportion to the filings, so
    a team × role busy ``ρ`` of its working time at the scenario's load saturates at
    ``1 / ρ`` times the load; beyond the smallest such multiplier its queue grows without
    bound, and no target holds for long. Teams carrying the side streams (petitions,
    commissioned matters, supervision, reports: their work is not scaled) are left out.
    ``None`` without utilisation KPIs.
    """
    org = scenario.organisation
    side = {org.team_for(Team.OVERSIGHT).value, org.team_for(Team.REVIEW).value}
    rows = kpis[(kpis["scenario"] == label) & kpis["kpi"].str.startswith("util_")]
    found: Saturation | None = None
    for kpi, value in rows.groupby("kpi")["value"].mean().items():
        for team in Team:
            prefix = f"util_{team.value}_"
            if not str(kpi).startswith(prefix) or team.value in side or not value > 0:
                continue
            if found is None or value > found.utilisation:
                found = Saturation(team.value, str(kpi)[len(prefix) :], float(value), 1.0 / float(value))
    return found


def _bracket(
    holds: Callable[[float], bool],
    low: float,
    high: float,
    step: float,
    saturation: list[Saturation | None],
    ceilings: list[CeilingCheck],
) -> tuple[float | None, float | None]:
    """``(lo, hi)``: the target holds at ``lo`` and is not shown at ``hi`` (None past a limit).

    Upwards the load grows by ``step`` until the target fails, but never to the analytic
    saturation (found by the first evaluation, at the scenario's own load) or beyond: a
    load the staff cannot keep up with is not a capacity and is not simulated; it closes
    the bracket instead. Downwards the lowest load is tried at once: a target that fails
    even there is not load-bound (in the baseline, ``fast45_rate>=0.9`` under the 3-month
    终本 floor), and saying so after two evaluations beats stepping down through four. When
    the scenario's load already shows the target above its ceiling (found by the first
    evaluation), no lower load is tried: ``(None, 1.0)``.
    """
    m = 1.0
    if holds(m):
        limit = saturation[0].multiplier if saturation and saturation[0] is not None else math.inf
        while m < high:
            nxt = round(min(m * step, high), 3)
            if nxt >= limit:
                return m, max(m, round(limit, 3))  # bisect between m and the saturation
            if not holds(nxt):
                return m, nxt
            m = nxt
        return m, None
    if any(not c.reachable for c in ceilings):
        return None, m
    return (low, m) if holds(low) else (None, low)


def _conclusion(
    lo: float | None,
    hi: float | None,
    low: float,
    high: float,
    saturation: Saturation | None,
    ceiling: CeilingCheck | None = None,
) -> str:
    if ceiling is not None:
        return (
            f"the target is not shown to hold at any load: {ceiling.target.kpi} cannot pass its ceiling of "
            f"{100 * ceiling.mean:.1f}% (upper bound {100 * ceiling.bound:.1f}%; 上限 ceiling below), which comes "
            "from the cases' own waits and the law, not from queues: the load is not what limits it"
        )
    if lo is None:
        return (
            f"the target is not shown to hold even at {low:g}× the load: the load is not what "
            "limits it (see the KPI at the lowest load)"
        )
    if hi is None:
        return f"the target holds up to the highest load tried ({high:g}×); the capacity is at least that"
    if saturation is not None and hi == round(saturation.multiplier, 3):
        return (
            f"the target holds at {lo:g}×; at {hi:g}× the court no longer keeps up ({saturation}; "
            "loads beyond are not simulated)"
        )
    return f"the target holds at {lo:g}× and is not shown to hold at {hi:g}×"
