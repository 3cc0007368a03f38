"""Scenario mistakes that used to validate, or to be blamed on the wrong file (issue 18, items 14–15).

As reproduced with ``courtsim validate`` before the fixes: ``start_date = 9999-12-31`` raised
``OverflowError`` in the cross checks; ``9999-06-01`` validated and ``run`` then crashed computing
due dates (``OverflowError``; ``9998-01-01`` with the baseline's lengths: ``AssertionError`` in
``add_months``); one date in both ``extra_holidays`` and ``extra_workdays`` validated (the run then
refused it); unit names differing by a trailing space, a zero-width space or an inner space
validated; a staffing change taking a team's last officer, judge or clerk validated (its work then
waits for ever, unseen); a problem in a ``base`` file was reported under the child's name only.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sim.cli import main
from sim.config.errors import ScenarioError
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.model import run_replication
from sim.workcalendar import allowed_start_dates
from tests.conftest import SCENARIOS

BASELINE = (SCENARIOS / "dengzhou_2022.toml").as_posix()


def _child(tmp_path: Path, body: str, name: str = "child.toml", base: str = BASELINE) -> Path:
    path = tmp_path / name
    path.write_text(f'base = "{base}"\nname = "child"\n{body}', encoding="utf-8")
    return path


def _refused(path: Path, capsys: pytest.CaptureFixture[str], *words: str) -> str:
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err
    return err


def _ok(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


# ---------------------------------------------------------------- dates near year 9999


@pytest.mark.parametrize("start", ["9999-12-31", "9999-06-01", "9998-01-01"])
def test_a_start_date_too_late_for_the_calendar_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], start: str
) -> None:
    path = _child(tmp_path, f"[run]\nstart_date = {start}\n")
    _, last = allowed_start_dates(547 + 183)
    _refused(path, capsys, "run: start_date", f"up to {last}", f"got start_date={start}")


def test_the_last_allowed_start_date_validates_and_runs(baseline: Scenario) -> None:
    """Validation must not promise what the run cannot do: at the last start it allows, a
    short run (with the due dates of its open cases) completes."""
    lengths = {"run.warmup_days": 5, "run.horizon_days": 20, "run.cooldown_days": 5}
    _, last = allowed_start_dates(20 + 5)
    scenario = with_overrides(baseline, {**lengths, "run.start_date": last.isoformat()})
    result = run_replication(scenario, 0)
    assert len(result.cases) > 0
    with pytest.raises(ScenarioError, match="start_date"):
        with_overrides(baseline, {**lengths, "run.start_date": (last + timedelta(days=1)).isoformat()})


def test_an_early_start_date_still_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _ok(_child(tmp_path, "[run]\nstart_date = 0001-01-01\n"), capsys)


# ---------------------------------------------------------------- the calendar


def test_a_day_both_holiday_and_workday_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _child(tmp_path, "[calendar]\nextra_holidays = [2023-05-04, 2023-06-01]\nextra_workdays = [2023-05-04]\n")
    _refused(path, capsys, "calendar:", "extra_holidays", "extra_workdays", "2023-05-04 in both")


# ---------------------------------------------------------------- unit names


UNITS = '[staffing.complex_track]\nunits = [\n  {{ name = "执行二团队", officers = 3, clerks = 4 }},\n  {{ name = "{second}", officers = 3, clerks = 4 }},\n  {{ name = "执行四团队", officers = 3, clerks = 4 }},\n  {{ name = "执行五团队", officers = 2, clerks = 3 }},\n]\n'  # noqa: E501


@pytest.mark.parametrize(
    ("second", "words"),
    [
        ("执行二团队 ", ("units.1.name", "begin or end with spaces")),
        (" 执行三团队", ("units.1.name", "begin or end with spaces")),
        ("执行二\\u200b团队", ("units.1.name", "invisible", "U+200B ZERO WIDTH SPACE")),
        ("执行三团队\\ufeff", ("units.1.name", "U+FEFF")),
        ("执行 二团队", ("staffing.complex_track:", "differ only in spacing", "'执行 二团队'")),
        ("执行二团队", ("staffing.complex_track:", "unique")),
    ],
)
def test_unit_names_a_reader_cannot_tell_apart_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], second: str, words: tuple[str, ...]
) -> None:
    _refused(_child(tmp_path, UNITS.format(second=second)), capsys, *words)


def test_distinct_unit_names_are_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _ok(_child(tmp_path, UNITS.format(second="执行三团队 (east)")), capsys)


# ---------------------------------------------------------------- staffing changes


def _change(team: str, role: str, delta: int, date: str = "2023-06-01", unit: str | None = None) -> str:
    where = f'unit = "{unit}"\n' if unit else ""
    return f'[[staffing_changes]]\ndate = {date}\nteam = "{team}"\nrole = "{role}"\ndelta = {delta}\n{where}'


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (_change("fast_track", "officer", -4), ("staffing_changes[0].delta", "team fast_track with 0 officer(s)")),
        (_change("review", "judge", -1), ("team review with 0 judge(s)", "from 2023-06-01")),
        (_change("intake", "clerk", -3), ("team intake with 0 clerk(s)",)),
        (
            _change("complex_track", "officer", -2, unit="执行五团队"),
            ("unit '执行五团队' of team complex_track with 0 officer(s)", "needs 2 officer(s) at once"),
        ),
        (  # the second change is the one that leaves nobody (index in the file, not by date)
            _change("review", "judge", 1, "2023-09-01") + _change("review", "judge", -1, "2023-03-01"),
            ("staffing_changes[1].delta",),
        ),
    ],
)
def test_a_change_leaving_a_team_without_people_for_its_work_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: str, words: tuple[str, ...]
) -> None:
    _refused(_child(tmp_path, changes), capsys, *words)


def test_a_leave_covered_the_same_day_or_keeping_enough_people_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    swap = _change("review", "judge", -1) + _change("review", "judge", 1)
    _ok(_child(tmp_path, swap, "swap.toml"), capsys)
    _ok(_child(tmp_path, _change("fast_track", "officer", -2), "fewer.toml"), capsys)


# ---------------------------------------------------------------- problems in a base file


def test_a_problem_in_the_base_names_the_base_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = Path(BASELINE).read_text(encoding="utf-8").replace("cases_per_year = ", "cases_per_yeer = ", 1)
    (tmp_path / "bad_base.toml").write_text(text, encoding="utf-8")
    child = _child(tmp_path, "[staffing.intake]\nclerks = -1\n", base="bad_base.toml")
    err = _refused(child, capsys, f"[in {tmp_path / 'bad_base.toml'}]")
    for line in err.splitlines():  # only the base's own problem is blamed on it
        if "staffing.intake.clerks" in line:
            assert "[in " not in line, line
        if "cases_per_yeer" in line:
            assert "bad_base.toml" in line, line


def test_a_base_that_cannot_be_read_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "middle.toml").write_text('base = "missing.toml"\nname = "m"\n', encoding="utf-8")
    _refused(_child(tmp_path, "", "a.toml", base="binary.toml"), capsys, "not UTF-8", "binary.toml]")
    _refused(_child(tmp_path, "", "b.toml", base="middle.toml"), capsys, "base: file not found", "middle.toml]")


def test_a_problem_in_the_file_itself_names_no_other_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(_child(tmp_path, "[arrivals]\ncases_per_yeer = 1\n"), capsys, "arrivals.cases_per_yeer")
    assert "[in " not in err


def test_load_scenario_reports_the_base_file_in_the_api(tmp_path: Path) -> None:
    (tmp_path / "bad_base.toml").write_text(
        Path(BASELINE).read_text(encoding="utf-8").replace("clerks = 3", "clerks = -3", 1), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_child(tmp_path, "", base="bad_base.toml"))
    assert any(p.file == str(tmp_path / "bad_base.toml") for p in caught.value.problems)
