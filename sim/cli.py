"""The ``courtsim`` command line: thin subcommands over the Python API.

Each module in :mod:`sim.commands` adds one subcommand (``register``) and runs it
(``run`` returns the exit code); only the module of the command that runs is imported.
User errors print a message and exit 2; they never end in a traceback. Only the CLI
prints; the library logs.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from sim import __version__
from sim.commands import COMMANDS, SUMMARIES

__all__ = ["build_parser", "main"]

EXIT_USAGE = 2


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every subcommand in full, or only ``command`` in full.

    With a ``command`` only its module is imported; the others are listed with their
    one-line help (:data:`sim.commands.SUMMARIES`) and no options. ``""`` lists them all
    that way, which is all ``courtsim --help`` needs.
    """
    parser = argparse.ArgumentParser(
        prog="courtsim",
        description="Simulate judgment enforcement (执行) at a Chinese basic-level court.",
    )
    parser.add_argument("--version", action="version", version=f"courtsim {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in sorted(COMMANDS):
        if command is None or name == command:
            importlib.import_module(f"sim.commands.{COMMANDS[name]}").register(sub)
        else:
            sub.add_parser(name, help=SUMMARIES[name])
    return parser


def _command_in(argv: Sequence[str]) -> str:
    """The subcommand ``argv`` names ("" when none or an unknown one: argparse then says so)."""
    for token in argv:
        if token in ("-v", "--verbose") or token.startswith("-vv"):
            continue
        return token if token in COMMANDS else ""
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``courtsim`` and ``python -m sim``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
