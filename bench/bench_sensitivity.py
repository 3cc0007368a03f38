"""What a Morris screening of the baseline costs: wall time against parameters and workers.

Usage::

    .venv/bin/python bench/bench_sensitivity.py                       # k = 4, 8; 2 trajectories; 1 worker, pool, Dask
    .venv/bin/python bench/bench_sensitivity.py --params 4 8 16 --days 240 --trajectories 2

Screens the first K uncertain parameters of the baseline (the others keep their values) on a
shortened run (``--days`` simulated days: a quarter warm-up, then counted days and a short
cool-down), ``r`` trajectories, one replication per set, without the replication cache, on one
worker, a process pool of two and a Dask LocalCluster of two. Prints the wall time per backend,
the time per model run, the speed-up of each backend over one worker, and whether the three give
the same KPIs and indices bit for bit (they must: the numbers never depend on the backend).
"""

from __future__ import annotations

import argparse
import time

from sim.config.load import load_scenario, with_overrides
from sim.experiments.backends import DaskBackend, ProcessBackend, SerialBackend
from sim.experiments.sensitivity import CourtModel, morris

BASELINE = "scenarios/dengzhou_2022.toml"


def _backends(workers: int) -> dict[str, object]:
    return {
        "1 worker": lambda: SerialBackend(),
        f"pool of {workers}": lambda: ProcessBackend(workers),
        f"Dask of {workers}": lambda: DaskBackend("local", workers),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, nargs="+", default=[4, 8], help="numbers of parameters screened")
    parser.add_argument("--trajectories", type=int, default=2)
    parser.add_argument("--days", type=float, default=240, help="simulated days per run")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    warmup = round(args.days / 4)
    scenario = with_overrides(
        load_scenario(BASELINE),
        {"run.warmup_days": warmup, "run.horizon_days": args.days - 30, "run.cooldown_days": 30},
    )
    everything = CourtModel(scenario).parameters
    print(f"baseline, {args.days:g} simulated days per run, {args.trajectories} trajectories, 1 replication per set")
    print(f"{'k':>3} {'runs':>5}  {'backend':<12} {'wall s':>8} {'s/run':>7} {'speed-up':>8}  identical")
    for k in args.params:
        reference = None
        serial_wall = None
        for name, make in _backends(args.workers).items():
            with make() as backend:  # type: ignore[attr-defined]
                model = CourtModel(scenario, everything[:k], backend=backend)
                start = time.perf_counter()
                result = morris(model, trajectories=args.trajectories, seed=1)
                wall = time.perf_counter() - start
            runs = len(result.samples)
            serial_wall = serial_wall or wall
            same = "—"
            if reference is None:
                reference = result
            else:
                same = str(reference.outputs.equals(result.outputs) and reference.indices.equals(result.indices))
            print(f"{k:>3} {runs:>5}  {name:<12} {wall:>8.1f} {wall / runs:>7.2f} {serial_wall / wall:>7.2f}×  {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
