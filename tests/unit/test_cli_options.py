"""Every option is checked before any simulation, and a bad one is named.

Before, ``capacity --high inf`` ran 29 s and then lost every evaluation on an error that did
not name ``--high``; ``--tol nan`` and ``--target fast45_rate>=1e999`` were accepted;
``--reps 1000000000`` allocated memory until it ran out; ``reps=0`` and ``reps=True`` passed
the API.
"""

from __future__ import annotations

import pytest

import sim.experiments.running
from sim.cli import main
from sim.config.errors import ScenarioError
from sim.config.load import with_overrides
from sim.config.schema import MAX_REPLICATIONS, Scenario
from sim.experiments.running import run_experiment
from tests.conftest import SCENARIOS

BASE = str(SCENARIOS / "dengzhou_2022.toml")
OTHER = str(SCENARIOS / "pre_reform.toml")


@pytest.fixture(autouse=True)
def _never_simulate(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused option must be refused before the first replication."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated before refusing a bad option")

    monkeypatch.setattr(sim.experiments.running, "replicate", refuse)


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusal
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["capacity", BASE, "--high", "inf"], ("--high", "finite")),
        (["capacity", BASE, "--high", "1e9"], ("--high", "at most 1,000,000")),
        (["capacity", BASE, "--high", "0.5"], ("--high", "at least 1")),
        (["capacity", BASE, "--low", "nan"], ("--low", "finite")),
        (["capacity", BASE, "--low", "0"], ("--low",)),
        (["capacity", BASE, "--tol", "nan"], ("--tol", "finite")),
        (["capacity", BASE, "--tol", "0"], ("--tol",)),
        (["capacity", BASE, "--confidence", "inf"], ("--confidence", "finite")),
        (["capacity", BASE, "--target", "fast45_rate>=1e999"], ("1e999", "not a finite number")),
        (["capacity", BASE, "--target", "fast45_rate>=nan"], ("fast45_rate>=nan",)),
        (["run", BASE, "--reps", "1000000000", "--no-save"], ("--reps", f"<= {MAX_REPLICATIONS:,}")),
        (["run", BASE, "--reps", "0", "--no-save"], ("--reps", ">= 1")),
        (["run", BASE, "--reps", "True", "--no-save"], ("--reps", "whole number")),
        (["run", BASE, "--seed", str(2**64), "--no-save"], ("--seed",)),
        (["compare", BASE, OTHER, "--reps", "1e9", "--no-cache"], ("--reps",)),
        (["compare", BASE, OTHER, "--precision", "fast45_rate=inf", "--no-cache"], ("--precision",)),
        (["sweep", BASE, "--set", "arrivals.cases_per_year=inf", "--no-cache"], ("arrivals.cases_per_year",)),
        (["staff", BASE, "--add", "1", "--check-reps", "99999999", "--no-cache"], ("--check-reps",)),
    ],
)
def test_a_bad_option_is_named_before_any_simulation(
    argv: list[str], words: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    _refused(argv, capsys, *words)


@pytest.mark.parametrize(
    ("reps", "error", "words"),
    [
        (0, ValueError, "between 1 and"),
        (-3, ValueError, "between 1 and"),
        (10**9, ValueError, "between 1 and 10,000 (got 1,000,000,000)"),
        (True, TypeError, "whole number"),
        (2.5, TypeError, "whole number"),
        ("5", TypeError, "whole number"),
        (None, TypeError, "whole number"),
    ],
)
def test_the_api_refuses_absurd_replications_by_name(
    baseline: Scenario, reps: object, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=f"reps.*{words[:12]}"):
        run_experiment({"base": baseline}, reps)  # type: ignore[arg-type]


def test_a_scenario_asking_for_a_billion_replications_is_refused(baseline: Scenario) -> None:
    with pytest.raises(ScenarioError, match=r"run\.replications"):
        with_overrides(baseline, {"run.replications": 10**9})
