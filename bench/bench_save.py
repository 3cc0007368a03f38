"""Benchmark: the CPU of keeping one replication in ``.partial`` (``RunStore.save``) and of reading it back.

Usage::

    git archive <commit> | tar -x -C /tmp/courtsim-before
    .venv/bin/python bench/bench_save.py --tree before=/tmp/courtsim-before --tree after=. [--repeat 5]

One replication of the shipped baseline is simulated once (in this tree) and pickled; then,
for each tree, a fresh process with ``PYTHONPATH`` set to the tree unpickles it and times
``RunStore(folder).save(...)`` (every table encoded and written, its SHA-256 taken, then
``entry.json``) ``--repeat`` times into a new folder each time, and the reading back of the
kept tables (``RunStore.load(..., keep_run=True)``: checksums, decoding). The trees are
interleaved run by run (before, after, before, …). Printed: CPU seconds (``process_time``)
and wall seconds, median over the repeats, the bytes kept, and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, pickle, sys, tempfile, time
from pathlib import Path
from sim.experiments.resume import RunStore
scenario, values, run = pickle.loads(Path(sys.argv[1]).read_bytes())
out = {"save_cpu": [], "save_wall": [], "load_cpu": [], "load_wall": [], "bytes": 0}
for _ in range(int(sys.argv[2])):
    with tempfile.TemporaryDirectory(prefix="courtsim-save-") as folder:
        store = RunStore(folder)
        store.begin(scenario, 0)
        c, w = time.process_time(), time.perf_counter()
        store.save(scenario, 0, 0, (values, run))
        out["save_cpu"].append(time.process_time() - c); out["save_wall"].append(time.perf_counter() - w)
        c, w = time.process_time(), time.perf_counter()
        loaded = store.load(scenario, 0, 0, keep_run=True)
        out["load_cpu"].append(time.process_time() - c); out["load_wall"].append(time.perf_counter() - w)
        assert loaded is not None and len(loaded[1].steps) == len(run.steps)
        out["bytes"] = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
print(json.dumps(out))
"""


def replication(path: Path) -> None:
    """Simulate replication 0 of the baseline and pickle (scenario, KPIs, run) to ``path``."""
    from sim.config.load import load_scenario
    from sim.experiments.running import replicate

    scenario = load_scenario(ROOT / "scenarios" / "dengzhou_2022.toml")
    values, run = replicate(scenario, 0, scenario.run.seed, keep_run=True)
    path.write_bytes(pickle.dumps((scenario, values, run)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", default=[], help="LABEL=PATH of a source tree (repeatable)")
    parser.add_argument("--repeat", type=int, default=5, help="saves per tree and round")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per tree, interleaved")
    args = parser.parse_args()
    trees = [(t.split("=", 1)[0], Path(t.split("=", 1)[1]).resolve()) for t in args.tree] or [("here", ROOT)]
    found: dict[str, dict[str, list[float]]] = {label: {} for label, _ in trees}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="courtsim-bench-save-") as cwd:
        pickled = Path(cwd) / "rep0.pickle"
        replication(pickled)
        for _ in range(args.rounds):
            for label, tree in trees:
                env = {**os.environ, "PYTHONPATH": str(tree)}
                argv = [sys.executable, "-c", CHILD, str(pickled), str(args.repeat)]
                done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)
                out = json.loads(done.stdout.splitlines()[-1])
                sizes[label] = out.pop("bytes")
                for key, values in out.items():
                    found[label].setdefault(key, []).extend(values)
    print(f"RunStore.save / load of one baseline replication: {args.rounds} × {args.repeat} per tree")
    print(f"{'tree':<10} {'save CPU':>9} {'save wall':>10} {'load CPU':>9} {'load wall':>10} {'MB kept':>8}")
    for label, f in found.items():
        cells = [median(f[k]) for k in ("save_cpu", "save_wall", "load_cpu", "load_wall")]
        print(
            f"{label:<10} {cells[0]:9.3f} {cells[1]:10.3f} {cells[2]:9.3f} {cells[3]:10.3f} {sizes[label] / 1e6:8.1f}"
        )
    if len(found) >= 2:
        first, *others = found
        for other in others:
            save = median(found[other]["save_cpu"]) / median(found[first]["save_cpu"])
            load = median(found[other]["load_cpu"]) / median(found[first]["load_cpu"])
            print(f"{other} / {first}: save CPU {save:.2f}, load CPU {load:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
