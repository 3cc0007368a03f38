"""Replication statistics: how many replications, one-sided bounds, paired against unpaired."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim.experiments.running
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.experiments.running import run_experiment, sequential_replications
from sim.experiments.statistics import one_sided_bound, paired_differences, replications_needed, welch_differences
from tests.conftest import SCENARIOS


def _long(values: dict[str, list[float]], kpi: str = "x") -> pd.DataFrame:
    return pd.DataFrame(
        [(s, r, kpi, v) for s, vs in values.items() for r, v in enumerate(vs)],
        columns=["scenario", "replication", "kpi", "value"],
    )


def test_replications_needed_is_the_smallest_n_meeting_the_half_width() -> None:
    rng = np.random.default_rng(1)
    kpis = _long({"a": list(rng.normal(0.6, 0.03, 5)), "b": [0.5, 0.5, 0.5]})
    table = replications_needed(kpis, "x", 0.01).set_index("scenario")
    sd, n_star = table.loc["a", "sd"], int(table.loc["a", "needed"])
    half = lambda n: stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)  # noqa: E731
    assert half(n_star) <= 0.01 < half(n_star - 1)
    assert not table.loc["a", "enough"]
    assert n_star > 5
    assert table.loc["b", "needed"] == 3
    assert table.loc["b", "enough"]
    relative = replications_needed(kpis, "x", 0.05, relative=True).set_index("scenario")
    assert relative.loc["a", "target"] == pytest.approx(0.05 * table.loc["a", "mean"])
    with pytest.raises(ValueError, match="no values"):
        replications_needed(kpis, "nope", 0.01)


def test_one_sided_bound() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    half = stats.t.ppf(0.95, 3) * values.std(ddof=1) / 2
    assert one_sided_bound(values, "lower", 0.95) == pytest.approx(2.5 - half)
    assert one_sided_bound(values, "upper", 0.95) == pytest.approx(2.5 + half)
    assert np.isnan(one_sided_bound(np.array([1.0]), "lower"))


def test_sequential_procedure_adds_replications_until_precise(
    monkeypatch: pytest.MonkeyPatch, baseline: Scenario
) -> None:
    """Law & Kelton's sequential procedure on a stand-in model with a known spread (SD 0.05)."""
    computed: list[int] = []

    def fake(scenario: Scenario, replication: int, seed: int, keep_run: bool = False) -> Any:
        computed.append(replication)
        return {"x": float(np.random.default_rng([seed, replication]).normal(0.7, 0.05))}, None

    monkeypatch.setattr(sim.experiments.running, "replicate", fake)
    result, rounds = sequential_replications(baseline, "x", 0.02, start=3, max_reps=200)
    assert bool(rounds["enough"].iloc[-1])
    assert not rounds["enough"].iloc[0]
    final = result.summary().iloc[0]
    assert (final.ci_high - final.ci_low) / 2 <= 0.02
    assert 10 <= result.reps <= 40  # ≈ (1.96 · 0.05 / 0.02)² = 24
    assert sorted(computed) == list(range(result.reps))  # each replication simulated once


def test_paired_interval_is_narrower_than_welch_on_a_real_comparison(short: Scenario) -> None:
    """Baseline against 2 officers moved to the fast track, 5 replications each (CRN).

    At 60% of the baseline's filings: at full load the plan's staffing is overloaded at
    measured effort (backlogs grow), and a mean of the cases closed is then a mean of a
    different set of cases in each scenario, which no pairing can steady.
    """
    stable = {
        **{f"run.{k}": getattr(short.run, k) for k in ("warmup_days", "horizon_days", "cooldown_days")},
        "arrivals.cases_per_year": 0.6 * short.arrivals.cases_per_year,
    }
    base = with_overrides(short, {"arrivals.cases_per_year": stable["arrivals.cases_per_year"]})
    variant = with_overrides(load_scenario(SCENARIOS / "fast_plus2.toml"), stable)
    result = run_experiment({"base": base, "fast_plus2": variant}, 5, jobs=2)
    paired = paired_differences(result.kpis, "base").set_index("kpi")
    welch = welch_differences(result.kpis, "base").set_index("kpi")
    width = lambda t: (t["ci_high"] - t["ci_low"]) / 2  # noqa: E731
    for kpi in ("fast45_rate", "mean_days_to_close_fast", "util_fast_track_officer", "closed_cases"):
        assert width(paired.loc[kpi]) < width(welch.loc[kpi]), kpi
        assert paired.loc[kpi, "mean_diff"] == pytest.approx(welch.loc[kpi, "mean_diff"])
    # The staffing change itself shows: fast-track officers are much less busy, significantly.
    assert paired.loc["util_fast_track_officer", "significant"]
    assert paired.loc["util_fast_track_officer", "mean_diff"] < -0.05
