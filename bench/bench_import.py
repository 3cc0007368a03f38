"""Benchmark: the cost of importing a module of courtsim, in fresh processes, tree against tree.

Usage::

    git archive <commit> | tar -x -C /tmp/courtsim-before
    .venv/bin/python bench/bench_import.py --tree before=/tmp/courtsim-before --tree after=. \
        [--module sim.api] [--runs 5] [--instructions]

Each run is ``python -c "import MODULE"`` in a fresh process with ``PYTHONPATH`` set to the
tree, started from an empty folder (so the tree, not the current folder, is imported). The
trees are interleaved run by run (before, after, before, …) so that a burst of load from
other jobs hits both. Printed: the median and the minimum of the wall seconds and of the CPU
seconds (user + system, from ``wait4``) over the runs, the peak RSS, and the ratio of the
medians. ``--instructions`` also counts the instructions of one import under
``valgrind --tool=callgrind`` (a figure other jobs' load cannot move; ~1 min per tree).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median


def once(tree: Path, module: str, cwd: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of importing ``module`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", f"import {module}"], cwd=cwd, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"importing {module} from {tree} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def instructions(tree: Path, module: str, cwd: str) -> int:
    """Instructions executed by one import (callgrind's total)."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    out = Path(cwd) / "callgrind.out"
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", f"import {module}"]
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit("callgrind printed no instruction count")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", default=[], help="LABEL=PATH of a source tree (repeatable)")
    parser.add_argument("--module", default="sim.api")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    args = parser.parse_args()
    trees = [(t.split("=", 1)[0], Path(t.split("=", 1)[1])) for t in args.tree] or [("here", Path("."))]
    rows: dict[str, list[tuple[float, float, float]]] = {label: [] for label, _ in trees}
    with tempfile.TemporaryDirectory(prefix="courtsim-import-") as cwd:
        for _label, tree in trees:  # one untimed import each: compile the .pyc files
            once(tree, args.module, cwd)
        for _ in range(args.runs):
            for label, tree in trees:
                rows[label].append(once(tree, args.module, cwd))
        counted = {label: instructions(tree, args.module, cwd) for label, tree in trees} if args.instructions else {}
    print(f"import {args.module}: {args.runs} fresh processes per tree, interleaved")
    print(f"{'tree':<10} {'wall med':>9} {'wall min':>9} {'CPU med':>8} {'CPU min':>8} {'RSS MB':>7} {'instr':>8}")
    for label, runs in rows.items():
        wall, cpu, rss = zip(*runs, strict=True)
        ins = f"{counted[label] / 1e9:.2f} G" if label in counted else ""
        times = f"{median(wall):9.3f} {min(wall):9.3f} {median(cpu):8.3f} {min(cpu):8.3f}"
        print(f"{label:<10} {times} {max(rss):7.0f} {ins:>8}")
    if len(rows) >= 2:
        first, *others = rows
        for other in others:
            ratio = median(r[1] for r in rows[other]) / median(r[1] for r in rows[first])
            extra = f", instructions {counted[other] / counted[first]:.2f}" if counted else ""
            print(f"{other} / {first}: CPU {ratio:.2f}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
