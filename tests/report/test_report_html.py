"""The run and comparison reports: one self-contained page with every part the issue asks for."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.results import MANIFEST, write_manifest
from sim.report import ReportDataError, write_comparison_report, write_report, write_run_report
from sim.report.labels import pct

SECTIONS = (
    "verdict",
    "staffing",
    "kpis",
    "deadlines",
    "days",
    "utilisation",
    "backlog",
    "monthly",
    "caseload",
    "statute",
    "model",
    "reproduce",
)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_run_report_has_every_section(run_report: Path) -> None:
    page = _text(run_report)
    for section in SECTIONS:
        assert f'<section id="{section}">' in page, section
    for words in (
        "45日结案目标",
        "快执团队",
        "精执团队",
        "“三统一”管理团队",
        "终本",
        "STRESS-DES",
        "EST",
        "各节点按期完成率",
        "瓶颈排名",
        "可重复性",
    ):
        assert words in page, words


def test_the_report_needs_no_network(run_report: Path) -> None:
    page = _text(run_report)
    sources = re.findall(r"""\b(?:src|href)=["']?([^"'#\s>][^"'\s>]*)""", page)
    assert sources
    assert all(s.startswith("data:image/svg+xml;base64,") for s in sources), sources[:3]
    assert "<link" not in page
    assert "@import" not in page
    assert len(sources) == 8  # the figures, the monthly one included


def test_every_figure_is_a_valid_svg(run_report: Path) -> None:
    for uri in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', _text(run_report)):
        svg = base64.b64decode(uri).decode("utf-8")
        assert svg.lstrip().startswith("<?xml")
        assert svg.rstrip().endswith("</svg>")


def test_the_verdict_quotes_the_kpi_table(run_report: Path, run_folder: Path) -> None:
    summary = pd.read_csv(run_folder / "kpis_summary.csv").set_index("kpi")
    row = summary.loc["fast45_rate"]
    page = _text(run_report)
    verdict = page.split('<section id="verdict">')[1].split("</section>")[0]
    assert f"简案收案45日内结案率为{pct(row['mean'])}" in verdict
    assert f"{pct(row['ci_low'])}–{pct(row['ci_high'])}" in verdict
    assert "以90%为目标" in verdict
    assert "EST" in verdict


def test_the_reproducibility_block_gives_seed_and_command(run_report: Path, run_folder: Path) -> None:
    page = _text(run_report)
    block = page.split('<section id="reproduce">')[1]
    assert "courtsim run scenarios/dengzhou_2022.toml --reps 2 --seed 20220525 --report" in block
    assert "20220525" in block
    assert "numpy" in block


def test_the_bottleneck_is_said_to_be_ranked_by_utilisation_and_the_marginal_command_given(run_report: Path) -> None:
    page = _text(run_report)
    verdict = page.split('<section id="verdict">')[1].split("</section>")[0]
    assert "按利用率和超期计时内的等待排名" in verdict and "不是增人的效果" in verdict
    assert "courtsim marginal" in verdict
    assert "What breaks first" not in page and "最先出问题" not in page  # busyness is not called the bottleneck
    section = page.split('<section id="utilisation">')[1].split("</section>")[0]
    assert "courtsim marginal scenarios/dengzhou_2022.toml --reps 3 --seed 20220525" in section
    assert "最需要增加人手" not in section


def test_the_monthly_report_lists_each_month_of_the_window(run_report: Path, run_folder: Path) -> None:
    """The fixture's window is days 30–120 from 2023-01-02: February to May 2023, May cut short."""
    section = _text(run_report).split('<section id="monthly">')[1].split("</section>")[0]
    months = re.findall(r'<td class="num">(20\d\d-\d\d)</td>', section)
    assert months == ["2023-02", "2023-03", "2023-04", "2023-05"]
    assert "简案45日内结案率（按收案月）" in section and "月末未结" in section
    assert "快执团队按期率" in section and "fast track on time" in section
    assert 'alt="每月通报"' in section and "data:image/svg+xml;base64," in section
    assert "每月通报" in section


def test_the_comparison_report_pairs_the_scenarios(compare_folder: Path, tmp_path: Path) -> None:
    path = write_comparison_report(compare_folder, tmp_path / "compare.html")
    page = _text(path)
    assert "fast_plus2 − dengzhou_2022" in page  # the paired-difference column
    assert "staffing.fast_track.officers" in page  # what differs between the scenarios
    assert page.count("data:image/svg+xml;base64,") >= 1
    assert write_report(compare_folder, tmp_path / "auto.html").read_text(encoding="utf-8").count("情景比较报告") >= 1
    block = page.split('<section id="reproduce">')[1]
    assert (  # the compare command that writes this comparison again, not one run per scenario
        "courtsim compare scenarios/dengzhou_2022.toml scenarios/fast_plus2.toml --reps 2 --seed" in block
    )
    assert "courtsim run" not in block


def test_a_scenario_of_a_comparison_folder_gets_its_own_report(compare_folder: Path, tmp_path: Path) -> None:
    page = _text(write_run_report(compare_folder, tmp_path / "one.html", label="fast_plus2"))
    assert "执行工作仿真报告" in page
    assert "快执团队增加2名执行员" in page  # fast_plus2's own title
    staffing = page.split('<section id="staffing">')[1].split("</section>")[0]
    fast_row = next(row for row in staffing.split("<tr>") if "快执团队" in row)
    _judges, officers, *_ = re.findall(r'<td class="num">(\d+)</td>', fast_row)
    assert officers == "6"  # fast_plus2's fast track, not the baseline's 4
    with pytest.raises(ValueError, match="not in the folder"):
        write_run_report(compare_folder, tmp_path / "none.html", label="nope")


def test_the_command_writes_the_report(run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    assert main(["report", str(run_folder), "--out", str(out)]) == 0
    assert out.is_file()
    assert "report:" in capsys.readouterr().err


def test_the_command_rejects_a_folder_without_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    with pytest.raises(ReportDataError):
        write_run_report(tmp_path)


def test_a_folder_without_event_logs_is_refused(run_folder: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("manifest.json", "kpis_summary.csv", "kpis_by_rep.csv"):
        (partial / name).write_bytes((run_folder / name).read_bytes())
    with pytest.raises(ReportDataError, match="parquet is missing"):
        write_run_report(partial)


def test_page_one_explains_why_the_45_days_are_missed(run_report: Path) -> None:
    verdict = _text(run_report).split('<section id="verdict">')[1].split("</section>")[0]
    assert 'alt="为什么超期"' in verdict
    assert "为什么超期：" in verdict  # the verdict's sentence
    for part in ("排队等人", "外部等待", "法定等待期"):
        assert part in verdict
    # The table's shares are percentages of the late simple cases, one row per part.
    assert "单独去掉即可按期" in verdict


def _rewrite_summary(folder: Path, summary: pd.DataFrame) -> None:
    """Replace the folder's KPI summary and seal the manifest again, as a rerun would."""
    summary.to_csv(folder / "kpis_summary.csv", index=False)
    meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for sealed in ("files", "sha256", "manifest_sha256"):
        meta.pop(sealed, None)
    write_manifest(folder, meta)


def test_an_unstable_run_is_said_first_and_its_means_of_closed_cases_are_marked(
    run_folder: Path, tmp_path: Path
) -> None:
    import shutil

    folder = tmp_path / "unstable"
    shutil.copytree(run_folder, folder)
    summary = pd.read_csv(folder / "kpis_summary.csv")
    summary.loc[summary["kpi"] == "unstable", "mean"] = 0.5  # one of the two replications flagged
    _rewrite_summary(folder, summary)
    page = _text(write_run_report(folder))
    verdict = page.split('<section id="verdict">')[1].split("</section>")[0]
    box = verdict.split('<div class="verdict')[1]
    assert box.index("不稳定：1/2次重复中未结案件持续增长") < box.index("45日结案目标"), "the warning comes first"
    kpis = page.split('<section id="kpis">')[1].split("</section>")[0]
    days = kpis.split("结案平均用时")[1].split("</tr>")[0]
    assert "误导 misleading" in days
    rate = kpis.split("简案45日内结案率")[1].split("</tr>")[0]
    assert "误导" not in rate
    summary.loc[summary["kpi"] == "unstable", "mean"] = 0.0  # no replication flagged
    _rewrite_summary(folder, summary)
    stable = _text(write_run_report(folder, tmp_path / "stable.html"))
    assert "不稳定：" not in stable.split('<section id="verdict">')[1].split("</section>")[0]
    assert "误导 misleading" not in stable


def test_the_comparison_report_flags_an_unstable_scenario_first_with_its_row(
    compare_folder: Path, tmp_path: Path
) -> None:
    import shutil

    folder = tmp_path / "compare_unstable"
    shutil.copytree(compare_folder, folder)
    summary = pd.read_csv(folder / "kpis_summary.csv")
    summary.loc[summary["kpi"] == "unstable", "mean"] = 0.0
    summary.loc[(summary["kpi"] == "unstable") & (summary["scenario"] == "fast_plus2"), "mean"] = 0.5
    _rewrite_summary(folder, summary)
    page = _text(write_comparison_report(folder, tmp_path / "c.html"))
    box = page.split('<div class="verdict">')[1].split("</div>")[0]
    assert box.index("⚠ fast_plus2：不稳定：1/2次重复") < box.index("简案45日内结案率"), "the warning comes first"
    assert "⚠ dengzhou_2022" not in box
    row = page.split("积案持续增长（不稳定）")[1].split("</tr>")[0]
    assert "0/2" in row and "1/2 ⚠" in row
    days = page.split('结案平均用时<br><span class="en">mean days to close</span>')[1].split("</tr>")[0]
    assert days.count("误导 misleading") == 1  # fast_plus2's mean only


def test_the_two_45_day_figures_without_zhongben_are_told_apart(run_report: Path) -> None:
    """The statute section's rate of all simple cases but 终本 and the KPI over cases closed as
    执行完毕 have different denominators, and the page says so beside them (issue 14 item 7)."""
    text = run_report.read_text(encoding="utf-8")
    section = text[text.index('id="statute"') :]
    section = section[: section.index("</section>")]
    assert "45-day rate of all simple cases but 终本 (open ones count as late)" in section
    assert "fast-track 45-day rate, completed" in section
    assert "divide by different cases" in section
    assert "45-day rate without the 终本 cases" not in text
