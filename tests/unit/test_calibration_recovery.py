"""Calibrating on synthetic records recovers the parameters that made them.

One year of a scenario with known, deliberately non-default parameters is simulated
(with half a year more so that the true final outcomes are known), exported as a
court would on the last day of the year, read back, calibrated and written as a
scenario. Tolerances are about four standard errors of each estimate at n ≈ 3,000.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.fit import Calibration, calibrate
from sim.calibration.records import from_frame
from sim.calibration.scenario_out import write_scenario
from sim.calibration.synth import records_from_run
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.model import build_calendar, run_replication

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "dengzhou_2022.toml"
MULTIPLIERS = (0.6, 0.5, 1.3, 1.1, 1.0, 1.2, 0.9, 0.8, 1.0, 1.1, 1.4, 0.7)
TRUTH = {
    "arrivals.cases_per_year": 3000.0,
    "arrivals.monthly_multipliers": list(MULTIPLIERS),
    "arrivals.case_mix": {"first": 0.7, "resumed": 0.15, "preservation": 0.15},
    "arrivals.behaviour_rate": 0.08,
    "amounts.claim_cny": {"dist": "lognormal", "median": 80000, "sigma": 1.2},
    "probabilities.filing_reject_rate": 0.03,
    "probabilities.termination_rate": 0.08,
    "probabilities.not_enforced_rate": 0.02,
    "probabilities.withdrawal_rate": 0.04,
    "probabilities.behaviour_success_rate": 0.7,
    "probabilities.resume_within_5y_rate": 0.0,  # no 执恢 made by the model itself: the mix stays exact
    "run.warmup_days": 0,
    "run.horizon_days": 365,
    "run.cooldown_days": 180,
}


@pytest.fixture(scope="module")
def known() -> Scenario:
    return with_overrides(load_scenario(BASE), TRUTH)


@pytest.fixture(scope="module")
def export(known: Scenario) -> tuple[pd.DataFrame, pd.DataFrame, date]:
    """(the run's cases filed in the year, their export cut at day 365, the extraction date)."""
    result = run_replication(known, 0, 20240101)
    calendar = build_calendar(known)
    extraction = calendar.date_of(known.run.horizon_days - 0.5)
    filed = result.cases[result.cases["arrived"] < known.run.horizon_days]
    return filed, records_from_run(result.cases, calendar, extraction), extraction


@pytest.fixture(scope="module")
def history(export: tuple[pd.DataFrame, pd.DataFrame, date]) -> tuple[pd.DataFrame, Calibration]:
    """(the run's cases filed in the year, the calibration on the records cut at day 365)."""
    filed, rows, extraction = export
    return filed, calibrate(from_frame(rows, "synthetic.csv", extraction), load_scenario(BASE))


def test_export_shows_only_what_was_known_on_the_extraction_date(
    export: tuple[pd.DataFrame, pd.DataFrame, date],
) -> None:
    filed, rows, extraction = export
    assert len(rows) == len(filed)
    open_rows = rows[rows["结案日期"] == ""]
    assert (open_rows["结案方式"] == "").all()  # their outcome came after the extraction date
    assert (open_rows["实际到位金额"] == "").all()
    assert len(open_rows) == int((filed["closed"].isna() | (filed["closed"] >= 365.0)).sum())
    closed_dates = pd.to_datetime(rows.loc[rows["结案日期"] != "", "结案日期"])
    assert closed_dates.max() <= pd.Timestamp(extraction)


def _estimate(cal: Calibration, field: str) -> float:
    return next(e.value for e in cal.estimates if e.field == field)


def test_arrival_rate(history: tuple[pd.DataFrame, Calibration]) -> None:
    _, cal = history
    assert cal.arrivals.cases_per_year == pytest.approx(3000.0, abs=4 * cal.arrivals.cases_per_year_se)
    assert cal.arrivals.cases_per_year == pytest.approx(3000.0, rel=0.07)


def test_monthly_pattern(history: tuple[pd.DataFrame, Calibration]) -> None:
    _, cal = history
    truth = np.array(MULTIPLIERS) / np.mean(MULTIPLIERS)
    fitted = cal.arrivals.monthly["multiplier"].to_numpy()
    se = cal.arrivals.monthly["multiplier_se"].to_numpy()
    assert cal.arrivals.months_identified
    assert np.all(np.abs(fitted - truth) < 4 * se), (fitted.round(3), truth.round(3))
    assert np.corrcoef(fitted, truth)[0, 1] > 0.95


def test_amount_distribution(history: tuple[pd.DataFrame, Calibration]) -> None:
    _, cal = history
    assert cal.amounts is not None
    assert cal.amounts.spec is not None
    assert cal.amounts.spec["dist"] == "lognormal"  # AIC picks the true family
    assert cal.amounts.spec["median"] == pytest.approx(80000, rel=0.08)
    assert cal.amounts.spec["sigma"] == pytest.approx(1.2, abs=0.05)


def test_case_mix_and_identified_probabilities(history: tuple[pd.DataFrame, Calibration]) -> None:
    _, cal = history
    mix = cal.mix.set_index("case_type")["share"]
    assert mix.to_dict() == pytest.approx(TRUTH["arrivals.case_mix"], abs=0.03)
    for field, abs_tol in (
        ("behaviour_rate", 0.02),
        ("filing_reject_rate", 0.012),
        ("termination_rate", 0.03),
        ("not_enforced_rate", 0.015),
        ("withdrawal_rate", 0.02),
        ("behaviour_success_rate", 0.12),
    ):
        truth = next(v for k, v in TRUTH.items() if k.endswith(field))
        assert _estimate(cal, field) == pytest.approx(truth, abs=abs_tol), field


def test_outcome_shares_allow_for_open_cases(history: tuple[pd.DataFrame, Calibration]) -> None:
    """The censoring-aware shares at day 365 match the outcomes the cases reached half a year later."""
    filed, cal = history
    first = filed[(filed["case_type"] == "first") & (filed["outcome"] != "")]
    truth = first["outcome"].value_counts(normalize=True)
    aware = cal.shares_by_type.set_index("group").loc["first"]
    records = cal.records.cases
    closed = records[(records["case_type"] == "first") & (records["outcome"] != "")]
    naive = closed["outcome"].value_counts(normalize=True)
    for outcome in ("completed", "zhongben"):
        assert aware[outcome] == pytest.approx(truth[outcome], abs=0.03), outcome
    assert abs(naive["zhongben"] - truth["zhongben"]) > 2 * abs(aware["zhongben"] - truth["zhongben"])


def test_written_scenario_carries_the_fits_with_sources(
    history: tuple[pd.DataFrame, Calibration], tmp_path: Path
) -> None:
    _, cal = history
    out = tmp_path / "calibrated.toml"
    scenario = write_scenario(cal, BASE, out)
    assert load_scenario(out) == scenario
    assert 'base = "' in out.read_text(encoding="utf-8")
    assert scenario.arrivals.cases_per_year == pytest.approx(cal.arrivals.cases_per_year, abs=0.05)
    assert scenario.probabilities.termination_rate == pytest.approx(_estimate(cal, "termination_rate"), rel=1e-3)
    for group, field in (
        ("arrivals", "cases_per_year"),
        ("arrivals", "monthly_multipliers"),
        ("amounts", "claim_cny"),
        ("probabilities", "termination_rate"),
    ):
        source = getattr(scenario, group).source_of(field)
        assert source.startswith("fitted from synthetic.csv, n="), source
        assert cal.records.period in source
    base = load_scenario(BASE)
    assert scenario.tasks == base.tasks
    assert scenario.probabilities.property_found_rate == base.probabilities.property_found_rate
    assert scenario.probabilities.source_of("property_found_rate") == base.probabilities.source_of(
        "property_found_rate"
    )
