"""Parallel == sequential: the KPI tables do not depend on the workers or the backend."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.experiments.backends import DaskBackend, ProcessBackend, SerialBackend, make_backend
from sim.experiments.running import run_experiment
from sim.experiments.types import ExperimentResult
from tests.conftest import SCENARIOS

TINY = {"run.warmup_days": 10, "run.horizon_days": 50, "run.cooldown_days": 10}


@pytest.fixture(scope="module")
def pair() -> dict[str, Scenario]:
    """Baseline and fast_plus2 over a few months: two scenarios that differ in staffing."""
    return {
        name: with_overrides(load_scenario(SCENARIOS / f"{name}.toml"), TINY)
        for name in ("dengzhou_2022", "fast_plus2")
    }


@pytest.fixture(scope="module")
def serial(pair: dict[str, Scenario]) -> ExperimentResult:
    """The reference: every replication in this process, one after the other."""
    done: list[tuple[int, int]] = []
    result = run_experiment(pair, 2, jobs=1, progress=lambda d, t: done.append((d, t)))
    assert done == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert len(result.kpis) > 100
    assert result.computed == 4
    return result


def test_identical_with_one_worker_and_a_pool_of_two(pair: dict[str, Scenario], serial: ExperimentResult) -> None:
    with ProcessBackend(2) as pool:
        pooled = run_experiment(pair, 2, backend=pool)
    pd.testing.assert_frame_equal(serial.kpis, pooled.kpis, check_exact=True)


def test_identical_on_a_dask_cluster(pair: dict[str, Scenario], serial: ExperimentResult) -> None:
    """A Dask LocalCluster of 2, reached in process and over tcp://HOST:PORT, agrees exactly."""
    pytest.importorskip("distributed")
    with make_backend(2, "local") as dask:
        assert isinstance(dask, DaskBackend)
        assert dask.workers == 2
        on_dask = run_experiment(pair, 2, backend=dask)
        with DaskBackend(dask._cluster.scheduler_address) as remote:  # the tcp://HOST:PORT path
            over_tcp = run_experiment(pair, 2, backend=remote)
    for other in (on_dask, over_tcp):
        pd.testing.assert_frame_equal(serial.kpis, other.kpis, check_exact=True)


def test_make_backend_chooses_by_options() -> None:
    assert isinstance(make_backend(1), SerialBackend)
    assert isinstance(make_backend(2), ProcessBackend)
    with pytest.raises(ValueError, match="tcp://HOST:PORT"):
        make_backend(2, "somehost:8786")
    with pytest.raises(ValueError, match="jobs"):
        make_backend(-1)
