"""MSER-5 truncation (White 1997) on series whose transient is known."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.eventlog import STEP_COLUMNS, STEP_DTYPES, CaseRecord, cases_frame
from sim.metrics import mser5, suggest_warmup_days
from sim.metrics.warmup import BACKLOG_OUTPUT, CLOSURES_OUTPUT, WIP_PREFIX, warmup_check, warmup_outputs


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


# ---------------------------------------------------------------- several outputs, a verdict


def _filling_court(days: int, stay: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One case a day, received by the fast track at filing and open ``stay`` days (None: never closed)."""
    records = [
        CaseRecord(
            case_id=i, parent_id=-1, case_type="first", behaviour=False, track="fast", team="fast_track",
            unit="", handler="", labels="", related_group=i, arrived=float(i) + 0.5,
            closed=math.nan if stay is None else float(i) + 0.5 + stay, outcome="" if stay is None else "completed",
            stage="closed", claim_cny=0.0, frozen_cny=0.0, recovered_cny=0.0, has_property=False,
            excluded_days=0.0, counted=True,
        )
        for i in range(days)
    ]  # fmt: skip
    marks = [
        (i, "received", "mark", "fast_track", "", "", "", i + 0.5, i + 0.5, i + 0.5, 0.0, False, math.nan)
        for i in range(days)
    ]
    steps = pd.DataFrame(marks, columns=list(STEP_COLUMNS)).astype(STEP_DTYPES)
    return steps, cases_frame(records)


def _scenario(baseline: Scenario, warmup: float, horizon: float, cooldown: float) -> Scenario:
    return with_overrides(
        baseline, {"run.warmup_days": warmup, "run.horizon_days": horizon, "run.cooldown_days": cooldown}
    )


def test_every_output_gets_its_truncation_and_the_longest_decides(baseline: Scenario) -> None:
    # Open 60 days each: the backlog and the fast track's cases in hand fill for 60 days, then stay
    # at 60; closures are 0 a day until day 60, then 1. Each output's transient ends at day 60.
    runs = {rep: SimpleNamespace(steps=s, cases=c) for rep, (s, c) in enumerate([_filling_court(400, 60.0)] * 2)}
    short = warmup_check(runs, _scenario(baseline, 30, 300, 100))
    table = short.table
    assert set(table["output"]) == {BACKLOG_OUTPUT, f"{WIP_PREFIX}fast_track", CLOSURES_OUTPUT}
    assert set(table["replication"]) == {0, 1}
    assert table["steady"].all()
    assert set(table["truncation_days"]) == {60.0}
    assert short.needed_days == 60.0 and not short.enough
    zh, en = short.message()
    assert "预热不足" in zh and "too short" in en and "60" in en
    enough = warmup_check(runs, _scenario(baseline, 60, 300, 100))
    assert enough.enough and "long enough" in enough.message()[1]


def test_a_growing_backlog_has_no_truncation_point(baseline: Scenario) -> None:
    steps, cases = _filling_court(400, None)  # nothing ever closes: the backlog grows by one a day
    check = warmup_check({0: SimpleNamespace(steps=steps, cases=cases)}, _scenario(baseline, 30, 300, 100))
    assert not check.steady and not check.enough
    assert check.table["truncation_days"].isna().all()
    assert math.isnan(check.needed_days)
    zh, en = check.message()
    assert "无稳态" in zh and "no steady state" in en


def test_the_outputs_are_the_days_of_the_run() -> None:
    steps, cases = _filling_court(100, 10.0)
    outputs = warmup_outputs(steps, cases, 99.0)
    assert outputs[BACKLOG_OUTPUT].size == 100
    assert outputs[CLOSURES_OUTPUT][:10].sum() == 0 and outputs[CLOSURES_OUTPUT][11:99].tolist() == [1.0] * 88
