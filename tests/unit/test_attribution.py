"""Attribution on a toy whose answer is known: additive parts, an interaction, invalid parts grouped.

The toy "model" is a function of two scenario fields — the fast-track officers ``x`` and
the cases a year ``y`` (two parts: ``staffing`` and ``arrivals``) — plus noise that is common
to every scenario in a replication (common random numbers) and a little that is not:

- ``additive`` = 10 x + 0.01 y: the parts' effects add, the remainder is 0;
- ``product`` = x · y / 1000: from (4, 6500) to (6, 7500) the total is 45 − 26 = 19, staffing
  alone gives 13, arrivals alone 4, the interaction remainder 2 = Δx · Δy / 1000; the
  waterfall (staffing first) gives 13 then 6; Shapley gives 14 and 5.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.experiments import attribution
from sim.experiments.attribution import (
    AttributionError,
    Design,
    Part,
    _default_part,
    _switch_offs_first,
    attribute,
    compact_paths,
    differing_paths,
    effects,
    plan_attribution,
)

REPS = 12
LEVEL = 0.999  # a dozen intervals are checked against the truth: each must be wide enough to cover it


def toy(scenarios: Mapping[str, Scenario], reps: int) -> pd.DataFrame:
    """KPIs of the toy: known functions of two fields, CRN noise per replication."""
    rows = []
    for label, scenario in scenarios.items():
        x = scenario.staffing.fast_track.officers
        y = scenario.arrivals.cases_per_year
        own = np.random.default_rng(zlib.crc32(label.encode()))  # the part not shared between scenarios
        for r in range(reps):
            common = np.random.default_rng(r).normal(0.0, 5.0)  # shared by every scenario: cancels in pairs
            rows.append((label, r, "additive", 10 * x + 0.01 * y + common + own.normal(0.0, 0.3)))
            rows.append((label, r, "product", x * y / 1000 + common + own.normal(0.0, 0.3)))
            rows.append((label, r, "only_with_six", 1.0 if x == 6 else math.nan))
    return pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])


@pytest.fixture(scope="module")
def pair(baseline: Scenario) -> tuple[Scenario, Scenario]:
    other = with_overrides(
        baseline,
        {"name": "toy_other", "staffing.fast_track.officers": 6, "arrivals.cases_per_year": 7500},
    )
    return baseline, other


def effect(table: pd.DataFrame, kpi: str, method: str, part: str) -> pd.Series:
    rows = table.loc[(table["kpi"] == kpi) & (table["method"] == method) & (table["part"] == part)]
    assert len(rows) == 1, (kpi, method, part)
    return rows.iloc[0]


def covers(row: pd.Series, truth: float) -> bool:
    return bool(row.ci_low <= truth <= row.ci_high)


def test_additive_parts_are_recovered_within_their_intervals(pair: tuple[Scenario, Scenario]) -> None:
    plan = plan_attribution(*pair)
    assert plan.design.names == ["arrivals", "staffing"]  # the scenario format's order
    result = attribute(plan, REPS, toy, LEVEL)
    table = result.effects
    for method in ("waterfall", "one_at_a_time", "shapley"):
        assert covers(effect(table, "additive", method, "staffing"), 20.0), method
        assert covers(effect(table, "additive", method, "arrivals"), 10.0), method
    remainder = effect(table, "additive", "one_at_a_time", "remainder")
    assert covers(remainder, 0.0)
    assert not remainder.significant
    total = effect(table, "additive", "total", "total")
    assert covers(total, 30.0)
    # The CRN noise (sd 5) cancels: the intervals are far narrower than it.
    assert total.ci_high - total.ci_low < 2.0


def test_an_interaction_shows_as_the_remainder(pair: tuple[Scenario, Scenario]) -> None:
    plan = plan_attribution(*pair, parts={"staffing": ["staffing"], "arrivals": ["arrivals"]})
    assert plan.design.names == ["staffing", "arrivals"]  # named parts: the order given
    table = attribute(plan, REPS, toy, LEVEL).effects
    assert covers(effect(table, "product", "one_at_a_time", "staffing"), 13.0)
    assert covers(effect(table, "product", "one_at_a_time", "arrivals"), 4.0)
    remainder = effect(table, "product", "one_at_a_time", "remainder")
    assert covers(remainder, 2.0)
    assert remainder.significant
    assert covers(effect(table, "product", "waterfall", "staffing"), 13.0)
    assert covers(effect(table, "product", "waterfall", "arrivals"), 6.0)
    assert covers(effect(table, "product", "shapley", "staffing"), 14.0)
    assert covers(effect(table, "product", "shapley", "arrivals"), 5.0)


def test_waterfall_and_shapley_add_up_to_the_total_whatever_the_order(pair: tuple[Scenario, Scenario]) -> None:
    for order in (["staffing", "arrivals"], ["arrivals", "staffing"]):
        plan = plan_attribution(*pair, parts={name: [name] for name in order})
        table = attribute(plan, REPS, toy, LEVEL).effects
        product = table.loc[table["kpi"] == "product"]
        total = float(product.loc[product["method"] == "total", "mean"].iloc[0])
        for method in ("waterfall", "shapley"):
            assert product.loc[product["method"] == method, "mean"].sum() == pytest.approx(total)
        shapley = product.loc[product["method"] == "shapley"].set_index("part")["mean"]
        assert shapley["staffing"] == pytest.approx(14.0, abs=0.5)  # no order in Shapley values
    waterfall = product.loc[product["method"] == "waterfall"].set_index("part")
    assert waterfall["level_after"].iloc[-1] == pytest.approx(
        float(toy(plan.scenarios, REPS).query("scenario == 'toy_other' and kpi == 'product'")["value"].mean())
    )


def test_a_kpi_undefined_at_an_end_has_no_total(pair: tuple[Scenario, Scenario]) -> None:
    table = attribute(plan_attribution(*pair), REPS, toy, LEVEL).effects
    assert "only_with_six" not in set(table.loc[table["method"] == "total", "kpi"])


def no_fast_track(baseline: Scenario) -> Scenario:
    """No triage and no fast-track team, and fewer cases: the staffing needs the policy."""
    return with_overrides(
        baseline,
        {
            "name": "no_fast_track",
            "policy.triage": [],
            "staffing.fast_track.judges": 0,
            "staffing.fast_track.officers": 0,
            "staffing.fast_track.clerks": 0,
            "staffing.fast_track.bailiffs": 0,
            "arrivals.cases_per_year": 6000,
        },
    )


def test_a_part_that_cannot_be_switched_alone_keeps_its_step_and_says_why(baseline: Scenario) -> None:
    # Staffing alone would leave the simple cases with nobody; after the policy it is valid.
    plan = plan_attribution(baseline, no_fast_track(baseline))
    assert plan.design.names == ["arrivals", "policy", "staffing"]
    staffing = plan.design.parts[2]
    assert not staffing.alone and "fast_track" in staffing.alone_problem  # the validation problem
    assert plan.design.parts[0].alone and plan.design.parts[1].alone
    assert not any(p.note for p in plan.design.parts)  # nothing had to be grouped
    for scenario in plan.scenarios.values():  # every scenario to run is a valid scenario
        assert isinstance(scenario, Scenario)
    assert not plan.design.shapley  # a subset (staffing alone) is invalid
    assert any("no Shapley values" in note for note in plan.design.notes)
    # ∅, all, the waterfall's two inner steps, and arrivals and policy alone (arrivals is a step too).
    assert len(plan.scenarios) == 5
    table = attribute(plan, 3, toy, LEVEL).effects
    additive = table.loc[table["kpi"] == "additive"]
    alone = set(additive.loc[additive["method"] == "one_at_a_time", "part"])
    assert alone == {"arrivals", "policy"}  # no effect alone for staffing, and so no remainder
    assert set(additive.loc[additive["method"] == "waterfall", "part"]) == {"arrivals", "policy", "staffing"}


def test_a_part_that_cannot_take_its_place_in_the_order_is_grouped_and_says_why(baseline: Scenario) -> None:
    parts = {"staffing": ["staffing"], "policy": ["policy"]}  # staffing first cannot be
    plan = plan_attribution(baseline, no_fast_track(baseline), parts)
    assert plan.design.names == ["staffing+policy", "arrivals"]
    note = plan.design.parts[0].note
    assert "staffing cannot be switched on first without policy" in note
    assert "fast_track" in note
    assert plan.design.parts[0].alone


def test_named_parts_are_checked_before_anything_runs(pair: tuple[Scenario, Scenario]) -> None:
    with pytest.raises(AttributionError, match="takes none of the fields that differ"):
        plan_attribution(*pair, parts={"triage": ["policy.triage"]})
    with pytest.raises(AttributionError, match="part name"):
        plan_attribution(*pair, parts={"a b": ["staffing"]})
    with pytest.raises(AttributionError, match="do not differ"):
        plan_attribution(pair[0], pair[0].model_copy(update={"name": "same"}))


def test_shapley_values_are_refused_beyond_the_limit(
    pair: tuple[Scenario, Scenario], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attribution, "MAX_SHAPLEY_PARTS", 1)
    with pytest.raises(AttributionError, match="Shapley values for 2 parts"):
        plan_attribution(*pair, shapley=True)
    assert not plan_attribution(*pair, shapley=False).design.shapley


def test_experiment_settings_and_sources_are_not_parts(baseline: Scenario) -> None:
    other = with_overrides(baseline, {"name": "x", "run.seed": 1, "run.replications": 9, "arrivals.source": "other"})
    assert differing_paths(baseline, other) == []


def test_a_new_group_of_mechanisms_gives_one_part_per_mechanism() -> None:
    documents = [
        {"reform": {"source": "EST", "specialisation": {"factor": 0.8}, "handoff": {"hours": 0.5}}},
        {"reform": {"specialisation": {"factor": 1.0}, "handoff": {"hours": 0.0}}},
    ]
    assert _default_part("reform.specialisation.factor", documents) == "reform.specialisation"
    assert _default_part("reform.handoff.hours", documents) == "reform.handoff"
    flat = [{"scanning": {"enabled": True, "share": 0.5}}]
    assert _default_part("scanning.share", flat) == "scanning"  # a group of plain fields is one part
    assert _default_part("staffing.intake.officers", [{"staffing": {"intake": {"officers": 2}}}]) == "staffing"


def test_the_design_survives_a_results_folder(pair: tuple[Scenario, Scenario]) -> None:
    plan = plan_attribution(*pair)
    again = Design.from_json(plan.design.to_json())
    assert again == plan.design
    kpis = toy(plan.scenarios, 3)
    pd.testing.assert_frame_equal(effects(again, kpis), effects(plan.design, kpis))


def test_compact_paths() -> None:
    paths = ["policy.triage", "staffing.intake.officers", "staffing.fast_track.clerks", "organisation.performed_by.a"]
    assert compact_paths(paths) == (
        "policy.triage; staffing.{intake, fast_track} (2 fields); organisation.performed_by.a"
    )


def test_mechanisms_switched_off_come_first_and_switched_on_come_last() -> None:
    parts = [Part("policy", ("policy.triage",)), Part("reform.handoff", ("reform.handoff.enabled",))]
    parts += [Part("reform.rework", ("reform.rework.enabled", "reform.rework.share"))]
    on = {"reform": {"handoff": {"enabled": True}, "rework": {"enabled": True, "share": 0.1}}}
    off = {"reform": {"handoff": {"enabled": False}, "rework": {"enabled": False, "share": 0.0}}}
    names = [p.name for p in _switch_offs_first(parts, 0, [on, off])]
    assert names == ["reform.handoff", "reform.rework", "policy"]  # from the reform: mechanisms off first
    assert [p.name for p in _switch_offs_first(parts, 0, [off, on])] == [p.name for p in parts]  # on: last
    assert [p.name for p in _switch_offs_first(parts, 1, [on, off])] == ["policy", "reform.handoff", "reform.rework"]
