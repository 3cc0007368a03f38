"""Open cases are right-censored: ignoring them biases durations short; the censoring-aware fits do not.

A synthetic court files cases uniformly over a year; each takes a lognormal time
(median 90 days, sigma 0.7) to close; the export is made on the last day, so the
cases filed late are still open (administrative censoring).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.calibration.fit import fit_durations
from sim.calibration.records import from_frame
from sim.calibration.survival import (
    aalen_johansen,
    fit_censored,
    fit_complete,
    fit_truncated,
    kaplan_meier,
)

MEDIAN_DAYS, SIGMA, N, SPAN_DAYS = 90.0, 0.7, 3000, 365


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(observed days, closed?, days from filing to the extraction date)."""
    rng = np.random.default_rng(6)
    filed = rng.uniform(0, SPAN_DAYS, N)
    duration = rng.lognormal(np.log(MEDIAN_DAYS), SIGMA, N)
    limit = SPAN_DAYS - filed
    closed = duration <= limit
    return np.where(closed, duration, limit), closed, limit


def test_ignoring_open_cases_biases_durations_short(sample: tuple[np.ndarray, ...]) -> None:
    time, closed, _ = sample
    assert 0.15 < 1 - closed.mean() < 0.35  # a realistic share still open at extraction
    naive = fit_complete(time[closed], ("lognormal",))[0]
    assert naive.params[2] < 0.92 * MEDIAN_DAYS  # closed-only median is too short …
    assert naive.params[0] < SIGMA - 0.03  # … and too narrow


def test_censoring_aware_fit_recovers_the_parameters(sample: tuple[np.ndarray, ...]) -> None:
    time, closed, _ = sample
    best = {f.family: f for f in fit_censored(time, closed)}
    fit = best["lognormal"]
    assert fit.params[2] == pytest.approx(MEDIAN_DAYS, rel=0.04)
    assert fit.params[0] == pytest.approx(SIGMA, abs=0.03)
    sigma_se, median_se = fit.se
    assert abs(fit.params[2] - MEDIAN_DAYS) < 3 * median_se  # the stated uncertainty covers the truth
    assert abs(fit.params[0] - SIGMA) < 3 * sigma_se
    assert min(best.values(), key=lambda f: f.aic).family == "lognormal"  # AIC picks the true family


def test_closed_form_likelihood_matches_scipy_censored_fit(sample: tuple[np.ndarray, ...]) -> None:
    time, closed, _ = sample
    data = stats.CensoredData(uncensored=time[closed], right=time[~closed])
    for ours in fit_censored(time, closed, ("lognormal", "gamma", "weibull")):
        scipy_dist = {"lognormal": stats.lognorm, "gamma": stats.gamma, "weibull": stats.weibull_min}[ours.family]
        theirs = scipy_dist.fit(data, floc=0)
        assert np.allclose(ours.params, theirs, rtol=2e-3), ours.family


def test_kaplan_meier_matches_scipy_and_the_truth(sample: tuple[np.ndarray, ...]) -> None:
    time, closed, _ = sample
    days, surv = kaplan_meier(time, closed)
    reference = stats.ecdf(stats.CensoredData(uncensored=time[closed], right=time[~closed]))
    assert np.allclose(surv, reference.sf.evaluate(days))
    median = days[np.flatnonzero(surv <= 0.5)[0]]
    assert median == pytest.approx(MEDIAN_DAYS, rel=0.05)


def test_duration_given_an_outcome_needs_truncation(sample: tuple[np.ndarray, ...]) -> None:
    """Two outcomes compete; the quick one's duration fit is right only with the truncation weights."""
    time, closed, limit = sample
    fit = fit_truncated(time[closed], limit[closed])
    assert fit is not None
    assert fit.params[2] == pytest.approx(MEDIAN_DAYS, rel=0.05)
    code = np.where(closed, 1 + (np.arange(N) % 3 == 0), 0)  # a third of the closures have outcome 2
    _, cif = aalen_johansen(time, code, 2)
    assert cif[-1, 1] / cif[-1].sum() == pytest.approx(1 / 3, abs=0.03)


def test_records_pipeline_is_censoring_aware(sample: tuple[np.ndarray, ...]) -> None:
    """The same sample written as an export (dates) and read back: the 'all' fit is unbiased."""
    time, closed, limit = sample
    start = date(2022, 1, 1)
    extraction = start + timedelta(days=SPAN_DAYS)
    filed = [extraction - timedelta(days=int(c)) for c in limit]
    closing = [f + timedelta(days=round(t)) if c else None for f, t, c in zip(filed, time, closed, strict=True)]
    frame = pd.DataFrame(
        {
            "案号": [f"（{f.year}）豫1381执{i + 1}号" for i, f in enumerate(filed)],
            "立案日期": [f.isoformat() for f in filed],
            "结案日期": ["" if c is None else c.isoformat() for c in closing],
            "结案方式": ["" if c is None else "执行完毕" for c in closing],
        }
    )
    records = from_frame(frame, "censored.csv", extraction)
    groups = {(g.kind, g.label): g for g in fit_durations(records.cases, extraction)}
    everything = groups[("all", "all")]
    aware = next(f for f in everything.fits if f.family == "lognormal")
    assert aware.params[2] == pytest.approx(MEDIAN_DAYS, rel=0.05)
    assert everything.naive is not None
    assert float(everything.naive.frozen().median()) < 0.92 * MEDIAN_DAYS
    given = groups[("outcome", "completed")].fits
    assert next(f for f in given if f.family == "lognormal").params[2] == pytest.approx(MEDIAN_DAYS, rel=0.05)
