"""The sweep's terminal table flags every grid point whose backlog grows (issue 14 item 4)."""

from __future__ import annotations

import pandas as pd

from sim.commands.sweep import format_sweep, unstable_points


def _summary() -> pd.DataFrame:
    rows = []
    for load, flagged in ((6000, 0.0), (7000, 2 / 3)):
        for kpi, mean in (("fast45_rate", 0.6), ("mean_days_to_close", 120.0), ("unstable", flagged)):
            rows.append(
                {"arrivals.cases_per_year": load, "kpi": kpi, "n": 3, "mean": mean, "ci_low": mean, "ci_high": mean}
            )
    return pd.DataFrame(rows).assign(zh="中", en="en")


def test_each_point_says_how_many_replications_were_unstable_and_closed_case_means_are_marked() -> None:
    summary = _summary()
    paths = ["arrivals.cases_per_year"]
    assert unstable_points(summary, paths) == {(6000,): (0, 3), (7000,): (2, 3)}
    text = format_sweep(summary, paths, ["fast45_rate", "mean_days_to_close"], 3, 7)
    assert "⚠ 不稳定" in text.splitlines()[1]
    lines = [line for line in text.splitlines() if line.strip().startswith(("6000", "7000"))]
    assert lines[0].endswith(" 0") and lines[1].endswith("2/3")  # the 45-day rate counts every case
    assert lines[3].endswith("2/3  ← 误导 misleading")  # days to close: a mean of closed cases
