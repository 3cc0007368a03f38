"""Answers that stream: replications as they finish, running estimates, a stop at a precision."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim.experiments.running
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.experiments.backends import ProcessBackend
from sim.experiments.cache import ReplicationCache
from sim.experiments.running import (
    Estimates,
    Finished,
    Precision,
    run_experiment,
    run_to_precision,
    stream_experiment,
)
from sim.experiments.statistics import summarise
from tests.conftest import SCENARIOS

TINY = {"run.warmup_days": 10, "run.horizon_days": 50, "run.cooldown_days": 10}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """A stand-in replication: x ~ N(0.7, 0.05) by (seed, replication), y = 2x; records each call."""
    computed: list[tuple[str, int]] = []

    def replicate(scenario: Scenario, replication: int, seed: int, keep_run: bool = False) -> Any:
        computed.append((scenario.name, replication))
        x = float(np.random.default_rng([seed, replication]).normal(0.7, 0.05))
        return {"x": x, "y": 2 * x}, None

    monkeypatch.setattr(sim.experiments.running, "replicate", replicate)
    return computed


def test_stream_yields_each_replication_once_with_a_running_count(
    baseline: Scenario, fake: list[tuple[str, int]]
) -> None:
    other = with_overrides(baseline, {"name": "other"})
    cache = ReplicationCache(None)
    run_experiment({"a": baseline}, 2, cache=cache)  # replications 0, 1 of "a" are now cached
    items = list(stream_experiment({"a": baseline, "b": other}, 3, cache=cache))
    assert sorted((f.label, f.replication) for f in items) == [(s, r) for s in "ab" for r in range(3)]
    assert [f.done for f in items] == list(range(1, 7))
    assert {f.total for f in items} == {6}
    assert [(f.label, f.replication) for f in items if f.cached] == [("a", 0), ("a", 1)]  # first, in order
    # The rest replication by replication: every scenario's replication r before any r + 1.
    assert [(f.label, f.replication) for f in items if not f.cached] == [("b", 0), ("b", 1), ("a", 2), ("b", 2)]
    assert len(fake) == 6  # 2 for the first experiment, 4 new


def test_closing_the_stream_early_stops_the_work(baseline: Scenario, fake: list[tuple[str, int]]) -> None:
    stream = stream_experiment({"a": baseline}, 50)
    first = next(stream)
    stream.close()
    assert (first.replication, first.done, first.total) == (0, 1, 50)
    assert len(fake) == 1


def test_estimates_count_only_the_replications_in_order() -> None:
    est = Estimates()
    item = lambda rep, x: Finished("a", rep, {"x": x})  # noqa: E731
    assert est.add(item(1, 2.0)) is False  # replication 0 is not in yet: nothing counted
    assert est.n("a") == 0
    assert np.isnan(est.estimate("a", "x").mean)
    assert est.add(item(0, 1.0)) is True
    assert est.n("a") == 2  # 0 and 1 now
    assert est.add(item(3, 9.0)) is False
    assert est.add(item(2, 3.0)) is True
    assert est.n("a") == 4
    e = est.estimate("a", "x", 3)
    half = stats.t.ppf(0.975, 2) * np.std([1.0, 2.0, 3.0], ddof=1) / np.sqrt(3)
    assert (e.n, e.mean) == (3, 2.0)
    assert e.half_width == pytest.approx(half)
    pd.testing.assert_frame_equal(est.summary(), summarise(est.kpis()))
    with pytest.raises(ValueError, match="only 4 replications"):
        est.estimate("a", "x", 5)


def test_precision_stops_at_the_first_n_narrow_enough(baseline: Scenario, fake: list[tuple[str, int]]) -> None:
    """x has SD 0.05: ±0.02 needs about (1.96 · 0.05 / 0.02)² ≈ 24 replications."""
    seen: list[tuple[int, float]] = []

    def update(est: Estimates) -> None:
        e = est.estimate("a", "x")
        seen.append((e.n, e.half_width))

    result, reason = run_to_precision({"a": baseline}, Precision("x", 0.02), min_reps=3, max_reps=200, on_update=update)
    n = result.reps
    assert 10 <= n <= 40
    assert "x within ±0.02" in reason and f"after {n} replications" in reason
    # The first n at which the interval is narrow enough (from min_reps on), and not one earlier.
    values = result.kpis.query("kpi == 'x'")["value"].to_numpy()
    half = lambda k: stats.t.ppf(0.975, k - 1) * values[:k].std(ddof=1) / np.sqrt(k)  # noqa: E731
    assert half(n) <= 0.02
    assert all(half(k) > 0.02 for k in range(3, n))
    assert [k for k, _ in seen] == list(range(1, n + 1))  # an estimate after every replication
    assert np.isnan(seen[0][1])  # the first: a mean without an interval
    assert seen[-1][1] == pytest.approx(half(n))
    assert sorted(r for _, r in fake) == list(range(n))  # nothing simulated beyond the stop (one worker)


def test_precision_gives_up_at_max_reps_and_says_so(baseline: Scenario, fake: list[tuple[str, int]]) -> None:
    result, reason = run_to_precision({"a": baseline}, Precision("x", 1e-6), max_reps=6)
    assert result.reps == 6
    assert "limit of 6 replications" in reason
    with pytest.raises(ValueError, match="min_reps"):
        run_to_precision({"a": baseline}, Precision("x", 0.1), min_reps=1)
    with pytest.raises(ValueError, match="half_width"):
        Precision("x", 0.0)


def test_relative_precision_reads_a_share_of_the_mean(baseline: Scenario, fake: list[tuple[str, int]]) -> None:
    result, _ = run_to_precision({"a": baseline}, Precision("y", 0.02, relative=True), max_reps=200)
    absolute, _ = run_to_precision({"a": baseline}, Precision("x", 0.02 * 0.7), max_reps=200)
    assert abs(result.reps - absolute.reps) <= 3  # y = 2x: 2% of its mean ≈ 2% of x's mean (0.7)


def test_precision_on_a_pool_stops_where_one_worker_stops() -> None:
    """Real replications: which worker finished first does not move the answer."""
    tiny = with_overrides(load_scenario(SCENARIOS / "dengzhou_2022.toml"), TINY)
    want = Precision("util_intake_officer", 0.1, relative=True)
    serial, why = run_to_precision({"base": tiny}, want, min_reps=2, max_reps=6, jobs=1)
    with ProcessBackend(2) as pool:
        pooled, why_pooled = run_to_precision({"base": tiny}, want, min_reps=2, max_reps=6, backend=pool)
    assert (serial.reps, why) == (pooled.reps, why_pooled)
    pd.testing.assert_frame_equal(serial.kpis, pooled.kpis, check_exact=True)


def test_streamed_replications_are_the_batch_replications_bit_for_bit() -> None:
    """The stream, the stop at a precision and the batch table give the same numbers for the same replications."""
    tiny = with_overrides(load_scenario(SCENARIOS / "dengzhou_2022.toml"), TINY)
    other = with_overrides(tiny, {"name": "other", "arrivals.cases_per_year": 1.2 * tiny.arrivals.cases_per_year})
    scenarios = {"base": tiny, "busier": other}
    batch = run_experiment(scenarios, 3)
    streamed = {(f.label, f.replication): f.kpis for f in stream_experiment(scenarios, 3)}
    for row in batch.kpis.itertuples(index=False):
        assert streamed[(row.scenario, row.replication)][row.kpi] == row.value or (
            np.isnan(row.value) and np.isnan(streamed[(row.scenario, row.replication)][row.kpi])
        )
    stopped, _ = run_to_precision(scenarios, Precision("util_intake_officer", 10.0), min_reps=3, max_reps=5)
    assert stopped.reps == 3  # ±10 is met at once
    pd.testing.assert_frame_equal(stopped.kpis, batch.kpis, check_exact=True)


def test_precision_checks_every_length_when_a_late_replication_closes_a_gap(
    baseline: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a pool, replication 2 can finish before 1: the common prefix then jumps from 1 to 3, and
    the stop must still be the first length whose interval holds (2), as with one worker."""
    from sim.experiments.running import Finished

    def stream(scenarios: Any, reps: int, seed: Any, **_: Any) -> Any:
        for r in (0, 2, 1, 3, 4, 5):  # out of order, as on two workers
            x = float(np.random.default_rng([7, r]).normal(0.7, 0.05))
            yield Finished("a", r, {"x": x})

    monkeypatch.setattr(sim.experiments.running, "stream_experiment", stream)
    monkeypatch.setattr(sim.experiments.running, "_collect", lambda scenarios, n, *a: n)
    n, why = run_to_precision({"a": baseline}, Precision("x", 10.0), min_reps=2, max_reps=6)
    assert n == 2 and "after 2 replications" in why
