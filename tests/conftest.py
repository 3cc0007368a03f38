"""Shared fixtures: the baseline scenario and small, fast variants of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario

# The suite runs on shared, loaded machines (two xdist workers, other jobs): Hypothesis must judge
# a property by its examples, not by how fast this machine generated them. Example counts stay
# each test's own; only the wall-clock checks go.
settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-machine")

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session", autouse=True)
def _replication_cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands called in this process (``main([...])``) default to a cache folder of the test
    session, not ``results/.cache`` of the checkout (``courtsim run`` fills it by default)."""
    import sim.commands.common as common

    saved = common.DEFAULT_CACHE
    common.DEFAULT_CACHE = tmp_path_factory.mktemp("replication-cache")
    yield
    common.DEFAULT_CACHE = saved


@pytest.fixture(scope="session")
def plain_cpu_env() -> dict[str, str]:
    """This environment with numpy's dispatched CPU kernels (AVX2, AVX-512, ... beyond its
    baseline) switched off, as on a machine without them: for a subprocess whose numbers must
    be this process's bit for bit."""
    import os

    try:  # numpy 2's names for what it was built to dispatch and what this CPU has
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        pytest.skip("this numpy does not say which CPU kernels it dispatches")
    found = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    return os.environ | {"NPY_DISABLE_CPU_FEATURES": " ".join(found)}


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    """The Dengzhou 2022 baseline as shipped."""
    return load_scenario(SCENARIOS / "dengzhou_2022.toml")


@pytest.fixture(scope="session")
def short(baseline: Scenario) -> Scenario:
    """The baseline over a short period: quick enough for functional tests."""
    return with_overrides(baseline, {"run.warmup_days": 30, "run.horizon_days": 150, "run.cooldown_days": 60})


def zero_hours() -> dict[str, Any]:
    return {"dist": "fixed", "value": 0}


def all_tasks(scenario: Scenario) -> list[str]:
    return [f for f in type(scenario.tasks).model_fields if f not in ("source", "sources")]
