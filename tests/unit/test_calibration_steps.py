"""Outside delays from dated steps: headers, the cleaning's reasons, censored fits, the round trip."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.fit import calibrate
from sim.calibration.records import from_frame
from sim.calibration.scenario_out import write_scenario
from sim.calibration.steps import fit_delays
from sim.calibration.synth import SYNTH_STEPS, simulate_records
from sim.calibration.table import RawTable, map_columns, step_column
from sim.config.distspec import WeibullSpec
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.vocab import Delay

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "dengzhou_2022.toml"
EXTRACTION = date(2023, 6, 30)


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("service_requested", (Delay.SERVICE_DAYS, "requested")),
        ("service_days_answered", (Delay.SERVICE_DAYS, "answered")),
        ("送达_发出", (Delay.SERVICE_DAYS, "requested")),
        ("送达_回复", (Delay.SERVICE_DAYS, "answered")),
        ("传统查控-答复", (Delay.INVESTIGATION_DAYS, "answered")),
        ("一拍公告(动产)_回复", (Delay.ANNOUNCEMENT_MOVABLE_DAYS, "answered")),  # full-width brackets folded
        (" Service Requested ", (Delay.SERVICE_DAYS, "requested")),
        ("courier_requested", None),
        ("立案日期", None),
    ],
)
def test_step_headers_are_read_in_english_and_chinese(header: str, expected: object) -> None:
    assert step_column(header) == expected


def test_a_step_column_is_not_reported_as_unused() -> None:
    table = RawTable(Path("x.csv"), ["案号", "立案日期", "送达_发出", "快递单号"], [], [])
    _, _, notes = map_columns(table)
    assert notes == ["column '快递单号' is not used (not a known header)"]


# ---------------------------------------------------------------- cleaning


def _export(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    """Case number, filed, closed, 送达_发出, 送达_回复 per row (closed cases completed)."""
    frame = pd.DataFrame(rows, columns=["案号", "立案日期", "结案日期", "送达_发出", "送达_回复"])
    frame["结案方式"] = np.where(frame["结案日期"] != "", "执行完毕", "")
    return frame


def test_each_step_is_used_censored_or_left_out_with_its_reason() -> None:
    records = from_frame(
        _export(
            [
                ("（2023）豫1381执1号", "2023-01-05", "", "2023-01-10", "2023-01-20"),  # answered: 10 days
                ("（2023）豫1381执2号", "2023-01-05", "", "2023-06-20", ""),  # open: to the extraction
                ("（2023）豫1381执3号", "2023-01-05", "2023-03-01", "2023-02-01", ""),  # closed unanswered
                ("（2023）豫1381执4号", "2023-01-05", "", "2023-06-01", "2023-07-03"),  # answer after extraction
                ("（2023）豫1381执5号", "2023-01-05", "", "2023-02-10", "2023-02-01"),  # answer before request
                ("（2023）豫1381执6号", "2023-01-05", "", "2023-02-30", ""),  # impossible date
                ("（2023）豫1381执7号", "2023-01-05", "", "", "2023-02-01"),  # answer without request
                ("（2023）豫1381执8号", "2023-03-05", "", "2023-03-01", ""),  # requested before filing
                ("（2023）豫1381执9号", "2023-01-05", "", "2023-03-03", "2023-03-03"),  # same day: 0.5
                ("（2023）豫1381执10号", "2023-01-05", "", "", ""),  # no step: no row, no reason
            ]
        ),
        "steps.csv",
        EXTRACTION,
    )
    steps = records.steps.set_index("case_no")
    assert steps.loc["（2023）豫1381执1号", ["days", "event"]].tolist() == [10.0, True]
    assert steps.loc["（2023）豫1381执2号", ["days", "event"]].tolist() == [10.5, False]  # 06-20 to the end of 06-30
    assert steps.loc["（2023）豫1381执3号", ["days", "event"]].tolist() == [28.5, False]  # to the closing, 03-01
    assert steps.loc["（2023）豫1381执4号", ["days", "event"]].tolist() == [29.5, False]
    assert steps.loc["（2023）豫1381执9号", ["days", "event"]].tolist() == [0.5, True]
    assert set(steps.index) == {f"（2023）豫1381执{k}号" for k in (1, 2, 3, 4, 9)}
    assert (steps["delay"] == "service_days").all()

    reasons = records.cleaning.set_index("case_no")
    expected = {
        "（2023）豫1381执4号": ("送达_回复", "repaired", "after the extraction date 2023-06-30: counted as unanswered"),
        "（2023）豫1381执5号": ("送达_回复", "partly used", "answered 2023-02-01 before it was requested (2023-02-10)"),
        "（2023）豫1381执6号": ("送达_发出", "partly used", "impossible date '2023-02-30'"),
        "（2023）豫1381执7号": ("送达_发出", "partly used", "an answer (2023-02-01) but no request date"),
        "（2023）豫1381执8号": ("送达_发出", "partly used", "requested 2023-03-01 before the case was filed"),
    }
    for case_no, (field, action, reason) in expected.items():
        row = reasons.loc[case_no]
        assert (row["field"], row["action"]) == (field, action), case_no
        assert reason in row["reason"], (case_no, row["reason"])
    left_out = reasons.loc[reasons["action"] == "partly used", "reason"]
    assert left_out.str.endswith("left out of the service_days (送达) fit").all()
    assert "（2023）豫1381执10号" not in reasons.index


def test_records_without_step_columns_have_no_steps_and_keep_every_delay(baseline: Scenario) -> None:
    rows = [(f"（2023）豫1381执{k}号", f"2023-0{1 + k % 5}-1{k % 9}", "", "", "") for k in range(1, 60)]
    frame = _export(rows).drop(columns=["送达_发出", "送达_回复"])
    records = from_frame(frame, "plain.csv", EXTRACTION)
    assert records.steps.empty
    cal = calibrate(records, baseline)
    assert cal.delays == []
    assert "dates no step" in cal.not_identified.set_index("parameter").loc["delays.*", "reason"]


# ---------------------------------------------------------------- fits


def _censored_weibull(shape: float, median: float, n: int, seed: int) -> pd.DataFrame:
    """Whole-day Weibull waits, a fifth of them still open after a uniform follow-up."""
    rng = np.random.default_rng(seed)
    scale = median / math.log(2) ** (1 / shape)
    days = np.maximum(np.floor(scale * rng.weibull(shape, n) + rng.uniform(size=n)), 0.5)
    follow = rng.uniform(2, 80, n)
    event = days <= follow
    return pd.DataFrame(
        {"delay": Delay.STAY_DAYS.value, "days": np.where(event, days, np.floor(follow) + 0.5), "event": event}
    )


def test_a_censored_fit_recovers_the_median_and_keeps_the_base_cap(baseline: Scenario) -> None:
    steps = _censored_weibull(shape=1.6, median=12.0, n=3000, seed=3)
    assert 0.05 < 1 - steps["event"].mean() < 0.5  # open requests matter here
    (fitted,) = fit_delays(steps, baseline)
    low, high = fitted.median_interval
    assert low <= 12.0 <= high, (fitted.median, fitted.median_se)
    assert fitted.fit.family == "weibull"
    assert fitted.spec["cap"] == 365  # stay_days: 民诉法解释 art. 467, kept from the base
    naive = fit_delays(steps[steps["event"]], baseline)[0]  # the open requests dropped: too short
    assert naive.median_interval[1] < 12.0


def test_too_few_answers_are_not_fitted(baseline: Scenario) -> None:
    steps = _censored_weibull(shape=1.6, median=12.0, n=30, seed=1).head(19)
    assert fit_delays(steps, baseline) == []


# ---------------------------------------------------------------- the round trip


TRUE_MEDIAN = 12.0


@pytest.mark.slow
def test_synthetic_dated_steps_recover_the_true_median(tmp_path: Path) -> None:
    """Half a year of the baseline with Weibull service and registry answers of median 12 days:
    exported with --steps, read back, calibrated, written and loaded again."""
    scale = TRUE_MEDIAN / math.log(2) ** (1 / 2.0)
    truth = {"dist": "weibull", "shape": 2.0, "scale": scale}
    scenario = with_overrides(load_scenario(BASE), {"delays.service_days": truth, "delays.investigation_days": truth})
    export, extraction, _ = simulate_records(scenario, 0.5, seed=11, steps=True)
    assert {c.removesuffix("_发出") for c in export.columns if c.endswith("_发出")} >= {"送达", "传统查控"}
    records = from_frame(export, "synthetic.csv", extraction)
    assert set(records.steps["delay"]) == {d.value for d in SYNTH_STEPS.values()}
    assert (~records.steps["event"]).sum() > 0  # requests still awaited at the extraction date
    cal = calibrate(records, scenario)
    fitted = {f.delay: f for f in cal.delays}
    for delay in (Delay.SERVICE_DAYS, Delay.INVESTIGATION_DAYS):
        low, high = fitted[delay].median_interval
        assert low <= TRUE_MEDIAN <= high, (delay, fitted[delay].median, fitted[delay].median_se)
    out = write_scenario(cal, BASE, tmp_path / "calibrated.toml")
    written = out.delays.service_days
    assert isinstance(written, WeibullSpec)
    assert written.shape == fitted[Delay.SERVICE_DAYS].spec["shape"]
    assert "dated steps" in out.delays.sources["service_days"]
    assert out.delays.stay_days == load_scenario(BASE).delays.stay_days  # not dated: from the base
