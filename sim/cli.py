"""The ``courtsim`` command line: thin subcommands over the Python API.

Each module in :mod:`sim.commands` adds one subcommand (``register``) and runs it
(``run`` returns the exit code). User errors print a message and exit 2; they
never end in a traceback. Only the CLI prints; the library logs.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

import sim.commands
from sim import __version__

__all__ = ["build_parser", "main"]

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :mod:`sim.commands`."""
    parser = argparse.ArgumentParser(
        prog="courtsim",
        description="Simulate judgment enforcement (执行) at a Chinese basic-level court.",
    )
    parser.add_argument("--version", action="version", version=f"courtsim {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(sim.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"sim.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``courtsim`` and ``python -m sim``; returns the exit code."""
    parser = build_parser()
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
