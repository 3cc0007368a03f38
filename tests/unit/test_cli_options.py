"""Every option is checked before any simulation, and a bad one is named.

Before, ``capacity --high inf`` ran 29 s and then lost every evaluation on an error that did
not name ``--high``; ``--tol nan`` and ``--target fast45_rate>=1e999`` were accepted;
``--reps 1000000000`` allocated memory until it ran out; ``reps=0`` and ``reps=True`` passed
the API.
"""

from __future__ import annotations

import pytest

import sim
import sim.experiments.running
from sim.cli import main
from sim.config.errors import ScenarioError
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import MAX_REPLICATIONS, Scenario
from sim.experiments.running import run_experiment
from sim.experiments.staffing_search import search_staffing
from sim.experiments.types import parse_target
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
        # With --target: without it argparse refuses first, and its usage line names every option.
        (
            ["staff", BASE, "--target", "fast45_rate>=0.5", "--add", "1", "--check-reps", "99999999", "--no-cache"],
            ("argument --check-reps",),
        ),
        # Before: "--screen-reps must be between 2 and --reps (1)", an option the user had not given.
        (
            ["staff", BASE, "--target", "fast45_rate>=0.5", "--add", "1", "--reps", "1", "--no-cache"],
            ("--reps must be at least 2", "got 1"),
        ),
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


# ---------------------------------------------------------------- the notebook API (sim.*)

API_REPS = [
    ("run", lambda reps: sim.run(BASE, reps=reps)),
    ("run to a precision", lambda reps: sim.run(BASE, reps=reps, precision={"fast45_rate": 0.01})),
    ("experiment", lambda reps: sim.experiment([BASE], reps)),
    ("compare", lambda reps: sim.compare(BASE, OTHER, reps=reps)),
    ("sweep", lambda reps: sim.sweep(BASE, {"arrivals.cases_per_year": [6000]}, reps=reps)),
    ("capacity", lambda reps: sim.capacity(BASE, "fast45_rate>=0.5", reps=reps)),
    ("staff", lambda reps: sim.staff(BASE, ["fast45_rate>=0.5"], add=1, reps=reps)),
    ("sensitivity", lambda reps: sim.sensitivity(BASE, reps=reps)),
]


@pytest.mark.parametrize("call", [c for _, c in API_REPS], ids=[n for n, _ in API_REPS])
@pytest.mark.parametrize(("reps", "error"), [(0, ValueError), (-1, ValueError), (True, TypeError), (2.0, TypeError)])
def test_every_api_function_refuses_absurd_reps_by_name(call: object, reps: object, error: type[Exception]) -> None:
    """Before: ``sim.run(path, reps=0)`` ran the scenario's 5 (``reps or default``), sensitivity
    divided by zero, capacity's message did not name ``reps``."""
    with pytest.raises(error, match=r"^reps must be"):
        call(reps)  # type: ignore[operator]


def test_staff_names_check_reps() -> None:
    with pytest.raises(ValueError, match=r"^check_reps must be between 1"):
        sim.staff(BASE, ["fast45_rate>=0.5"], add=1, check_reps=0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reps": 1}, r"^reps must be at least 2 \(got 1\)"),
        ({"reps": 3, "check_reps": 2}, r"^check_reps must be at least reps \(3\) \(got 2\)"),
        ({"screen_reps": 3}, r"^screen_reps must be between 2 and reps \(2\) \(got 3\)"),
        ({"top_k": 0}, r"^top_k must be at least 1 \(got 0\)"),
    ],
)
def test_the_staffing_search_names_the_setting_it_refuses(options: dict[str, int], message: str) -> None:
    """Before: one message for all four, "need reps >= 2, check_reps >= reps, …", naming no value."""
    with pytest.raises(ValueError, match=message):
        search_staffing(load_scenario(BASE), [parse_target("fast45_rate>=0.5")], _never, add=1, **options)


def _never(scenarios: object, reps: int) -> object:
    raise AssertionError("the search simulated before checking its settings")


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: sim.run(None), "scenario"),  # type: ignore[arg-type]
        (lambda: sim.run(42), "scenario"),  # type: ignore[arg-type]
        (lambda: sim.load(None), "path"),  # type: ignore[arg-type]
        (lambda: sim.case_table(None), "scenario"),  # type: ignore[arg-type]
        (lambda: sim.compare(None, OTHER), "base"),  # type: ignore[arg-type]
        (lambda: sim.compare(BASE, OTHER, None), r"others\[1\]"),  # type: ignore[arg-type]
        (lambda: sim.attribute(BASE, None), "other"),  # type: ignore[arg-type]
        (lambda: sim.experiment([BASE, None]), r"scenarios\[1\]"),  # type: ignore[list-item]
        (lambda: sim.experiment({"a": BASE, "b": None}), r"scenarios\['b'\]"),  # type: ignore[dict-item]
    ],
)
def test_the_api_names_a_scenario_argument_that_is_not_one(call: object, argument: str) -> None:
    """Before: ``TypeError: expected str, bytes or os.PathLike object, not NoneType``."""
    with pytest.raises(TypeError, match=rf"^{argument} must be (a Scenario .* or )?the path of a scenario file"):
        call()  # type: ignore[operator]
