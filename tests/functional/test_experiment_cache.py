"""An interrupted experiment resumes: finished replications come from the cache."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim.experiments.running
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.experiments.cache import ReplicationCache
from sim.experiments.running import run_experiment
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    base = load_scenario(SCENARIOS / "dengzhou_2022.toml")
    return with_overrides(base, {"run.warmup_days": 10, "run.horizon_days": 50, "run.cooldown_days": 10})


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every replication actually simulated (jobs=1 runs in this process, so the patch sees it)."""
    seen: list[tuple[str, int]] = []
    real = sim.experiments.running.replicate

    def counting(scenario: Scenario, replication: int, seed: int, keep_run: bool = False) -> Any:
        seen.append((scenario.name, replication))
        return real(scenario, replication, seed, keep_run)

    monkeypatch.setattr(sim.experiments.running, "replicate", counting)
    return seen


def test_rerun_with_more_reps_computes_only_the_new_ones(
    tiny: Scenario, tmp_path: Path, calls: list[tuple[str, int]]
) -> None:
    """2 replications, 'interrupted'; then 4 in a new session: only replications 2 and 3 are simulated."""
    first = run_experiment({"a": tiny}, 2, jobs=1, cache=ReplicationCache(tmp_path))
    assert calls == [("dengzhou_2022", 0), ("dengzhou_2022", 1)]
    assert (first.computed, first.cached) == (2, 0)
    # A new cache object on the same folder: nothing in memory, as after a restart.
    second = run_experiment({"a": tiny}, 4, jobs=1, cache=ReplicationCache(tmp_path))
    assert calls[2:] == [("dengzhou_2022", 2), ("dengzhou_2022", 3)]
    assert (second.computed, second.cached) == (2, 2)
    fresh = run_experiment({"a": tiny}, 2, jobs=1)  # no cache: simulated again
    # Values read back from the cache are bit-identical to freshly computed ones.
    from_cache = second.kpis[second.kpis["replication"] < 2]
    pd.testing.assert_frame_equal(from_cache, fresh.kpis, check_exact=True)
    assert len(list(tmp_path.rglob("*.json"))) == 4
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporary files


def test_cache_keys_on_seed_and_scenario(tiny: Scenario, tmp_path: Path, calls: list[tuple[str, int]]) -> None:
    cache = ReplicationCache(tmp_path)
    run_experiment({"a": tiny}, 1, jobs=1, cache=cache)
    run_experiment({"a": tiny}, 1, seed=tiny.run.seed + 1, jobs=1, cache=cache)
    other = with_overrides(tiny, {"staffing.fast_track.officers": 5})
    run_experiment({"b": other}, 1, jobs=1, cache=cache)
    run_experiment({"a": tiny, "b": other}, 1, jobs=1, cache=cache)
    assert len(calls) == 3  # seed and scenario changes recompute; the last run is all cached


def test_unreadable_entry_is_recomputed(
    tiny: Scenario, tmp_path: Path, calls: list[tuple[str, int]], caplog: pytest.LogCaptureFixture
) -> None:
    run_experiment({"a": tiny}, 1, jobs=1, cache=ReplicationCache(tmp_path))
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text('{"fast45_rate": 0.5', encoding="utf-8")  # as if cut off mid-write
    with caplog.at_level(logging.WARNING, logger="sim.io"):
        again = run_experiment({"a": tiny}, 1, jobs=1, cache=ReplicationCache(tmp_path))
    assert len(calls) == 2
    assert again.computed == 1
    assert "unreadable cache entry" in caplog.text


def test_kept_runs_bypass_the_cache(tiny: Scenario, tmp_path: Path, calls: list[tuple[str, int]]) -> None:
    """The cache holds KPIs only: a run that must keep its tables is simulated."""
    cache = ReplicationCache(tmp_path)
    run_experiment({"a": tiny}, 1, jobs=1, cache=cache)
    kept = run_experiment({"a": tiny}, 1, jobs=1, cache=cache, keep_runs=True)
    assert len(calls) == 2
    assert ("a", 0) in kept.runs
