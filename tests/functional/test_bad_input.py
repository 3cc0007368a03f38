"""Bad input, systematically: a broken file is refused with its problem named, never a traceback.

Hypothesis mutates the baseline scenario — a typo in any key, a wrong type, a negative,
NaN or infinity, a huge number, a missing section or field, an empty, non-UTF-8, binary or
truncated file — and ``courtsim validate`` must exit 2 naming the dotted path of the
problem (or saying the file is not UTF-8 / not valid TOML). The same for ``courtsim run``
on a few broken files, ``courtsim deadline`` with garbage arguments, and ``courtsim
calibrate`` with broken case records.

Every gap these tests found was closed (lax numbers, huge values, a records file cut
inside a quoted field); each keeps its test here.
"""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import io
import json
import math
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.cli import main
from sim.config.schema import Scenario
from tests.conftest import ROOT, SCENARIOS

BASELINE = SCENARIOS / "dengzhou_2022.toml"
TEXT = BASELINE.read_text(encoding="utf-8")
DOC: dict[str, Any] = tomllib.loads(TEXT)
PROBLEM_LINE = re.compile(r"^  (\S+?): ", re.MULTILINE)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Path_ = tuple[str | int, ...]

# Fields where 1e308 is not an error of the field itself (a large amount or delay can be
# legitimate, or a cross check names another path): the property test does not ask for their
# path to be named; test_lax_numbers_and_huge_values_are_refused covers the ones that must fail.
UNBOUNDED = (
    "run.*_days",
    "arrivals.cases_per_year",
    "arrivals.monthly_multipliers.*",
    "amounts.*",
    "delays.*",
    "tasks.*.hours.*",
    "policy.simple_threshold_cny",
    "side_streams.*",
)


# ---------------------------------------------------------------- a small TOML writer


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} as TOML")


def _key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)  # a quoted key may hold any typo


def to_toml(doc: dict[str, Any]) -> str:
    """Top-level scalars, then one ``[table]`` per top-level table with inline values."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for key, table in doc.items():
        if isinstance(table, dict):
            lines.append(f"[{_key(key)}]")
            lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- where to break it


def _leaves(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every scalar of the document (list items one by one; an empty list is a leaf)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list) and node:
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path, node


def _keys(node: Any, path: Path_ = ()) -> Iterator[Path_]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k)
            yield from _keys(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _keys(v, (*path, i))


def _required(model: type[BaseModel], prefix: Path_ = ()) -> Iterator[Path_]:
    """Required fields of the scenario and of its sections (one level down)."""
    for name, info in model.model_fields.items():
        if info.is_required() and name in (DOC if not prefix else DOC[str(prefix[0])]):
            yield (*prefix, name)
            sub = info.annotation
            if not prefix and isinstance(sub, type) and issubclass(sub, BaseModel):
                yield from _required(sub, (name,))


LEAVES = list(_leaves(DOC))
KEYS = list(_keys(DOC))
REQUIRED = list(_required(Scenario))


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def _set(doc: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def _rename(doc: dict[str, Any], path: Path_, new: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[new] = node.pop(path[-1])
    return out


def _drop(doc: dict[str, Any], path: Path_) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# ---------------------------------------------------------------- running the command


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad_input")


def courtsim(*argv: str) -> tuple[int, str]:
    """Run the CLI in-process; (exit code, stderr). An exception escaping it fails the test."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


def validate(folder: Path, content: bytes) -> tuple[int, str]:
    path = folder / "broken.toml"
    path.write_bytes(content)
    return courtsim("validate", str(path))


def names(stderr: str, path: Path_) -> bool:
    """Whether a problem line is located at ``path``, one of its parents or one of its parts."""
    where = dotted(path)
    locations = PROBLEM_LINE.findall(stderr)
    return any(loc == where or where.startswith(loc + ".") or loc.startswith(where + ".") for loc in locations)


def refused(code: int, stderr: str) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert "problem(s)" in stderr, stderr


# ---------------------------------------------------------------- the properties


def _typo(key: str, how: str, at: int) -> str:
    i = at % max(len(key), 1)
    if how == "swap" and len(key) > 1:
        i = min(i, len(key) - 2)
        return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    if how == "drop" and len(key) > 1:
        return key[:i] + key[i + 1 :]
    if how == "double":
        return key[:i] + key[i] + key[i:]
    if how == "upper":
        return key.upper()
    return key + "_"


@SETTINGS
@given(
    path=st.sampled_from([k for k in KEYS if isinstance(k[-1], str)]),
    how=st.sampled_from(["swap", "drop", "double", "upper", "suffix"]),
    at=st.integers(0, 40),
)
def test_a_typo_in_any_key_is_named(workdir: Path, path: Path_, how: str, at: int) -> None:
    key = str(path[-1])
    new = _typo(key, how, at)
    node: Any = DOC
    for part in path[:-1]:
        node = node[part]
    assume(new != key and new not in node)
    code, err = validate(workdir, to_toml(_rename(DOC, path, new)).encode())
    refused(code, err)
    typo = (*path[:-1], new)
    assert names(err, typo), err
    assert new in err or key in err, err


def _wrong_values(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [12, {"x": 1}, [1, 2]]
    wrong: list[Any] = ["abc", {"x": 1}]
    if not isinstance(value, list):
        wrong.append([1, 2])
    if _is_number(value):
        wrong += [-abs(value) - 1, math.nan, math.inf, -math.inf]
    return wrong


BREAKABLE = [(p, v) for p, v in LEAVES if _wrong_values(v)]


@SETTINGS
@given(leaf=st.sampled_from(BREAKABLE), pick=st.integers(0, 10), huge=st.booleans())
def test_a_bad_value_anywhere_is_named(workdir: Path, leaf: tuple[Path_, Any], pick: int, huge: bool) -> None:
    path, value = leaf
    bounded = _is_number(value) and not any(fnmatch.fnmatch(dotted(path), p) for p in UNBOUNDED)
    if huge and bounded:
        wrong: Any = 1e308
    else:
        options = _wrong_values(value)
        wrong = options[pick % len(options)]
    code, err = validate(workdir, to_toml(_set(DOC, path, wrong)).encode())
    refused(code, err)
    assert names(err, path), f"{dotted(path)} = {wrong!r}:\n{err}"


@SETTINGS
@given(path=st.sampled_from(REQUIRED))
def test_a_missing_section_or_field_is_named(workdir: Path, path: Path_) -> None:
    code, err = validate(workdir, to_toml(_drop(DOC, path)).encode())
    refused(code, err)
    assert f"  {dotted(path)}: required field is missing" in err, err


def test_an_empty_file_names_every_missing_section(workdir: Path) -> None:
    code, err = validate(workdir, b"")
    refused(code, err)
    for section in ("name", "run", "calendar", "arrivals", "tasks", "staffing"):
        assert f"  {section}: required field is missing" in err


@SETTINGS
@given(at=st.integers(0, len(TEXT.encode()) - 1), byte=st.sampled_from([b"\x80", b"\xbf", b"\xc3", b"\xfe", b"\xff"]))
def test_a_non_utf8_byte_is_refused(workdir: Path, at: int, byte: bytes) -> None:
    raw = TEXT.encode()
    code, err = validate(workdir, raw[:at] + byte + raw[at:])
    refused(code, err)
    assert "(file): not UTF-8 text" in err, err


@SETTINGS
@given(raw=st.binary(min_size=1, max_size=2000))
def test_binary_garbage_is_refused(workdir: Path, raw: bytes) -> None:
    code, err = validate(workdir, raw)
    refused(code, err)
    assert "(file): not UTF-8" in err or "(file): not valid TOML" in err or PROBLEM_LINE.search(err), err


@SETTINGS
@given(at=st.integers(0, len(TEXT.encode()) - 1))
def test_a_truncated_file_is_refused_or_unchanged(workdir: Path, at: int) -> None:
    raw = TEXT.encode()[:at]
    code, err = validate(workdir, raw)
    if code == 0:  # only comments or blank lines were cut
        assert tomllib.loads(raw.decode()) == DOC
        return
    refused(code, err)
    assert PROBLEM_LINE.search(err), err


# ---------------------------------------------------------------- the commands end to end


def _samples(folder: Path) -> dict[str, bytes]:
    raw = TEXT.encode()
    return {
        "typo.toml": to_toml(_rename(DOC, ("arrivals", "cases_per_year"), "cases_per_yaer")).encode(),
        "nan.toml": to_toml(_set(DOC, ("probabilities", "settlement_rate"), math.nan)).encode(),
        "negative.toml": to_toml(_set(DOC, ("staffing", "intake", "clerks"), -3)).encode(),
        "missing.toml": to_toml(_drop(DOC, ("tasks",))).encode(),
        "truncated.toml": raw[: raw.index(b"\ncases_per_year") + 6],  # cut inside a key: not TOML
        "latin1.toml": raw.replace("邓州".encode(), "Düsseldorf".encode("latin-1")),
        "binary.toml": bytes(range(256)) * 4,
        "empty.toml": b"",
    }


def test_the_real_cli_prints_problems_not_tracebacks(workdir: Path) -> None:
    """``courtsim validate`` in its own process: exit 2, every file and its problem named."""
    files = []
    for name, content in _samples(workdir).items():
        (workdir / name).write_bytes(content)
        files.append(str(workdir / name))
    done = subprocess.run(
        [sys.executable, "-m", "sim", "validate", *files],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    for file in files:
        assert f"{file}: " in done.stderr
    for fragment in (
        "arrivals.cases_per_yaer: unknown key",
        "probabilities.settlement_rate:",
        "staffing.intake.clerks:",
        "tasks: required field is missing",
        "not valid TOML",
        "not UTF-8",
    ):
        assert fragment in done.stderr, done.stderr


@pytest.mark.parametrize("name", ["typo.toml", "nan.toml", "missing.toml", "truncated.toml", "binary.toml"])
def test_run_refuses_a_broken_scenario_before_simulating(workdir: Path, name: str) -> None:
    path = workdir / f"run-{name}"
    path.write_bytes(_samples(workdir)[name])
    code, err = courtsim("run", str(path), "--reps", "1", "--no-save", "--jobs", "1")
    refused(code, err)


GARBAGE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["2024-02-30", "2024-13-01", "9999-12-31", "0001-01-01", "-5", "1e3", "", "２０２４-01-01", "2024-1-1"]
    ),
)


@SETTINGS
@given(
    start=GARBAGE,
    flag=st.sampled_from(["--days", "--working-days"]),
    n=st.one_of(GARBAGE, st.integers(-(10**30), 10**30).map(str)),
    extra=st.lists(st.tuples(st.sampled_from(["--holiday", "--closure"]), GARBAGE), max_size=2),
)
def test_deadline_with_garbage_never_crashes(start: str, flag: str, n: str, extra: list[tuple[str, str]]) -> None:
    argv = ["deadline", start, flag, n]
    for option, value in extra:
        argv += [option, value]
    code, err = courtsim(*argv)
    assert "Traceback" not in err
    if code != 0:
        assert code == 2 and "error" in err, err


# ---------------------------------------------------------------- calibration records

HEADER = "案号,案件类型,立案日期,结案日期,结案方式,申请执行标的,实际到位金额\n"
BROKEN_RECORDS = {
    "empty.csv": b"",
    "binary.csv": bytes(range(256)) * 8,
    "header_only.csv": HEADER.encode(),
    "no_filing_date.csv": "案号,案件类型,结案方式\n（2023）豫1381执1号,首执,执行完毕\n".encode(),
    "all_rows_bad.csv": (
        HEADER + "（2023）豫1381执1号,首执,not a date,nan,执行完毕,-inf,1e308\n"
        "（2023）豫1381执2号,首执,2023-13-45,2023-01-01,??,abc,\n"
    ).encode(),
    "latin1.csv": (HEADER + "（2023）豫1381执1号,首执,2023-01-03,,,1000,\n")
    .encode("utf-8")
    .replace("首执".encode(), b"\xe9\xff\xfe"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_RECORDS))
def test_calibrate_refuses_broken_records(workdir: Path, name: str) -> None:
    records = workdir / name
    records.write_bytes(BROKEN_RECORDS[name])
    out = workdir / f"calibrated-{records.stem}.toml"
    code, err = courtsim("calibrate", str(records), "--base", str(BASELINE), "--out", str(out), "--no-report")
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("错误 error: ") and str(records) in err, err
    assert not out.exists()


# ---------------------------------------------------------------- records cut short


def _calibrate_records_ending_with(workdir: Path, name: str, last: str) -> tuple[int, str, Path]:
    """Eight good records and then ``last``, calibrated: (exit code, stderr, the --out path)."""
    records = workdir / name
    rows = [f"（2023）豫1381执{i}号,首执,2023-01-{i + 2:02d},2023-02-28,执行完毕,1000,1000\n" for i in range(1, 9)]
    records.write_text(HEADER + "".join(rows) + last, encoding="utf-8")
    out = workdir / f"calibrated-{records.stem}.toml"
    code, err = courtsim("calibrate", str(records), "--base", str(BASELINE), "--out", str(out), "--no-report")
    return code, err.replace(str(records), ""), out


def test_records_cut_inside_a_quoted_field_are_refused(workdir: Path) -> None:
    # (the file name must not say "truncated" itself)
    code, err, out = _calibrate_records_ending_with(
        workdir, "cut.csv", '（2023）豫1381执9号,首执,2023-01-12,2023-02-28,执行完毕,"7.1'
    )
    assert "Traceback" not in err
    said = re.search(r"truncat|quot|unterminated|end of (the )?file", err)
    assert code == 2 and said, err
    assert not out.exists()


def test_a_stray_quote_inside_a_field_keeps_the_file(workdir: Path) -> None:
    """Only a quote left open at the end is fatal; ``"x"y`` is read leniently, the row kept."""
    code, err, out = _calibrate_records_ending_with(
        workdir, "stray.csv", '（2023）豫1381执9号,首执,2023-01-12,2023-02-28,"执行"完毕,1000,1000\n'
    )
    assert code == 0 and out.exists(), err


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("arrivals", "cases_per_year"), "6500"),  # a string read as a number
        (("arrivals", "cases_per_year"), True),  # a boolean read as 1.0
        (("run", "warmup_days"), "182"),
        (("arrivals", "cases_per_year"), 1e308),  # the run then fails in numpy's Poisson draw
        (("side_streams", "petitions_per_year"), 1e308),  # the same
        (("run", "cooldown_days"), 1e308),  # the run then fails building its calendar
        (("staffing", "intake", "clerks"), 10**9),  # the run would try to seat a billion clerks
    ],
)
def test_lax_numbers_and_huge_values_are_refused(workdir: Path, path: Path_, value: Any) -> None:
    code, err = validate(workdir, to_toml(_set(DOC, path, value)).encode())
    refused(code, err)
    assert names(err, path)


def test_a_huge_horizon_is_refused_not_a_crash(workdir: Path) -> None:
    code, err = validate(workdir, to_toml(_set(DOC, ("run", "horizon_days"), 1e308)).encode())
    refused(code, err)
