"""The allowed maximum load: warned before simulating, and no KPI dropped without a word (issue 18 item 12).

``cases_per_year = 1000000`` validated, ran without a warning for minutes, and the rates it
could not compute (no counted case closed) were left out of the table, the CSV and the
report as if they did not exist.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.experiments.load_forecast import forecast_load
from sim.experiments.statistics import summarise
from sim.metrics.registry import missing_reason

ROOT = Path(__file__).resolve().parents[2]


def _huge_file(tmp_path: Path) -> Path:
    path = tmp_path / "huge.toml"
    path.write_text(
        f'base = "{ROOT / "scenarios" / "dengzhou_2022.toml"}"\nname = "huge"\n'
        "[arrivals]\ncases_per_year = 1000000\n"
        "[run]\nwarmup_days = 3\nhorizon_days = 10\ncooldown_days = 3\n",
        encoding="utf-8",
    )
    return path


def test_an_ordinary_load_runs_no_pilot(baseline: Scenario) -> None:
    assert forecast_load(baseline) is None
    assert forecast_load(with_overrides(baseline, {"arrivals.cases_per_year": 9000})) is None


def test_the_maximum_load_is_forecast_from_a_pilot(baseline: Scenario) -> None:
    huge = with_overrides(baseline, {"arrivals.cases_per_year": 1_000_000})
    forecast = forecast_load(huge)
    assert forecast is not None and forecast.overloaded
    assert forecast.team == "intake" and forecast.load > 50  # every case passes intake's officers first
    days = huge.run.warmup_days + huge.run.horizon_days + huge.run.cooldown_days
    assert forecast.cases == pytest.approx(1e6 * days / 365)
    assert forecast.cpu_seconds > 0 and forecast.log_mb > 100
    text = forecast.warning("huge", 5)
    zh, en = text.splitlines()
    assert zh.startswith("警告") and en.startswith("WARNING: huge")
    assert f"{forecast.cases:,.0f} cases" in en and "CPU minutes" in en and "MB" in en


def test_a_kpi_undefined_in_every_replication_stays_in_the_summary() -> None:
    kpis = pd.DataFrame(
        {
            "scenario": ["a"] * 4,
            "replication": [0, 1, 0, 1],
            "kpi": ["fast45_rate", "fast45_rate", "received_cases", "received_cases"],
            "value": [np.nan, np.nan, 10.0, 12.0],
        }
    )
    table = summarise(kpis).set_index("kpi")
    assert list(table.index) == ["fast45_rate", "received_cases"]
    assert table.loc["fast45_rate", "n"] == 0 and np.isnan(table.loc["fast45_rate", "mean"])
    assert table.loc["received_cases", "mean"] == 11.0
    assert "missing" in missing_reason("fast45_rate") and "缺失" in missing_reason("fast45_rate")


@pytest.mark.slow
def test_the_maximum_load_warns_and_shows_every_missing_kpi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Terminal, JSON, kpis_summary.csv and the report: each missing KPI is there, with why."""
    scenario = _huge_file(tmp_path)
    out = tmp_path / "out"
    code = main(["run", str(scenario), "--reps", "1", "--jobs", "1", "--out", str(out), "--report"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err.index("WARNING: huge: the load is far beyond the staffing") < captured.err.index("results:")
    line = next(x for x in captured.out.splitlines() if "fast-track 45-day closure rate" in x)
    assert "n/a" in line and "missing" in line and "缺失" in line
    summary = pd.read_csv(out / "kpis_summary.csv", keep_default_na=False)
    row = summary.set_index("kpi").loc["fast45_rate"]
    assert row["n"] == 0 and "missing" in row["missing"]
    assert (summary["missing"] != "").sum() == (summary["n"] == 0).sum() > 5
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count("缺失") == (summary["n"] == 0).sum() - _utilisation_missing(summary)
    code = main(["run", str(scenario), "--reps", "1", "--jobs", "1", "--no-save", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["kpis"]["fast45_rate"]["n"] == 0
    assert "missing" in payload["kpis"]["fast45_rate"]["missing"]


def _utilisation_missing(summary: pd.DataFrame) -> int:
    """Missing utilisation KPIs are drawn by the utilisation section, not the indicator table."""
    return int(((summary["n"] == 0) & summary["kpi"].str.startswith("util_")).sum())
