"""check-fit judges each statistic against its chance level (issue 19: a pass/fail per statistic)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from sim.calibration.checkfit import _judged


def _table(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["metric", "gap", "chance"])


def test_a_scalar_passes_inside_its_prediction_interval_and_fails_outside() -> None:
    limit = float(stats.t.ppf(0.975, 3)) * 10.0 * math.sqrt(1 + 1 / 4)
    judged = _judged(_table([("cases_filed", limit - 0.01, 10.0), ("cases_filed", -(limit + 0.01), 10.0)]), 4)
    assert judged["limit"].tolist() == pytest.approx([limit, limit])
    assert judged["verdict"].tolist() == ["pass", "fail"]


def test_a_distance_passes_up_to_twice_its_chance_level() -> None:
    judged = _judged(_table([("km_distance", 0.1, 0.05), ("outcome_shares_tv", 0.11, 0.05)]), 3)
    assert judged["verdict"].tolist() == ["pass", "fail"]
    assert judged["limit"].tolist() == pytest.approx([0.1, 0.1])


def test_without_a_chance_level_there_is_no_verdict() -> None:
    judged = _judged(_table([("cases_filed", 5.0, math.nan), ("km_distance", 0.2, math.nan)]), 1)
    assert judged["verdict"].tolist() == ["n/a", "n/a"]
