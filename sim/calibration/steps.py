"""Outside delays from dated steps: how long the post, the banks, the registries took to answer.

Like timing the post by the date on the letter and the date of the reply: where an export
dates a step's request and its answer (``送达_发出`` / ``送达_回复``, or
``service_requested`` / ``service_answered``; :func:`sim.calibration.table.step_column`),
the days between them are draws of the scenario's outside delay. A request still
unanswered at the extraction date is right-censored there (it has lasted *at least* so
long), as an open case is for durations; dropping such requests would keep the quick
answers and lose the slow ones. A request of a case closed without an answer is censored
at the closing date.

Days are whole days between the two dates (an answer on the day of the request counts as
0.5 day, as a same-day closure does in :mod:`sim.calibration.records`), and the censoring
time of an open request is the days to the end of the extraction date plus 0.5.

Each delay with at least :data:`MIN_ANSWERS` answers is fitted by Weibull, lognormal,
gamma and exponential with right-censoring (:func:`sim.calibration.survival.fit_censored`),
the best AIC written into the calibrated scenario's ``[delays]`` (keeping the base's
``cap``, a statutory limit), with its median and the median's 95% interval (delta method)
beside the Kaplan–Meier median.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration import likelihood as lk
from sim.calibration import parsing as p
from sim.calibration.outcomes import Estimate
from sim.calibration.survival import ParametricFit, fit_censored, kaplan_meier, numerical_cov
from sim.config.schema import Scenario
from sim.vocab import DELAY_ZH, Delay

__all__ = ["MIN_ANSWERS", "STEP_COLUMNS", "DelayFit", "StepRow", "clean_steps", "delay_estimates", "fit_delays"]

MIN_ANSWERS = 20
"""Answered requests a delay needs before it is fitted (as durations need closures)."""
STEP_COLUMNS = ["row", "case_no", "delay", "requested", "answered", "days", "event"]
"""The records' ``steps`` table: one row per dated request (``answered`` NaT while open)."""
FAMILIES = ("weibull", "lognormal", "gamma", "exponential")
_Z = 1.959964

Log = Callable[[int, str, str, str, str], None]
"""The cleaning report's ``add(row, case_no, field, action, reason)``."""


@dataclass(frozen=True)
class StepRow:
    """What the cleaner kept of one case row for its steps."""

    row: int
    case_no: str
    filed: date
    closed: date | None  # None while open (or closed on an unknown date)
    status: str  # closed, open or closed_undated (sim.calibration.records)
    cells: tuple[Any, ...]  # the raw cells of the step columns, in ``columns`` order


def clean_steps(
    rows: list[StepRow],
    columns: dict[tuple[Delay, str], int],
    extraction: date,
    log: Log,
) -> pd.DataFrame:
    """The dated steps of the rows used, one row per request, each problem in the cleaning report.

    ``rows`` have ``row, case_no, filed, closed, cells`` (the raw cells of ``columns``'
    columns, in their order). A step is left out, with the reason, when its request date is
    unreadable or missing while an answer is given, before the case's filing or after the
    extraction date, or its answer is unreadable or before its request; an answer after the
    extraction date counts as open.
    """
    order = list(columns)
    delays = sorted({d for d, _ in order}, key=lambda d: list(Delay).index(d))
    out: list[tuple[Any, ...]] = []
    for r in rows:
        cells = dict(zip(order, r.cells, strict=True))
        for delay in delays:
            step = _one_step(r, delay, cells.get((delay, "requested")), cells.get((delay, "answered")), extraction, log)
            if step is not None:
                out.append(step)
    frame = pd.DataFrame(out, columns=STEP_COLUMNS)
    frame["requested"] = pd.to_datetime(frame["requested"])
    frame["answered"] = pd.to_datetime(frame["answered"])
    frame["days"] = frame["days"].astype(float)
    frame["event"] = frame["event"].astype(bool)
    return frame


def _header(delay: Delay, side: str) -> str:
    return f"{DELAY_ZH[delay]}_{'发出' if side == 'requested' else '回复'}"


def _one_step(
    r: StepRow, delay: Delay, raw_asked: Any, raw_answer: Any, extraction: date, log: Log
) -> tuple[Any, ...] | None:
    """One request as (row, case_no, delay, requested, answered, days, event), or None with the reason."""
    asked, problem = p.parse_date(raw_asked)
    answered, answer_problem = p.parse_date(raw_answer)
    where = f"{delay.value} ({DELAY_ZH[delay]})"

    def skip(side: str, reason: str) -> None:
        log(r.row, r.case_no, _header(delay, side), "partly used", f"{reason}: left out of the {where} fit")

    if asked is None:
        if problem:
            skip("requested", problem)
        elif answered is not None or answer_problem:
            skip("requested", f"an answer ({raw_answer}) but no request date")
        return None
    if asked < r.filed:
        skip("requested", f"requested {asked} before the case was filed ({r.filed})")
        return None
    if asked > extraction:
        skip("requested", f"requested {asked} after the extraction date {extraction}")
        return None
    if answer_problem:
        skip("answered", answer_problem)
        return None
    if answered is not None and answered < asked:
        skip("answered", f"answered {answered} before it was requested ({asked})")
        return None
    if answered is not None and answered > extraction:
        log(
            r.row,
            r.case_no,
            _header(delay, "answered"),
            "repaired",
            f"answered {answered} after the extraction date {extraction}: counted as unanswered",
        )
        answered = None
    if answered is not None:
        return (r.row, r.case_no, delay.value, asked, answered, max(float((answered - asked).days), 0.5), True)
    if r.status == "closed_undated":
        skip("answered", "no answer, and the case closed on an unknown date (so its censoring time is unknown)")
        return None
    end = r.closed if r.closed is not None else extraction
    return (r.row, r.case_no, delay.value, asked, None, float((end - asked).days) + 0.5, False)


# ---------------------------------------------------------------- fits


@dataclass(frozen=True)
class DelayFit:
    """One outside delay fitted from dated steps (days)."""

    delay: Delay
    n: int  # requests
    n_answered: int
    km_median: float  # Kaplan–Meier median (NaN if the curve never reaches 0.5)
    fit: ParametricFit  # the best AIC, written
    fits: list[ParametricFit]  # every family, best AIC first
    median: float  # of the written fit
    median_se: float
    spec: dict[str, object]  # the DistSpec written

    @property
    def median_interval(self) -> tuple[float, float]:
        """The written fit's median ± 1.96 SE (days)."""
        return self.median - _Z * self.median_se, self.median + _Z * self.median_se

    def note(self) -> str:
        """The fit, its median with the interval and the Kaplan–Meier median, for the source line."""
        low, high = self.median_interval
        ranked = ", ".join(f"{f.family} {f.aic - self.fit.aic:+.1f}" for f in self.fits[1:])
        return (
            f"dated steps ({self.n_answered} answered, {self.n - self.n_answered} open: right-censored); "
            f"{self.fit.describe()}, median {self.median:.4g} [{low:.4g}, {high:.4g}] days (95% CI), "
            f"Kaplan–Meier median {self.km_median:.4g}; ΔAIC of the others: {ranked or 'none'}"
        )


def fit_delays(steps: pd.DataFrame, base: Scenario) -> list[DelayFit]:
    """Fit every delay of ``steps`` with at least :data:`MIN_ANSWERS` answers, in vocabulary order."""
    fits = []
    for delay in Delay:
        group = steps.loc[steps["delay"] == delay.value]
        if int(group["event"].sum()) < MIN_ANSWERS:
            continue
        fitted = _fit_one(delay, group["days"].to_numpy(float), group["event"].to_numpy(bool), base)
        if fitted is not None:
            fits.append(fitted)
    return fits


def _fit_one(delay: Delay, time: np.ndarray, event: np.ndarray, base: Scenario) -> DelayFit | None:
    fits = fit_censored(time, event, FAMILIES)
    if not fits:
        return None
    best = fits[0]
    median, se = _median_se(best, time, event)
    days, surv = kaplan_meier(time, event)
    below = np.flatnonzero(surv <= 0.5)
    km_median = float(days[below[0]]) if below.size else math.nan
    cap = getattr(getattr(base.delays, delay.value), "cap", None)
    return DelayFit(delay, int(time.size), int(event.sum()), km_median, best, fits, median, se, _spec(best, cap))


def _median_se(fit: ParametricFit, time: np.ndarray, event: np.ndarray) -> tuple[float, float]:
    """The fit's median and its standard error (delta method on the log-parameters)."""
    x, right = time[event], time[~event]

    def nll(free: np.ndarray) -> float:
        natural = np.exp(free)
        with np.errstate(all="ignore"):
            value = -float(np.sum(lk.logpdf(fit.family, natural, x)) + np.sum(lk.logsf(fit.family, natural, right)))
        return value if math.isfinite(value) else 1e300

    def median(free: np.ndarray) -> float:
        return float(lk.FAMILIES[fit.family](*lk.scipy_params(fit.family, np.exp(free))).median())

    at = np.log(fit.natural)
    cov = numerical_cov(nll, at)
    step = 1e-5
    grad = np.array([(median(at + e) - median(at - e)) / (2 * step) for e in np.eye(at.size) * step])
    variance = float(grad @ cov @ grad)
    return median(at), math.sqrt(variance) if variance > 0 else math.nan


def _spec(fit: ParametricFit, cap: float | None) -> dict[str, object]:
    """The scenario's DistSpec for the fit (days, 4 significant figures), with the base's cap."""
    a, b = fit.natural[0], fit.natural[-1]
    if fit.family == "weibull":
        spec: dict[str, object] = {"dist": "weibull", "shape": _sig(a), "scale": _sig(b)}
    elif fit.family == "lognormal":
        spec = {"dist": "lognormal", "median": _sig(b), "sigma": _sig(a)}
    elif fit.family == "gamma":
        spec = {"dist": "gamma", "shape": _sig(a), "scale": _sig(b)}
    else:
        spec = {"dist": "exponential", "mean": _sig(a)}
    if cap is not None:
        spec["cap"] = cap
    return spec


def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def delay_estimates(fits: list[DelayFit]) -> list[Estimate]:
    """One written estimate per fitted delay: its median (days) with the 95% interval."""
    return [Estimate("delays", f.delay.value, f.median, *f.median_interval, f.n, True, f.note()) for f in fits]
