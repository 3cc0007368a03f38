"""The screen that drops candidates clearly worse than another (Nelson et al. 2001), on outputs with known means."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.statistics import screen, t_quantile


def test_screen_drops_only_the_clearly_worse() -> None:
    rng = np.random.default_rng(1)
    common = rng.normal(0, 1, 2)  # CRN: the noise every candidate shares
    samples = {"a": common + 0.0, "b": common + 0.02 + rng.normal(0, 0.01, 2), "c": common + 5.0}
    assert screen(samples) == ["a", "b"]  # c is worse by 5 on both replications; b is within the noise
    assert screen({"a": [1.0, 1.0], "b": [1.0, 1.0]}) == ["a", "b"]  # identical: nothing is worse
    assert screen({"a": [1.0, 2.0], "b": [1.5, 2.5]}) == ["a"]  # worse by 0.5 on every replication
    assert screen({"a": [1.0], "b": [9.0]}) == ["a", "b"]  # one replication says nothing about the spread
    assert screen({"a": [1.0, 2.0]}) == ["a"]
    with pytest.raises(ValueError, match="alpha"):
        screen({"a": [1.0, 2.0]}, alpha=0.0)


def test_screen_keeps_a_best_whose_first_replications_look_worse() -> None:
    """The best (mean 0 in truth) drew badly: its mean is above b's, but the paired spread says 'not clearly'."""
    best, other = np.array([3.0, -2.0]), np.array([0.0, 0.8])  # means 0.5 against 0.4
    assert best.mean() > other.mean()
    assert screen({"best": best, "other": other}) == ["best", "other"]


def test_screen_keeps_the_best_with_the_promised_probability() -> None:
    """Equal means are the least favourable case: candidate 0 may be dropped in at most α of trials."""
    rng = np.random.default_rng(2026)
    trials, alpha, k, n = 4000, 0.05, 4, 2
    dropped = 0
    for _ in range(trials):
        common = rng.normal(0, 1, n)
        samples = {f"c{i}": common + rng.normal(0, 0.3, n) for i in range(k)}
        dropped += "c0" not in screen(samples, alpha)
    assert dropped / trials <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / trials)


def test_t_quantile_is_scipys() -> None:
    from scipy import stats

    q, df = np.array([0.9, 0.95, 0.975, 0.995]), np.array([1, 2, 5, 30])
    assert np.array_equal(t_quantile(q, df), stats.t.ppf(q, df))
