"""Page one's recommended staffing: from a staff folder when one is given, else the ceiling.

The staff folders are written by the real ``write_staff_folder`` from searches on a
stand-in model (the fast-track officers move the 45-day rate; the ceiling is fixed), so
the tests take seconds; the run folder is the session's short baseline (conftest).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.commands.staff import write_staff_folder
from sim.config.load import load_scenario
from sim.experiments.staffing_search import search_staffing
from sim.experiments.types import parse_target
from sim.report import write_run_report
from sim.report.browser import check_page, find_chromium
from tests.functional.test_experiment_search import _staff_model, stand_in
from tests.report.conftest import ROOT
from tests.report.test_report_html import _rewrite_summary

SETTINGS = {"reps": 3, "check_reps": 6, "screen_reps": 2, "top_k": 3, "max_moves": 4, "add": 4, "redistribute": None}


def _model(ceiling: float):
    def model(scenario):
        bounds = {"fast45_bound_floor": 0.9 - ceiling, "fast45_bound_outside": 0.1, "fast45_bound_handoff": 0.0}
        return {**_staff_model(scenario), "fast45_ceiling": ceiling, **bounds}

    return model


def _staff_folder(tmp_path: Path, target: str, ceiling: float) -> Path:
    scenario = load_scenario(ROOT / "scenarios" / "dengzhou_2022.toml")
    result = search_staffing(scenario, [parse_target(target)], stand_in(_model(ceiling)), add=4, reps=3, check_reps=6)
    out = tmp_path / f"staff_{ceiling}"
    return write_staff_folder(out, result, "scenarios/dengzhou_2022.toml", scenario, 7, SETTINGS)


def _page_one(page: Path) -> str:
    return page.read_text(encoding="utf-8").split('<section id="verdict">')[1].split('id="staffing"')[0]


def test_page_one_shows_the_staffing_a_search_found(run_folder: Path, tmp_path: Path) -> None:
    staff = _staff_folder(tmp_path, "fast45_rate>=0.69", 0.95)
    one = _page_one(write_run_report(run_folder, tmp_path / "r.html", staff=staff))
    box = one.split("建议人员配置 Recommended staffing")[1].split("</div>")[0]
    assert "找到了满足目标的最小配置" in box
    row = box.split("快执团队")[1].split("</tr>")[0]
    assert "<strong>+2</strong>" in row and ">4<" in row and ">6<" in row  # base 4, proposed 6 officers
    assert box.count("</tr>") == 2  # the header and the one change: nothing else is proposed


def test_page_one_says_when_no_staffing_holds_with_the_ceiling(run_folder: Path, tmp_path: Path) -> None:
    staff = _staff_folder(tmp_path, "fast45_rate>=0.9", 0.62)
    one = _page_one(write_run_report(run_folder, tmp_path / "r.html", staff=staff))
    box = one.split("建议人员配置 Recommended staffing")[1].split("</div>")[0]
    assert "没有找到满足目标的人员配置" in box
    assert "人手不限时fast45_rate最高约62.0%" in box and "任何人员配置都达不到" in box
    assert "<strong>+" not in box


def test_without_a_search_page_one_gives_the_runs_own_ceiling(run_folder: Path, tmp_path: Path) -> None:
    by_rep = pd.read_csv(run_folder / "kpis_by_rep.csv")
    values = by_rep.loc[by_rep["kpi"] == "fast45_ceiling", "value"].to_numpy(float)
    one = _page_one(write_run_report(run_folder, tmp_path / "r.html"))
    box = one.split("建议人员配置 Recommended staffing")[1].split("</div>")[0]
    assert f"人手不限时fast45_rate最高约{100 * values.mean():.1f}%" in box
    # Out of reach only when the ceiling's 95% upper bound is below the 90% target.
    bound = values.mean() + stats.t.ppf(0.95, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    assert ("任何人员配置都达不到" in box) == (bound < 0.9)
    assert ("上限不排除达到目标" in box) == (bound >= 0.9)


@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_in_the_browser_page_one_has_the_instability_flag_and_the_recommended_staffing(
    run_folder: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "unstable"
    shutil.copytree(run_folder, folder)
    summary = pd.read_csv(folder / "kpis_summary.csv")
    summary.loc[summary["kpi"] == "unstable", "mean"] = 0.5
    _rewrite_summary(folder, summary)
    staff = _staff_folder(tmp_path, "fast45_rate>=0.69", 0.95)
    seen = check_page(write_run_report(folder, tmp_path / "r.html", staff=staff))
    assert seen.errors == ()
    first_page = seen.dom.split('id="staffing"')[0]
    heading = "建议人员配置 Recommended staffing"
    assert first_page.index("不稳定：1/2次重复中未结案件持续增长") < first_page.index(heading)
    assert "<strong>+2</strong>" in first_page.split(heading)[1]
