"""The report in a real browser: headless Chromium loads it, runs it, shows every figure.

Skips only when no Chromium is installed (Debian: ``apt-get install chromium``);
the project's set-up installs it, so CI runs these tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sim.report import html as h
from sim.report import write_comparison_report
from sim.report.browser import check_page, find_chromium, screenshot

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
)


def test_the_run_report_loads_without_errors_and_shows_every_figure(run_report: Path) -> None:
    seen = check_page(run_report)
    assert seen.returncode == 0
    assert seen.attribute("data-loaded") == "yes", "the load event never ran"
    assert seen.errors == ()
    assert seen.attribute("data-figures") == "8"  # the monthly report's included
    assert seen.attribute("data-figures-ok") == "8", "a figure did not decode"
    first_page = seen.dom.split('id="staffing"')[0]
    assert "为什么超期" in first_page, "the why-late figure leads the report"
    assert "单独去掉即可按期" in first_page, "the why-late table leads the report"
    assert "1 结论" in seen.dom
    assert "快执团队" in seen.dom


def test_the_comparison_report_loads_too(compare_folder: Path, tmp_path: Path) -> None:
    seen = check_page(write_comparison_report(compare_folder, tmp_path / "compare.html"))
    assert seen.errors == ()
    assert seen.attribute("data-figures") == seen.attribute("data-figures-ok") != "0"


def test_a_screenshot_of_the_report_is_kept(run_report: Path, tmp_path: Path) -> None:
    png = screenshot(run_report, tmp_path / "report.png", 1280, 2400)
    image = np.asarray(Image.open(png).convert("L"), dtype=float)
    assert image.shape == (2400, 1280)
    assert image.std() > 20, "the screenshot is blank"
    keep = os.environ.get("COURTSIM_KEEP_SCREENSHOT")
    if keep:  # CI can keep it as an artifact
        shutil.copyfile(png, keep)


def test_the_check_catches_a_broken_page(tmp_path: Path) -> None:
    """The checks above can fail: a page with a broken figure and a script error is caught."""
    body = h.figure("data:image/png;base64,AAAA", "broken", "坏图", "broken figure") + "<script>nope();</script>"
    page = tmp_path / "broken.html"
    page.write_text(h.page("测试", "test", [h.Section("s", "一", "one", body)]), encoding="utf-8")
    seen = check_page(page)
    assert seen.attribute("data-figures") == "1"
    assert seen.attribute("data-figures-ok") == "0"
    assert any("nope" in e for e in seen.errors)
    assert any("failed to load img" in e for e in seen.errors)
