"""``courtsim deadline``: the due date on line one, JSON on request, clean user errors."""

from __future__ import annotations

import argparse
import json

import pytest

from sim.commands import deadline


def parse(*argv: str) -> argparse.Namespace:
    """Parse ``courtsim deadline ARGV`` with only this subcommand registered."""
    parser = argparse.ArgumentParser(prog="courtsim")
    deadline.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["deadline", *argv])


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    args = parse(*argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_national_day_rolls_the_last_day(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call(capsys, "2024-09-26", "--days", "10")
    first, second = out.splitlines()
    assert (code, first, err) == (0, "2024-10-08", "")
    assert second == (
        "期满日 2024-10-06 为法定休假日，顺延至 2024-10-08 (last day 2024-10-06 is a rest day; rolled to 2024-10-08)"
    )


def test_make_up_sunday_counts_as_a_working_day(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "2024-09-27", "--working-days", "1")
    assert (code, out) == (0, "2024-09-29\n")


def test_no_roll_prints_only_the_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "2024-03-01", "--days", "7")
    assert (code, out) == (0, "2024-03-08\n")


def test_json_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "2024-09-26", "--days", "10", "--json")
    assert code == 0
    assert json.loads(out) == {
        "start": "2024-09-26",
        "n": 10,
        "basis": "days",
        "due": "2024-10-08",
        "rolled_from": "2024-10-06",
        "calendar_covered": True,
    }
    code, out, _ = call(capsys, "2024-09-27", "--working-days", "1", "--json")
    record = json.loads(out)
    assert (record["basis"], record["due"], record["rolled_from"]) == (
        "working_days",
        "2024-09-29",
        None,
    )


def test_closure_rolls_and_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "2024-03-01", "--days", "3", "--closure", "2024-03-04")
    assert code == 0
    assert out.splitlines()[0] == "2024-03-05"
    assert "闭院" in out.splitlines()[1]


def test_uncovered_year_works_with_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    # 2031-01-03 is a Friday; the scenario declares it a holiday, so Saturday and
    # Sunday follow and the period ends on Monday 2031-01-06.
    code, out, err = call(capsys, "2031-01-02", "--days", "1", "--holiday", "2031-01-03", "--json")
    assert code == 0
    record = json.loads(out)
    assert (record["due"], record["calendar_covered"]) == ("2031-01-06", False)
    assert err.startswith("note: no official holiday data (chinesecalendar) for 2031;")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["2024-13-01", "--days", "1"], ["START", "YYYY-MM-DD"]),
        (["yesterday", "--days", "1"], ["START", "YYYY-MM-DD"]),
        (["2024-09-26", "--days", "-3"], ["--days", "0"]),
        (["2024-09-26", "--working-days", "-1"], ["--working-days", "0"]),
        (["2024-09-26", "--days", "1", "--holiday", "2024-02-30"], ["--holiday", "YYYY-MM-DD"]),
        (["9999-12-30", "--days", "5"], ["out of range"]),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    code, out, err = call(capsys, *argv)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    assert all(word in err for word in words)


@pytest.mark.parametrize(
    "argv",
    [
        ["2024-09-26"],
        ["2024-09-26", "--days", "1", "--working-days", "1"],
        ["2024-09-26", "--days", "x"],
    ],
)
def test_argparse_rejects_missing_or_both_lengths(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse(*argv)
    assert exit_info.value.code == 2


def test_run_checks_the_length_itself(capsys: pytest.CaptureFixture[str]) -> None:
    # A caller building the namespace by hand skips argparse's mutual exclusion.
    args = argparse.Namespace(start="2024-09-26", days=1, working_days=2, json=False, holiday=[], closure=[])
    assert deadline.run(args) == 2
    assert "--days" in capsys.readouterr().err
