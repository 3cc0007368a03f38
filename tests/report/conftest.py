"""Results folders for the report tests: a short baseline and a two-scenario comparison.

One experiment (the baseline and the fast-track +2 variant over a short period,
two replications) is run once per test session and written twice: as a
one-scenario folder, as ``courtsim run`` writes it, and as a comparison folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config.load import load_scenario, with_overrides
from sim.experiments.results import write_results
from sim.experiments.running import run_experiment
from sim.experiments.types import ExperimentResult

ROOT = Path(__file__).resolve().parents[2]
SHORT = {"run.warmup_days": 30, "run.horizon_days": 120, "run.cooldown_days": 60}


@pytest.fixture(scope="session")
def experiment() -> ExperimentResult:
    """dengzhou_2022 and fast_plus2, shortened, 2 replications under common random numbers."""
    scenarios = {
        name: with_overrides(load_scenario(ROOT / "scenarios" / f"{name}.toml"), SHORT)
        for name in ("dengzhou_2022", "fast_plus2")
    }
    return run_experiment(scenarios, reps=2, jobs=2, keep_runs=True)


@pytest.fixture(scope="session")
def run_folder(experiment: ExperimentResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-scenario results folder (the baseline), as ``courtsim run`` writes it."""
    label = "dengzhou_2022"
    single = ExperimentResult(
        experiment.kpis.loc[experiment.kpis["scenario"] == label],
        {label: experiment.scenarios[label]},
        experiment.seed,
        experiment.reps,
        {key: run for key, run in experiment.runs.items() if key[0] == label},
    )
    folder = tmp_path_factory.mktemp("run") / "results"
    return write_results(folder, single, sources={label: "scenarios/dengzhou_2022.toml"})


@pytest.fixture(scope="session")
def compare_folder(experiment: ExperimentResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-scenario results folder."""
    folder = tmp_path_factory.mktemp("compare") / "results"
    sources = {name: f"scenarios/{name}.toml" for name in experiment.scenarios}
    return write_results(folder, experiment, sources=sources)


@pytest.fixture(scope="session")
def run_report(run_folder: Path) -> Path:
    """The run report of the one-scenario folder."""
    from sim.report import write_run_report

    return write_run_report(run_folder)
