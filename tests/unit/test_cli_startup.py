"""The command line imports only the command that runs: ``--help`` and ``deadline`` stay quick."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import sim.commands
from sim.cli import build_parser
from sim.commands import COMMANDS, SUMMARIES


def _imported_after(argv: list[str]) -> set[str]:
    code = (
        "import sys; from sim.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_help_and_deadline_import_neither_pandas_nor_the_model() -> None:
    for argv in (["--help"], ["deadline", "2024-09-26", "--days", "10"]):
        modules = _imported_after(argv)
        assert not {"pandas", "scipy", "simpy", "sim.model"} & modules, argv
        assert not {m for m in modules if m.startswith("sim.experiments")}, argv


def test_every_command_module_is_listed_with_its_help() -> None:
    modules = {m.name for m in pkgutil.iter_modules(sim.commands.__path__) if m.name != "common"}
    assert set(COMMANDS.values()) == modules and set(SUMMARIES) == set(COMMANDS)
    full = build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    light = build_parser("")._subparsers._group_actions[0]  # type: ignore[union-attr]
    assert list(full.choices) == list(light.choices) == sorted(COMMANDS)
    helps = {a.dest: a.help for a in full._choices_actions}
    assert helps == {a.dest: a.help for a in light._choices_actions} == SUMMARIES
