"""Benchmark: where one replication's memory goes, stage by stage (issue 15 goal 1, memory).

Usage::

    .venv/bin/python bench/bench_memory.py                        # this tree
    .venv/bin/python bench/bench_memory.py --tree /tmp/before     # another source tree (a git archive)
    ARROW_DEFAULT_MEMORY_POOL=system .venv/bin/python bench/bench_memory.py   # as `courtsim` runs it

One replication of the scenario in this process: the imports, the model's setup (the
case book with every draw), ``env.run``, the three tables, the KPIs. After each stage it
prints the resident set (VmRSS), the peak within the stage (VmHWM, reset between stages
through ``/proc/self/clear_refs``) and the stage's CPU seconds. Linux only. The model is
driven as :func:`sim.model._replicate` drives it, so a change there must be mirrored here.
"""

from __future__ import annotations

import argparse
import functools
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def vm_status() -> tuple[float, float]:
    """This process's resident set and its peak (VmRSS, VmHWM), MB; Linux only."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


class Stages:
    def __init__(self) -> None:
        self.cpu = time.process_time()

    def done(self, name: str) -> None:
        rss, peak = vm_status()
        print(
            f"{name:14s} RSS {rss:7.1f} MB   peak in stage {peak:7.1f} MB   CPU {time.process_time() - self.cpu:6.2f} s"
        )
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        self.cpu = time.process_time()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/dengzhou_2022.toml")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to import sim from")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))
    stages = Stages()
    import pyarrow as pa
    import simpy

    import sim.model as model
    from sim.api import load_scenario
    from sim.metrics import kpi_values

    stages.done("imports")
    print(f"(pyarrow allocator: {pa.default_memory_pool().backend_name}; sim from {Path(model.__file__).parent})")
    scenario = load_scenario(args.tree / args.scenario)
    gc.disable()  # as run_replication does
    streams = model.Streams(scenario.run.seed, 0)
    env = simpy.Environment()
    calendar = model.build_calendar(scenario)
    book = model.with_backlog(model.generate_cases(scenario, calendar, streams), scenario, calendar, streams)
    log = model.EventLog()
    ctx = model.FlowContext(
        env, scenario, calendar, model.StaffOffice(env, scenario), book, log, start_case=lambda c: None, streams=streams
    )
    ctx.start_case = functools.partial(model._start, ctx)
    end = scenario.run.horizon_days + scenario.run.cooldown_days
    model.seed_backlog(ctx)
    env.process(model._arrivals(ctx, book))
    model._start_side_streams(ctx, streams, end)
    model._schedule_staffing_changes(ctx)
    stages.done("setup")
    env.run(until=end)
    rows = len(log)
    if hasattr(book, "release_draws"):  # trees from 2026-12-04 on
        book.release_draws()
    stages.done("env.run")
    result = model.RunResult(
        steps=log.steps_frame(),
        slas=log.slas_frame(),
        cases=model.cases_frame(model._case_records(ctx, scenario)),
        staff=model._staff_frame(ctx),
        unfinished=model._unfinished_frame(ctx),
        meta={
            "scenario": scenario.name,
            "start_date": scenario.run.start_date.isoformat(),
            "warmup_days": scenario.run.warmup_days,
            "horizon_days": scenario.run.horizon_days,
            "end_days": end,
            "hours_per_day": calendar.hours_per_day,
        },
    )
    stages.done("tables")
    log.clear()
    del ctx, env, book, log
    gc.enable()
    gc.collect()
    stages.done("freed the run")
    kpi_values(result, scenario, calendar)
    stages.done("KPIs")
    deep = sum(int(getattr(result, t).memory_usage(deep=True).sum()) for t in ("steps", "slas", "cases")) / 2**20
    print(f"{rows:,} event-log rows; the step, deadline and case tables take {deep:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
