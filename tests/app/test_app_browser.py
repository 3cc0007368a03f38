"""The what-if page in a real browser: Debian's headless Chromium, driven by Playwright.

``courtsim app`` serves a short scenario (tests/data/app_short.toml: four months, a
replication in a few seconds); the test moves one officer to the fast track with the
stepper, presses Run, waits for the verdict and the CRN comparison, downloads the variant's
TOML and validates it, checks the ceiling beside the verdict and the bottleneck button, and
keeps a screenshot for docs/app.png. Skips only when Chromium is
missing (Debian: ``apt-get install chromium``; never ``playwright install``) or Playwright is
not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.config.load import load_scenario
from sim.report.browser import find_chromium

ROOT = Path(__file__).resolve().parents[2]
SHORT = ROOT / "tests" / "data" / "app_short.toml"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``courtsim app`` on the short scenario, on a free local port; stopped after the test."""
    port = _free_port()
    log = (tmp_path / "app.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "app",
            str(SHORT),
            "--port",
            str(port),
            "--results",
            str(tmp_path / "results"),
            "--jobs",
            "2",
            "--cache",
            str(tmp_path / "cache"),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("the page did not start:\n" + (tmp_path / "app.log").read_text())
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
        log.close()


def test_edit_run_compare_download_in_a_real_browser(served: str, tmp_path: Path) -> None:
    chromium = find_chromium()
    assert chromium is not None
    outside: list[str] = []
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 4400}, accept_downloads=True)
        # Nothing may come from outside this machine (no CDN, fonts or telemetry).
        page.on(
            "request",
            lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else outside.append(r.url),
        )
        page.goto(served)
        page.get_by_text("执行改革模拟").wait_for(timeout=60_000)
        page.get_by_role("button", name="运行 Run").wait_for(timeout=60_000)  # the script has drawn it all

        # A short run: at most three replications of each (the page's default cap is 20).
        cap = page.get_by_label("最多重复次数 replication cap")
        cap.fill("3")
        cap.press("Enter")
        playwright_api.expect(cap).to_have_value("3")
        page.get_by_role("button", name="运行 Run").wait_for()

        # One more fast-track officer, by the stepper.
        officers = page.get_by_label("快执团队·执行员 fast_track officers")
        before = int(officers.input_value())
        officers.locator("xpath=..").get_by_test_id("stNumberInputStepUp").click()
        playwright_api.expect(officers).to_have_value(str(before + 1))
        page.get_by_text("与基线的不同 What differs from the base").wait_for()
        page.get_by_role("cell", name=str(before + 1), exact=True).first.wait_for(timeout=30_000)

        # The variant as a file: base = ... plus only what changed; it validates.
        with page.expect_download() as download:
            page.get_by_role("button", name="下载方案TOML Download the variant (TOML)").click()
        saved = SHORT.parent / f"_browser_{os.getpid()}.toml"
        download.value.save_as(saved)
        try:
            text = saved.read_text(encoding="utf-8")
            assert 'base = "app_short.toml"' in text
            assert f"officers = {before + 1}" in text
            variant = load_scenario(saved)  # what `courtsim validate` does
            assert variant.staffing.fast_track.officers == before + 1
        finally:
            saved.unlink(missing_ok=True)

        # Run: the verdict appears after the first replications, then the comparison.
        page.get_by_role("button", name="运行 Run").click()
        page.get_by_text("结论 Verdict").wait_for(timeout=120_000)
        page.get_by_text("简案45日内结案率").first.wait_for(timeout=120_000)
        page.get_by_text("与基线比较 Compared with the baseline (CRN)").wait_for(timeout=120_000)
        page.get_by_text("CRN-paired", exact=False).wait_for(timeout=180_000)
        verdict = page.get_by_text("目标 target ≥ 90.0%").first.inner_text()
        assert any(word in verdict for word in ("达标", "未达标", "不确定", "不稳定")), verdict
        page.get_by_text("已完成 finished", exact=False).wait_for(timeout=120_000)
        page.get_by_text("为什么超期 Why late").wait_for(timeout=60_000)
        page.get_by_test_id("stImage").first.wait_for(timeout=60_000)  # the why-late figure
        page.get_by_text("上限 ceiling", exact=False).first.wait_for(timeout=60_000)  # beside the verdict
        # The bottleneck by effect is offered (its (1 + posts) × 3 runs are left to the AppTest test).
        page.get_by_role("button", name="找瓶颈 Bottleneck by effect").wait_for(timeout=60_000)
        shot = tmp_path / "app.png"
        page.screenshot(path=str(shot))  # the page scrolls inside its own pane: a tall window shows it all
        browser.close()
    assert outside == [], f"the page fetched from outside this machine: {outside}"
    assert shot.stat().st_size > 50_000
    keep = os.environ.get("COURTSIM_APP_SCREENSHOT")
    if keep:  # `COURTSIM_APP_SCREENSHOT=docs/app.png pytest tests/app/test_app_browser.py` renews the docs' picture
        shutil.copyfile(shot, keep)
