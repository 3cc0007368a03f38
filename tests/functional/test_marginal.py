"""The bottleneck by effect (:mod:`sim.experiments.marginal`): one more person in each post, CRN-paired.

A known answer on the model itself: a court reduced to two desks (every other task zero
effort, every outside delay zero, every case simple and paying after the notice), one of
them overloaded (one fast-track clerk serving documents at ρ = 1.4) and one lightly loaded
(one intake officer at first contact, ρ ≈ 0.35). One more clerk must raise the 45-day rate
by tens of points with confidence, one more officer must not move it; the ranking puts the
clerk first although the other desk does work too. Then the bookkeeping (cost, signs,
skipped variants, refused input) with a stand-in evaluator whose answer is known exactly.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pytest

from sim.commands.marginal import format_marginal
from sim.config.schema import Scenario
from sim.experiments.marginal import BASE, MarginalResult, marginal_cost, marginal_staffing, posts_of, variant_label
from sim.experiments.running import Evaluator
from tests.validation.reduce import exponential, reduced

NOISE = np.random.default_rng(11).normal(0.0, 0.01, 50)
"""Replication r's noise, the same in every scenario (CRN)."""


def two_desks(base: Scenario) -> Scenario:
    """The module docstring's court: 0.7 filings a day, all simple, two desks with work."""
    return reduced(
        base,
        per_day=0.7,
        warmup_days=30,
        horizon_days=300,
        overrides={
            "tasks.serve_documents.hours": exponential(48.0),  # 2 days a case: one clerk serves 0.5 a day
            "staffing.fast_track.clerks": 1,
            "tasks.first_contact.hours": exponential(12.0),  # half a day: ρ = 0.35 for one officer
            "staffing.intake.officers": 1,
            "policy.simple_threshold_cny": 1e15,
            "probabilities.small_claim_closable_rate": 1.0,
            "probabilities.freeze_full_small_rate": 0.0,
            "probabilities.freeze_full_large_rate": 0.0,
            "probabilities.freeze_partial_rate": 0.0,
        },
    )


@pytest.fixture(scope="module")
def known(short: Scenario) -> tuple[Scenario, MarginalResult]:
    scenario = two_desks(short)
    return scenario, marginal_staffing(scenario, Evaluator(1), reps=4, deltas=(1, -1))


def test_the_overloaded_post_is_the_bottleneck_by_effect(known: tuple[Scenario, MarginalResult]) -> None:
    _, result = known
    table = result.table.set_index(["team", "role", "delta", "kpi"])
    clerk = table.loc[("fast_track", "clerk", 1, "fast45_rate")]
    officer = table.loc[("intake", "officer", 1, "fast45_rate")]
    assert clerk.significant and clerk.ci_low > 0.2, clerk  # +1 clerk: tens of points, with confidence
    assert clerk.gain == pytest.approx(clerk.mean_diff)  # a higher-is-better KPI keeps its sign
    assert not officer.significant and abs(officer.mean_diff) < 0.05, officer
    closing = table.loc[("fast_track", "clerk", 1, "mean_days_to_close")]
    assert closing.significant and closing.mean_diff < -10 and closing.gain == pytest.approx(-closing.mean_diff)
    best = result.ranking("fast45_rate").iloc[0]
    assert (best.team, best.role) == ("fast_track", "clerk")
    # utilisation is context: the clerk is saturated in the base, less so with a second clerk
    assert clerk.utilisation > 0.9 and clerk.utilisation_after < clerk.utilisation
    assert result.base_unstable_reps >= 1  # ρ = 1.4: the base's backlog grows, and it is said
    assert clerk.headcount == 1 and clerk.base_mean < 0.5
    # one fewer than one: no variant, and the reason is kept
    skipped = result.skipped.set_index(["team", "role", "delta"])
    assert ("fast_track", "clerk", -1) in skipped.index and ("intake", "officer", -1) in skipped.index
    assert set(result.scenarios) >= {BASE, variant_label("fast_track", "clerk", 1)}
    assert set(result.kpis["scenario"]) == set(result.scenarios)


def test_the_posts_are_those_that_do_work(known: tuple[Scenario, MarginalResult]) -> None:
    scenario, _ = known
    posts = posts_of(scenario)
    assert ("fast_track", "clerk") in posts and ("intake", "officer") in posts
    assert ("fast_track", "officer") not in posts  # no task of the reduced court needs one


# ---------------------------------------------------------------- bookkeeping, with a stand-in


def stand_in(kpis: Callable[[Scenario], dict[str, float]]) -> Callable[[Mapping[str, Scenario], int], pd.DataFrame]:
    def evaluate(scenarios: Mapping[str, Scenario], reps: int) -> pd.DataFrame:
        rows = [
            (label, r, k, v + NOISE[r])
            for label, s in scenarios.items()
            for r in range(reps)
            for k, v in kpis(s).items()
        ]
        return pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])

    return evaluate


def _model(scenario: Scenario) -> dict[str, float]:
    """fast45 +5 points and 3 days quicker per fast-track officer; intake officers do nothing."""
    fast = scenario.staffing.fast_track.officers
    return {
        "fast45_rate": 0.5 + 0.05 * fast,
        "mean_days_to_close": 100.0 - 3.0 * fast,
        "unstable": 0.0,
        "util_fast_track_officer": 3.6 / fast,
    }


POSTS = [("fast_track", "officer"), ("intake", "officer")]


def test_gains_are_signed_by_the_kpis_direction(baseline: Scenario) -> None:
    result = marginal_staffing(
        baseline, stand_in(_model), reps=3, deltas=(1, -1), posts=POSTS, kpis=["fast45_rate", "mean_days_to_close"]
    )
    table = result.table.set_index(["team", "role", "delta", "kpi"])
    assert table.loc[("fast_track", "officer", 1, "fast45_rate"), "mean_diff"] == pytest.approx(0.05)
    assert table.loc[("fast_track", "officer", -1, "fast45_rate"), "gain"] == pytest.approx(-0.05)
    assert table.loc[("fast_track", "officer", 1, "mean_days_to_close"), "mean_diff"] == pytest.approx(-3.0)
    assert table.loc[("fast_track", "officer", 1, "mean_days_to_close"), "gain"] == pytest.approx(3.0)
    assert table.loc[("fast_track", "officer", 1, "fast45_rate"), "significant"]
    assert not table.loc[("intake", "officer", 1, "fast45_rate"), "significant"]
    busy = 3.6 / baseline.staffing.fast_track.officers + NOISE[:3].mean()
    assert table.loc[("fast_track", "officer", 1, "fast45_rate"), "utilisation"] == pytest.approx(busy)
    assert list(result.ranking("mean_days_to_close")[["team", "role"]].iloc[0]) == ["fast_track", "officer"]
    assert len(result.table) == 2 * 2 * 2  # posts × deltas × KPIs


def test_cost_counts_the_base_and_every_variant(baseline: Scenario) -> None:
    posts = len(posts_of(baseline))
    assert posts > 5
    assert marginal_cost(baseline, 3) == (1 + posts) * 3
    assert marginal_cost(baseline, 3, (1, -1)) == (1 + 2 * posts) * 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reps": 1}, "at least 2"),
        ({"deltas": (0,)}, "other than 0"),
        ({"posts": [("fast_track", "astrologer")]}, "unknown team × role"),
        ({"kpis": ["fast99_rate"]}, "unknown KPI"),
    ],
)
def test_bad_input_is_refused_before_any_run(baseline: Scenario, options: dict, message: str) -> None:
    def never(scenarios: Mapping[str, Scenario], reps: int) -> pd.DataFrame:
        raise AssertionError("nothing may run")

    with pytest.raises(ValueError, match=message):
        marginal_staffing(baseline, never, **{"reps": 3, **options})


def test_the_terminal_names_the_bottleneck_and_aligns_by_display_width(
    known: tuple[Scenario, MarginalResult],
) -> None:
    _, result = known
    text = format_marginal(result, "two desks", 1, ["fast45_rate"])
    lines = text.splitlines()
    assert lines[0].startswith("!! 基准 base: 不稳定")  # the base's backlog grows: said first
    verdict = next(line for line in lines if line.startswith("结论"))
    assert "按效果的瓶颈是快执团队·书记员" in verdict and "（显著）" in verdict
    assert next(line for line in lines if line.startswith("verdict:")).startswith(
        "verdict: the bottleneck by effect is fast_track.clerk"
    )
    start = next(i for i, line in enumerate(lines) if "岗位 post" in line)
    rows = lines[start : lines.index("", start)]
    ran = len(result.table.loc[result.table["kpi"] == "fast45_rate"])
    assert len(rows) == 1 + ran and ran >= 4  # the header and one row per variant run (+1 and -1)

    def column(line: str) -> int:  # where the significance column starts, in terminal columns
        at = min(line.find(word) for word in ("显著 sig", "显著 yes", "不显著 no") if word in line)
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:at])

    assert len({column(line) for line in rows}) == 1, rows


def test_the_api_runs_it_and_ranks(short: Scenario) -> None:
    import sim

    result = sim.marginal(two_desks(short), reps=2, posts=[("fast_track", "clerk")], kpis=["fast45_rate"], jobs=1)
    assert list(result.table["kpi"]) == ["fast45_rate"]
    best = result.ranking("fast45_rate").iloc[0]
    assert (best.team, best.role, best.delta) == ("fast_track", "clerk", 1) and best.gain > 0.2


@pytest.mark.slow
def test_one_more_intake_officer_raises_the_backlog_because_cases_move_downstream_not_because_work_is_lost() -> None:
    """Issue 14's loose end, measured: in the overloaded baseline (shortened as in docs/experiments.md §7)
    the intake officers work at ρ ≈ 1 and hold cases back. One more lets ~700 of them through to the
    fast and standard teams, whose desks (first come, first served per task) then spread the same, or
    more, effort over more cases: the new cases' first steps go ahead of older cases' last ones, so
    fewer cases close by the horizon and ``backlog_end`` (open counted cases, however far they got)
    rises. A window effect of an unstable court, not lost capacity."""
    from sim.config.load import load_scenario, with_overrides
    from sim.metrics import stage_series
    from sim.model import run_replication
    from tests.conftest import SCENARIOS

    short = {"run.warmup_days": 60, "run.horizon_days": 240, "run.cooldown_days": 60}
    base = with_overrides(load_scenario(SCENARIOS / "dengzhou_2022.toml"), short)
    plus = with_overrides(base, {"staffing.intake.officers": base.staffing.intake.officers + 1})
    seen = {}
    for label, scenario in (("base", base), ("plus", plus)):
        run = run_replication(scenario, 0, 7)
        cases, (w, h) = run.cases, (scenario.run.warmup_days, scenario.run.horizon_days)
        counted = cases.loc[cases["counted"]]
        stages = stage_series(run.steps, counted, h + 1, 1.0)
        busy = run.steps.loc[(run.steps["kind"] == "task") & (run.steps["start"] < h) & (run.steps["end"] > w)]
        seen[label] = {
            "backlog_end": int((~(counted["closed"] <= h)).sum()),
            "closed": int(((cases["closed"] >= w) & (cases["closed"] < h)).sum()),
            "at": stages.loc[stages.index <= h].iloc[-1],
            "fast_hours": float(busy.loc[busy["team"] == "fast_track", "effort_hours"].sum()),
        }
    b, p = seen["base"], seen["plus"]
    assert p["backlog_end"] > b["backlog_end"] and p["closed"] < b["closed"]  # the effect of the issue
    moved = b["at"]["intake"] - p["at"]["intake"]
    downstream = sum(p["at"][t] - b["at"][t] for t in ("fast_track", "complex_track"))
    assert moved > 300 and downstream > moved  # the cases held at intake now wait further on
    assert p["fast_hours"] >= 0.98 * b["fast_hours"]  # the fast-track team works no less: nothing is lost
