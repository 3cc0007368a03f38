"""Options and messages shared by the subcommands (not a subcommand itself)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sim.config.load import ScenarioError

EXIT_USAGE = 2


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        return value

    return parse


_positive = _whole_number(1)
_non_negative = _whole_number(0)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--reps, --seed, --jobs, --quiet."""
    parser.add_argument("--reps", type=_positive, metavar="N",
                        help="replications (default: the scenario's run.replications)")  # fmt: skip
    parser.add_argument("--seed", type=_non_negative, metavar="S", help="base seed (default: the scenario's run.seed)")
    parser.add_argument("--jobs", type=_non_negative, default=0, metavar="J",
                        help="worker processes; 0 = all cores (default). Results do not depend on it")  # fmt: skip
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def print_scenario_error(exc: ScenarioError) -> int:
    """Print every problem of a scenario file; return the usage exit code."""
    print(f"{exc.source}: {len(exc.problems)} problem(s)", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_USAGE


def progress_printer(quiet: bool) -> Callable[[int, int], None] | None:
    """A progress line on stderr when it is a terminal (a bar, not a log)."""
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} replications", end="",
              file=sys.stderr, flush=True)  # fmt: skip
        if done == total:
            print(file=sys.stderr)

    return show
