"""The sweep report: the load curve and its breaking point, from a hand-made sweep folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.report import ReportDataError, write_report
from sim.report.sweep_report import breaking_points

PATH = "arrivals.cases_per_year"


def _sweep_folder(folder: Path, means: list[float], half: float = 0.02) -> Path:
    """A ``courtsim sweep --out`` folder: fast45_rate at three loads, other KPIs flat."""
    rows = []
    for load, mean in zip([5000, 6500, 8000], means, strict=True):
        rows.append(
            {
                PATH: load,
                "kpi": "fast45_rate",
                "n": 5,
                "mean": mean,
                "sd": 0.01,
                "ci_low": mean - half,
                "ci_high": mean + half,
            }
        )
        rows.append(
            {
                PATH: load,
                "kpi": "mean_days_to_close",
                "n": 5,
                "mean": 70.0,
                "sd": 1.0,
                "ci_low": 69.0,
                "ci_high": 71.0,
            }
        )
    folder.mkdir()
    pd.DataFrame(rows).to_csv(folder / "sweep_summary.csv", index=False)
    manifest = {
        "command": "sweep",
        "scenario": "scenarios/dengzhou_2022.toml",
        "reps": 5,
        "seed": 1,
        "parameters": {PATH: [5000, 6500, 8000]},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("means", "load"),
    [([0.95, 0.90, 0.80], 8000), ([0.95, 0.85, 0.80], 6500)],  # 0.90 ± 0.02 is only uncertain
)
def test_sweep_report_names_the_breaking_point(tmp_path: Path, means: list[float], load: int) -> None:
    folder = _sweep_folder(tmp_path / "sweep", means)
    summary = pd.read_csv(folder / "sweep_summary.csv")
    breaks = breaking_points(summary, [PATH]).set_index("kpi")
    assert breaks.loc["fast45_rate", "breaks_at"] == load  # the first load surely below 90%
    page = write_report(folder).read_text(encoding="utf-8")
    assert "参数扫描报告" in page
    assert f"年收案数为 {load} 起肯定低于90%（转折点）" in page
    assert "arrivals.cases_per_year为" not in page  # no code path in a Chinese sentence
    assert page.count("data:image/svg+xml;base64,") == 1


def test_no_breaking_point_when_the_target_holds(tmp_path: Path) -> None:
    folder = _sweep_folder(tmp_path / "sweep", [0.97, 0.96, 0.95])
    breaks = breaking_points(pd.read_csv(folder / "sweep_summary.csv"), [PATH])
    assert breaks["breaks_at"].isna().all()
    assert "所试取值下都未确认低于90%" in write_report(folder).read_text(encoding="utf-8")


def test_a_sweep_folder_without_its_table_is_refused(tmp_path: Path) -> None:
    folder = _sweep_folder(tmp_path / "sweep", [0.95, 0.90, 0.80])
    (folder / "sweep_summary.csv").unlink()
    with pytest.raises(ReportDataError, match=r"sweep_summary\.csv is missing"):
        write_report(folder)


def test_the_sweep_report_flags_the_unstable_points_first_and_has_an_unstable_row(tmp_path: Path) -> None:
    folder = _sweep_folder(tmp_path / "sweep", [0.95, 0.90, 0.80])
    summary = pd.read_csv(folder / "sweep_summary.csv")
    flags = pd.DataFrame(
        [
            {PATH: load, "kpi": "unstable", "n": 5, "mean": m, "sd": 0.0, "ci_low": m, "ci_high": m}
            for load, m in ((5000, 0.0), (6500, 0.0), (8000, 0.6))
        ]
    )
    pd.concat([summary, flags]).to_csv(folder / "sweep_summary.csv", index=False)
    page = write_report(folder).read_text(encoding="utf-8")
    verdict = page.split('class="verdict"')[1]
    assert verdict.index("⚠ 不稳定") < verdict.index("转折点")  # said first
    assert f"{PATH} = 8000（3/5）" in verdict and "5000（" not in verdict
    table = page.split("Indicators at every grid point")[1]
    assert "3/5" in table and "⚠ 积案增长 growing" in table and table.count("0/5") == 2


def test_a_head_count_sweep_breaks_below_a_whole_number_of_people(tmp_path: Path) -> None:
    """A head count fails low and holds higher up: the verdict says 'at 4 or fewer', in whole people,
    with the post's Chinese name (issue 14 item 7), and the manifest's seed is shown."""
    folder = _sweep_folder(tmp_path / "sweep", [0.80, 0.85, 0.95])
    summary = pd.read_csv(folder / "sweep_summary.csv")
    summary[PATH] = summary[PATH].map({5000: 4.0, 6500: 5.0, 8000: 6.0})
    summary = summary.rename(columns={PATH: "staffing.fast_track.officers"})
    summary.to_csv(folder / "sweep_summary.csv", index=False)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["parameters"] = {"staffing.fast_track.officers": [4, 5, 6]}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    breaks = breaking_points(summary, ["staffing.fast_track.officers"]).set_index("kpi")
    assert breaks.loc["fast45_rate", "fails"] == "up_to" and breaks.loc["fast45_rate", "breaks_at"] == 5.0
    page = write_report(folder).read_text(encoding="utf-8")
    assert "快执团队执行员人数为 5 及以下时肯定低于90%" in page
    assert "5.0" not in page.split('class="verdict"')[1].split("</div>")[0]
