"""Benchmark: the KPIs of one replication, their CPU and the memory each one needs (issue 15 goal 1).

Usage::

    .venv/bin/python bench/bench_kpis.py                      # this tree, 5 timed calls
    .venv/bin/python bench/bench_kpis.py --tree /tmp/before   # another source tree (a git archive)

Simulates one replication of the scenario, then:

1. times ``kpi_values`` on it ``--calls`` times (CPU seconds, each call on a fresh view, as a
   worker computes them) and prints each and the median;
2. for the view's utilisation table and each registered KPI, the fresh memory it needed: the peak
   resident set (VmHWM, reset through ``/proc/self/clear_refs``) above the resident set it
   started from, after a garbage collection and glibc's ``malloc_trim(0)`` have handed back
   what earlier ones freed. Freed memory would otherwise be reused and hide a KPI's transient.
   Prints the ``--top`` largest with their CPU.

Linux and glibc only. The pyarrow allocator is the system one, as ``courtsim`` sets it.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import time
from pathlib import Path
from statistics import median

from bench_memory import vm_status  # beside this script (its folder is sys.path[0])

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/dengzhou_2022.toml")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to import sim from")
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    sys.path.insert(0, str(args.tree.resolve()))
    import sim.model as model
    from sim.api import load_scenario
    from sim.metrics import KPIS, kpi_values
    from sim.metrics.registry import Group, run_view

    scenario = load_scenario(args.tree / args.scenario)
    result = model.run_replication(scenario, 0)
    gc.collect()
    calendar = model.build_calendar(scenario)
    print(f"sim from {Path(model.__file__).parent}; one replication of {scenario.name}")
    times = []
    for _ in range(args.calls):
        start = time.process_time()
        kpi_values(result, scenario, calendar)
        times.append(time.process_time() - start)
    print(f"kpi_values CPU s: {' '.join(f'{t:.3f}' for t in times)}; median {median(times):.3f}")

    libc = ctypes.CDLL("libc.so.6")
    rows: list[tuple[float, float, str]] = []

    def measure(name: str, func: object) -> object:
        gc.collect()
        libc.malloc_trim(0)
        Path("/proc/self/clear_refs").write_text("5")
        start_rss = vm_status()[0]
        start = time.process_time()
        value = func()  # type: ignore[operator]
        cpu = time.process_time() - start
        rows.append((vm_status()[1] - start_rss, cpu, name))
        return value

    view = measure("run_view", lambda: run_view(result, scenario, calendar))
    measure("view.utilisation", lambda: view.utilisation)  # type: ignore[attr-defined]
    for kpi in KPIS.values():
        if kpi.group is not Group.UTILISATION:
            measure(kpi.id, lambda kpi=kpi: kpi.func(view))  # type: ignore[misc]
    print(f"fresh memory needed (MB above the resident set after malloc_trim), the {args.top} largest:")
    for fresh, cpu, name in sorted(rows, reverse=True)[: args.top]:
        print(f"  {fresh:7.1f} MB  {cpu:5.2f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
