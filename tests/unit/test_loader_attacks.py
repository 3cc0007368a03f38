"""Hostile scenario files get a short answer in plain words, fast, never a traceback.

The attacks of issue 18 on the loader: a thousand unknown keys (31 s, quadratic, before),
``/dev/zero`` or a 1 GB base (read until memory ran out), a symlink loop, a 5,000-character
``base``, 5,000-deep nested tables (RecursionError) and CR-only line endings (Python's own words).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sim.config.load
from sim.cli import main
from sim.config.errors import ScenarioError
from sim.config.load import MAX_NESTING, MAX_PROBLEMS, MAX_SCENARIO_BYTES, load_scenario, parse_scenario
from sim.config.schema import Scenario
from tests.conftest import SCENARIOS

BASELINE = (SCENARIOS / "dengzhou_2022.toml").as_posix()


def _child(tmp_path: Path, body: str, name: str = "child.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'base = "{BASELINE}"\n{body}', encoding="utf-8")
    return path


def _refused(path: Path | str, capsys: pytest.CaptureFixture[str], *words: str) -> str:
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err
    return err


def test_a_thousand_unknown_keys_build_the_schema_once_and_are_summarised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    builds = []
    original = Scenario.model_json_schema
    monkeypatch.setattr(Scenario, "model_json_schema", lambda *a, **k: builds.append(1) or original(*a, **k))
    sim.config.load._scenario_schema.cache_clear()
    sim.config.load._known_keys.cache_clear()
    path = _child(tmp_path, "[arrivals]\n" + "".join(f"unknown_key_{i} = 1\n" for i in range(1000)))
    err = _refused(path, capsys, "arrivals: 1000 unknown keys", "unknown_key_0", "expected one of: cases_per_year")
    assert len(builds) == 1
    assert len(err.splitlines()) == 2  # the file, then one summarised problem


def test_a_few_unknown_keys_are_each_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _child(tmp_path, "[arrivals]\ncases_per_yeer = 1\n[run]\nseeed = 3\n")
    _refused(path, capsys, "arrivals.cases_per_yeer: unknown key", "run.seeed: unknown key")


def test_a_long_problem_list_is_cut_with_a_count(baseline: Scenario) -> None:
    data = baseline.model_dump(mode="json")
    for task in data["tasks"].values():
        if isinstance(task, dict):
            task["roles"] = {"judge": "many"}
    for name in list(data["probabilities"])[:33]:
        if name.endswith("_rate"):
            data["probabilities"][name] = "high"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    problems = caught.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert "more problem(s) not listed" in problems[-1].message


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "folder", "fifo"])
def test_what_is_not_a_regular_file_is_refused_without_reading_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], special: str
) -> None:
    if special == "folder":
        path = tmp_path
    elif special == "fifo":
        path = tmp_path / "pipe.toml"
        os.mkfifo(path)
    else:
        path = Path(special)
        if not path.exists():
            pytest.skip(f"no {special} here")
    _refused(path, capsys, "cannot read it as a scenario")


def test_a_base_that_is_dev_zero_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "child.toml"
    path.write_text('base = "/dev/zero"\nname = "x"\n', encoding="utf-8")
    _refused(path, capsys, "not a regular file")


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _child(tmp_path, "# padding\n" * (MAX_SCENARIO_BYTES // 10 + 10))
    _refused(path, capsys, "larger than 4 MiB")


def test_a_symlink_loop_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loop = tmp_path / "loop.toml"
    loop.symlink_to(tmp_path / "other.toml")
    (tmp_path / "other.toml").symlink_to(loop)
    _refused(loop, capsys, "loop.toml", "cannot")


def test_a_base_name_of_5000_characters_is_refused_briefly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "child.toml"
    path.write_text(f'base = "{"a" * 5000}.toml"\n', encoding="utf-8")
    err = _refused(path, capsys, "base:", "5,007 characters")
    assert len(err) < 600


def test_tables_nested_5000_deep_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    _refused(path, capsys, "nested too deeply")
    inline = tmp_path / "inline.toml"
    inline.write_text("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n", encoding="utf-8")
    _refused(inline, capsys, "nested too deeply")


def test_cr_only_line_endings_are_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mac.toml"
    path.write_bytes(Path(BASELINE).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    _refused(path, capsys, "CR alone", "LF or CRLF")


def test_crlf_line_endings_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "windows.toml"
    path.write_bytes(Path(BASELINE).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    assert load_scenario(path).name == "dengzhou_2022"


def test_dotted_tables_nested_5000_deep_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """tomllib reads ``[a.a.a…]`` without recursing; the problem's quoting of it recursed (RecursionError)."""
    table = tmp_path / "dotted-table.toml"
    table.write_text("[" + ".".join(["a"] * 5000) + "]\nx = 1\n", encoding="utf-8")
    _refused(table, capsys, "nested too deeply", f"more than {MAX_NESTING} levels")
    key = tmp_path / "dotted-key.toml"
    key.write_text("a." * 5000 + "b = 1\n", encoding="utf-8")
    _refused(key, capsys, "nested too deeply")


def test_a_base_nested_too_deeply_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "deep.toml").write_text("[" + ".".join(["a"] * 100) + "]\n", encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('base = "deep.toml"\nname = "x"\n', encoding="utf-8")
    _refused(child, capsys, "nested too deeply", f"[in {tmp_path / 'deep.toml'}]")


def test_the_shipped_scenarios_nest_well_within_the_limit() -> None:
    for path in SCENARIOS.glob("*.toml"):
        assert load_scenario(path).name
