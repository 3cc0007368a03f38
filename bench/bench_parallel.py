"""Benchmark: the same replications on 1 worker, a local pool of N, and a Dask LocalCluster of N.

Usage::

    .venv/bin/python bench/bench_parallel.py [--scenario scenarios/dengzhou_2022.toml] [--reps 4]
                                              [--workers 2] [--no-dask] [--json]

Reports the wall time of each backend on identical work (``--reps`` replications
of the scenario, no cache), the speed-up of the pool over one worker (target
>= 1.8 on 2 cores), the Dask overhead against the pool (cluster start-up
separately, then the run itself), and checks that the three KPI tables are
identical. The pool's time includes starting its workers, as a user would see
it. Machines here are shared and noisy: run it on an idle machine, and quote
figures measured in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(scenario_path: str, reps: int, workers: int, dask: bool) -> dict[str, float | int | bool | str]:
    """Wall seconds per backend on the same replications, and whether the tables agree."""
    from sim.config.load import load_scenario
    from sim.experiments.backends import DaskBackend, ProcessBackend, SerialBackend
    from sim.experiments.running import run_experiment

    scenario = load_scenario(scenario_path)
    work = {scenario.name: scenario}
    figures: dict[str, float | int | bool | str] = {
        "scenario": scenario.name,
        "reps": reps,
        "workers": workers,
        "cpu_count": os.cpu_count() or 1,
    }
    tables = {}
    for name, backend in (("serial", SerialBackend()), ("pool", ProcessBackend(workers))):
        start = time.perf_counter()
        with backend:
            tables[name] = run_experiment(work, reps, backend=backend).kpis
        figures[f"{name}_s"] = time.perf_counter() - start
    figures["speedup"] = float(figures["serial_s"]) / float(figures["pool_s"])
    if dask:
        start = time.perf_counter()
        with DaskBackend("local", workers) as cluster:
            figures["dask_startup_s"] = time.perf_counter() - start
            run = time.perf_counter()
            tables["dask"] = run_experiment(work, reps, backend=cluster).kpis
            figures["dask_run_s"] = time.perf_counter() - run
        figures["dask_total_s"] = time.perf_counter() - start
        figures["dask_overhead_run_pct"] = 100 * (float(figures["dask_run_s"]) / float(figures["pool_s"]) - 1)
    first = tables["serial"]
    figures["identical"] = all(first.equals(t) for t in tables.values())  # exact, NaN where NaN
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "dengzhou_2022.toml"))
    parser.add_argument("--reps", type=int, default=4, help="replications (default 4; use a multiple of --workers)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = measure(args.scenario, args.reps, args.workers, not args.no_dask)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{figures['scenario']}: {args.reps} replications, {args.workers} workers, {figures['cpu_count']} cores")
    print(f"  1 worker (in process)     {figures['serial_s']:8.1f} s")
    print(f"  local pool of {args.workers}           {figures['pool_s']:8.1f} s   speed-up {figures['speedup']:.2f}×")
    if "dask_run_s" in figures:
        print(
            f"  Dask LocalCluster of {args.workers}    {figures['dask_run_s']:8.1f} s   "
            f"({figures['dask_overhead_run_pct']:+.0f}% against the pool; start-up "
            f"{figures['dask_startup_s']:.1f} s more)"
        )
    print(f"  tables identical: {figures['identical']}")
    return 0 if figures["identical"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
