"""The [uncertainty] table: ranges of the assumptions, validated like the rest, and the default rules."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from sim.config.errors import ScenarioError
from sim.config.load import load_scenario, scenario_hash, with_overrides
from sim.config.reform import ACTS, _require_acts
from sim.config.uncertainty import FIXED, UncertainRange, apply_values, est_values, uncertain_parameters, unvaried
from sim.experiments.sensitivity import CourtModel
from sim.model import run_replication
from sim.vocab import Mechanism
from tests.conftest import SCENARIOS

BASELINE = SCENARIOS / "dengzhou_2022.toml"


def _variant(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "variant.toml"
    path.write_text(f'base = "{BASELINE.resolve()}"\n[uncertainty]\n{body}\n', encoding="utf-8")
    return path


def _problems(tmp_path: Path, body: str) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_variant(tmp_path, body))
    return [str(p) for p in exc.value.problems]


@pytest.fixture(scope="module")
def baseline_parameters() -> dict[str, object]:
    scenario = load_scenario(BASELINE)
    return {p.path: p for p in uncertain_parameters(scenario.model_dump(mode="json"), scenario.uncertainty)}


def test_every_assumption_gets_a_range_and_rules_stay_fixed(baseline_parameters: dict[str, object]) -> None:
    paths = set(baseline_parameters)
    assert "tasks.first_contact.hours" in paths  # EST effort
    assert "delays.service_days" in paths  # EST shape of an outside delay
    assert "probabilities.voluntary_payment_rate" in paths
    assert "arrivals.cases_per_year" in paths
    # statutory periods, the plan's staffing and deadlines, and policies are not assumptions
    assert "delays.public_notice_days" not in paths  # CPL art. 95, fixed 30 days
    assert not any(p.startswith(("staffing.", "deadlines.", "policy.", "run.", "calendar.")) for p in paths)


def test_default_rules(baseline_parameters: dict[str, object]) -> None:
    effort = baseline_parameters["tasks.scan.hours"]  # the level of docs/workload.md §1: 0.7 / 1.0 / 1.4
    assert (effort.kind, effort.low, effort.likely, effort.high) == ("scale", 0.7, 1.0, 1.4)
    delay = baseline_parameters["delays.service_days"]
    assert (delay.low, delay.high, delay.rule) == (0.5, 1.5, "delay")
    small = baseline_parameters["probabilities.criminal_referral_rate"]  # 0.005: half of it either way
    assert (small.low, small.high) == (pytest.approx(0.0025), pytest.approx(0.0075))
    # a probability in [0.2, 0.8] gets ±0.1 (the first such rate with no [uncertainty] entry)
    large = next(
        p
        for key, p in baseline_parameters.items()
        if key.endswith("_rate") and p.rule != "scenario" and 0.2 <= p.likely <= 0.8
    )
    value = large.likely
    assert (large.low, large.high) == (pytest.approx(value - 0.1), pytest.approx(value + 0.1))
    assert "EST" in effort.source and "rule 'effort'" in effort.source


LEGAL_STATES = ("stay_rate", "debtor_found_rate", "hearing_rate", "reconsideration_rate", "resumed_property_rate")
"""Probabilities of the legal states of issue 13 (暂缓执行, the search, 听证, 复议, 执恢's find)."""


def test_the_merged_models_assumptions_get_ranges(baseline_parameters: dict[str, object]) -> None:
    """The reform's mechanisms and the legal states' probabilities are uncertain like the rest."""
    for rate in LEGAL_STATES:
        assert f"probabilities.{rate}" in baseline_parameters, rate
    dishonest = baseline_parameters["probabilities.dishonest_rate"]  # sources-13 §6.2: 0.25 / 0.45 / 0.55
    assert (dishonest.low, dishonest.likely, dishonest.high, dishonest.rule) == (0.25, 0.45, 0.55, "scenario")
    teams = ("intake", "fast_track", "complex_track", "asset_disposal", "records")
    for team in teams:  # sources-13 §1.1, §8: range 0.70–0.95
        spec = baseline_parameters[f"reform.specialisation.teams.{team}"]
        assert (spec.low, spec.high, spec.rule, spec.group) == (0.70, 0.95, "scenario", "reform")
    assert baseline_parameters["reform.specialisation.teams.complex_track"].likely == 0.90
    batched = baseline_parameters["reform.centralised_intake.effort.triage"]  # rule 'mechanism': ×0.75–×1.33
    assert (batched.kind, batched.low, batched.likely, batched.high) == (
        "value",
        pytest.approx(0.45),
        0.6,
        pytest.approx(0.8),
    )
    share = baseline_parameters["reform.electronic_service.share"]  # EST, ±0.1
    assert (share.low, share.high, share.rule) == (pytest.approx(0.52), pytest.approx(0.72), "mechanism")
    wait = baseline_parameters["reform.handoff.wait_wdays"]
    assert (wait.kind, wait.low, wait.high) == ("scale", 0.5, 1.5)
    assert baseline_parameters["reform.electronic_service.delay_days"].kind == "scale"
    success = baseline_parameters["reform.electronic_service.success"]  # S, with a range across courts
    assert (success.low, success.high) == (0.66, 0.92)
    rework = baseline_parameters["reform.rework.flag_rate"]
    assert (rework.low, rework.likely, rework.high) == (0.03, 0.05, 0.10)
    # what acts only while a mechanism is off, and the plan's batch hour, are not varied on the baseline
    assert "reform.electronic_service.share_without" not in baseline_parameters
    assert "reform.scanned_files.paper_wait_wdays" not in baseline_parameters
    assert not any("inquiry_batch_hour" in path for path in baseline_parameters)


def test_a_mechanism_that_is_off_varies_what_acts_when_off() -> None:
    scenario = load_scenario(SCENARIOS / "pre_reform.toml")
    paths = {p.path: p for p in uncertain_parameters(scenario.model_dump(mode="json"), scenario.uncertainty)}
    without = paths["reform.electronic_service.share_without"]  # the old court's e-service share, EST
    assert (without.low, without.likely, without.high) == (pytest.approx(0.35), 0.45, pytest.approx(0.55))
    assert "reform.electronic_service.share" not in paths
    assert not any(p.startswith("reform.centralised_intake.") for p in paths)  # off: its multipliers do not act


def _parameters(name: str) -> dict[str, object]:
    scenario = load_scenario(SCENARIOS / name)
    return {p.path: p for p in uncertain_parameters(scenario.model_dump(mode="json"), scenario.uncertainty)}


TEAMS = ("intake", "fast_track", "complex_track", "asset_disposal", "records")


def test_a_mechanism_field_varies_in_every_state_where_it_acts() -> None:
    """ACTS: the e-service's success and delay act on and off (the old court served some debtors so)."""
    before = _parameters("pre_reform.toml")  # electronic_service off
    delay = before["reform.electronic_service.delay_days"]  # shape EST: rule 'mechanism'
    assert (delay.kind, delay.low, delay.likely, delay.high, delay.rule) == ("scale", 0.5, 1.0, 1.5, "mechanism")
    success = before["reform.electronic_service.success"]  # sourced (S), with the baseline's entry
    assert (success.low, success.high, success.rule) == (0.66, 0.92, "scenario")
    without = before["reform.electronic_service.share_without"]
    assert (without.low, without.high) == (pytest.approx(0.35), pytest.approx(0.55))
    assert "reform.electronic_service.share" not in before  # acts only when on
    after = _parameters("dengzhou_2022.toml")  # on: delay, success and share; not share_without
    assert after["reform.electronic_service.delay_days"].kind == "scale"
    assert {"reform.electronic_service.success", "reform.electronic_service.share"} <= set(after)
    assert "reform.electronic_service.share_without" not in after
    shared = {p for p in before if p.startswith("reform.")} & {p for p in after if p.startswith("reform.")}
    assert shared == {  # what acts in both states, and the entries a variant inherits
        "reform.electronic_service.delay_days",
        "reform.electronic_service.success",
        "reform.handoff.wait_wdays",  # the old court hands over its preservation cases
        "reform.rework.flag_rate",
        *(f"reform.specialisation.teams.{t}" for t in TEAMS),
    }


def test_acts_must_name_every_field_of_every_group() -> None:
    assert set(ACTS) == set(Mechanism)
    missing = {m: dict(fields) for m, fields in ACTS.items()}
    del missing[Mechanism.ELECTRONIC_SERVICE]["delay_days"]
    with pytest.raises(TypeError, match=r"ACTS\[electronic_service\].*missing \['delay_days'\]"):
        _require_acts(missing)
    wrong = {m: dict(fields) for m, fields in ACTS.items()}
    wrong[Mechanism.REWORK]["flag_rate"] = "always"
    with pytest.raises(TypeError, match="as on, off or both"):
        _require_acts(wrong)


def test_acts_says_what_the_model_reads_while_the_e_service_is_off() -> None:
    """Off, the old court's e-services still succeed with P = success, after delay_days (ACTS: both)."""
    off = with_overrides(
        load_scenario(BASELINE),
        {
            "run.warmup_days": 0,
            "run.horizon_days": 40,
            "run.cooldown_days": 20,
            "reform.electronic_service.enabled": False,
            "reform.electronic_service.delay_days": {"dist": "fixed", "value": 0.75},
        },
    )
    steps = run_replication(off, 0).steps
    served = steps[steps.step == "electronic_service"]
    assert len(served) > 50
    assert (served.end - served.start).to_numpy() == pytest.approx(0.75)  # delay_days, not the post
    never = run_replication(with_overrides(off, {"reform.electronic_service.success": 0.0}), 0).steps
    assert not (never.step == "electronic_service").any()


SHIPPED = sorted(path.name for path in SCENARIOS.glob("*.toml"))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_est_value_is_uncertain_or_fixed_for_a_stated_reason(name: str) -> None:
    scenario = load_scenario(SCENARIOS / name)
    document = scenario.model_dump(mode="json")
    parameters = uncertain_parameters(document, scenario.uncertainty)
    gaps = [path for path, reason in unvaried(document, parameters).items() if reason is None]
    assert gaps == []
    est = set(est_values(document))
    assert {"tasks.zhongben_check.hours", "tasks.resume_review.hours", "tasks.node_monitoring.hours"} <= est
    assert {"tasks.platform_duty.hours", "side_streams.data_requests_per_year"} <= est  # the duties merge


def test_an_est_value_without_a_range_or_a_reason_is_a_gap() -> None:
    scenario = load_scenario(BASELINE)
    document = scenario.model_dump(mode="json")
    # Without its [uncertainty] entry the monitoring interval has no rule and no reason to be fixed.
    gaps = [path for path, why in unvaried(document, uncertain_parameters(document, {})).items() if why is None]
    assert gaps == ["side_streams.monitoring_interval_wdays"]
    interval = next(p for p in uncertain_parameters(document, scenario.uncertainty) if "interval" in p.path)
    assert (interval.low, interval.likely, interval.high, interval.integer) == (2, 5, 10, True)


def test_every_fixed_pattern_is_used_by_a_shipped_scenario() -> None:
    """No stale entry: each reason of FIXED accounts for some EST value of the shipped scenarios."""
    used: set[str] = set()
    for name in SHIPPED:
        scenario = load_scenario(SCENARIOS / name)
        document = scenario.model_dump(mode="json")
        paths = unvaried(document, uncertain_parameters(document, scenario.uncertainty))
        used |= {pattern for pattern in FIXED for path in paths if fnmatchcase(path, pattern)}
    assert used == set(FIXED)


def test_reform_ranges_move_the_scenario() -> None:
    scenario = load_scenario(BASELINE)
    model = CourtModel(scenario)
    chosen = ["reform.specialisation.teams.intake", "reform.rework.flag_rate", "reform.handoff.wait_wdays"]
    values = [
        {"reform.handoff.wait_wdays": 1.5}.get(p.path, p.high if p.path in chosen else p.likely)
        for p in model.parameters
    ]
    changed = model.scenario_at(values)
    assert changed.reform.specialisation.teams["intake"] == 0.95
    assert changed.reform.rework.flag_rate == 0.10
    assert changed.reform.handoff.wait_wdays.mean() == pytest.approx(1.5)  # triangular(0, 1, 2) × 1.5


def test_an_entry_replaces_the_default(baseline_parameters: dict[str, object]) -> None:
    found = baseline_parameters["probabilities.property_found_rate"]
    assert (found.low, found.likely, found.high, found.rule) == (0.05, 0.08, 0.20, "scenario")
    assert found.source.startswith("EST: facts §4.3")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('"tasks.frist_contact.hours" = { low = 0.5, high = 2 }', "uncertainty.tasks.frist_contact.hours: no scenario"),
        ('"tasks.scan.hours" = { low = 2, high = 0.5 }', "uncertainty.tasks.scan.hours: low must be below high"),
        ('"tasks.scan.hours" = { low = 0, high = 2 }', "uncertainty.tasks.scan.hours: multipliers"),
        ('"probabilities.settlement_rate" = { low = 0.1, high = 1.2 }', "a probability's range must lie in [0, 1]"),
        ('"policy.zhongben_floor" = { low = 0, high = 1 }', "uncertainty.policy.zhongben_floor: not a number"),
        ('"arrivals.case_mix.first" = { low = 0.7, high = 0.9 }', "shares that sum to 1"),
        ('"tasks.scan.hours" = { low = 0.5, high = 2, lowest = 0.1 }', "uncertainty.tasks.scan.hours.lowest"),
        ('"tasks.scan.hours" = { low = 0.5, likely = 3, high = 2 }', "likely must lie between low and high"),
        (
            '"reform.electronic_service.success" = { low = 0.6, high = 1.1 }',
            "uncertainty.reform.electronic_service.success: a probability's range must lie in [0, 1]",
        ),
        (
            '"reform.specialisation.teams.intake" = { low = 0.5, high = 12 }',
            "uncertainty.reform.specialisation.teams.intake: an effort multiplier of [reform] must be positive",
        ),
        ('"reform.rework.flag_rat" = { low = 0.01, high = 0.1 }', "uncertainty.reform.rework.flag_rat: no scenario"),
    ],
)
def test_bad_entries_are_plain_errors_naming_the_key(tmp_path: Path, body: str, expected: str) -> None:
    problems = _problems(tmp_path, body)
    assert any(expected in p for p in problems), problems


def test_ranges_do_not_change_the_hash_of_what_a_replication_computes() -> None:
    scenario = load_scenario(BASELINE)
    wider = scenario.model_copy(update={"uncertainty": {"tasks.scan.hours": UncertainRange(low=0.1, high=9)}})
    assert scenario_hash(wider) == scenario_hash(scenario)
    assert scenario_hash(with_overrides(scenario, {"probabilities.settlement_rate": 0.2})) != scenario_hash(scenario)


def test_a_multiplier_scales_the_distribution_and_keeps_its_cap() -> None:
    scenario = load_scenario(BASELINE)
    document = scenario.model_dump(mode="json")
    parameters = [
        p
        for p in uncertain_parameters(document, scenario.uncertainty)
        if p.path in ("delays.appraisal_days", "probabilities.settlement_rate")
    ]
    overrides = apply_values(document, parameters, [1.5, 0.2])
    scaled = {"dist": "triangular", "low": 22.5, "mode": 45.0, "high": 90.0, "cap": 60}
    assert overrides["delays.appraisal_days"] == scaled
    assert overrides["probabilities.settlement_rate"] == 0.2
    changed = with_overrides(scenario, overrides)
    assert changed.delays.appraisal_days.mean() < 60  # the statutory cap still holds


def test_a_head_count_range_is_rounded_and_units_follow(tmp_path: Path) -> None:
    scenario = load_scenario(_variant(tmp_path, '"staffing.complex_track.officers" = { low = 9, high = 14 }'))
    model = CourtModel(scenario)
    paths = [p.path for p in model.parameters]
    officers = model.parameters[paths.index("staffing.complex_track.officers")]
    assert (officers.integer, officers.likely, officers.rule) == (True, 11, "scenario")
    values = [p.likely for p in model.parameters]
    values[paths.index("staffing.complex_track.officers")] = 12.6
    changed = model.scenario_at(values)
    assert changed.staffing.complex_track.officers == 13
    assert sum(u.officers for u in changed.staffing.complex_track.units) == 13


def test_a_range_that_breaks_the_scenario_fails_before_any_run(tmp_path: Path) -> None:
    # ×10 puts the appraisal's low (150 days) above its 60-day cap: the variant is invalid.
    scenario = load_scenario(_variant(tmp_path, '"delays.appraisal_days" = { low = 0.5, high = 10 }'))
    model = CourtModel(scenario)
    values = [p.high if p.path == "delays.appraisal_days" else p.likely for p in model.parameters]
    with pytest.raises(ScenarioError, match=r"delays\.appraisal_days"):
        model.scenario_at(values)


def test_a_range_beyond_what_its_field_accepts_is_named(tmp_path: Path) -> None:
    # The field takes 1..250 working days; a range to 1e308 was accepted (test_bad_input found it).
    (problem,) = _problems(tmp_path, '"side_streams.monitoring_interval_wdays" = { low = 2, high = 1e308 }')
    assert "uncertainty.side_streams.monitoring_interval_wdays" in problem and "250" in problem
    (problem,) = _problems(tmp_path, '"side_streams.monitoring_interval_wdays" = { low = 0.5, high = 10 }')
    assert "1 <= low" in problem
    inside = load_scenario(_variant(tmp_path, '"side_streams.monitoring_interval_wdays" = { low = 1, high = 250 }'))
    assert inside.uncertainty["side_streams.monitoring_interval_wdays"].high == 250
