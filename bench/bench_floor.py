"""Benchmark: the bare-SimPy skeleton rebuilt from the product's own parts, one part at a time.

Usage::

    .venv/bin/python bench/bench_floor.py [--rounds 3] [--scenario scenarios/dengzhou_2022.toml]

Issue 15's goal 1 asks one replication of the baseline, whole process, to cost no more
than bare SimPy walking as many task steps (``bench/bench_whole.py``'s skeleton). This
script asks what that bound leaves for the model: it walks the skeleton's very steps
(the same cases, task steps, pools with their head-counts and mean efforts, read from
one ``courtsim run`` of the scenario) with the parts every replication of the product
needs whatever its rules, added one at a time, each variant in a fresh process:

``simpy``
    the skeleton of ``bench_whole.py``: a ``simpy.Resource`` per pool, a request, a
    timeout and a release per step (about 3 kernel events a step);
``desk``
    the product's staff desks (:class:`sim.staffing.TeamDesk`) instead: work granted at
    once is one timeout, work that waits is one event that fires when it is done, as in
    the model (fewer events than ``simpy``; no handlers, no convened work);
``+calendar``
    the effort is working hours on the official calendar
    (:meth:`sim.workcalendar.WorkCalendar.finish_time`), as every task's is;
``+log``
    each step is a row of the product's event log (:class:`sim.eventlog.EventLog`),
    and the step table is built at the end, as every replication's is (its KPIs read it);
``+imports``
    the process first imports what the product's worker holds (``sim.model``,
    ``sim.metrics``, ``sim.api``: pandas, pyarrow, numpy, scipy.special, pydantic, the
    official calendar), as ``bench/bench_memory.py`` does.

Each variant runs in a fresh process and is timed by CPU seconds (user + system,
``os.wait4``) and peak RSS, interleaved with the others round by round; the ratios are
of the medians. None of the model's rules is in any of them (no cases' flows,
decisions, handlers, convened work, deadline clocks or KPIs): the last variant is a
floor under any model that keeps the event log, the calendar and the stack of the
product, and what it costs beyond ``simpy`` is what goal 1's bound leaves the rules
(below zero when the floor is above it).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_whole import SKELETON, SPEC, timed

ROOT = Path(__file__).resolve().parents[1]

FLOOR = r"""
import itertools, json, random, sys, time
layers = set(sys.argv[2].split("+"))
if "imports" in layers:  # what a worker of the product holds (bench/bench_memory.py's import stage)
    import pyarrow, simpy, sim.model, sim.api, sim.metrics  # noqa: F401
import simpy
from sim.staffing import Member, Need, TeamDesk
from sim.vocab import Role, Team

spec = json.loads(open(sys.argv[1], encoding="utf-8").read())
rng = random.Random(spec["seed"])
env = simpy.Environment()
names = list(spec["pools"])
weights = [spec["pools"][n]["steps"] for n in names]
means = [spec["pools"][n]["mean_days"] for n in names]
desks, needs = [], []
for p, n in enumerate(names):
    desk = TeamDesk(env, Team.INTAKE)
    pool = desk.pool("", Role.CLERK)  # pooled work: whoever is free, no caseloads
    for k in range(spec["pools"][n]["capacity"]):
        pool.join(Member(p * 1000 + k, Team.INTAKE, "", Role.CLERK, f"{n}/{k}", pool))
    desks.append(desk)
    needs.append([Need(pool)])
if "calendar" in layers:
    import datetime
    from sim.workcalendar import WorkCalendar
    calendar = WorkCalendar(datetime.date.fromisoformat(spec["start"]), horizon_days=int(spec["days"]) + 1,
                            mode="official", hours_per_day=8.0, day_start_hour=8.5)
    def duration(start, days):
        return calendar.finish_time(start, days * 8.0) - start
else:
    def duration(start, days):
        return days
for desk in desks:
    desk.on_grant = lambda days, grant: duration(env.now, days)
log = None
if "log" in layers:
    from sim.eventlog import EventLog
    log = EventLog()
    append = log.append_step
seq = itertools.count()
done = [0]

def case(cid, arrival, steps):
    yield env.timeout(arrival)
    if log is not None:
        log.compact()  # as the model does at each arrival
    for p in rng.choices(range(len(desks)), weights, k=steps):
        days = rng.expovariate(1.0 / means[p])
        desk = desks[p]
        queued = env.now
        got = desk.request(needs[p], (queued, next(seq)), days)
        if isinstance(got, list):
            yield env.timeout(duration(queued, days))
        else:
            got = yield got
        desk.release(got)
        if log is not None:
            append((cid, "task", "task", names[p], "", "clerk", got[0].name, queued, queued, env.now, days * 8.0,
                    False, 0))
        done[0] += 1

cases, steps = spec["cases"], spec["steps"]
walk = time.process_time()
for i in range(cases):
    env.process(case(i, rng.uniform(0, spec["days"]), steps // cases + (i < steps % cases)))
env.run()
if log is not None:
    rows = len(log.steps_frame())
    assert rows == done[0], (rows, done[0])
print(json.dumps({"steps": done[0], "clock": env.now, "walk_s": time.process_time() - walk}))
"""

VARIANTS = ("simpy", "desk", "desk+calendar", "desk+calendar+log", "desk+calendar+log+imports")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "dengzhou_2022.toml")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    scenario = args.scenario.resolve()
    # per variant and round: process CPU, the walk's CPU inside it (NaN for the product), peak RSS
    found: dict[str, list[tuple[float, float, float]]] = {v: [] for v in ("product", *VARIANTS)}
    with tempfile.TemporaryDirectory(prefix="courtsim-floor-") as cwd:
        spec_path = Path(cwd) / "skeleton.json"
        spec: dict[str, object] = {}
        for round_ in range(args.rounds):
            out = Path(cwd) / f"product{round_}"
            argv = [sys.executable, "-m", "sim", "run", str(scenario), "--reps", "1", "--jobs", "1"]
            _, cpu, rss, _ = timed([*argv, "--out", str(out), "-q"], cwd, ROOT)
            found["product"].append((cpu, math.nan, rss))
            if not spec:
                argv = [sys.executable, "-c", SPEC, str(out), scenario.stem]
                spec = json.loads(subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
                spec["start"] = _start_date(scenario)
                spec_path.write_text(json.dumps(spec), encoding="utf-8")
            for variant in VARIANTS:
                code = SKELETON if variant == "simpy" else FLOOR
                _, cpu, rss, printed = timed([sys.executable, "-c", code, str(spec_path), variant], cwd, ROOT)
                walked = json.loads(printed)
                if walked["steps"] != spec["steps"]:
                    raise SystemExit(f"{variant} walked {printed.strip()}, not {spec['steps']} steps")
                found[variant].append((cpu, walked["walk_s"], rss))
            cells = ", ".join(f"{v} {runs[-1][0]:.2f} s / {runs[-1][2]:.0f} MB" for v, runs in found.items())
            print(f"round {round_ + 1} (process CPU / peak RSS): {cells}", flush=True)
    pools = spec["pools"]
    assert isinstance(pools, dict)
    print(f"task steps {spec['steps']:,} over {spec['cases']:,} cases, {len(pools)} pools")
    med = {v: tuple(median(r[i] for r in runs) for i in range(3)) for v, runs in found.items()}
    base, base_walk = med["simpy"][0], med["simpy"][1]
    print(f"{'variant':<28}{'process CPU':>13}{'/ simpy':>9}{'walk CPU':>11}{'/ simpy':>9}{'peak RSS':>10}")
    for variant, (cpu, walk, rss) in med.items():
        walk_cells = f"{'':>11}{'':>9}" if math.isnan(walk) else f"{walk:>9.2f} s{walk / base_walk:>8.2f}x"
        print(f"{variant:<28}{cpu:>11.2f} s{cpu / base:>8.2f}x{walk_cells}{rss:>7.0f} MB")
    floor, product = med[VARIANTS[-1]][0], med["product"][0]
    print(
        f"medians of {args.rounds} rounds: the floor is {floor / base:.2f}x simpy (whole process); "
        f"the product is {product / base:.2f}x, so its rules, cases' draws, KPIs and results folder add "
        f"{(product - floor) / base:.2f}x"
    )
    return 0


def _start_date(scenario: Path) -> str:
    import tomllib

    with scenario.open("rb") as handle:
        return str(tomllib.load(handle)["run"]["start_date"])


if __name__ == "__main__":
    sys.exit(main())
