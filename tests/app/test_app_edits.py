"""The page's edits without a browser: changes, validation messages by field, the variant file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim.app.edits import (
    CASES_PER_YEAR,
    build_variant,
    changes,
    edit_fields,
    problems_by_field,
    role_path,
    units_path,
    values_of,
    variant_toml,
    with_unit_totals,
)
from sim.config.errors import ScenarioError
from sim.config.load import load_scenario, scenario_hash
from sim.config.schema import Scenario

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "dengzhou_2022.toml"


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario(BASE)


def test_the_base_itself_has_no_changes(base: Scenario) -> None:
    assert changes(base, with_unit_totals(values_of(base))) == {}


def test_only_what_differs_is_kept(base: Scenario) -> None:
    values = values_of(base)
    values[role_path("fast_track", "officer")] = 6
    values[CASES_PER_YEAR] = 7000.0
    assert changes(base, values) == {"staffing.fast_track.officers": 6, "arrivals.cases_per_year": 7000.0}


def test_a_units_edit_moves_the_teams_total(base: Scenario) -> None:
    values = values_of(base)
    values[units_path("complex_track")][0]["officers"] += 1
    edits = changes(base, with_unit_totals(values))
    assert edits["staffing.complex_track.officers"] == base.staffing.complex_track.officers + 1
    built = build_variant(base, edits)
    assert built.ok and built.scenario is not None
    assert built.scenario.staffing.complex_track.units[0].officers == base.staffing.complex_track.units[0].officers + 1


def test_every_field_the_page_shows_is_a_path_of_the_scenario(base: Scenario) -> None:
    """with_overrides refuses a path that does not exist, so each field must be one."""
    values = values_of(base)
    for field in edit_fields(base):
        assert field.path in values
        assert field.zh and field.en


def _problems_as_validate_prints_them(tmp_path: Path, edits: dict[str, object]) -> list[str]:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(BASE, folder / BASE.name)
    variant = folder / "bad.toml"
    variant.write_text(variant_toml(BASE.name, "bad", edits), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(variant)
    return [str(p) for p in caught.value.problems]


def test_an_invalid_edit_gets_validates_messages_under_its_field(base: Scenario, tmp_path: Path) -> None:
    edits = {"staffing.fast_track.bailiffs": 0}
    built = build_variant(base, edits, name="bad")
    assert not built.ok
    by_field = problems_by_field(built.problems, edit_fields(base))
    assert set(by_field) == {"staffing.fast_track.bailiffs"}
    assert by_field["staffing.fast_track.bailiffs"] == _problems_as_validate_prints_them(tmp_path, edits)
    assert "needs 2 bailiff(s) at once" in by_field["staffing.fast_track.bailiffs"][0]


def test_a_negative_load_is_refused_on_its_field(base: Scenario) -> None:
    built = build_variant(base, {CASES_PER_YEAR: -5.0})
    messages = problems_by_field(built.problems, edit_fields(base))[CASES_PER_YEAR]
    assert messages and messages[0].startswith("arrivals.cases_per_year:")


def test_the_variant_file_validates_and_is_the_same_scenario(base: Scenario, tmp_path: Path) -> None:
    values = values_of(base)
    values[role_path("fast_track", "officer")] = 6
    values[units_path("complex_track")][1]["officers"] -= 1
    values[units_path("complex_track")][2]["officers"] -= 1
    values[CASES_PER_YEAR] = 7150.0
    values["policy.triage"] = ["small_claim", "frozen_covers"]
    values["policy.zhongben_floor"] = False
    values["policy.dispatch"] = "edf"
    values["reform.electronic_service.enabled"] = False
    edits = changes(base, with_unit_totals(values))
    built = build_variant(base, edits)
    assert built.ok and built.scenario is not None
    text = variant_toml(BASE.name, built.scenario.name, edits)
    assert text.count("[staffing.fast_track]") == 1 and "probabilities" not in text  # only what changed
    shutil.copy(BASE, tmp_path / BASE.name)
    saved = tmp_path / "variant.toml"
    saved.write_text(text, encoding="utf-8")
    loaded = load_scenario(saved)
    assert scenario_hash(loaded) == scenario_hash(built.scenario)
    assert loaded.policy.triage == ("small_claim", "frozen_covers")
    assert loaded.staffing.complex_track.officers == base.staffing.complex_track.officers - 2


def test_a_unit_name_with_quotes_survives_the_file(base: Scenario, tmp_path: Path) -> None:
    """Strings are written as TOML basic strings: quotes and backslashes are escaped."""
    values = values_of(base)
    values[units_path("complex_track")][0]["name"] = '执行"二"\\团队'
    edits = changes(base, values)
    shutil.copy(BASE, tmp_path / BASE.name)
    saved = tmp_path / "quoted.toml"
    saved.write_text(variant_toml(BASE.name, "quoted", edits), encoding="utf-8")
    assert load_scenario(saved).staffing.complex_track.units[0].name == '执行"二"\\团队'
