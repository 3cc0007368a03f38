"""Fuzzing the command line and the scenario loader: exit 0 or 2, never a traceback, the culprit named.

Issue 18 ("Done when"): Hypothesis draws argument vectors from every real subcommand's own
options and values a careless or hostile user would give (paths that are folders, files, loops,
missing or 5,000 characters long; ``inf``, ``nan``, ``1e999``, ``-1``, year 9999, unicode, junk
text), and mutates the shipped baseline scenario several ways at once (wrong types, missing
tables, extreme numbers, unicode, dates at the ends of the calendar). Every run of
:func:`sim.cli.main` must exit 0 or 2 (argparse's and the house's code for bad input; ``--help``
and ``--version`` exit 0), print no traceback, and, when it refuses, say what: an ``error:`` line
naming one of the arguments given or the one missing, or a problem list naming the file and each
field.

Nothing is simulated: every backend's ``imap`` (and the Dask client, calibration's fit, and the
records' own simulations) raises :class:`Simulated` instead, which counts as "accepted": the
options and the scenario passed every check made before work. The examples are bounded and
derandomized, so the test takes seconds and fails the same way twice.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.calibration.checkfit
import sim.calibration.fit
import sim.calibration.synth
import sim.commands.app
import sim.config.load
import sim.model
from sim.cli import build_parser, main
from sim.commands import COMMANDS
from sim.experiments import backends
from tests.conftest import SCENARIOS
from tests.functional.test_bad_input import to_toml

BASELINE = SCENARIOS / "dengzhou_2022.toml"
DOC: dict[str, Any] = tomllib.loads(BASELINE.read_text(encoding="utf-8"))
FUZZ = settings(
    max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
)
PROBLEM_LINE = re.compile(r"^  \S.*?: ", re.MULTILINE)


class Simulated(BaseException):  # not an Exception: no handler of the CLI may catch it
    """Raised where a replication, a fit or a cluster would start: the command accepted its input."""


def _stop(*args: object, **kwargs: object) -> Any:
    raise Simulated


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of awkward things to name on the command line."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "folder").mkdir()
    (root / "file.txt").write_text("just text\n", encoding="utf-8")
    (root / "loop.toml").symlink_to(root / "loop2.toml")
    (root / "loop2.toml").symlink_to(root / "loop.toml")
    (root / "empty.toml").write_text("", encoding="utf-8")
    (root / "records.csv").write_text(
        "案号,案件类型,立案日期,结案日期,结案方式,申请执行标的,实际到位金额\n", encoding="utf-8"
    )
    return root


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch, place: Path) -> None:
    """No simulation, no fit, no cluster; relative defaults (results/, the cache) land in ``place``."""
    for backend in (backends.SerialBackend, backends.ProcessBackend, backends.DaskBackend):
        monkeypatch.setattr(backend, "imap", _stop)
    monkeypatch.setattr(backends.DaskBackend, "__init__", _stop)
    monkeypatch.setattr(sim.model, "run_replication", _stop)
    monkeypatch.setattr(sim.calibration.synth, "run_replication", _stop)
    monkeypatch.setattr(sim.calibration.checkfit, "run_replication", _stop)
    monkeypatch.setattr(sim.calibration.fit, "calibrate", _stop)
    monkeypatch.setattr(sim.commands.app, "serve", _stop)  # `courtsim app` would serve until stopped
    monkeypatch.chdir(place)


def courtsim(argv: list[str]) -> tuple[int, str]:
    """(exit code, stderr) of ``main(argv)``; -1 when it reached the work (:class:`Simulated`)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except Simulated:
            code = -1
    return code, err.getvalue()


# ---------------------------------------------------------------- the command line


def _options(command: str) -> list[str]:
    """The option strings the real parser of ``command`` accepts."""
    parser = build_parser(command)
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sorted({s for a in sub.choices[command]._actions for s in a.option_strings})  # type: ignore[attr-defined]


OPTIONS = {name: _options(name) for name in sorted(COMMANDS)}


def _values(root: Path) -> list[str]:
    return [
        str(BASELINE),
        str(SCENARIOS / "fast_plus2.toml"),
        str(SCENARIOS / "records" / "example_synthetic.csv"),
        str(root / "records.csv"),
        str(root / "folder"),
        str(root / "file.txt"),
        str(root / "file.txt" / "under-a-file"),
        str(root / "loop.toml"),
        str(root / "empty.toml"),
        str(root / "missing.toml"),
        str(root / "new-folder" / "out"),
        "a" * 5000 + ".toml",
        "",
        "-",
        "--",
        "0",
        "1",
        "2",
        "-1",
        "3.5",
        "1e9",
        "1e999",
        "-1e999",
        "inf",
        "nan",
        "True",
        str(2**64),
        "9999-12-31",
        "0001-01-01",
        "2024-02-30",
        "2024-01-01",
        "fast45_rate>=0.9",
        "fast45_rate>=1e999",
        "fast45_rate>=nan",
        "no_such_kpi<=3",
        "fast45_rate=0.01",
        "arrivals.cases_per_year=7000",
        "arrivals.cases_per_year=inf",
        "arrivals.cases_per_year=6000,7000",
        "staffing.fast_track.officers=1,2,3",
        "no.such.field=1",
        "fast_track",
        "officer",
        "morris",
        "sobol",
        "local",
        "tcp://nowhere:1",
        "执行二团队",
        "\u200b",
        '=HYPERLINK("x")',
        "\U0001f600",
    ]


def _valid(root: Path) -> dict[str, list[str]]:
    """A sound invocation of each command (mutated below), so the fuzz gets past argparse."""
    base, other = str(BASELINE), str(SCENARIOS / "fast_plus2.toml")
    records = str(SCENARIOS / "records" / "example_synthetic.csv")
    few = ["--reps", "2", "--jobs", "1", "--no-cache"]
    return {
        "calibrate": ["calibrate", records, "--base", base, "--out", str(root / "cal.toml"), "--no-report"],
        "capacity": ["capacity", base, "--target", "fast45_rate>=0.5", *few],
        "check-fit": ["check-fit", base, records, "--reps", "1"],
        "compare": ["compare", base, other, *few],
        "deadline": ["deadline", "2024-01-01", "--days", "10"],
        "report": ["report", str(root / "folder")],
        "run": ["run", base, "--reps", "2", "--jobs", "1", "--no-save"],
        "schema": ["schema", "-o", str(root / "schema.json")],
        "sensitivity": ["sensitivity", base, "--budget", "4", *few],
        "staff": ["staff", base, "--target", "fast45_rate>=0.5", "--add", "1", *few],
        "sweep": ["sweep", base, "--set", "arrivals.cases_per_year=6000,7000", *few],
        "synth-records": ["synth-records", base, "--years", "1", "--out", str(root / "synth.csv")],
        "validate": ["validate", base, other],
    }


JUNK = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=10)
"""Any text but a lone surrogate or NUL, which no shell can pass in an argument vector."""


@st.composite
def argvs(draw: st.DrawFn, values: list[str], valid: dict[str, list[str]]) -> list[str]:
    """A sound invocation with up to four mutations, or (one time in four) free-form tokens."""
    value = st.sampled_from(values)
    if draw(st.integers(0, 3)) == 0:
        command = draw(st.sampled_from([*sorted(COMMANDS), "no-such-command", "-v"]))
        options = OPTIONS.get(command) or ["--help", "--version"]
        token = st.one_of(st.sampled_from(options), value, value, JUNK)
        return [command, *draw(st.lists(value, max_size=2)), *draw(st.lists(token, max_size=8))]
    command = draw(st.sampled_from(sorted(valid)))
    argv = list(valid[command])
    options = [o for o in OPTIONS[command] if o not in ("-h", "--help")] or OPTIONS[command]
    for _ in range(draw(st.integers(0, 4))):
        how = draw(st.sampled_from(["replace", "replace", "insert", "delete", "junk"]))
        at = draw(st.integers(1, len(argv)))
        if how == "replace" and at < len(argv):
            argv[at] = draw(value)
        elif how == "insert":
            argv[at:at] = [draw(st.sampled_from(options)), draw(value)]
        elif how == "delete" and at < len(argv):
            del argv[at]
        else:
            argv.insert(at, draw(JUNK))
    return argv


def _named(argv: list[str], err: str) -> bool:
    """Whether the refusal names something: an argument given, one missing, a file or a field."""
    if "required" in err or re.search(r"\b[A-Z][A-Z_]{2,}\b", err):  # an argument missing, by its metavar
        return True
    given = [a for a in argv[1:] if len(a.strip()) >= 1]
    shown = [a[:40] for a in given]
    if any(a in err for a in shown) or argv[0] in err:
        return True
    return bool(PROBLEM_LINE.search(err))


def test_fuzz_the_command_line(place: Path, no_work: None) -> None:
    values, valid = _values(place), _valid(place)

    @FUZZ
    @given(argv=argvs(values, valid))
    def check(argv: list[str]) -> None:
        code, err = courtsim(argv)
        assert "Traceback" not in err, (argv, err)
        assert code in (0, 2, -1), (argv, code, err)
        if code == 2:
            assert err.strip(), argv
            assert "error" in err or "problem(s)" in err, (argv, err)
            assert _named(argv, err), (argv, err)

    check()


# ---------------------------------------------------------------- the scenario loader

EXTREMES: list[Any] = [
    0,
    -1,
    1e308,
    -1e308,
    5e-324,
    2**63 - 1,
    -(2**63),
    math.inf,
    math.nan,
    True,
    "",
    "执行\u200b",
    "\u202eevil",
    "a" * 10_000,
    [],
    {},
    [1, "two", 3.0],
    {"dist": "lognormal"},
    date(9999, 12, 31),
    date(1, 1, 1),
    datetime(2023, 1, 2, 12, 30, tzinfo=UTC),  # TOML has offset date-times
    "2023-01-02T12:30:00",
]


def _tables(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from _tables(value, (*path, key))


PATHS = list(_tables(DOC))


def _apply(doc: dict[str, Any], path: tuple[str, ...], how: str, value: Any) -> None:
    node: Any = doc
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if not isinstance(node, dict):
        return
    key = path[-1]
    if how == "drop":
        node.pop(key, None)
    elif how == "set":
        node[key] = value
    elif how == "unknown":
        node[f"{key}\u00e9\U0001f600"] = value
    elif how == "wrap" and key in node:
        node[key] = [node[key]]
    elif how == "nudge" and isinstance(node.get(key), int | float) and not isinstance(node[key], bool):
        nudged = node[key] * value  # a plausible change: the file often still validates
        node[key] = round(nudged) if isinstance(node[key], int) else nudged
    elif how == "text" and isinstance(node.get(key), str):
        node[key] = node[key] + value


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        how = draw(st.sampled_from(["set", "set", "drop", "unknown", "wrap", "nudge", "nudge", "text"]))
        if how == "nudge":
            value: Any = draw(st.floats(0.5, 1.5))
        elif how == "text":
            value = draw(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20))
        else:
            value = draw(st.one_of(st.sampled_from(EXTREMES), st.integers(), st.floats(), st.text(max_size=20)))
        _apply(doc, path, how, value)
    return doc


def _toml(doc: dict[str, Any]) -> str | None:
    try:
        return to_toml(doc)
    except (TypeError, ValueError):
        return None


def test_fuzz_the_scenario_loader(place: Path, no_work: None) -> None:
    path = place / "mutated.toml"

    @FUZZ
    @given(doc=mutated())
    def check(doc: dict[str, Any]) -> None:
        text = _toml(doc)
        if text is None:
            return
        path.write_text(text, encoding="utf-8")
        code, err = courtsim(["validate", str(path)])
        assert "Traceback" not in err, err
        assert code in (0, 2), err
        if code == 2:
            assert err.startswith(f"{path}: "), err
            assert PROBLEM_LINE.search(err), err
            return
        # what validates must also get past every check of ``run`` (up to the first replication)
        code, err = courtsim(["run", str(path), "--reps", "1", "--jobs", "1", "--no-save"])
        assert code == -1 and "Traceback" not in err, err
        sim.model.build_calendar(sim.config.load.load_scenario(path))  # the run's first step

    check()
