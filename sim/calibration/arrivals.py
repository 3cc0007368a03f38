"""How many cases are filed: a Poisson rate per working day with month-of-year multipliers.

The model files cases on working days only, as a Poisson count whose mean follows
``monthly_multipliers`` (see :func:`sim.cases.arrival_times`). Fitting it is a
Poisson regression of daily filings on month-of-year dummies with the working day
as exposure; with dummies only, the maximum-likelihood rate of month m is simply
filings ÷ working days in month m, with standard error sqrt(filings) ÷ working days.
The standard errors are widened by the Pearson dispersion when the days vary more
than a Poisson count would (quasi-Poisson).

Two things the model cannot represent are measured and reported, not written:
filings dated on rest days (counted on the next working day, as the model would)
and the catch-up on the first working day after a break of three or more rest
days (a second regression with that indicator, fitted by Newton's method).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from sim.config.schema import Scenario
from sim.workcalendar import WorkCalendar

__all__ = ["MIN_MONTH_WDAYS", "ArrivalFit", "fit_arrivals", "records_calendar"]

logger = logging.getLogger(__name__)

MIN_MONTH_WDAYS = 10
"""Working days of a month of the year that the records must cover to fit its multiplier."""
_LONG_BREAK_DAYS = 3


@dataclass(frozen=True)
class ArrivalFit:
    """The fitted filing rate and what goes with it.

    ``monthly``: month (1–12), wdays (exposure, working days), filings, rate_per_wday,
    rate_se, multiplier, multiplier_se. ``by_month``: each calendar month of the
    records with its working days, observed filings and the fitted expectation
    (``expected``, ``low``, ``high``: a 95% Poisson range) for the figure.
    """

    monthly: pd.DataFrame
    by_month: pd.DataFrame
    months_identified: bool
    cases_per_year: float
    cases_per_year_se: float
    multipliers: tuple[float, ...]
    dispersion: float
    break_effect: float
    break_effect_se: float
    rest_day_filings: int
    n: int


def records_calendar(base: Scenario, start: date, end: date) -> WorkCalendar:
    """The base scenario's working calendar laid over the records' period."""
    spec = base.calendar
    return WorkCalendar(
        start,
        horizon_days=float((end - start).days + 1),
        mode=spec.mode,
        hours_per_day=spec.hours_per_day,
        day_start_hour=spec.day_start_hour,
        extra_holidays=spec.extra_holidays,
        extra_workdays=spec.extra_workdays,
        closures=spec.closures,
    )


def daily_counts(filed: pd.Series, calendar: WorkCalendar, start: date, end: date) -> pd.DataFrame:
    """One row per working day of [start, end]: date, month, filings, long_break.

    A filing dated on a rest day is counted on the next working day (the last working
    day if the period ends on rest days); ``long_break`` marks the first working day
    after three or more rest days.
    """
    days = [start + timedelta(i) for i in range((end - start).days + 1)]
    working = np.array([calendar.is_working_day(d) for d in days])
    counts = pd.Series(pd.to_datetime(filed).dt.date).value_counts()
    raw = np.array([counts.get(d, 0) for d in days], dtype=float)
    if not working.any():
        raise ValueError(f"no working day between {start} and {end}")
    target = np.searchsorted(np.flatnonzero(working), np.arange(len(days)))
    target = np.flatnonzero(working)[np.minimum(target, working.sum() - 1)]
    per_day = np.bincount(target, weights=raw, minlength=len(days))
    rest_run = np.zeros(len(days), int)
    for i in range(1, len(days)):
        rest_run[i] = 0 if working[i - 1] else rest_run[i - 1] + 1
    frame = pd.DataFrame({"date": days, "filings": per_day, "long_break": rest_run >= _LONG_BREAK_DAYS})
    frame = frame[working].reset_index(drop=True)
    frame["month"] = [d.month for d in frame["date"]]
    frame.attrs["rest_day_filings"] = int(raw[~working].sum())
    return frame


def fit_arrivals(filed: pd.Series, start: date, end: date, base: Scenario) -> ArrivalFit:
    """Fit the filing rate of ``filed`` (dates) over [start, end] against ``base``'s calendar.

    ``cases_per_year`` is the expected count over the scenario's first 365 days (its
    ``run.start_date`` and calendar): exactly the normalisation the model uses, so the
    model's daily rate in month m equals the fitted one. If some month of the year is
    covered by fewer than :data:`MIN_MONTH_WDAYS` working days, the monthly pattern is
    not identified: the base's multipliers are kept and only the level is fitted.
    """
    days = daily_counts(filed, records_calendar(base, start, end), start, end)
    monthly = days.groupby("month").agg(wdays=("filings", "size"), filings=("filings", "sum"))
    monthly = monthly.reindex(range(1, 13), fill_value=0)
    identified = bool((monthly["wdays"] >= MIN_MONTH_WDAYS).all())
    base_mult = np.array(base.arrivals.monthly_multipliers, float)
    if identified:
        rate = monthly["filings"].to_numpy(float) / monthly["wdays"].to_numpy(float)
    else:
        exposure = float((base_mult * monthly["wdays"].to_numpy(float)).sum())
        rate = base_mult * monthly["filings"].sum() / exposure
    fitted = rate[days["month"].to_numpy() - 1]
    dispersion = _dispersion(days["filings"].to_numpy(float), fitted, 12 if identified else 1)
    rate_se = _rate_se(monthly, rate, base_mult, identified, dispersion)
    reference = _reference_wdays(base)
    per_year = float((reference * rate).sum())
    per_year_se = (
        float(np.sqrt(np.sum((reference * rate_se) ** 2)))
        if identified
        else float(rate_se[0] / rate[0] * per_year)
        if rate[0] > 0
        else math.nan
    )
    mean_rate = float(rate.mean())
    multipliers = rate / mean_rate if identified and mean_rate > 0 else base_mult
    monthly = monthly.reset_index().rename(columns={"index": "month"})
    monthly["rate_per_wday"], monthly["rate_se"] = rate, rate_se
    monthly["multiplier"] = multipliers
    monthly["multiplier_se"] = rate_se / mean_rate if identified and mean_rate > 0 else np.nan
    effect, effect_se = _break_effect(days, dispersion)
    return ArrivalFit(
        monthly,
        _by_month(days, rate),
        identified,
        per_year,
        per_year_se,
        tuple(float(m) for m in multipliers),
        dispersion,
        effect,
        effect_se,
        int(days.attrs["rest_day_filings"]),
        int(days["filings"].sum()),
    )


def _dispersion(y: np.ndarray, mu: np.ndarray, n_params: int) -> float:
    """Pearson χ² / (n − p); 1 for a Poisson count."""
    ok = mu > 0
    dof = int(ok.sum()) - n_params
    if dof <= 0:
        return 1.0
    return float(np.sum((y[ok] - mu[ok]) ** 2 / mu[ok]) / dof)


def _rate_se(
    monthly: pd.DataFrame, rate: np.ndarray, base_mult: np.ndarray, identified: bool, dispersion: float
) -> np.ndarray:
    scale = math.sqrt(max(dispersion, 1.0))
    if identified:
        se: np.ndarray = scale * np.sqrt(monthly["filings"].to_numpy(float)) / monthly["wdays"].to_numpy(float)
        return se
    total = float(monthly["filings"].sum())
    relative = 1 / math.sqrt(total) if total > 0 else math.nan
    return scale * rate * relative


def _reference_wdays(scenario: Scenario) -> np.ndarray:
    """Working days per month of the year in the scenario's first 365 days (the model's year)."""
    start = scenario.run.start_date
    calendar = records_calendar(scenario, start, start + timedelta(days=365))
    counts = np.zeros(12)
    for i in range(365):
        d = start + timedelta(i)
        counts[d.month - 1] += calendar.is_working_day(d)
    return counts


def _break_effect(days: pd.DataFrame, dispersion: float) -> tuple[float, float]:
    """Rate ratio (and its SE) of the first working day after a long break, month held fixed."""
    if not days["long_break"].any() or days["long_break"].all():
        return math.nan, math.nan
    months = sorted(days["month"].unique())
    x = np.column_stack([(days["month"] == m).to_numpy(float) for m in months] + [days["long_break"].to_numpy(float)])
    beta, cov = _poisson_glm(x, days["filings"].to_numpy(float))
    if beta is None or cov is None:
        return math.nan, math.nan
    ratio = math.exp(beta[-1])
    return ratio, ratio * math.sqrt(max(dispersion, 1.0) * cov[-1, -1])


def _poisson_glm(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Poisson regression log E[y] = x β by Newton's method; (β, covariance) or (None, None)."""
    totals = x.T @ y
    if np.any(totals[:-1] <= 0):  # a month without filings has no finite log-rate
        return None, None
    beta = np.zeros(x.shape[1])
    beta[:-1] = np.log(totals[:-1] / x[:, :-1].sum(axis=0))
    for _ in range(steps):
        mu = np.exp(x @ beta)
        hess = x.T @ (x * mu[:, None])
        step = np.linalg.solve(hess, x.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(x @ beta)
    return beta, np.linalg.inv(x.T @ (x * mu[:, None]))


def _by_month(days: pd.DataFrame, rate: np.ndarray) -> pd.DataFrame:
    frame = days.assign(period=[d.strftime("%Y-%m") for d in days["date"]], expected=rate[days["month"].to_numpy() - 1])
    table = (
        frame.groupby("period")
        .agg(wdays=("filings", "size"), filings=("filings", "sum"), expected=("expected", "sum"))
        .reset_index()
    )
    table["low"] = stats.poisson.ppf(0.025, table["expected"])
    table["high"] = stats.poisson.ppf(0.975, table["expected"])
    return table
