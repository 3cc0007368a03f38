"""``courtsim deadline START (--days N | --working-days N)``: when does a period end?

A desk calculator for the Civil Procedure Law's day counting (art. 85): the day
the period starts is not counted, and a period in days whose last day is a rest
day ends on the next working day. ``--working-days`` counts working days only
(N 工作日). The first output line is only the due date, so scripts can read it.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta

from sim.commands import SUMMARIES
from sim.workcalendar import Basis, WorkCalendar, official_calendar_covers

EXIT_USAGE = 2
MAX_N = 36_500  # a hundred years: far beyond any legal period, still a finite calendar


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``deadline`` subcommand."""
    parser = subparsers.add_parser(
        "deadline",
        help=SUMMARIES["deadline"],
        description="Due date of a period of N days or N working days starting on START. The "
        "start day is not counted; a period in days ending on a rest day rolls to the next "
        "working day (民事诉讼法 第八十五条). Prints the date (YYYY-MM-DD) on the first line.",
    )
    parser.add_argument("start", metavar="START", help="day the period starts, YYYY-MM-DD")
    length = parser.add_mutually_exclusive_group(required=True)
    length.add_argument("--days", type=int, metavar="N", help="period of N calendar days")
    length.add_argument("--working-days", type=int, metavar="N", help="period of N working days (工作日)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--holiday",
        action="extend",
        nargs="+",
        default=[],
        metavar="DATE",
        help="extra rest day(s), e.g. holidays of years without official data",
    )
    parser.add_argument(
        "--closure",
        action="extend",
        nargs="+",
        default=[],
        metavar="DATE",
        help="court closure day(s): never working days",
    )
    parser.set_defaults(func=run)


class _UsageError(Exception):
    """A user error: its message goes to stderr and the exit code is 2."""


def _parse_date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise _UsageError(f"{name} {text!r} is not a valid date; expected YYYY-MM-DD (e.g. 2024-09-26)") from None


def _period(args: argparse.Namespace) -> tuple[int, Basis]:
    days, wdays = getattr(args, "days", None), getattr(args, "working_days", None)
    if (days is None) == (wdays is None):
        raise _UsageError("give exactly one of --days N or --working-days N")
    basis: Basis = "days" if wdays is None else "working_days"
    n, flag = (days, "--days") if wdays is None else (wdays, "--working-days")
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_N:
        raise _UsageError(f"{flag} must be a whole number from 0 to {MAX_N}, got {n!r}")
    return n, basis


def _due(args: argparse.Namespace) -> tuple[date, int, Basis, date, list[date]]:
    """Parse the arguments and count the period: (start, n, basis, due, closures)."""
    start = _parse_date(args.start, "START")
    n, basis = _period(args)
    holidays = [_parse_date(d, "--holiday") for d in args.holiday or ()]
    closures = [_parse_date(d, "--closure") for d in args.closure or ()]
    try:
        calendar = WorkCalendar(
            start,
            horizon_days=n + 31,
            extra_holidays=holidays,
            closures=closures,
            coverage_warning=False,  # this command reports coverage itself, in its own words
        )
        return start, n, basis, calendar.due_date(start, n, basis), closures
    except ValueError as exc:  # a period running past 9999-12-31
        unit = "days" if basis == "days" else "working days"
        raise _UsageError(f"START {start} plus {n} {unit} is out of range ({exc})") from None


def run(args: argparse.Namespace) -> int:
    """Print the due date (or a JSON object); exit code 0, or 2 on bad input."""
    try:
        start, n, basis, due, closures = _due(args)
    except _UsageError as exc:
        print(f"courtsim deadline: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    nominal = start + timedelta(n) if basis == "days" else None
    rolled_from = nominal if nominal is not None and nominal != due else None
    # Years whose holidays decide the answer: for calendar days only the last days count.
    first = nominal if nominal is not None else (due if n == 0 else start + timedelta(1))
    uncovered = [y for y in range(min(first, due).year, due.year + 1) if not official_calendar_covers(y)]
    if uncovered:
        _print_coverage_note(uncovered)
    if args.json:
        record = {
            "start": start.isoformat(),
            "n": n,
            "basis": basis,
            "due": due.isoformat(),
            "rolled_from": rolled_from.isoformat() if rolled_from else None,
            "calendar_covered": not uncovered,
        }
        print(json.dumps(record, ensure_ascii=False))
        return 0
    print(due.isoformat())
    if rolled_from is not None:
        print(_roll_line(rolled_from, due, closed=rolled_from in closures))
    return 0


def _roll_line(last: date, due: date, *, closed: bool) -> str:
    zh, en = ("法院闭院日", "a court closure day") if closed else ("法定休假日", "a rest day")
    return f"期满日 {last} 为{zh}，顺延至 {due} (last day {last} is {en}; rolled to {due})"


def _print_coverage_note(years: list[int]) -> None:
    listed = _year_ranges(years)
    print(
        f"note: no official holiday data (chinesecalendar) for {listed}; counted Monday-Friday "
        f"as working days minus --holiday/--closure dates "
        f"(注意：{listed} 年无官方节假日数据，按周一至周五计算并扣除所列日期)",
        file=sys.stderr,
    )


def _year_ranges(years: list[int]) -> str:
    """``[2027, 2028, 2029, 2031]`` -> ``"2027-2029, 2031"`` (a long period lists many)."""
    runs: list[list[int]] = []
    for y in sorted(years):
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
