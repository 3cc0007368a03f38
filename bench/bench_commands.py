"""Benchmark: whole-process time, peak memory and replications of the commands a user waits for.

Usage::

    .venv/bin/python bench/bench_commands.py [--tree LABEL=PATH ...] [--repeat 3]
                                             [--only run,import,staff,capacity] [--json]
                                             [--after-run N]

Each ``--tree`` is a source tree of courtsim (default: this checkout as ``here``); a
second tree, e.g. ``--tree before=/tmp/courtsim-before`` made with
``git archive <commit> | tar -x -C /tmp/courtsim-before``, is measured in the same run,
interleaved command by command (before, after, before, …) so that a burst of load from
other jobs hits both, and the ratio of each pair is quoted. Every command runs in a fresh
process with this interpreter, ``PYTHONPATH`` set to the tree, in an empty temporary
folder (no replication cache is reused between runs):

- ``run``: ``courtsim run scenarios/dengzhou_2022.toml --reps 1 --jobs 1`` (writes a
  results folder, as a user's run does);
- ``import``: ``python -X importtime -m sim --help`` and ``import sim.commands.run``,
  the cumulative import time of the heaviest modules;
- ``staff``: ``courtsim staff scenarios/dengzhou_2022.toml --target "mean_days_to_close<=70"
  --add 2`` (the replications it simulated, from its usage line);
- ``capacity``: ``courtsim capacity scenarios/dengzhou_2022.toml``.

``--after-run N`` times ``staff`` and ``capacity`` as an administrator meets them after running
the baseline: in the same temporary folder, first (untimed) ``courtsim run
scenarios/dengzhou_2022.toml --reps N --no-save``, which leaves its replications' KPIs in the
folder's replication cache.

Peak memory is the largest resident set of the child or one of its workers (``wait4``).
Figures are wall seconds and CPU seconds (user + system of the child and its worker
processes); on a shared machine wall time measures the other jobs as much as this one, so
compare CPU seconds, and quote the ratio of a pair measured in one run. Ratios are of CPU
seconds (``import``: of importing ``sim.commands.run``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "scenarios/dengzhou_2022.toml"

COMMANDS: dict[str, list[str]] = {
    "run": ["-m", "sim", "run", SCENARIO, "--reps", "1", "--jobs", "1", "--out", "out", "-q"],
    "staff": ["-m", "sim", "staff", SCENARIO, "--target", "mean_days_to_close<=70", "--add", "2", "--jobs", "0"],
    "capacity": ["-m", "sim", "capacity", SCENARIO, "--jobs", "0"],
}

_USAGE = re.compile(r"simulated (\d+) replication\(s\), (\d+) from the cache")


def timed_rss(tree: Path, argv: list[str], setup: list[str] | None = None) -> dict[str, Any]:
    """Run ``python argv`` in a fresh process on ``tree``: wall seconds, the child's peak RSS (MB), output.

    ``setup`` is run first in the same folder, untimed (e.g. a ``courtsim run`` that fills the cache).
    """
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory(prefix="courtsim-bench-") as cwd:
        (Path(cwd) / "scenarios").symlink_to(tree / "scenarios")
        if setup is not None:
            done = subprocess.run([sys.executable, *setup], cwd=cwd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(setup)} on {tree} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        out_path, err_path = Path(cwd) / ".stdout", Path(cwd) / ".stderr"
        with out_path.open("w") as out, err_path.open("w") as err:
            start = time.perf_counter()
            proc = subprocess.Popen([sys.executable, *argv], cwd=cwd, env=env, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout, stderr = out_path.read_text(), err_path.read_text()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} on {tree} failed ({proc.returncode}):\n{stderr[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime  # the child's and its reaped workers' CPU seconds
    return {"wall_s": wall, "cpu_s": cpu, "peak_mb": usage.ru_maxrss / 1024, "stdout": stdout, "stderr": stderr}


def import_times(tree: Path) -> dict[str, float]:
    """Cumulative import seconds of the CLI (``--help``), ``courtsim run``'s modules, and a few heavy ones."""
    figures: dict[str, float] = {}
    for name, code in (
        ("cli_help", "import sim.cli; sim.cli.build_parser('')"),
        ("run_command", "import sim.commands.run"),
    ):
        result = timed_rss(tree, ["-X", "importtime", "-c", code])
        cumulative: dict[str, int] = {}
        top = 0  # microseconds of the imports at depth 0 (each includes what it imported)
        for line in result["stderr"].splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit():
                cumulative[parts[2].strip()] = int(parts[1])
                top += int(parts[1]) if not parts[2][1:].startswith(" ") else 0
        figures[f"{name}_total_s"] = top / 1e6
        figures[f"{name}_wall_s"] = result["wall_s"]
        figures[f"{name}_cpu_s"] = result["cpu_s"]
        figures[f"{name}_peak_mb"] = result["peak_mb"]
        for module in ("scipy.stats", "sim.api", "pandas", "simpy", "sim.model"):
            if module in cumulative:
                figures[f"{name}_{module}_s"] = cumulative[module] / 1e6
    return figures


def measure(trees: dict[str, Path], only: list[str], repeat: int, after_run: int = 0) -> dict[str, Any]:
    """Interleaved runs of every command on every tree; medians, bests and paired ratios."""
    figures: dict[str, Any] = {"trees": {k: str(v) for k, v in trees.items()}, "repeat": repeat}
    if after_run:
        figures["after_run"] = after_run
    setup = ["-m", "sim", "run", SCENARIO, "--reps", str(after_run), "--jobs", "0", "--no-save", "-q"]
    for command in only:
        per_tree: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
        for _ in range(repeat):
            for label, tree in trees.items():
                if command == "import":
                    per_tree[label].append(import_times(tree))
                else:
                    searching = after_run and command in ("staff", "capacity")
                    result = timed_rss(tree, COMMANDS[command], setup if searching else None)
                    usage = _USAGE.search(result["stderr"])
                    row = {"wall_s": result["wall_s"], "cpu_s": result["cpu_s"], "peak_mb": result["peak_mb"]}
                    if usage:
                        row["simulated"], row["reused"] = int(usage[1]), int(usage[2])
                    if command in ("staff", "capacity"):
                        row["answer"] = _answer(result["stdout"])
                    per_tree[label].append(row)
        figures[command] = {label: _fold(rows) for label, rows in per_tree.items()}
        labels = list(trees)
        if len(labels) == 2:
            a, b = (per_tree[label] for label in labels)
            key = "run_command_cpu_s" if command == "import" else "cpu_s"
            ratios = [x[key] / y[key] for x, y in zip(a, b, strict=True)]
            figures[command][f"ratio_{labels[0]}_over_{labels[1]}"] = {
                "pairs": [round(r, 3) for r in ratios],
                "median": round(median(ratios), 3),
            }
        print(json.dumps({command: figures[command]}, indent=1), file=sys.stderr, flush=True)
    return figures


def _answer(stdout: str) -> str:
    for line in stdout.splitlines():
        if line.startswith(("answer:", "not met:", "no answer:")):
            return line.strip()
    return ""


def _fold(rows: list[dict[str, Any]]) -> dict[str, Any]:
    folded: dict[str, Any] = {}
    for key in rows[0]:
        values = [row[key] for row in rows]
        if all(isinstance(v, int | float) for v in values):
            folded[key] = {"best": round(min(values), 3), "median": round(median(values), 3), "all": values}
        else:
            folded[key] = values[0]
    return folded


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, print JSON or a short table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", action="append", metavar="LABEL=PATH", help="a source tree (repeatable)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="import,run,capacity,staff")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--after-run",
        type=int,
        default=0,
        metavar="N",
        help="time staff and capacity after an untimed `courtsim run --reps N` in the same folder",
    )
    args = parser.parse_args(argv)
    if args.after_run < 0:
        parser.error(f"--after-run must be 0 or more replications (got {args.after_run})")
    trees = {"here": ROOT}
    if args.tree:
        trees = {}
        for item in args.tree:
            label, _, path = item.partition("=")
            if not path or not Path(path, "sim").is_dir():
                parser.error(f"--tree {item!r}: expected LABEL=PATH to a courtsim source tree")
            trees[label] = Path(path).resolve()
    figures = measure(trees, [c.strip() for c in args.only.split(",") if c.strip()], args.repeat, args.after_run)
    print(json.dumps(figures, indent=1, default=str) if args.json else _table(figures))
    return 0


def _table(figures: dict[str, Any]) -> str:
    lines = []
    for command, by_tree in figures.items():
        if command in ("trees", "repeat", "after_run"):
            continue
        for label, row in by_tree.items():
            cells = ", ".join(
                f"{k} {v['median']:g} (best {v['best']:g})" if isinstance(v, dict) and "median" in v else f"{k} {v}"
                for k, v in row.items()
                if k != "pairs"
            )
            lines.append(f"{command:<9} {label:<8} {cells}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
