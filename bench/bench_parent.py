"""Benchmark: what ``courtsim run``'s parent process holds, apart from its workers (issue 15 goal 1).

Usage::

    .venv/bin/python bench/bench_parent.py                          # --reps 8 --jobs 2, this tree
    .venv/bin/python bench/bench_parent.py --reps 4 --tree /tmp/before   # another source tree
    .venv/bin/python bench/bench_parent.py --scheduler local        # on a Dask LocalCluster
    .venv/bin/python bench/bench_parent.py --json                   # courtsim run ... --json

Runs ``courtsim run scenarios/dengzhou_2022.toml --reps N --jobs J --out TMP --no-cache -q`` in a
fresh child process (``PYTHONPATH`` set to the tree) whose entry point reads, as it ends, its own
``RUSAGE_SELF`` (the parent: the replications run in its workers) and ``RUSAGE_CHILDREN`` (the
local pool's workers: their CPU and the largest one's peak; a Dask LocalCluster's workers are
the cluster's processes, so the children's figures are not theirs). Prints those with the wall
time, and the SHA-256 of each file of the results folder, so that two trees' folders can be
compared (with ``--json``, also of the printed JSON object). Linux (``ru_maxrss`` in KB).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import atexit, resource, sys

def report():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"RUSAGE parent_peak_mb={me.ru_maxrss / 1024:.0f} parent_cpu_s={me.ru_utime + me.ru_stime:.1f} "
        f"workers_cpu_s={kids.ru_utime + kids.ru_stime:.1f} largest_worker_mb={kids.ru_maxrss / 1024:.0f}",
        file=sys.stderr,
    )

if __name__ == "__main__":
    atexit.register(report)
    from sim.cli import main
    sys.exit(main(sys.argv[1:]))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scheduler", help="passed to courtsim run (e.g. local)")
    parser.add_argument("--scenario", default="scenarios/dengzhou_2022.toml")
    parser.add_argument("--json", action="store_true", help="pass --json to courtsim run")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to import sim from")
    args = parser.parse_args()
    tree = args.tree.resolve()
    with tempfile.TemporaryDirectory(prefix="courtsim-parent-") as work:
        entry = Path(work) / "entry.py"
        entry.write_text(CHILD, encoding="utf-8")
        out = Path(work) / "out"
        argv = ["run", str(tree / args.scenario), "--reps", str(args.reps), "--jobs", str(args.jobs)]
        argv += ["--out", str(out), "--no-cache", "-q"]
        if args.scheduler:
            argv += ["--scheduler", args.scheduler]
        if args.json:
            argv.append("--json")
        env = {**os.environ, "PYTHONPATH": str(tree)}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(entry), *argv], cwd=work, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        usage = [line for line in done.stderr.splitlines() if line.startswith("RUSAGE ")]
        if done.returncode != 0 or not usage:
            print(done.stderr, file=sys.stderr)
            return 1
        flags = " --json" if args.json else ""
        print(f"courtsim run {args.scenario} --reps {args.reps} --jobs {args.jobs}{flags}, sim from {tree}")
        print(f"  {usage[-1].removeprefix('RUSAGE ')} wall_s={wall:.1f}")
        if args.json:
            print(f"  {hashlib.sha256(done.stdout.encode()).hexdigest()[:16]}  (the JSON object printed)")
        for path in sorted(out.iterdir()):
            if path.is_file() and path.name != "manifest.json":  # the manifest carries times and the commit
                print(f"  {hashlib.sha256(path.read_bytes()).hexdigest()[:16]}  {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
