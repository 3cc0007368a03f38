"""The command line imports only the command that runs: ``--help`` and ``deadline`` stay quick."""

from __future__ import annotations

import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import sim.commands
from sim.cli import build_parser
from sim.commands import COMMANDS, SUMMARIES
from tests.conftest import SCENARIOS


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


def test_a_run_loads_neither_scipy_stats_nor_the_api(tmp_path: Path) -> None:
    """``scipy.stats`` (most of a second) was loaded only for t-quantiles, ``sim.api`` only for a KPI's unit."""
    text = (SCENARIOS / "dengzhou_2022.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^warmup_days = .*$", "warmup_days = 5", text)
    text = re.sub(r"(?m)^horizon_days = .*$", "horizon_days = 20", text)
    text = re.sub(r"(?m)^cooldown_days = .*$", "cooldown_days = 0", text)
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(text, encoding="utf-8")
    argv = ["run", str(scenario), "--reps", "2", "--jobs", "1", "--out", str(tmp_path / "out"), "-q"]
    modules = _imported_after(argv)
    assert "sim.model" in modules and (tmp_path / "out" / "manifest.json").exists()  # it did run
    assert not {"scipy.stats", "sim.api"} & modules


def test_the_command_line_gives_arrow_the_system_allocator_unless_told_otherwise() -> None:
    code = (
        "import sys; from sim.cli import main\n"
        "main(['deadline', '2024-09-26', '--days', '10'])\n"
        "import pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split()[-1] == "system"
    env["ARROW_DEFAULT_MEMORY_POOL"] = "jemalloc" if "jemalloc" in _pools() else "mimalloc"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split()[-1] == env["ARROW_DEFAULT_MEMORY_POOL"]


def _pools() -> str:
    code = "import pyarrow; print(pyarrow.supported_memory_backends())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
