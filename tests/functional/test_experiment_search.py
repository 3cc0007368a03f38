"""Sweeps, the load search and the staffing search, on stand-in models with known answers.

The stand-ins compute KPIs from the scenario's parameters plus a noise that
depends on the replication only (common random numbers), so the right answer is
known in closed form and the tests take milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.config.errors import ScenarioError
from sim.config.load import scenario_hash
from sim.config.schema import Scenario
from sim.experiments.load_search import find_capacity
from sim.experiments.staffing_search import headcounts, search_staffing, staffed, unit_overrides
from sim.experiments.sweep import grid, parse_set, parse_value, sweep
from sim.experiments.types import Target, parse_target

NOISE = np.random.default_rng(7).normal(0.0, 0.01, 50)
"""Replication r's noise, the same in every scenario (CRN)."""


def stand_in(kpis: Callable[[Scenario], dict[str, float]]) -> Callable[[Mapping[str, Scenario], int], pd.DataFrame]:
    def evaluate(scenarios: Mapping[str, Scenario], reps: int) -> pd.DataFrame:
        rows = [
            (label, r, k, v + (NOISE[r] if k == "fast45_rate" else 0.0))
            for label, s in scenarios.items()
            for r in range(reps)
            for k, v in kpis(s).items()
        ]
        return pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])

    return evaluate


class Counting:
    """A stand-in evaluate that counts the distinct replications it was asked for, as the cache would simulate them."""

    def __init__(self, kpis: Callable[[Scenario], dict[str, float]]) -> None:
        self.evaluate, self.simulated = stand_in(kpis), set()

    def __call__(self, scenarios: Mapping[str, Scenario], reps: int) -> pd.DataFrame:
        self.simulated |= {(scenario_hash(s), r) for s in scenarios.values() for r in range(reps)}
        return self.evaluate(scenarios, reps)


# ---------------------------------------------------------------- targets


def test_a_rate_target_outside_0_to_1_is_refused_saying_how_to_write_it() -> None:
    """``fast45_rate>=90`` meant 90%, not a rate of 90: refused with both spellings (issue 14 item 7)."""
    with pytest.raises(ValueError, match=r"fast45_rate>=0\.9, or as a percentage, fast45_rate>=90%"):
        parse_target("fast45_rate>=90")
    with pytest.raises(ValueError, match=r"util_fast_track_officer<=0\.85"):
        parse_target("util_fast_track_officer<=85")
    with pytest.raises(ValueError, match="a rate between 0 and 1"):
        parse_target("fast45_rate>=-0.1")
    assert parse_target("fast45_rate>=1").threshold == 1.0
    assert parse_target("mean_days_to_close<=90").threshold == 90.0  # not a rate: days


def test_parse_target() -> None:
    assert parse_target("fast45_rate>=0.9") == Target("fast45_rate", ">=", 0.9)
    assert parse_target(" mean_days_to_close <= 90 ") == Target("mean_days_to_close", "<=", 90.0)
    assert parse_target("fast45_rate>=90%").threshold == pytest.approx(0.9)
    assert parse_target("util_fast_track_officer<0.85").side == "upper"
    with pytest.raises(ValueError, match=r"unknown KPI 'fast_rate'.*fast45_rate"):
        parse_target("fast_rate>=0.9")
    with pytest.raises(ValueError, match="not like"):
        parse_target("fast45_rate=0.9")


# ---------------------------------------------------------------- capacity


def _load_curve(scenario: Scenario) -> dict[str, float]:
    m = scenario.arrivals.cases_per_year / 6500
    return {"fast45_rate": 0.95 - 0.2 * (m - 1)}


@pytest.mark.parametrize("threshold", [0.9, 0.99])  # the crossing above, then below the scenario's load
def test_capacity_brackets_then_bisects_to_the_crossing(baseline: Scenario, threshold: float) -> None:
    target = parse_target(f"fast45_rate>={threshold}")
    result = find_capacity(baseline, target, stand_in(_load_curve), reps=5, tol=0.02)
    # Closed form: the lower bound is 0.95 − 0.2(m − 1) + mean(noise) − t·sd(noise)/√5.
    noise = NOISE[:5]
    slack = noise.mean() - stats.t.ppf(0.95, 4) * noise.std(ddof=1) / np.sqrt(5)
    crossing = 1 + (0.95 + slack - threshold) / 0.2
    lo, hi = result.bracket
    assert lo is not None
    assert hi is not None
    assert lo <= crossing < hi
    assert hi - lo <= 0.02
    assert result.multiplier == lo
    assert result.cases_per_year == pytest.approx(6500 * lo)
    answer = result.at_answer()
    assert answer is not None
    assert answer["holds"]
    assert answer["bound"] >= threshold
    assert result.evaluations["multiplier"].iloc[0] == 1.0  # starts at the scenario's own load


def test_capacity_flags_every_load_whose_backlog_grows(baseline: Scenario) -> None:
    """The stand-in court keeps up to 1.2× its load; beyond, every replication's backlog grows."""
    from sim.commands.capacity import format_capacity, payload

    def model(scenario: Scenario) -> dict[str, float]:
        m = scenario.arrivals.cases_per_year / 6500
        return {**_load_curve(scenario), "unstable": float(m > 1.2)}

    result = find_capacity(baseline, parse_target("fast45_rate>=0.9"), stand_in(model), reps=3, tol=0.05)
    table = result.evaluations
    assert (table["unstable"] == np.where(table["multiplier"] > 1.2, table["n"], 0)).all()
    assert (table["multiplier"] > 1.2).any()  # the search went past it, so the flag is seen
    text = format_capacity(result, "stand-in")
    assert "⚠ 不稳定" in text and "unstable" in text.splitlines()[-len(table) - 1]
    flags = [row["unstable"] for row in payload(result)["evaluations"]]
    assert flags == table["unstable"].tolist() and all(isinstance(f, int) for f in flags)


def test_capacity_says_when_load_is_not_the_limit(baseline: Scenario) -> None:
    result = find_capacity(baseline, parse_target("fast45_rate>=0.9"), stand_in(lambda s: {"fast45_rate": 0.55}))
    assert result.multiplier is None
    assert result.bracket == (None, 0.25)
    assert "not what limits it" in result.conclusion
    assert not result.evaluations["holds"].any()


def test_capacity_above_the_ceiling_at_its_own_load_tries_no_lower_load(baseline: Scenario) -> None:
    """fast45_rate cannot pass 0.62 at 1× (the 终本 floor and outside waits, per case): no lower load is
    simulated, the conclusion says why; a target under the ceiling still tries the lowest load."""
    from sim.commands.capacity import format_capacity, payload

    def model(scenario: Scenario) -> dict[str, float]:
        bounds = {"fast45_bound_floor": 0.25, "fast45_bound_outside": 0.12, "fast45_bound_handoff": 0.01}
        return {"fast45_rate": 0.3, "fast45_ceiling": 0.62, **bounds}

    counting = Counting(model)
    result = find_capacity(baseline, parse_target("fast45_rate>=0.9"), counting, reps=5)
    assert result.evaluations["multiplier"].tolist() == [1.0] and len(counting.simulated) == result.simulated == 2
    assert result.multiplier is None and result.bracket == (None, 1.0)
    assert result.ceiling is not None and not result.ceiling.reachable
    assert "not shown to hold at any load: fast45_rate cannot pass its ceiling of 62.0%" in result.conclusion
    assert "no lower load was simulated" in result.stopped and "over 1 load (" in result.usage
    text = format_capacity(result, "stand-in")
    assert "上限 ceiling (fast45_rate>=0.9): 人手不限时fast45_rate最高约62.0%" in text
    assert "25.0% of simple cases: 终本 only after 3 months" in text
    assert payload(result)["ceiling"]["reachable"] is False
    under = find_capacity(baseline, parse_target("fast45_rate>=0.6"), stand_in(model), reps=5)
    assert under.ceiling is not None and under.ceiling.reachable
    assert under.evaluations["multiplier"].tolist() == [1.0, 0.25] and under.bracket == (None, 0.25)


def test_capacity_holding_everywhere_reports_a_lower_bound(baseline: Scenario) -> None:
    result = find_capacity(
        baseline, parse_target("fast45_rate>=0.5"), stand_in(lambda s: {"fast45_rate": 0.95}), high=2.0
    )
    assert result.multiplier == 2.0
    assert result.bracket == (2.0, None)
    assert "at least" in result.conclusion


def test_capacity_stops_a_load_that_fails_with_confidence_after_the_first_look(baseline: Scenario) -> None:
    """fast45_rate 0.55 against 0.9: two replications show it failing, at each of the two loads tried."""
    counting = Counting(lambda s: {"fast45_rate": 0.55})
    result = find_capacity(baseline, parse_target("fast45_rate>=0.9"), counting, reps=5)
    assert result.multiplier is None
    assert list(result.evaluations["n"]) == [2, 2]
    assert result.simulated == len(counting.simulated) == 4  # before: 2 loads × 5
    assert set(result.evaluations["basis"]) == {"fails with confidence after 2"}
    assert "4 replications over 2 loads" in result.usage


def test_capacity_near_the_threshold_runs_every_replication(baseline: Scenario) -> None:
    """A load whose first look is not conclusive is run to --reps before it is called either way."""
    result = find_capacity(baseline, parse_target("fast45_rate>=0.95"), stand_in(_load_curve), reps=5, tol=0.02)
    at_one = result.evaluations[result.evaluations["multiplier"] == 1.0].iloc[0]
    assert at_one["n"] == 5  # mean 0.95 ± noise: neither holding nor failing with confidence after 2


def _saturating(scenario: Scenario) -> dict[str, float]:
    m = scenario.arrivals.cases_per_year / 6500
    return {
        "mean_days_to_close": 60.0,  # holds at every load: only the saturation stops the search
        "util_fast_track_officer": 0.8 * m,
        "util_intake_officer": 0.5 * m,
        "util_oversight_officer": 0.99,  # side work: not scaled, not a bound
    }


def test_capacity_never_simulates_beyond_the_analytic_saturation(baseline: Scenario) -> None:
    counting = Counting(_saturating)
    result = find_capacity(baseline, parse_target("mean_days_to_close<=70"), counting, reps=3, tol=0.02)
    assert result.saturation is not None
    assert (result.saturation.team, result.saturation.role) == ("fast_track", "officer")
    assert result.saturation.multiplier == pytest.approx(1.25)
    assert result.evaluations["multiplier"].max() < 1.25  # 1.5 (the next step up) was never run
    lo, hi = result.bracket
    assert hi == 1.25 and lo is not None and 1.25 - 0.02 <= lo < 1.25
    assert "no longer keeps up" in result.conclusion


# ---------------------------------------------------------------- staffing


def test_unit_overrides_keep_the_standard_teams_adding_up(baseline: Scenario) -> None:
    extra = unit_overrides(baseline, {"staffing.complex_track.officers": 13})
    units = extra["staffing.complex_track.units"]
    assert [u["officers"] for u in units] == [4, 3, 3, 3]  # 3,3,3,2 + 2: fewest first, then the first
    s = staffed(baseline, {("complex_track", "officer"): 9, ("complex_track", "clerk"): 16})
    assert sum(u.officers for u in s.staffing.complex_track.units) == 9
    assert sum(u.clerks for u in s.staffing.complex_track.units) == 16
    with pytest.raises(ScenarioError):
        staffed(baseline, {("fast_track", "bailiff"): 0})  # field investigations need a bailiff


def _staff_model(scenario: Scenario) -> dict[str, float]:
    fast = scenario.staffing.fast_track.officers
    intake = scenario.staffing.intake.officers
    complex_ = scenario.staffing.complex_track.officers
    return {
        "fast45_rate": 0.5 + 0.1 * (fast - 4),
        "util_fast_track_officer": 3.6 / fast,
        "util_intake_officer": 1.6 / intake,
        "util_complex_track_officer": 6.6 / complex_,
        "util_fast_track_bailiff": 0.5,
    }


def test_staff_adds_where_the_work_is(baseline: Scenario) -> None:
    """fast45_rate rises 10 points per fast-track officer: +2 there meets 0.7 (with the noise's margin)."""
    result = search_staffing(
        baseline, [parse_target("fast45_rate>=0.69")], stand_in(_staff_model), add=4, reps=3, check_reps=6
    )
    assert result.met
    table = result.staffing_table().set_index(["team", "role"])
    assert table.loc[("fast_track", "officer"), "change"] == 2
    assert table["change"].sum() == 2  # the smallest: nothing else added
    assert list(result.path["staff"]) == [73, 74, 75]
    assert set(result.explored["change"]) >= {"+1 officer fast_track", "+1 officer intake"}
    assert result.checks["all_hold"].iloc[0]


def test_staff_redistribution_keeps_the_total(baseline: Scenario) -> None:
    result = search_staffing(
        baseline, [parse_target("fast45_rate>=0.69")], stand_in(_staff_model), redistribute="officer", reps=3
    )
    assert result.met
    table = result.staffing_table()
    officers = table[table["role"] == "officer"]
    assert officers["proposed"].sum() == officers["base"].sum() == 25
    assert officers.set_index("team").loc["fast_track", "change"] == 2
    answer = staffed(baseline, result.answer or {})
    assert sum(u.officers for u in answer.staffing.complex_track.units) == answer.staffing.complex_track.officers


def test_staff_stops_when_staff_do_not_move_the_target(baseline: Scenario) -> None:
    flat = stand_in(lambda s: {"fast45_rate": 0.55, "util_fast_track_officer": 0.8, "util_intake_officer": 0.7})
    result = search_staffing(baseline, [parse_target("fast45_rate>=0.9")], flat, add=5, reps=2)
    assert not result.met
    assert "not what limits them" in result.conclusion
    assert len(result.path) == 1
    assert len(result.explored) == 3
    assert headcounts(baseline) == result.base


def test_staff_screens_out_the_dominated_and_says_what_it_used(baseline: Scenario) -> None:
    """Only fast-track officers move fast45_rate: the other candidates stop after the 2 screening replications."""
    counting = Counting(_staff_model)
    result = search_staffing(
        baseline, [parse_target("fast45_rate>=0.69")], counting, add=4, reps=3, check_reps=6, screen_reps=2
    )
    assert result.met and result.staffing_table()["change"].sum() == 2
    tried = result.explored
    assert set(tried.loc[tried["change"] != "+1 officer fast_track", "n"]) == {2}
    assert set(tried.loc[tried["change"] == "+1 officer fast_track", "n"]) == {3}
    assert tried["screen"].str.startswith("dropped after 2").sum() == len(tried) - 2
    # step 0: 3; each of two steps: 3 candidates × 2 + 1 more for the one kept; the check: 3 more of step 2.
    assert result.simulated == len(counting.simulated) == 3 + 2 * 7 + 3
    assert f"{result.simulated} replications simulated" in result.usage
    # Without screening (every candidate to 3, as before) the same answer costs more.
    full = Counting(_staff_model)
    same = search_staffing(
        baseline, [parse_target("fast45_rate>=0.69")], full, add=4, reps=3, check_reps=6, screen_reps=3
    )
    assert same.answer == result.answer and len(full.simulated) > len(counting.simulated)


def test_staff_keeps_the_true_best_when_it_is_not_the_busiest(baseline: Scenario) -> None:
    """Intake officers are what limits the target, though fast-track officers look busiest."""

    def model(scenario: Scenario) -> dict[str, float]:
        return {**_staff_model(scenario), "fast45_rate": 0.5 + 0.1 * (scenario.staffing.intake.officers - 2)}

    result = search_staffing(baseline, [parse_target("fast45_rate>=0.59")], stand_in(model), add=2, reps=3)
    assert result.met
    table = result.staffing_table().set_index(["team", "role"])
    assert table.loc[("intake", "officer"), "change"] == 1 and table["change"].sum() == 1
    first = result.explored[result.explored["step"] == 1]
    assert first.iloc[0]["change"] == "+1 officer fast_track"  # tried first, the busiest
    assert "kept" in first.set_index("change").loc["+1 officer intake", "screen"]


def test_staff_never_checks_a_staffing_whose_mean_misses(baseline: Scenario) -> None:
    """Two officers bring fast45_rate to 0.7 at most: a 0.9 target is out of reach, and nothing is re-run to say so."""
    counting = Counting(_staff_model)
    result = search_staffing(baseline, [parse_target("fast45_rate>=0.9")], counting, add=2, reps=3, check_reps=6)
    assert not result.met
    assert result.checks.empty
    assert "none was checked" in result.conclusion
    assert len(counting.simulated) == result.simulated == 3 + 2 * 7  # no final check


def test_staff_by_default_spends_replications_on_the_screen_and_the_check_only(baseline: Scenario) -> None:
    """Defaults: the staffing kept at each step has the screen's 2 replications, no third, and the
    finalist is confirmed with 6. Out of reach (0.9 with 2 people): 2 as given, 3 candidates × 2 per step."""
    counting = Counting(_staff_model)
    missed = search_staffing(baseline, [parse_target("fast45_rate>=0.9")], counting, add=2)
    assert len(counting.simulated) == missed.simulated == 2 + 2 * 3 * 2
    assert missed.path["n"].tolist() == [2, 2, 2] and missed.checks.empty
    counting = Counting(_staff_model)
    met = search_staffing(baseline, [parse_target("fast45_rate>=0.69")], counting, add=4)
    assert met.met and met.checks["n"].tolist() == [6]
    assert len(counting.simulated) == met.simulated == 2 + 2 * 3 * 2 + (6 - 2)  # the check reuses the path's 2


def test_staff_on_a_target_above_its_ceiling_says_the_ceiling_and_why_and_tries_nobody(baseline: Scenario) -> None:
    """The 45-day rate cannot pass 0.62 whatever the staff (floor 0.25, outside waits 0.12, hand-offs 0.01)."""

    def model(scenario: Scenario) -> dict[str, float]:
        bounds = {"fast45_bound_floor": 0.25, "fast45_bound_outside": 0.12, "fast45_bound_handoff": 0.01}
        return {**_staff_model(scenario), "fast45_ceiling": 0.62, **bounds}

    counting = Counting(model)
    result = search_staffing(baseline, [parse_target("fast45_rate>=0.9")], counting, add=2, reps=3)
    assert not result.met and len(result.path) == 1 and result.explored.empty
    assert result.simulated == 3  # the scenario as given only: no candidate is simulated
    (check,) = result.ceilings
    assert not check.reachable and check.mean == pytest.approx(0.62)
    assert "the ceiling of fast45_rate is 62.0%" in result.stopped
    assert "25.0% of simple cases: 终本 only after 3 months" in result.stopped
    assert "budget" not in result.conclusion and "ceiling" in result.conclusion
    zh, _ = check.sentence()
    assert zh.startswith("人手不限时fast45_rate最高约62.0%") and "任何人员配置都达不到" in zh
    # A target under the ceiling is searched as before, the ceiling reported beside it.
    below = search_staffing(baseline, [parse_target("fast45_rate>=0.59")], stand_in(model), add=2, reps=3)
    assert below.met and below.ceilings[0].reachable


def test_staff_flags_the_staffings_whose_backlog_grows(baseline: Scenario) -> None:
    """With 4 fast-track officers the stand-in court falls behind; from 5 it keeps up."""
    from sim.commands.staff import format_staff

    def model(scenario: Scenario) -> dict[str, float]:
        return {**_staff_model(scenario), "unstable": float(scenario.staffing.fast_track.officers < 5)}

    result = search_staffing(baseline, [parse_target("fast45_rate>=0.69")], stand_in(model), add=4, reps=3)
    assert result.path["unstable_reps"].tolist() == [3, 0, 0]
    text = format_staff(result, "stand-in", 3, 6)
    assert text.startswith("⚠ 不稳定")
    step0 = next(line for line in text.splitlines() if "(as given)" in line and line.split()[0] == "0")
    assert "⚠ 不稳定 unstable 3/3" in step0


def test_staff_needs_exactly_one_mode(baseline: Scenario) -> None:
    target = [parse_target("fast45_rate>=0.9")]
    with pytest.raises(ValueError, match="exactly one"):
        search_staffing(baseline, target, stand_in(_staff_model), add=1, redistribute="officer")
    with pytest.raises(ValueError, match="must be a role"):
        search_staffing(baseline, target, stand_in(_staff_model), redistribute="officers")


# ---------------------------------------------------------------- sweeps


def test_parse_set_reads_toml_scalars() -> None:
    assert parse_set("arrivals.cases_per_year=6000, 7000.5") == ("arrivals.cases_per_year", [6000, 7000.5])
    assert parse_set("policy.zhongben_floor=true,false")[1] == [True, False]
    assert parse_value('"fcfs"') == parse_value("fcfs") == "fcfs"
    with pytest.raises(ValueError, match="PATH=V1,V2"):
        parse_set("arrivals.cases_per_year")


def test_bad_sweep_path_names_it_and_lists_the_valid_keys(baseline: Scenario) -> None:
    with pytest.raises(ScenarioError) as caught:
        grid(baseline, {"arrivals.cases_per_yr": [6000]})
    (problem,) = caught.value.problems
    assert problem.path == "arrivals.cases_per_yr"
    assert "cases_per_year" in str(problem)
    assert "monthly_multipliers" in str(problem)


def test_sweep_gives_a_tidy_table_with_the_parameters_as_columns(baseline: Scenario) -> None:
    parameters = {"arrivals.cases_per_year": [6500, 7800], "staffing.complex_track.officers": [11, 12]}
    points = grid(baseline, parameters)
    assert len(points) == 4
    assert all(
        sum(u.officers for u in s.staffing.complex_track.units) == values["staffing.complex_track.officers"]
        for values, s in points.values()
    )
    summary, by_rep = sweep(baseline, parameters, stand_in(_load_curve), reps=3)
    assert list(summary.columns[:3]) == ["arrivals.cases_per_year", "staffing.complex_track.officers", "kpi"]
    assert len(summary) == 4
    assert len(by_rep) == 12
    high = summary[summary["arrivals.cases_per_year"] == 7800]["mean"]
    assert high.to_numpy() == pytest.approx(0.95 - 0.2 * 0.2 + NOISE[:3].mean())
