"""``courtsim calibrate --backlog``: the records' open cases become the run's starting backlog.

Open cases (no 结案日期) are counted by stage (the team's track; 执保 at preservation; not
yet triaged at intake) and by age on the day after the extraction; the scenario then starts
that day without a warm-up, and validates through its base.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from sim.calibration.backlog import backlog_from_records
from sim.calibration.records import from_frame
from sim.cli import main
from sim.config.load import load_scenario

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "dengzhou_2022.toml"
ROWS = [
    # open, 快执, filed 10 days before the run's first day (2024-01-01 after a 2023-12-31 extraction)
    {"案号": "（2023）豫1381执1号", "案件类型": "首执", "立案日期": "2023-12-22", "承办部门": "快执团队"},
    # open, 精执, 100 days
    {"案号": "（2023）豫1381执2号", "案件类型": "首执", "立案日期": "2023-09-23", "承办部门": "执行二团队"},
    # open, no team yet: at intake
    {"案号": "（2023）豫1381执3号", "案件类型": "首执", "立案日期": "2023-12-29", "承办部门": ""},
    # open 执保
    {"案号": "（2023）豫1381执保1号", "案件类型": "执保", "立案日期": "2023-12-28", "承办部门": "综合监督团队"},
    # closed: not in the backlog
    {
        "案号": "（2023）豫1381执4号",
        "案件类型": "首执",
        "立案日期": "2023-02-01",
        "结案日期": "2023-03-01",
        "结案方式": "执行完毕",
        "承办部门": "快执团队",
    },
]


def _records() -> pd.DataFrame:
    return pd.DataFrame(ROWS).fillna("")


def test_open_cases_by_track_and_age() -> None:
    records = from_frame(_records(), "open.csv", date(2023, 12, 31))
    section = backlog_from_records(records, (0, 30, 365))
    assert section["age_bands_days"] == [0.0, 30.0, 365.0]
    assert section["counts"] == {
        "intake": [1, 0],
        "fast_track": [1, 0],
        "standard_track": [0, 1],
        "preservation": [1, 0],
    }
    assert "n=4" in section["source"]
    # An open case older than the last band is left out, and the source says so.
    short = backlog_from_records(records, (0, 30, 60))
    assert "standard_track" not in short["counts"]  # stages with no case are not written
    assert "1 open cases older than 60 days left out" in short["source"]


def test_calibrate_backlog_writes_a_scenario_that_starts_from_them(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    _records().to_csv(path, index=False)
    out = tmp_path / "court.toml"
    options = ["--backlog", "--no-report", "--extraction-date", "2023-12-31"]
    code = main(["calibrate", str(path), "--base", str(BASE), "--out", str(out), *options])
    assert code == 0
    scenario = load_scenario(out)
    assert scenario.run.start_date == date(2024, 1, 1)
    assert scenario.run.warmup_days == 0
    assert scenario.initial_backlog is not None and scenario.initial_backlog.total == 4
    assert "[initial_backlog.counts]" in out.read_text(encoding="utf-8")
