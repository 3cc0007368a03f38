"""Time from "Run" to the page's first verdict and to ± the precision asked, for the baseline.

    .venv/bin/python bench/bench_app.py                       # the baseline, 2 workers, ±2 points
    .venv/bin/python bench/bench_app.py --jobs 2 --max-reps 20 --half-width 0.02
    .venv/bin/python bench/bench_app.py --memory 10           # the page process's peak RSS, 10 replications

What the page does when "Run" is pressed, without the browser: a :class:`sim.app.jobs.Job`
on a fresh, empty store (nothing cached), on a process pool of ``--jobs`` workers. It
reports the seconds from the start to the first replication (the page's first estimate,
no interval yet), to the first interval (two replications: the first verdict with an
interval), to the stopping rule (the 45-day rate within ± ``--half-width``, 95%, from three
replications on; or the cap), and to the finished results folder with the analyses the page
draws. The page polls once a second, so it shows each of these at most a second later.
Then it runs the same job again on the same store, which is what going back to an earlier
variant costs in a new page process (in the same one the finished job is handed back at once).

``--memory N`` measures instead what the page's process holds: a job of exactly ``N``
replications of the scenario (the stopping rule may stop only at the cap), then
this process's peak resident set (``ru_maxrss``: the workers are other processes) and what
it still holds once the job has finished (``VmRSS``, after a garbage collection; then once
more after giving freed memory back to the system, which is nearer what is live), each beside
the same before the run.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.app.jobs import Job, RunSettings  # noqa: E402  (after the path: run as a script)
from sim.config.load import load_scenario  # noqa: E402
from sim.experiments.statistics import summarise  # noqa: E402


def _timed(job: Job) -> float:
    start = time.perf_counter()
    job.start()
    while not job.wait(0.1):
        pass
    return time.perf_counter() - start


def _rss_mb() -> float:
    """This process's resident set now, in MB (Linux: /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    """This process's peak resident set so far, in MB (``ru_maxrss`` is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _trimmed_mb() -> float:
    """The resident set once freed memory is given back to the system (glibc's ``malloc_trim``,
    Arrow's pool): closer to what is live than ``VmRSS``, which keeps freed heap pages."""
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return float("nan")
    return _rss_mb()


def memory(scenario_path: str, reps: int, jobs: int) -> int:
    """Peak and held RSS of this process (the page's) for a job of exactly ``reps`` replications."""
    scenario = load_scenario(scenario_path)
    settings = RunSettings(seed=scenario.run.seed, half_width=1e-9, min_reps=reps, max_reps=reps, jobs=jobs)
    gc.collect()
    before, peak_before = _rss_mb(), _peak_mb()
    with tempfile.TemporaryDirectory(prefix="bench_app_") as root:
        job = Job({scenario.name: scenario}, settings, Path(root))
        seconds = _timed(job)
        snap = job.snapshot()
        if snap.state != "finished" or job.outcome is None:
            print(f"the run did not finish: {snap.state} {snap.message}")
            return 1
        gc.collect()
        held, peak = _rss_mb(), _peak_mb()
        live = _trimmed_mb()
        n = job.outcome.result.reps
    print(f"scenario {scenario.name}, {n} replications, {jobs} workers, {seconds:.1f} s, load {os.getloadavg()[0]:.1f}")
    print(f"  page process RSS before the run        {before:8.0f} MB (peak so far {peak_before:.0f} MB)")
    print(f"  peak RSS during the run                {peak:8.0f} MB  (+{peak - before:.0f} MB)")
    print(f"  RSS held once finished (the job kept)  {held:8.0f} MB  (+{held - before:.0f} MB)")
    print(f"  the same, freed memory given back      {live:8.0f} MB  (+{live - before:.0f} MB)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "dengzhou_2022.toml"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--half-width", type=float, default=0.02)
    parser.add_argument("--max-reps", type=int, default=20)
    parser.add_argument("--memory", type=int, metavar="N", help="measure the peak RSS of an N-replication run instead")
    args = parser.parse_args()
    if args.memory:
        return memory(args.scenario, args.memory, args.jobs)
    scenario = load_scenario(args.scenario)
    settings = RunSettings(seed=scenario.run.seed, half_width=args.half_width, max_reps=args.max_reps, jobs=args.jobs)
    with tempfile.TemporaryDirectory(prefix="bench_app_") as root:
        job = Job({scenario.name: scenario}, settings, Path(root))
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = _timed(job)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, joined at its close
        worker_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        snap = job.snapshot()
        if snap.state != "finished" or job.outcome is None:
            print(f"the run did not finish: {snap.state} {snap.message}")
            return 1
        row = summarise(job.outcome.result.kpis)
        row = row.loc[row["kpi"] == settings.kpi].iloc[0]
        again = _timed(Job({scenario.name: scenario}, settings, Path(root)))
    load = os.getloadavg()[0]
    print(f"scenario {scenario.name}, {args.jobs} workers, load average {load:.1f} at the end")
    print(f"  first replication in (first estimate, no interval)  {snap.first_result:7.1f} s")
    print(f"  first interval (two replications: first verdict)    {snap.first_estimate:7.1f} s   target 10 s")
    print(
        f"  {settings.kpi} within ±{100 * args.half_width:g} points (or the cap)        "
        f"{snap.stopped:7.1f} s   target 60 s"
    )
    print(f"  results folder and the page's analyses written      {total:7.1f} s")
    print(f"  stopped: {job.outcome.reason}")
    half = (row["ci_high"] - row["ci_low"]) / 2
    print(f"  {settings.kpi} = {100 * row['mean']:.1f}% ± {100 * half:.1f} points over {int(row['n'])} replications")
    print(f"  the same run again from the store (a new page process) {again:5.1f} s")
    if worker_cpu > 0:
        print(
            f"  CPU in the workers: {worker_cpu:.1f} s, including the replications already under way "
            "when the rule stopped (kept in the store, not counted)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
