"""Benchmark: the memory ``write_results`` takes to write a result that holds its runs (issue 15 goal 1).

Usage::

    .venv/bin/python bench/bench_held_write.py                        # 3 replications, this tree
    .venv/bin/python bench/bench_held_write.py --reps 2 --tree /tmp/before   # another source tree

A result that holds every replication's tables is what the Python API writes from
(``sim.api.experiment(..., keep_runs=True)`` given to ``write_results``, as notebooks 01 and
04 do; ``compare --out`` and ``marginal --out`` write KPIs only). This simulates ``--reps``
replications of the scenario in this process (one job, ``keep_runs=True``), then calls
``write_results`` on the held result and prints the resident set before the write, the peak
during it (VmHWM, reset through ``/proc/self/clear_refs`` just before), the write's CPU
seconds, and each written file's SHA-256 with, for the Parquet tables, a hash of their values
(so that two trees' folders can be compared value for value when their encodings differ).
Arrow's allocator is the system's, as ``courtsim`` sets it. Linux only.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_memory import vm_status  # noqa: E402

os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")  # as `courtsim` runs (sim/cli.py)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "dengzhou_2022.toml"))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to import sim from")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))
    import pandas as pd

    import sim
    from sim.config.load import load_scenario
    from sim.experiments.results import write_results
    from sim.experiments.running import run_experiment

    print(f"sim from {Path(sim.__file__).parent}")

    scenario = load_scenario(args.scenario)
    held = run_experiment({scenario.name: scenario}, args.reps, scenario.run.seed, jobs=1, keep_runs=True)
    gc.collect()
    before, _ = vm_status()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    cpu = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_results(Path(tmp) / "held", held)
        spent = time.process_time() - cpu
        _, peak = vm_status()
        print(f"tree {args.tree}  reps {args.reps}")
        grew = peak - before
        print(f"before write {before:.0f} MB   write peak {peak:.0f} MB (+{grew:.0f})   write CPU {spent:.2f} s")
        for path in sorted(folder.iterdir()):
            if path.name == "manifest.json":
                continue  # its time stamp differs run to run
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            values = ""
            if path.suffix == ".parquet":
                frame = pd.read_parquet(path)
                rows = pd.util.hash_pandas_object(frame).to_numpy().tobytes()
                values = "  values " + hashlib.sha256(rows).hexdigest()[:16]
            print(f"  {path.name:40s} {digest}{values}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
