"""The metrics on a short real run: values in range, and the model's due times recomputed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.metrics import (
    KPIS,
    backlog_series,
    bottlenecks,
    kpi_table,
    kpi_values,
    monthly_table,
    queue_series,
    recompute_due,
    sla_compliance,
    stage_series,
)
from sim.model import RunResult, build_calendar, run_replication
from sim.vocab import Deadline
from sim.workcalendar import WorkCalendar

ROOT = Path(__file__).resolve().parents[2]


@cache
def short_run() -> tuple[Scenario, WorkCalendar, RunResult]:
    base = load_scenario(ROOT / "scenarios" / "dengzhou_2022.toml")
    scenario = with_overrides(base, {"run.horizon_days": 120, "run.warmup_days": 30, "run.cooldown_days": 30})
    return scenario, build_calendar(scenario), run_replication(scenario, 0)


def test_kpis_are_finite_and_rates_are_shares() -> None:
    scenario, calendar, result = short_run()
    values = kpi_values(result, scenario, calendar)
    table = kpi_table(values)
    assert not table["value"].isna().any(), table.loc[table["value"].isna(), "id"].tolist()
    shares = table.loc[table["unit"] == "share", "value"]
    assert ((shares >= 0) & (shares <= 1)).all()
    assert {"fast45_rate", "within_limit_rate", "recovery_rate", "util_fast_track_officer"} <= set(values)
    assert all(np.isfinite(v) for v in values.values())
    assert values["mean_days_to_close"] > 0
    assert values["closed_per_officer"] > 0
    assert set(values) <= set(KPIS)


def test_recomputed_dues_equal_the_models() -> None:
    scenario, calendar, result = short_run()
    sample = result.slas.sample(n=min(600, len(result.slas)), random_state=1)
    rows = [*sample.itertuples(index=False)]
    rows += [*result.slas.drop_duplicates("sla").itertuples(index=False)]  # every id the model used
    for row in rows:
        spec = getattr(scenario.deadlines, row.sla)
        assert recompute_due(row.start, spec, calendar) == row.due, row


def test_compliance_series_and_bottlenecks_are_consistent() -> None:
    scenario, calendar, result = short_run()
    end = result.meta["end_days"]
    table = sla_compliance(result.slas, result.cases, scenario, calendar)
    rates = table["on_time_rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
    assert len(table) == len(Deadline)
    # Nothing is lost: the backlog at the end is the open cases, and by team it adds up.
    open_cases = int((result.cases["outcome"] == "").sum())
    assert backlog_series(result.cases, end).iloc[-1] == open_cases
    assert stage_series(result.steps, result.cases, end).iloc[-1].sum() == open_cases
    monthly = monthly_table(result.cases, result.steps, calendar)
    assert monthly["received"].sum() == len(result.cases)
    assert monthly["closed"].sum() == (result.cases["outcome"] != "").sum()
    ranking = bottlenecks(result.steps, result.staff, result.slas, calendar, (30.0, 120.0))
    assert sorted(ranking["rank"]) == list(range(1, len(ranking) + 1))
    assert (queue_series(result.steps, end=end).to_numpy() >= -1e-9).all()
    assert ranking["utilisation"].dropna().between(0, 1 + 1e-9).all()
