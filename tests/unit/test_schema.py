"""Scenario files: inheritance, strict validation with every problem named, JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.config.errors import ScenarioError
from sim.config.load import deep_merge, load_scenario, scenario_hash, with_overrides
from sim.config.schema import Scenario
from tests.conftest import SCENARIOS


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _variant(tmp_path: Path, body: str) -> Path:
    base = (SCENARIOS / "dengzhou_2022.toml").resolve()
    return _write(tmp_path, "variant.toml", f'base = "{base}"\n{body}')


def _paths(exc: pytest.ExceptionInfo[ScenarioError]) -> list[str]:
    return [p.path for p in exc.value.problems]


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_scenario_validates(path: Path) -> None:
    assert isinstance(load_scenario(path), Scenario)


def test_validate_names_every_problem_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's example: a misspelt key, a wrong type, a probability of 1.3, shares summing to 0.9."""
    bad = _variant(
        tmp_path,
        """
[staffing.fast_track]
oficers = 3
[probabilities]
settlement_rate = 1.3
dishonest_rate = "high"
[arrivals]
case_mix = { first = 0.7, resumed = 0.1, preservation = 0.1 }
""",
    )
    code = main(["validate", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert "staffing.fast_track.oficers: unknown key" in err and "expected one of: judges, officers" in err
    assert "probabilities.dishonest_rate:" in err and "got 'high'" in err
    assert "probabilities.settlement_rate:" in err and "got 1.3" in err
    assert "arrivals.case_mix: shares must sum to 1 (got 0.9)" in err
    assert "Traceback" not in err


def test_validate_ok_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SCENARIOS / "dengzhou_2022.toml")]) == 0
    assert capsys.readouterr().out.strip() == "ok"


def test_base_inheritance_overrides_only_what_differs(tmp_path: Path) -> None:
    scenario = load_scenario(_variant(tmp_path, 'name = "v"\n[staffing.fast_track]\nofficers = 7\n'))
    base = load_scenario(SCENARIOS / "dengzhou_2022.toml")
    assert scenario.staffing.fast_track.officers == 7
    assert scenario.staffing.fast_track.clerks == base.staffing.fast_track.clerks
    assert scenario.tasks == base.tasks


def test_a_distribution_of_another_family_replaces_the_base_s_whole() -> None:
    """A calibrated gamma claim over the baseline's lognormal kept ``median`` and ``sigma``
    and failed as unknown keys (issue 18 item 15); the same family still merges."""
    base = {"amounts": {"claim_cny": {"dist": "lognormal", "median": 50000, "sigma": 1.2}}}
    gamma = {"dist": "gamma", "mean": 60000, "shape": 1.5}
    merged = deep_merge(base, {"amounts": {"claim_cny": gamma}})
    assert merged["amounts"]["claim_cny"] == gamma
    same = deep_merge(base, {"amounts": {"claim_cny": {"median": 90000}}})
    assert same["amounts"]["claim_cny"] == {"dist": "lognormal", "median": 90000, "sigma": 1.2}
    spelt = deep_merge(base, {"amounts": {"claim_cny": {"dist": "lognormal", "sigma": 1.0}}})
    assert spelt["amounts"]["claim_cny"] == {"dist": "lognormal", "median": 50000, "sigma": 1.0}


def test_deep_merge_replaces_lists_and_merges_tables() -> None:
    merged = deep_merge({"a": {"x": 1, "y": [1, 2]}, "b": 1}, {"a": {"y": [3]}, "c": 2})
    assert merged == {"a": {"x": 1, "y": [3]}, "b": 1, "c": 2}


def test_base_loop_and_missing_base_are_errors(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", 'base = "b.toml"\n')
    _write(tmp_path, "b.toml", 'base = "a.toml"\n')
    with pytest.raises(ScenarioError, match="loops"):
        load_scenario(tmp_path / "a.toml")
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(_write(tmp_path, "c.toml", 'base = "nowhere.toml"\n'))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "required field is missing"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"name = [unclosed", "not valid TOML"),
    ],
)
def test_unreadable_files_give_one_clear_problem(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert any(message in str(p) for p in exc.value.problems)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ("[staffing.fast_track]\nofficers = -1\n", "staffing.fast_track.officers"),
        ("[staffing.fast_track]\nofficers = 2.5\n", "staffing.fast_track.officers"),
        ("[run]\nwarmup_days = 900\n", "run"),
        ("[run]\nstart_date = 2023-02-30\n", "(file)"),
        ("[probabilities]\nprice_method = { online = 0.5, appraisal = 0.4 }\n", "probabilities.price_method"),
        ('[delays]\nservice_days = { dist = "triangular", low = 5, mode = 2, high = 9 }\n', "delays.service_days"),
        ("[calendar]\nhours_per_day = nan\n", "calendar.hours_per_day"),
        ('[policy]\ndispatch = "random"\n', "policy.dispatch"),
    ],
)
def test_each_rule_is_enforced_with_its_path(tmp_path: Path, body: str, path: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_variant(tmp_path, body))
    assert path in _paths(exc) or any(path in str(p) for p in exc.value.problems), exc.value.problems


def test_team_without_the_roles_its_work_needs_is_rejected(tmp_path: Path) -> None:
    """The fast-track team does field investigations (officer + bailiff): no bailiffs, no team."""
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_variant(tmp_path, "[staffing.fast_track]\nbailiffs = 0\n"))
    problem = next(p for p in exc.value.problems if p.path == "staffing.fast_track.bailiffs")
    assert "field_investigation" in problem.message or "bailiff" in problem.message


def test_units_must_add_up(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="units' officers add up to 11 but the team has officers = 12"):
        load_scenario(_variant(tmp_path, "[staffing.complex_track]\nofficers = 12\n"))


def test_staffing_changes_are_checked(tmp_path: Path) -> None:
    body = """
[[staffing_changes]]
date = 2023-03-01
team = "fast_track"
role = "officer"
delta = -9
[[staffing_changes]]
date = 2030-01-01
team = "intake"
role = "clerk"
delta = 1
[[staffing_changes]]
date = 2023-03-01
team = "complex_track"
role = "officer"
delta = 1
"""
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_variant(tmp_path, body))
    text = " | ".join(str(p) for p in exc.value.problems)
    assert "negative head-count" in text
    assert "outside the simulated period" in text
    assert "has units; say which" in text


def test_with_overrides_revalidates_and_rejects_unknown_paths(baseline: Scenario) -> None:
    changed = with_overrides(baseline, {"staffing.intake.officers": 4})
    assert changed.staffing.intake.officers == 4
    assert scenario_hash(changed) != scenario_hash(baseline)
    with pytest.raises(ScenarioError, match="unknown field"):
        with_overrides(baseline, {"staffing.intake.oficers": 4})
    with pytest.raises(ScenarioError, match=r"must be 1\.0 or less"):
        with_overrides(baseline, {"probabilities.settlement_rate": 1.5})


def test_scenarios_are_frozen(baseline: Scenario) -> None:
    with pytest.raises(ValueError, match="frozen"):
        baseline.staffing.intake.officers = 9  # type: ignore[misc]


def test_source_labels_fall_back_to_the_group(baseline: Scenario) -> None:
    assert baseline.probabilities.source_of("auction_first_sale_rate").startswith("facts §3.11")
    assert baseline.probabilities.source_of("detention_rate").startswith("EST")


def test_json_schema_is_exported(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert main(["schema", "-o", str(out)]) == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert "base" in schema["properties"] and "staffing" in schema["properties"]
    assert schema["$defs"]["TeamStaffing"]["additionalProperties"] is False
