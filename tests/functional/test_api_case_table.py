"""``sim.case_table``: the case table with each deadline's due time and whether it was met."""

from __future__ import annotations

import pytest

import sim
from sim.config.schema import Deadlines, Scenario
from sim.experiments.running import run_experiment
from sim.model import run_replication


def test_case_table_has_every_case_of_every_replication_and_each_deadline(short: Scenario) -> None:
    table = sim.case_table(short, reps=2, jobs=1, cache=None)
    for rep in (0, 1):
        own = table[table.replication == rep]
        assert list(own.case_id) == list(run_replication(short, rep).cases.case_id)
    for sla in Deadlines.model_fields:
        assert table[f"met_{sla}"].dtype == "boolean" and table[f"due_{sla}"].dtype == "float64"


def test_an_experiment_without_kept_runs_says_how_to_get_them(short: Scenario) -> None:
    result = run_experiment({"short": short}, 1, jobs=1)
    with pytest.raises(ValueError, match="keep_runs=True"):
        result.case_table("short")
