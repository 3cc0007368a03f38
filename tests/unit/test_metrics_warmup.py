"""MSER-5 truncation (White 1997) on series whose transient is known."""

from __future__ import annotations

import math

import numpy as np

from sim.eventlog import CaseRecord, cases_frame
from sim.metrics import mser5, suggest_warmup_days


def test_a_step_transient_is_cut_where_it_ends() -> None:
    # 100 observations around 10, then 900 around 0: the first 100 are the transient.
    rng = np.random.default_rng(11)
    series = np.concatenate([10 + rng.normal(0, 1, 100), rng.normal(0, 1, 900)])
    assert mser5(series) == 100


def test_a_decaying_transient_is_cut_after_most_of_it() -> None:
    # 20·exp(−t/30) + N(0, 1): the bias falls below the noise's SD after about 90 steps.
    rng = np.random.default_rng(7)
    t = np.arange(2000)
    series = 20 * np.exp(-t / 30) + rng.normal(0, 1, t.size)
    assert 60 <= mser5(series) <= 200


def test_a_stationary_series_needs_little_truncation() -> None:
    rng = np.random.default_rng(5)
    assert mser5(rng.normal(0, 1, 1000)) < 100


def test_short_or_nan_series() -> None:
    assert mser5([]) == 0
    assert mser5([1.0, 2.0, 3.0]) == 0  # fewer than two batches of 5
    assert mser5([math.nan] * 3 + [5.0] * 20 + [0.0] * 50) == 20  # NaNs dropped first


def test_suggested_warm_up_from_a_filling_backlog() -> None:
    # One case a day from day 0, each open 50 days: the backlog at day t is t + 1 until day 49,
    # then 50 for ever. Batches from day 50 on are constant, so MSER-5 cuts exactly 50 days.
    cases = cases_frame(
        [
            CaseRecord(
                i,
                -1,
                "first",
                False,
                "standard",
                "complex_track",
                "",
                "",
                "",
                i,
                float(i),
                float(i + 50),
                "completed",
                "closed",
                0.0,
                0.0,
                0.0,
                False,
                0.0,
                True,
            )
            for i in range(300)
        ]
    )
    assert suggest_warmup_days(cases, 299) == 50.0
