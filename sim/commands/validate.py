"""``courtsim validate FILE...``: check scenario files and list every problem."""

from __future__ import annotations

import argparse
import sys

from sim.commands import SUMMARIES
from sim.config.errors import ScenarioError
from sim.config.load import load_scenario
from sim.lang import bi, lang

EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``validate`` subcommand."""
    parser = subparsers.add_parser(
        "validate",
        help=SUMMARIES["validate"],
        description="Validate scenario files (with their base files). Prints 'ok' or one line per "
        "problem as 'dotted.path: message (got X; expected Y)'; exits 2 if any file is invalid.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate each file; the exit code is 2 if any is invalid."""
    failed = 0
    many = len(args.files) > 1
    for name in args.files:
        try:
            load_scenario(name)
        except ScenarioError as exc:
            failed += 1
            print(f"{name}: {bi(f'{len(exc.problems)} 个问题', f'{len(exc.problems)} problem(s)')}", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem.describe(lang() == 'zh')}", file=sys.stderr)
            continue
        print(f"{name}: ok" if many else "ok")
    return EXIT_INVALID if failed else 0
