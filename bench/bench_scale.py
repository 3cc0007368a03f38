"""Benchmark: one court at ×m the load with ×m the staff (a city of m courts in one run).

Usage::

    .venv/bin/python bench/bench_scale.py [--multipliers 1,2,4,10] [--scenario scenarios/dengzhou_2022.toml]

Issue 15 goal 4: time and memory linear in the work. For each multiplier m, a fresh child
process loads the scenario, multiplies every filing rate (``arrivals.cases_per_year`` and
the side streams' ``*_per_year``) and every head-count (each team's judges, officers, clerks
and bailiffs, and each 精执 unit's officers and clerks) by m, and runs one replication of
the whole simulated span (warm-up, counted year, cool-down). At m = 10 that is a court of
730 people filing 65,000 cases a year, the size of a city's ten basic courts. The child
reports the CPU seconds of ``run_replication`` (simulation and the three tables) and of
``kpi_values``, the task steps and cases it simulated; the parent reads the child's peak RSS
from ``os.wait4``. A first child that only imports and loads the scenario gives the fixed
floor of memory. Exponents b of ``cost ∝ work^b`` are fitted by least squares on the logs,
against m and against the task steps actually done (a saturated court does less work than
it is given), for the CPU and for the memory above the floor.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_whole import SKELETON, timed  # noqa: E402  (the bench package, from the project's root)

CHILD = r"""
import json, sys, time
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import UNIT_ROLES
from sim.vocab import Role, Team

from sim.experiments.running import build_calendar, kpi_values
from sim.model import run_replication

path, m, spec_path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
base = load_scenario(path)
if m == 0:
    print(json.dumps({}))
    raise SystemExit
k = int(m)
overrides = {"arrivals.cases_per_year": base.arrivals.cases_per_year * m}
for name, value in base.side_streams.model_dump().items():
    if name.endswith("_per_year"):
        overrides[f"side_streams.{name}"] = value * m
for team in Team:
    staffing = base.staffing.team(team)
    for role in Role:
        if staffing.count(role):
            overrides[f"staffing.{team.value}.{role.value}s"] = staffing.count(role) * k
    if staffing.units:
        units = [u.model_dump(mode="json") for u in staffing.units]
        for unit in units:
            for role in UNIT_ROLES:
                unit[f"{role.value}s"] *= k
        overrides[f"staffing.{team.value}.units"] = units
scenario = with_overrides(base, overrides)

t0 = time.process_time()
result = run_replication(scenario, 0, scenario.run.seed)
t1 = time.process_time()
kpi_values(result, scenario, build_calendar(scenario))
t2 = time.process_time()
from bench.bench_whole import skeleton_spec_of
with open(spec_path, "w", encoding="utf-8") as out:
    json.dump(skeleton_spec_of(result.steps, result.staff), out)
people = sum(scenario.staffing.team(t).count(r) for t in Team for r in Role)
print(json.dumps({
    "people": people,
    "cases": len(result.cases),
    "task_steps": int((result.steps["kind"] == "task").sum()),
    "run_cpu_s": t1 - t0,
    "kpi_cpu_s": t2 - t1,
}))
"""


def _run(scenario: str, m: float, spec: Path) -> dict[str, float]:
    """One fresh child at ×m (it writes the skeleton's ``spec``); its figures, CPU and peak RSS."""
    _, cpu, rss, out = timed([sys.executable, "-c", CHILD, scenario, str(m), str(spec)], ROOT)
    return {**json.loads(out), "cpu_s": cpu, "peak_mb": rss}


def _skeleton(spec: Path) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of the bare-SimPy skeleton walking ``spec``'s steps."""
    _, cpu, rss, out = timed([sys.executable, "-c", SKELETON, str(spec)], ROOT)
    if json.loads(out)["steps"] != json.loads(spec.read_text(encoding="utf-8"))["steps"]:
        raise SystemExit(f"the skeleton walked {out.strip()}, not the product's steps")
    return cpu, rss


def _slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly, strict=True)) / sum((x - mx) ** 2 for x in lx)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/dengzhou_2022.toml")
    parser.add_argument("--multipliers", default="1,2,4,10")
    args = parser.parse_args()
    multipliers = [float(x) for x in args.multipliers.split(",")]
    if any(m < 1 or m != int(m) for m in multipliers) or len(multipliers) < 2:
        raise SystemExit("--multipliers: two or more whole numbers ≥ 1 (head-counts are scaled by them)")
    with tempfile.TemporaryDirectory(prefix="courtsim-scale-") as tmp:
        spec = Path(tmp) / "skeleton.json"
        floor = _run(args.scenario, 0, spec)["peak_mb"]
        print(f"floor (imports and the scenario, nothing simulated): {floor:.0f} MB peak RSS")
        print(
            f"{'load':>5} {'people':>6} {'cases':>8} {'task steps':>10} {'run CPU':>8} {'KPI CPU':>8} "
            f"{'child CPU':>9} {'peak RSS':>8} {'above floor':>11} {'µs/step':>7} {'KB/step':>7} "
            f"{'skeleton CPU':>12} {'skel. RSS':>9} {'child/skel.':>11}"
        )
        rows = []
        for m in multipliers:
            f = _run(args.scenario, m, spec)
            f["above_mb"] = f["peak_mb"] - floor
            f["skeleton_cpu_s"], f["skeleton_mb"] = _skeleton(spec)
            rows.append((m, f))
            print(
                f"×{m:<4g} {f['people']:6d} {f['cases']:8,d} {f['task_steps']:10,d} {f['run_cpu_s']:7.1f}s "
                f"{f['kpi_cpu_s']:7.1f}s {f['cpu_s']:8.1f}s {f['peak_mb']:6.0f}MB {f['above_mb']:9.0f}MB "
                f"{1e6 * f['run_cpu_s'] / f['task_steps']:7.1f} {1024 * f['above_mb'] / f['task_steps']:7.2f} "
                f"{f['skeleton_cpu_s']:11.1f}s {f['skeleton_mb']:7.0f}MB {f['cpu_s'] / f['skeleton_cpu_s']:10.2f}x",
                flush=True,
            )
    ms = [m for m, _ in rows]
    steps = [f["task_steps"] for _, f in rows]
    for label, key in (
        ("run_replication CPU", "run_cpu_s"),
        ("child CPU (whole process)", "cpu_s"),
        ("peak RSS above the floor", "above_mb"),
        ("peak RSS", "peak_mb"),
        ("skeleton CPU", "skeleton_cpu_s"),
    ):
        ys = [f[key] for _, f in rows]
        print(f"exponent of {label}: {_slope(ms, ys):.3f} against the load, {_slope(steps, ys):.3f} against task steps")


if __name__ == "__main__":
    main()
