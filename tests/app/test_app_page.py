"""The page's logic under Streamlit's AppTest (no browser): the form, its messages, the load link."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit", reason="Streamlit is not installed (pip install '.[app]')")

from streamlit.testing.v1 import AppTest

from sim.app.page import widget_key

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "sim" / "app" / "page.py"
SHORT = ROOT / "tests" / "data" / "app_short.toml"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("COURTSIM_APP_SCENARIO", str(SHORT))
    monkeypatch.setenv("COURTSIM_APP_ROOT", str(tmp_path / "results"))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _run_button(at: AppTest):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == "运行 Run")


def test_the_page_shows_the_staffing_of_the_base(app: AppTest) -> None:
    officers = app.number_input(key=widget_key("staffing.fast_track.officers"))
    assert officers.value == 4
    assert app.number_input(key=widget_key("staffing.complex_track.officers")).disabled  # the units' sum
    assert not _run_button(app).disabled
    assert any("尚未修改" in c.value for c in app.caption)


def test_an_invalid_edit_shows_validates_message_and_blocks_the_run(app: AppTest) -> None:
    app.number_input(key=widget_key("staffing.fast_track.bailiffs")).set_value(0).run()
    errors = [e.value for e in app.error]
    assert any(e.startswith("staffing.fast_track.bailiffs: team fast_track does") for e in errors), errors
    assert _run_button(app).disabled
    app.number_input(key=widget_key("staffing.fast_track.bailiffs")).set_value(2).run()
    assert not app.error
    assert not _run_button(app).disabled


def test_a_unit_edit_changes_the_team_total_and_the_list_of_changes(app: AppTest) -> None:
    app.number_input(key=widget_key("staffing.complex_track.units", 0, "officers")).set_value(4).run()
    table = app.table[0].value
    assert "精执团队·执行员 complex_track officers" in table.index
    assert table.loc["精执团队·执行员 complex_track officers", "方案 variant"] == "12"


def test_the_load_multiplier_and_cases_per_year_follow_each_other(app: AppTest) -> None:
    app.number_input(key="load:multiplier").set_value(1.3).run()
    assert app.number_input(key=widget_key("arrivals.cases_per_year")).value == pytest.approx(8450.0)
    app.number_input(key=widget_key("arrivals.cases_per_year")).set_value(3250.0).run()
    assert app.number_input(key="load:multiplier").value == pytest.approx(0.5)


def _until(at: AppTest, done, seconds: float = 300.0) -> None:  # type: ignore[no-untyped-def]
    """Rerun the page (as its poll does, once a second) until ``done(at)`` or the time is up."""
    deadline = time.monotonic() + seconds
    while not done(at):
        assert time.monotonic() < deadline, "the page did not get there in time"
        assert not at.exception, at.exception
        time.sleep(0.5)
        at.run()


def _tables(at: AppTest) -> list[pd.DataFrame]:
    return [t.value for t in at.table]


@pytest.mark.slow  # 30-60 s: a run of two replications, then (1 + 21 posts) × 3 short replications
def test_a_finished_run_shows_the_ceiling_and_then_the_bottleneck_by_effect(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tinier = tmp_path / "app_tinier.toml"
    tinier.write_text(
        f'base = "{SHORT}"\nname = "app_tinier"\n\n[run]\nwarmup_days = 5\nhorizon_days = 40\ncooldown_days = 0\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("COURTSIM_APP_SCENARIO", str(tinier))
    monkeypatch.setenv("COURTSIM_APP_ROOT", str(tmp_path / "results"))
    monkeypatch.setenv("COURTSIM_APP_JOBS", "2")
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    next(n for n in at.number_input if n.label == "最多重复次数 replication cap").set_value(2).run()
    assert not any(b.label == "找瓶颈 Bottleneck by effect" for b in at.button)  # only after a run
    _run_button(at).click().run()
    _until(at, lambda at: any(c.value.startswith("已停止 stopped") for c in at.caption))

    ceiling = [e.value for e in [*at.info, *at.error] if e.value.startswith("**上限 ceiling**")]
    assert len(ceiling) == 1, ceiling
    assert "人手不限时fast45_rate最高约" in ceiling[0] and "95%区间" in ceiling[0]
    assert "the ceiling of fast45_rate is" in ceiling[0] and "(95% CI" in ceiling[0]

    next(b for b in at.button if b.label == "找瓶颈 Bottleneck by effect").click().run()
    assert any("每个方案3次重复" in c.value and "courtsim marginal --reps 3" in c.value for c in at.caption)
    _until(at, lambda at: any(t.index.name == "名次 rank" for t in _tables(at)))
    table = next(t for t in _tables(at) if t.index.name == "名次 rank")
    assert len(table) == 21 and list(table.index) == [str(i) for i in range(1, 22)]
    assert set(table["显著 significant"]) <= {"显著 yes", "不显著 no"}
    effects = [float(v.split()[0]) for v in table["45日率变化 effect on the 45-day rate [95% CI]"]]
    assert effects == sorted(effects, reverse=True)  # ranked by effect (the 45-day rate: higher is better)
    assert any("增加一人" in m.value for m in at.markdown)  # the brief's recommendation, in its words
