"""Benchmark: how the run time of one simulated year grows with the load.

Usage::

    .venv/bin/python bench/bench_load.py [--multipliers 0.5,1,2,3]

Runs one replication of a one-year horizon of the baseline at each arrival multiplier
(``arrivals.cases_per_year`` scaled), warm, in one process, and fits the exponent b of
``time ∝ load^b`` by least squares on the logs. Above the load the court can carry the
queues grow without end; an exponent near 1 means the cost per filed case stays flat.
"""

from __future__ import annotations

import argparse
import math
import time

from sim.config.load import load_scenario, with_overrides
from sim.model import run_replication


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/dengzhou_2022.toml")
    parser.add_argument("--multipliers", default="0.5,1,2,3")
    args = parser.parse_args()
    base = load_scenario(args.scenario)
    year = {"run.warmup_days": 0, "run.horizon_days": 365, "run.cooldown_days": 0}
    run_replication(with_overrides(base, {**year, "run.horizon_days": 60}), 0)  # warm the process
    rows = []
    for m in (float(x) for x in args.multipliers.split(",")):
        scenario = with_overrides(base, {**year, "arrivals.cases_per_year": base.arrivals.cases_per_year * m})
        start = time.perf_counter()
        result = run_replication(scenario, 0)
        wall = time.perf_counter() - start
        tasks = int((result.steps.kind == "task").sum())
        rows.append((m, wall, len(result.cases), tasks))
        print(f"load ×{m:<4g} {wall:6.2f} s  {len(result.cases):6d} cases  {tasks:7d} task steps done")
    xs = [math.log(m) for m, *_ in rows]
    ys = [math.log(w) for _, w, *_ in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    print(f"exponent b in time ∝ load^b: {slope:.2f}")


if __name__ == "__main__":
    main()
