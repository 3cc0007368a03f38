"""The calibration round trip: simulate records with known parameters, calibrate, cover the truth.

Issue 19 "done when": every identifiable parameter within its 95% interval on at least 19 of
20 seeds, with resumed (执恢) cases in the synthetic records. Each seed simulates three years
of a court of 1,500 filings a year (its own 执恢 among them) whose 终本 cases resume often
(``resume_within_5y_rate`` 0.6, so the model's own 执恢 cases are many: about 3% of the
filings), exports them on the last day as ``synth-records --years 3`` does, and calibrates
them against the shipped baseline.

A correct 95% interval misses on 2 or more of 20 seeds with probability 26%, so "≥ 19 of 20"
for each of 20-odd parameters would fail most runs of a correct calibration: the per-parameter
check here is ≥ 16 of 20 (a correct interval fails it with probability 0.3%), and over all
parameters together at least 90% of the intervals must cover.

Measured (2 December 2026, after the issue-13 merge, where each of the model's own 执恢
replaces a filed one, ``arrivals.own_resumptions_replace_filed``): 19 of 20 seeds cover
``cases_per_year``, every parameter at least 18, 96.0% of all intervals. With the defect put
back the other way (the model's own 执恢 left out of a mix that they are part of) 3 seeds
cover ``cases_per_year``, the 首执 and 执恢 shares none, and the test fails. Before the merge
(own resumptions on top of the filings) it was 18 of 20, 95.8%, and 3 of 20 with them
counted. Cost: 20 three-year runs, about 2 minutes on a quiet 2-core machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.fit import Calibration, calibrate
from sim.calibration.records import from_frame
from sim.calibration.synth import records_from_run
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.model import build_calendar, run_replication

pytestmark = [pytest.mark.slow, pytest.mark.validation]

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "dengzhou_2022.toml"
SEEDS = range(20)
MULTIPLIERS = (0.6, 0.5, 1.3, 1.1, 1.0, 1.2, 0.9, 0.8, 1.0, 1.1, 1.4, 0.7)
MIX = {"first": 0.7, "resumed": 0.15, "preservation": 0.15}
RATES = {
    "behaviour_rate": ("arrivals", 0.08),
    "filing_reject_rate": ("probabilities", 0.03),
    "termination_rate": ("probabilities", 0.08),
    "not_enforced_rate": ("probabilities", 0.02),
    "withdrawal_rate": ("probabilities", 0.04),
    "behaviour_success_rate": ("probabilities", 0.7),
}
TRUTH = {
    "arrivals.cases_per_year": 1500.0,
    "arrivals.monthly_multipliers": list(MULTIPLIERS),
    "arrivals.case_mix": MIX,
    "amounts.claim_cny": {"dist": "lognormal", "median": 80000, "sigma": 1.2},
    "probabilities.resume_within_5y_rate": 0.6,
    "run.warmup_days": 0,
    "run.horizon_days": 1095,
    "run.cooldown_days": 0,
    **{f"{group}.{name}": value for name, (group, value) in RATES.items()},
}


def _covered(cal: Calibration) -> dict[str, bool]:
    """Whether each identifiable parameter's 95% interval covers its true value."""
    z = 1.959964
    out: dict[str, bool] = {}
    level = next(e for e in cal.estimates if e.field == "cases_per_year")
    out["cases_per_year"] = level.low <= TRUTH["arrivals.cases_per_year"] <= level.high
    truth = np.array(MULTIPLIERS) / np.mean(MULTIPLIERS)
    monthly = cal.arrivals.monthly
    for month, value, se, true in zip(
        monthly.index, monthly["multiplier"], monthly["multiplier_se"], truth, strict=True
    ):
        out[f"multiplier_{month:02d}"] = abs(value - true) <= z * se
    mix = cal.mix.set_index("case_type")
    for kind, share in MIX.items():
        out[f"mix_{kind}"] = mix.loc[kind, "low"] <= share <= mix.loc[kind, "high"]
    for name, (_, value) in RATES.items():
        e = next(e for e in cal.estimates if e.field == name)
        out[name] = e.low <= value <= e.high
    assert cal.amounts is not None and cal.amounts.chosen is not None
    chosen = cal.amounts.chosen
    assert chosen.family == "lognormal"
    sigma, median = chosen.params[0], chosen.params[2]
    se_sigma, se_median = chosen.se
    out["claim_sigma"] = abs(sigma - 1.2) <= z * se_sigma
    out["claim_median"] = abs(median - 80000) <= z * se_median
    return out


def _one_seed(known: Scenario, seed: int) -> dict[str, bool]:
    result = run_replication(known, 0, seed)
    calendar = build_calendar(known)
    extraction = calendar.date_of(known.run.horizon_days - 0.5)
    records = from_frame(records_from_run(result.cases, calendar, extraction), "synthetic.csv", extraction)
    assert records.cases["resumes_own"].sum() > 50  # the model's own 执恢 cases are there, marked
    return _covered(calibrate(records, load_scenario(BASE)))


@pytest.fixture(scope="module")
def coverage() -> pd.DataFrame:
    known = with_overrides(load_scenario(BASE), TRUTH)
    return pd.DataFrame([_one_seed(known, 1000 + seed) for seed in SEEDS])


def test_every_identifiable_parameter_is_covered_on_most_seeds(coverage: pd.DataFrame) -> None:
    hits = coverage.sum()
    assert len(coverage) == len(SEEDS)
    assert (hits >= 16).all(), hits[hits < 16].to_dict()
    assert coverage.to_numpy().mean() >= 0.90, hits.to_dict()
