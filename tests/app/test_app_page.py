"""The page's logic under Streamlit's AppTest (no browser): the form, its messages, the load link."""

from __future__ import annotations

from pathlib import Path

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
