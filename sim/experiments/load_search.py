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
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.experiments.types import Evaluate, Target

__all__ = ["CapacityResult", "find_capacity"]

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
    evaluations: pd.DataFrame  # multiplier, cases_per_year, n, mean, bound, holds (in the order tried)
    conclusion: str

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
        Replications per load (>= 2).
    low, high : float
        The multipliers the search will not go beyond.
    step : float
        Factor between loads while bracketing (> 1).
    tol : float
        Stop bisecting when the bracket is this narrow (in multiplier units).
    """
    if reps < 2:
        raise ValueError("a confidence bound needs at least 2 replications per load")
    if not 0 < low <= 1 <= high or step <= 1 or tol <= 0:
        raise ValueError(f"need 0 < low <= 1 <= high, step > 1 and tol > 0 (got {low=}, {high=}, {step=}, {tol=})")
    base = scenario.arrivals.cases_per_year
    rows: list[dict[str, float | bool | int]] = []

    def holds(m: float) -> bool:
        label = f"x{m:.3f}"
        loaded = with_overrides(scenario, {"arrivals.cases_per_year": base * m})
        check = target.on(evaluate({label: loaded}, reps), label, confidence)
        rows.append(
            {
                "multiplier": m,
                "cases_per_year": base * m,
                "n": check.n,
                "mean": check.mean,
                "bound": check.bound,
                "holds": check.holds,
            }
        )
        logger.info(
            "load x%.3f: %s mean %.4g, bound %.4g → %s",
            m,
            target.kpi,
            check.mean,
            check.bound,
            "holds" if check.holds else "not shown",
        )
        return check.holds

    lo, hi = _bracket(holds, low, high, step)
    while lo is not None and hi is not None and hi - lo > tol:
        mid = round((lo + hi) / 2, 3)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if holds(mid) else (lo, mid)
    conclusion = _conclusion(lo, hi, low, high)
    table = pd.DataFrame(rows, columns=["multiplier", "cases_per_year", "n", "mean", "bound", "holds"])
    return CapacityResult(target, confidence, reps, base, lo, (lo, hi), table, conclusion)


def _bracket(holds: Callable[[float], bool], low: float, high: float, step: float) -> tuple[float | None, float | None]:
    """``(lo, hi)``: the target holds at ``lo`` and is not shown at ``hi`` (None past a limit).

    Upwards the load grows by ``step`` until the target fails. Downwards the lowest
    load is tried at once: a target that fails even there is not load-bound (in
    the baseline, ``fast45_rate>=0.9`` under the 3-month 终本 floor), and saying so
    after two evaluations beats stepping down through four.
    """
    m = 1.0
    if holds(m):
        while m < high:
            nxt = round(min(m * step, high), 3)
            if not holds(nxt):
                return m, nxt
            m = nxt
        return m, None
    return (low, m) if holds(low) else (None, low)


def _conclusion(lo: float | None, hi: float | None, low: float, high: float) -> str:
    if lo is None:
        return (
            f"the target is not shown to hold even at {low:g}× the load: the load is not what "
            "limits it (see the KPI at the lowest load)"
        )
    if hi is None:
        return f"the target holds up to the highest load tried ({high:g}×); the capacity is at least that"
    return f"the target holds at {lo:g}× and is not shown to hold at {hi:g}×"
