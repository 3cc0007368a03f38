"""``sim.series`` (tidy time series over replications) and ``sim.run(..., precision=...)``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import api
from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.experiments.running import run_experiment


@pytest.fixture(scope="module")
def tiny(short: Scenario) -> Scenario:
    return with_overrides(short, {"run.warmup_days": 10, "run.horizon_days": 50, "run.cooldown_days": 10})


def test_series_are_one_long_table_per_replication(tiny: Scenario) -> None:
    table = api.series(tiny, 2, freq_days=5, jobs=1)
    assert list(table.columns) == ["replication", "time", "date", "series", "item", "value"]
    assert set(table["series"]) == {"backlog", "stage", "queue", "utilisation"}
    assert set(table["replication"]) == {0, 1}
    backlog = table[(table["series"] == "backlog") & (table["replication"] == 0)]
    assert backlog["time"].tolist() == [float(t) for t in range(0, 61, 5)]
    assert backlog["date"].iloc[0] == pd.Timestamp(tiny.run.start_date)
    assert (backlog["value"].diff().dropna() != 0).any()  # cases arrive: the backlog moves
    # The stage series share out the backlog: every open case is held by one team.
    stage = table[(table["series"] == "stage") & (table["replication"] == 0)].groupby("time")["value"].sum()
    assert (stage <= backlog.set_index("time")["value"] + 1e-9).all()
    assert all("/" in item for item in table.loc[table["series"] == "queue", "item"])
    util = table.loc[table["series"] == "utilisation", "value"].dropna()
    assert (util >= -1e-9).all() and np.isfinite(util).all()
    assert 0 < util.mean() < 1
    assert len(api.series(tiny, 1, which=["backlog"], jobs=1)["series"].unique()) == 1
    with pytest.raises(ValueError, match="unknown series"):
        api.series(tiny, 1, which=["backlgo"], jobs=1)


def test_run_to_a_precision_adds_replications_until_the_interval_is_narrow_enough(tiny: Scenario) -> None:
    table = api.run(tiny, 3, precision={"mean_days_to_close": 2.0}, max_reps=12, jobs=1, seed=5)
    row = table.set_index("kpi").loc["mean_days_to_close"]
    rounds = table.attrs["rounds"]
    convergence = table.attrs["convergence"]
    assert int(row["n"]) == int(rounds["n"].iloc[-1]) <= 12
    assert bool(rounds["enough"].iloc[-1]) or int(row["n"]) == 12
    assert list(convergence.columns) == ["kpi", "n", "mean", "half_width", "target", "enough"]
    assert convergence["n"].tolist() == list(range(2, int(row["n"]) + 1))
    assert convergence["mean"].iloc[-1] == pytest.approx(row["mean"])
    assert convergence["half_width"].iloc[-1] == pytest.approx((row["ci_high"] - row["ci_low"]) / 2)
    # The same replications as a plain run of that many: sequential adds, never redraws.
    plain = run_experiment({tiny.name: tiny}, int(row["n"]), 5, jobs=1).kpis
    values = plain.loc[plain["kpi"] == "mean_days_to_close", "value"].to_numpy()
    assert np.mean(values) == pytest.approx(row["mean"])
    fig = api.convergence_plot(convergence)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="unknown KPI 'fast_rate'"):
        api.run(tiny, precision={"fast_rate": 0.01})
    with pytest.raises(ValueError, match="must be a positive number"):
        api.run(tiny, precision={"fast45_rate": 0})
