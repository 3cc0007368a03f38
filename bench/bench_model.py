"""Benchmark: one baseline year of the model against a bare-SimPy skeleton of the same steps.

Usage::

    .venv/bin/python bench/bench_model.py [--scenario scenarios/dengzhou_2022.toml] [--repeat 3]
                                          [--instructions]

The model runs one replication of a one-year horizon (no warm-up, no cool-down) and
reports wall and CPU time (of a second replication in a warm process), task steps per
second and peak memory (max RSS of a fresh process per measurement). The skeleton
replays the model's own event log in plain SimPy: each case is a process doing the
same tasks (a ``simpy.Resource`` request per role, all at once, then a timeout of the
same length) and the same outside waits, with none of the model's logic. The ratio
model / skeleton is the price of the model's rules over the framework's floor.

Machines here are shared and noisy: model and skeleton runs are interleaved, and
ratios should be quoted from one run. ``--instructions`` also counts the
instructions each executes under valgrind (the timed part alone: a run with it
minus a run without), a ratio that other jobs' load cannot move; it takes minutes.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = Path(tempfile.gettempdir()) / "courtsim_bench_steps.parquet"


def _one_year(path: str):  # type: ignore[no-untyped-def]
    from sim.config.load import load_scenario, with_overrides

    scenario = load_scenario(path)
    return with_overrides(scenario, {"run.warmup_days": 0, "run.horizon_days": 365, "run.cooldown_days": 0})


def measure_model(path: str, timed: bool = True) -> dict[str, float]:
    """Wall time and steps of one baseline year (run inside a fresh process).

    ``timed=False`` does everything but the timed run (for counting instructions).
    """
    from sim.model import run_replication

    scenario = _one_year(path)
    # Warm the process first (imports, pandas' and scipy's first calls), as a worker of an
    # experiment is warm from its second replication on; the skeleton is timed warm too.
    # The same replication: it leaves the event log the skeleton replays.
    result = run_replication(scenario, 0)
    result.steps.to_parquet(STEPS)
    tasks = int((result.steps.kind == "task").sum())
    wall = cpu = 0.0
    if timed:
        start, cpu = time.perf_counter(), time.process_time()
        result = run_replication(scenario, 0)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "task_steps": tasks,
        "all_steps": len(result.steps),
        "cases": len(result.cases),
    }


def measure_skeleton(_: str, timed: bool = True) -> dict[str, float]:
    """The same steps in bare SimPy (reads the event log the model run left)."""
    import pandas as pd
    import simpy

    steps = pd.read_parquet(STEPS)
    steps = steps[steps.kind != "mark"].sort_values(["case_id", "queued", "start"])
    capacity: dict[str, int] = {}
    for names in steps.loc[steps.kind == "task", "staff"]:
        for name in names.split("+"):
            pool = name.rsplit("/", 1)[0]
            capacity[pool] = max(capacity.get(pool, 0), int(name.rsplit("/", 1)[1]))
    plans = {
        cid: [
            (k, tuple(n.rsplit("/", 1)[0] for n in s.split("+")) if k == "task" else (), e - b, q)
            for k, s, b, e, q in zip(g.kind, g.staff, g.start, g.end, g.queued, strict=True)
        ]
        for cid, g in steps.groupby("case_id", sort=False)
    }
    if not timed:
        return {"wall_s": 0.0, "cpu_s": 0.0, "task_steps": int((steps.kind == "task").sum())}
    # The model pauses the cyclic garbage collector while it runs (sim.model); the
    # skeleton gets the same, so the ratio compares the model's logic, not that trick.
    gc.disable()
    start, cpu = time.perf_counter(), time.process_time()
    env = simpy.Environment()
    pools = {name: simpy.Resource(env, capacity=c) for name, c in capacity.items()}

    def case(plan):  # type: ignore[no-untyped-def]
        yield env.timeout(plan[0][3])
        for kind, roles, duration, _ in plan:
            if kind == "wait":
                yield env.timeout(duration)
                continue
            requests = [pools[r].request() for r in roles]
            yield env.all_of(requests)
            yield env.timeout(duration)
            for r, req in zip(roles, requests, strict=True):
                pools[r].release(req)

    for plan in plans.values():
        env.process(case(plan))
    env.run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    gc.enable()
    return {"wall_s": wall, "cpu_s": cpu, "task_steps": int((steps.kind == "task").sum())}


def _in_fresh_process(func: str, scenario: str) -> dict[str, float]:
    code = (
        f"import json, resource, sys; sys.path.insert(0, {str(ROOT)!r}); "
        f"from bench.bench_model import {func} as f; r = f({scenario!r}); "
        "r['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(r))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _instructions(func: str, scenario: str, timed: bool) -> int:
    """Instructions executed by ``func`` in a fresh process under valgrind's callgrind."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        f"from bench.bench_model import {func} as f; f({scenario!r}, {timed})"
    )
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    match = re.search(r"Collected : (\d+)", out.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{out.stderr[-2000:]}")
    return int(match.group(1))


def count_instructions(scenario: str) -> None:
    """Instructions of the timed part alone (a run with it minus a run without): noise-free."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        model = [pool.submit(_instructions, "measure_model", scenario, t) for t in (True, False)]
        m_run, m_setup = (f.result() for f in model)  # the skeleton reads the model's log: model first
        skel = [pool.submit(_instructions, "measure_skeleton", scenario, t) for t in (True, False)]
        s_run, s_setup = (f.result() for f in skel)
    m, k = m_run - m_setup, s_run - s_setup
    print(f"instructions (callgrind): model {m / 1e9:.2f} G, skeleton {k / 1e9:.2f} G, ratio {m / k:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/dengzhou_2022.toml")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions under valgrind (minutes; immune to other jobs' load)",
    )
    args = parser.parse_args()
    # Interleaved (model, skeleton, model, …) so that a burst of load from other users of
    # a shared machine hits both alike; each measurement in a fresh process.
    model, skeleton = [], []
    for _ in range(args.repeat):
        model.append(_in_fresh_process("measure_model", args.scenario))
        skeleton.append(_in_fresh_process("measure_skeleton", args.scenario))
    best_m = min(model, key=lambda r: r["wall_s"])
    best_s = min(skeleton, key=lambda r: r["wall_s"])
    cpu_m = min(r["cpu_s"] for r in model)
    cpu_s = min(r["cpu_s"] for r in skeleton)
    print(f"scenario: {args.scenario} (one year, seed from the scenario, replication 0)")
    print(
        f"model:    best of {args.repeat}: {best_m['wall_s']:.2f} s wall ({cpu_m:.2f} s CPU), "
        f"{best_m['cases']} cases, {best_m['task_steps']} task steps "
        f"({best_m['task_steps'] / best_m['wall_s']:,.0f} task steps/s), "
        f"peak RSS {best_m['peak_rss_mb']:.0f} MB"
    )
    print(
        f"skeleton: best of {args.repeat}: {best_s['wall_s']:.2f} s wall ({cpu_s:.2f} s CPU) for the same "
        f"{best_s['task_steps']} task steps, peak RSS {best_s['peak_rss_mb']:.0f} MB"
    )
    paired = sorted(m["wall_s"] / k["wall_s"] for m, k in zip(model, skeleton, strict=True))
    print(
        f"ratio model / skeleton: {best_m['wall_s'] / best_s['wall_s']:.2f} wall, {cpu_m / cpu_s:.2f} CPU "
        f"(best against best); median of the {len(paired)} back-to-back pairs {paired[len(paired) // 2]:.2f}"
    )
    print(
        "all runs, wall (s): model "
        + ", ".join(f"{r['wall_s']:.2f}" for r in model)
        + "; skeleton "
        + ", ".join(f"{r['wall_s']:.2f}" for r in skeleton)
    )
    if args.instructions:
        count_instructions(args.scenario)


if __name__ == "__main__":
    main()
