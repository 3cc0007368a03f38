"""Benchmark: one replication of the shipped baseline, whole process, against bare SimPy walking as many task steps.

Usage::

    .venv/bin/python bench/bench_whole.py [--rounds 3] [--scenario scenarios/dengzhou_2022.toml]
                                          [--before /tmp/courtsim-before]

Issue 15's goal 1 in one run. The product is the whole command a user waits for,
``courtsim run SCENARIO --reps 1 --jobs 1 --out DIR -q`` (interpreter start, imports,
simulation, KPIs, the ``.partial`` keep, the results folder), in a fresh process started
from an empty folder. The reference is a bare-SimPy skeleton in a fresh process too, with
nothing of the model: one ``simpy.Resource`` per pool (a team's role: the staff table's
team × role, its capacity the number of staff), and cases arriving uniformly over the
simulated days, each walking its steps one after the other — a request of one pool, a
timeout of an exponential duration (mean: that pool's mean effort in the event log, hours
/ 8 per day), a release. It walks exactly as many task steps as the product's event log
holds (``kind == "task"``), over as many cases as have one, with each pool's share of the
steps as in the log (a step's pool: its team and the first of its roles). Both are timed
by wall clock and CPU seconds (user + system, ``os.wait4``: on a shared machine the CPU
ratio is the steadier one); peak memory is the child's ``ru_maxrss`` (``os.wait4``; this process stays
small, since Linux counts in a child's peak what it was forked from). Product and
skeleton alternate (product, skeleton, product, …) for ``--rounds`` rounds, so that a burst
of load from other jobs hits both; the ratio is of the medians, and of each round's pair.
``--before`` (a tree made with ``git archive <commit> | tar -x -C PATH``) adds that tree's
product to every round, on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

SKELETON = r"""
import json, random, sys, time
import simpy

spec = json.loads(open(sys.argv[1], encoding="utf-8").read())
rng = random.Random(spec["seed"])
env = simpy.Environment()
names = list(spec["pools"])
pools = [simpy.Resource(env, capacity=spec["pools"][n]["capacity"]) for n in names]
weights = [spec["pools"][n]["steps"] for n in names]
means = [spec["pools"][n]["mean_days"] for n in names]
done = [0]

def case(arrival, steps):
    yield env.timeout(arrival)
    for pool in rng.choices(range(len(pools)), weights, k=steps):
        request = pools[pool].request()
        yield request
        yield env.timeout(rng.expovariate(1.0 / means[pool]))
        pools[pool].release(request)
        done[0] += 1

cases, steps = spec["cases"], spec["steps"]
walk = time.process_time()
for i in range(cases):
    env.process(case(rng.uniform(0, spec["days"]), steps // cases + (i < steps % cases)))
env.run()
print(json.dumps({"steps": done[0], "clock": env.now, "walk_s": time.process_time() - walk}))
"""


def timed(argv: list[str], cwd: str | Path, tree: Path | None = None) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak RSS (MB) and standard output of ``argv`` in a fresh process
    (``tree`` on its path)."""
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree is not None else None
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read() if child.stdout is not None else ""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def skeleton_spec(folder: str | Path, name: str) -> dict[str, object]:
    """What the skeleton walks, read from a results folder (see :func:`skeleton_spec_of`)."""
    import pandas as pd

    folder = Path(folder)
    columns = ["case_id", "kind", "team", "roles", "end", "effort_hours"]
    steps = pd.read_parquet(folder / f"{name}.steps.parquet", columns=columns)
    return skeleton_spec_of(steps, pd.read_parquet(folder / f"{name}.staff.parquet"))


def skeleton_spec_of(steps: Any, staff: Any) -> dict[str, object]:
    """What the skeleton walks, from a run's step and staff tables: cases, task steps, pools with
    capacity, share, mean."""
    steps = steps[steps["kind"] == "task"]
    capacity = staff.groupby(["team", "role"]).size()
    pool = steps["team"] + "/" + steps["roles"].str.split("+").str[0]
    by_pool = steps.assign(pool=pool).groupby("pool")["effort_hours"].agg(["size", "mean"])
    pools = {}
    for key, row in by_pool.iterrows():
        team, role = str(key).split("/")
        pools[str(key)] = {
            "capacity": int(capacity.get((team, role), 1)),
            "steps": int(row["size"]),
            "mean_days": float(row["mean"]) / 8,
        }
    return {
        "seed": 1,
        "cases": int(steps["case_id"].nunique()),
        "steps": len(steps),
        "days": float(steps["end"].max()),
        "pools": pools,
    }


SPEC = "import json, sys; from bench.bench_whole import skeleton_spec as s; print(json.dumps(s(*sys.argv[1:])))"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "dengzhou_2022.toml")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="also time the product of this source tree, in each round")
    args = parser.parse_args()
    scenario = args.scenario.resolve()
    name = scenario.stem
    trees = {"product": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    found: dict[str, list[tuple[float, float, float]]] = {label: [] for label in [*trees, "skeleton"]}
    with tempfile.TemporaryDirectory(prefix="courtsim-whole-") as cwd:
        spec_path = Path(cwd) / "skeleton.json"
        spec: dict[str, object] = {}
        for round_ in range(args.rounds):
            for label, tree in trees.items():
                out = Path(cwd) / f"{label}{round_}"
                argv = [sys.executable, "-m", "sim", "run", str(scenario), "--reps", "1", "--jobs", "1"]
                wall, cpu, rss, _ = timed([*argv, "--out", str(out), "-q"], cwd, tree)
                found[label].append((wall, cpu, rss))
                if not spec:  # the same seed every round: the same steps
                    # In a child: this process stays small (a child's ru_maxrss counts what it was forked from).
                    argv = [sys.executable, "-c", SPEC, str(out), name]
                    spec = json.loads(subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
                    spec_path.write_text(json.dumps(spec), encoding="utf-8")
            wall, cpu, rss, printed = timed([sys.executable, "-c", SKELETON, str(spec_path)], cwd)
            if json.loads(printed)["steps"] != spec["steps"]:
                raise SystemExit(f"the skeleton walked {printed.strip()}, not {spec['steps']} steps")
            found["skeleton"].append((wall, cpu, rss))
            cells = ", ".join(
                f"{label} {runs[-1][0]:.2f} s (CPU {runs[-1][1]:.2f} s) / {runs[-1][2]:.0f} MB"
                for label, runs in found.items()
            )
            print(f"round {round_ + 1}: {cells}", flush=True)
    pools = spec["pools"]
    assert isinstance(pools, dict)
    days = float(str(spec["days"]))
    print(f"task steps {spec['steps']:,} over {spec['cases']:,} cases and {days:.0f} days, {len(pools)} pools")
    wall = {label: median(r[0] for r in runs) for label, runs in found.items()}
    cpu = {label: median(r[1] for r in runs) for label, runs in found.items()}
    rss = {label: median(r[2] for r in runs) for label, runs in found.items()}
    cells = "; ".join(
        f"{label} {wall[label]:.2f} s (CPU {cpu[label]:.2f} s), {rss[label]:.0f} MB peak" for label in found
    )
    print(f"whole process, median of {args.rounds}: {cells}")
    for label in trees:
        pairs = ", ".join(f"{p[0] / s[0]:.2f}" for p, s in zip(found[label], found["skeleton"], strict=True))
        ratio = (
            f"{wall[label] / wall['skeleton']:.2f}x wall (rounds: {pairs}), {cpu[label] / cpu['skeleton']:.2f}x CPU, "
            f"{rss[label] / rss['skeleton']:.1f}x memory"
        )
        print(f"ratio {label} / skeleton: {ratio}")
    if "before" in trees:
        print(
            f"product / before: {wall['product'] / wall['before']:.2f}x wall, {cpu['product'] / cpu['before']:.2f}x CPU"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
