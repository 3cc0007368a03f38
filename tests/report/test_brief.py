"""The one-page brief for a court president prints on exactly one A4 page (issue 14 item 8).

Headless Chromium prints ``brief.html`` to PDF (``--print-to-pdf``) and the pages are counted:
one, of A4 size, with the verdict, the reasons, the recommended change and the caveats, and
the same with a ``courtsim marginal`` table whose best post becomes the recommendation.
Skips only when no Chromium is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.report import write_brief
from sim.report.browser import find_chromium, pdf_pages, print_pdf
from sim.report.targets import VERDICT_HEADLINES

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
)


def _marginal(folder: Path) -> Path:
    """A hand-made ``courtsim marginal`` table: one more intake officer helps most, significantly."""
    rows = [
        ("intake", "officer", 1, "fast45_rate", 0.052, 0.031, 0.073, True, 0.052),
        ("fast_track", "officer", 1, "fast45_rate", 0.011, -0.004, 0.026, False, 0.011),
        ("fast_track", "clerk", 1, "fast45_rate", 0.020, 0.002, 0.038, True, 0.020),
    ]
    columns = ["team", "role", "delta", "kpi", "mean_diff", "ci_low", "ci_high", "significant", "gain"]
    folder.mkdir()
    pd.DataFrame(rows, columns=columns).to_csv(folder / "marginal.csv", index=False)
    return folder


def _one_a4_page(html: Path, tmp_path: Path) -> None:
    pages, size = pdf_pages(print_pdf(html, tmp_path / f"{html.stem}.pdf"))
    assert pages == 1, f"{html} prints on {pages} pages"
    assert size == pytest.approx((210.0, 297.0), abs=0.5)  # A4, from @page { size: A4 }


def test_the_brief_prints_on_one_a4_page_with_the_verdict(run_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "results"
    shutil.copytree(run_folder, folder)
    assert main(["report", str(folder), "--brief"]) == 0
    brief = folder / "brief.html"
    text = brief.read_text(encoding="utf-8")
    assert "@page { size: A4" in text
    verdict = re.search(r'<p class="headline">([^<]+)<', text)
    assert verdict is not None and verdict.group(1) in {zh for zh, _ in VERDICT_HEADLINES.values()}
    for heading in ("原因", "建议", "注意"):
        assert f"<h2>{heading} " in text
    assert "增人的效果尚未计算" in text and "courtsim marginal" in text  # no marginal table yet
    assert "EST" in text and "为什么超期" in text
    _one_a4_page(brief, tmp_path)


def test_a_marginal_table_gives_the_recommended_change(run_folder: Path, tmp_path: Path) -> None:
    brief = write_brief(run_folder, tmp_path / "brief.html", marginal=_marginal(tmp_path / "marginal"))
    text = brief.read_text(encoding="utf-8")
    recommendation = text.split('id="recommendation"')[1].split("</ul>")[0]
    assert "前置团队·执行员增加一人" in recommendation and "+5.2个百分点" in recommendation
    assert "Recommended: one more intake officer" in recommendation
    _one_a4_page(brief, tmp_path)


def test_a_marginal_folder_without_its_table_is_refused(
    run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["report", str(run_folder), "--brief", "--out", str(tmp_path / "r.html"), "--marginal", str(tmp_path)])
        == 2
    )
    assert "holds no marginal.csv" in capsys.readouterr().err
