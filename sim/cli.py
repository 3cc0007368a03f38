"""The ``courtsim`` command line: thin subcommands over the Python API.

Each module in :mod:`sim.commands` adds one subcommand (``register``) and runs it
(``run`` returns the exit code); only the module of the command that runs is imported.
User errors print a message and exit 2; they never end in a traceback. Only the CLI
prints; the library logs.

Two kinds of failure are handled here, once for every command. A file the system will not
read or write (disk full, read-only, no permission, a folder where a file should be, a
symbolic-link loop) is a message naming the file, and the option that gave it, with what
to do; exit 2 (``-vv`` logs the traceback too). A reader that stops reading
(``courtsim schema | head -1``) ends the command quietly with 141, as a shell reports a
program killed by SIGPIPE (like 130 for Ctrl-C).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from sim import __version__
from sim.commands import COMMANDS, SUMMARIES, SUMMARIES_ZH
from sim.lang import ENV, LANGS, bi, lang

__all__ = ["build_parser", "main"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE
ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"

logger = logging.getLogger(__name__)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every subcommand in full, or only ``command`` in full.

    With a ``command`` only its module is imported; the others are listed with their
    one-line help (:data:`sim.commands.SUMMARIES`) and no options. ``""`` lists them all
    that way, which is all ``courtsim --help`` needs.
    """
    parser = argparse.ArgumentParser(
        prog="courtsim",
        description=bi(
            "模拟基层法院的执行工作（邓州2022年改革）。",
            "Simulate judgment enforcement (执行) at a Chinese basic-level court.",
        ),
    )
    parser.add_argument("--version", action="version", version=f"courtsim {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help=bi("更多日志（-vv 调试）", "more log output (-vv for debug)")
    )
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default=lang(),
        help=bi(
            f"终端语言：zh 中文在前、英文在旁（默认），en 只用英文；也可设环境变量 {ENV}",
            f"terminal language: zh Chinese first with English beside it (default), en English only; or set {ENV}",
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in sorted(COMMANDS):
        if command is None or name == command:
            importlib.import_module(f"sim.commands.{COMMANDS[name]}").register(sub)
            if lang() == "zh":  # Chinese first on every command's --help, its English description beside
                full = sub.choices[name]
                full.description = f"{SUMMARIES_ZH[name].replace('%%', '%')}。 {full.description or ''}".strip()
        else:
            sub.add_parser(name, help=SUMMARIES[name])
    return parser


def _lang_in(argv: Sequence[str]) -> str | None:
    """The ``--lang`` value ``argv`` gives before its command (read first: the help texts depend on it)."""
    for i, token in enumerate(argv):
        if token in COMMANDS:
            return None
        if token == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if token.startswith("--lang="):
            return token.partition("=")[2]
    return None


def _command_in(argv: Sequence[str]) -> str:
    """The subcommand ``argv`` names ("" when none or an unknown one: argparse then says so)."""
    tokens = iter(argv)
    for token in tokens:
        if token in ("-v", "--verbose") or token.startswith(("-vv", "--lang=")):
            continue
        if token == "--lang":
            next(tokens, None)
            continue
        return token if token in COMMANDS else ""
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``courtsim`` and ``python -m sim``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # pyarrow's default allocator (mimalloc) keeps what the tables of a replication free for
    # itself; the system allocator hands it back to the run's Python objects: one baseline
    # replication peaks 30 MB lower (bench/RESULTS.md, round 8). Before pyarrow is imported;
    # worker processes inherit it; a value the user set stays.
    os.environ.setdefault(ARROW_POOL, "system")
    chosen = _lang_in(argv)
    if chosen in LANGS:  # a bad value is argparse's to refuse, listing zh and en
        os.environ[ENV] = chosen
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    empty = _empty_argument(parser, args)
    if empty:
        print(
            f"courtsim: {bi('错误', 'error', ' ')}: argument {empty}: "
            f"{bi('为空，请给出一个值', 'is empty; give a value')}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not getattr(args, "func", None):
        parser.print_help()
        print(
            f"courtsim: {bi('错误', 'error', ' ')}: {bi('请给出一个命令（见上）', 'give a COMMAND (listed above)')}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print(bi("已中断", "interrupted"), file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _detach_stdout()
        return EXIT_PIPE_CLOSED
    except OSError as exc:
        logger.debug("the file system refused", exc_info=True)
        print(f"{bi('错误', 'error', ' ')}: {describe_os_error(exc, _options_of(parser, args))}", file=sys.stderr)
        return EXIT_USAGE
    return code


_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space or write to another disk",
    errno.EDQUOT: "the disk quota is used up: free some space or write elsewhere",
    errno.EROFS: "that file system is read-only: choose a folder you may write to",
    errno.EACCES: "choose a file or folder you may use, or change its permissions",
    errno.EPERM: "choose a file or folder you may use, or change its permissions",
    errno.EISDIR: "name a file instead",
    errno.ENOTDIR: "part of the path is a file, not a folder: choose another path",
    errno.ELOOP: "a symbolic link points back at itself: fix or remove the link",
    errno.ENAMETOOLONG: "choose a shorter name",
    errno.ENOENT: "check the path",
    errno.EIO: "the disk reported an input/output error: check the disk",
}


def describe_os_error(exc: OSError, options: dict[str, str] | None = None) -> str:
    """``exc`` in plain words: the file, the option that named it, the reason, what to do.

    ``options`` maps a path the user gave to the option that gave it (``--out``); a file
    inside such a folder is named with that option too.
    """
    where = " → ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
    reason = exc.strerror or str(exc) or type(exc).__name__
    given = _given_by(str(exc.filename), options or {}) if exc.filename is not None else None
    head = f"{where} ({given})" if where and given else where or "a file"
    advice = _ADVICE.get(exc.errno or -1)
    return f"{head}: {reason}" + (f"; {advice}" if advice else "")


def _given_by(path: str, options: dict[str, str]) -> str | None:
    for value, option in sorted(options.items(), key=lambda item: -len(item[0])):
        if path == value or path.startswith(value.rstrip(os.sep) + os.sep):
            return option
    return None


def _options_of(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    """Each text the user gave (an option's or a positional argument's value) → its name."""
    names: dict[str, str] = {}
    for action in _actions(parser, getattr(args, "command", None)):
        value = getattr(args, action.dest, None)
        label = action.option_strings[-1] if action.option_strings else str(action.metavar or action.dest)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and text:
                names.setdefault(text, label)
    return names


def _empty_argument(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The name of an argument given as ``""`` (no argument of courtsim means anything empty:
    an empty path would be read as the current folder, an empty name as no name)."""
    for action in _actions(parser, getattr(args, "command", None)):
        value = getattr(args, action.dest, None)
        if value == "" or (isinstance(value, list) and "" in value):
            return action.option_strings[-1] if action.option_strings else str(action.metavar or action.dest)
    return None


def _actions(parser: argparse.ArgumentParser, command: str | None) -> list[argparse.Action]:
    actions = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            actions += action.choices[command]._actions
    return actions


def _detach_stdout() -> None:
    """Point stdout at /dev/null so that Python's flush at exit does not fail again on
    the closed pipe (the Python documentation's advice for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
