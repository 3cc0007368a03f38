"""The lever search (:mod:`sim.experiments.levers`) on a stand-in model whose answer is known.

The stand-in's 45-day rate is 0.5, +0.1 per extra fast-track officer, +0.25 with the
``edf`` dispatch order and −0.1 without electronic service; nothing else moves it. The
ceiling is 0.95. So: edf helps most, one more fast-track officer helps, the two together
reach 0.85, and only their combination meets a target of 0.8.
"""

from __future__ import annotations

import pytest

from sim.commands.levers import format_levers, payload
from sim.config.schema import Scenario
from sim.experiments.levers import COMBINED, levers_of, search_levers
from sim.experiments.types import parse_target
from sim.rules import DISPATCH
from tests.functional.test_experiment_search import Counting, _staff_model

EDF = DISPATCH.names()[1]  # the second built-in rule, earliest deadline first


def _model(scenario: Scenario) -> dict[str, float]:
    rate = 0.5 + 0.1 * (scenario.staffing.fast_track.officers - 4)
    rate += 0.25 if scenario.policy.dispatch == EDF else 0.0
    rate -= 0.0 if scenario.reform.electronic_service.enabled else 0.1
    return {
        **_staff_model(scenario),
        "fast45_rate": rate,
        "fast45_ceiling": 0.95,
        "unstable": float(scenario.policy.dispatch != EDF and scenario.staffing.fast_track.officers < 5),
    }


def test_each_lever_gets_its_effect_and_the_helpful_ones_are_combined(baseline: Scenario) -> None:
    counting = Counting(_model)
    result = search_levers(baseline, [parse_target("fast45_rate>=0.8")], counting, reps=3, screen_reps=2)
    table = result.table.set_index("lever")
    assert table.loc[f"dispatch {EDF}", "fast45_rate_diff"] == pytest.approx(0.25)
    assert table.loc["+1 officer fast_track", "fast45_rate_diff"] == pytest.approx(0.1)
    assert table.loc["reform.electronic_service off", "fast45_rate_diff"] == pytest.approx(-0.1)
    assert table.loc["+1 officer intake", "fast45_rate_diff"] == pytest.approx(0.0)
    # Only the two helpful levers together reach 0.85 > 0.8; each alone stays short.
    assert set(result.combined) == {f"dispatch {EDF}", "+1 officer fast_track"}
    assert result.met and result.table.iloc[0]["kind"] == "combined"
    assert table.loc[f"dispatch {EDF} + +1 officer fast_track", "fast45_rate_mean"] == pytest.approx(0.85, abs=0.02)
    assert not table.drop(index=f"dispatch {EDF} + +1 officer fast_track")["holds"].any()
    # The screen: levers clearly worse than the best (edf) stop after 2 replications; it runs to 3.
    assert table.loc[f"dispatch {EDF}", "n"] == 3
    assert set(table.drop(index=[f"dispatch {EDF}", f"dispatch {EDF} + +1 officer fast_track"])["n"]) == {2}
    assert table.loc["+1 officer fast_track", "screen"].startswith("stopped after the screen")
    assert table.loc[f"dispatch {EDF}", "unstable_reps"] == 0 and table.loc["+1 officer intake", "unstable_reps"] == 2
    assert result.simulated == len(counting.simulated)  # what it says it used is what it used
    text = format_levers(result, "stand-in")
    assert text.startswith("!! 不稳定：3/3") and "上限 ceiling" in text and "⚠ 2/2" in text
    assert payload(result)["levers"][0]["kind"] == "combined"
    assert COMBINED in set(result.kpis["scenario"])


def test_the_scenario_exposes_levers_of_every_kind_and_only_valid_ones(baseline: Scenario) -> None:
    levers = levers_of(baseline, [("fast_track", "officer")])
    kinds = {lever.kind for lever in levers}
    assert kinds == {"staffing", "triage_rules", "reform", "dispatch", "handlers"}
    assert all(lever.overrides or lever.counts for lever in levers)
    assert not any(lever.id == f"dispatch {baseline.policy.dispatch}" for lever in levers)  # not the current one
    # Without triage (the court before the reform) each rule can be added and there is no threshold to move.
    from sim.config.load import with_overrides
    from sim.rules import TRIAGE

    bare = levers_of(with_overrides(baseline, {"policy.triage": []}))
    added = {lever.id for lever in bare if lever.kind == "triage_rules"}
    # every registered rule, the shipped ones and any a test (or a user) registered in this process
    assert added == {f"triage +{r}" for r in TRIAGE.names()}
    assert {f"triage +{r}" for r in baseline.policy.triage} <= added


def test_triage_levers_combined_apply_every_rule_they_drop(baseline: Scenario) -> None:
    from sim.experiments.levers import _combine

    rules = list(baseline.policy.triage)
    levers = {lever.id: lever for lever in levers_of(baseline)}
    both = _combine([levers[f"triage -{rules[1]}"], levers[f"triage -{rules[2]}"]], rules)
    assert both.overrides["policy.triage"] == [rules[0]]
