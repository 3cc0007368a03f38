"""A starting backlog against a warm-up: the counted year's KPIs and the simulated work each costs.

Usage::

    nice -n 10 .venv/bin/python bench/backlog_vs_warmup.py [--reps 3] [--seed 7] [--write]

1. Runs the shipped baseline (``scenarios/dengzhou_2022.toml``: 182 days' warm-up from an
   empty court, the counted year, 183 days' cool-down) and reads each replication's open
   cases at the end of its warm-up, by stage and age (:func:`sim.metrics.backlog.backlog_at`);
   their mean, rounded, is the backlog. ``--write`` first runs the baseline's replications
   once to measure it and rewrites the variant's ``[initial_backlog]`` with it.
2. Runs ``scenarios/dengzhou_2022_backlog.toml``, which starts from that backlog: the same
   counted year (2023-07-03 on, the baseline's day 182) and cool-down, no warm-up.
   Baseline and variant replications are interleaved (baseline r, variant r, …).
3. Prints, per KPI, both means with their 95% t-intervals, and per replication the simulated
   days, task steps, log rows and the wall and CPU seconds of the simulation
   (``run_replication``).

Wall times on this shared machine are noisy: quote the ratio of one run.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.config.load import load_scenario  # noqa: E402
from sim.metrics import kpi_values  # noqa: E402
from sim.metrics.backlog import backlog_at, backlog_counts  # noqa: E402
from sim.model import build_calendar, run_replication  # noqa: E402

BASELINE = ROOT / "scenarios" / "dengzhou_2022.toml"
VARIANT = ROOT / "scenarios" / "dengzhou_2022_backlog.toml"
BANDS = [0, 30, 61, 91, 122, 152, 183]
SHOWN = (
    "fast45_rate",
    "within_limit_rate",
    "actual_enforcement_rate",
    "zhongben_rate",
    "mean_days_to_close",
    "median_days_to_close",
    "mean_days_to_close_fast",
    "mean_days_to_close_standard",
    "closed_cases",
    "closed_rate",
    "backlog_end",
    "closed_per_officer",
    "open_per_handler",
    "util_intake_officer",
    "util_fast_track_officer",
    "util_complex_track_officer",
    "util_asset_disposal_officer",
    "util_records_clerk",
)


def _run(path: Path, rep: int, seed: int) -> tuple[dict[str, float], dict[str, float], object]:
    scenario = load_scenario(path)
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_replication(scenario, rep, seed)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    kpis = kpi_values(result, scenario, build_calendar(scenario))
    work = {
        "days": scenario.run.horizon_days + scenario.run.cooldown_days,
        "task_steps": float((result.steps["kind"] == "task").sum()),
        "log_rows": float(len(result.steps)),
        "sim_wall_s": wall,
        "sim_cpu_s": cpu,
    }
    return kpis, work, result


def _interval(values: list[float]) -> str:
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return "n/a"
    if x.size == 1:
        return f"{x[0]:.4g}"
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return f"{x.mean():.4g} ± {half:.2g}"


def _write_backlog(counts: dict[str, list[int]], reps: int, seed: int) -> None:
    text = VARIANT.read_text(encoding="utf-8")
    rows = "\n".join(f"{stage} = {row}" for stage, row in counts.items())
    block = (
        "[initial_backlog]\n"
        f"age_bands_days = {BANDS}\n"
        f"source = \"the baseline's own open cases at the end of its warm-up (day 182), mean of {reps} "
        f'replications (seed {seed}): bench/backlog_vs_warmup.py --write"\n\n'
        "[initial_backlog.counts]\n"
        f"{rows}\n"
    )
    new, n = re.subn(r"^\[initial_backlog\]$.*", block, text, flags=re.S | re.M)
    if n != 1:
        raise SystemExit(f"{VARIANT} has no [initial_backlog] section to rewrite")
    VARIANT.write_text(new, encoding="utf-8")


def _mean_counts(counts: list[dict[str, list[int]]]) -> dict[str, list[int]]:
    return {
        stage: [round(float(np.mean([c[stage][i] for c in counts]))) for i in range(len(BANDS) - 1)]
        for stage in counts[0]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="rewrite the variant's [initial_backlog] first")
    args = parser.parse_args()
    base = load_scenario(BASELINE)
    warmup = base.run.warmup_days

    def measured(result: object) -> dict[str, list[int]]:
        return backlog_counts(backlog_at(result.steps, result.cases, warmup), BANDS)  # type: ignore[attr-defined]

    if args.write:
        counts = []
        for rep in range(args.reps):
            result = run_replication(base, rep, args.seed)
            counts.append(measured(result))
            del result
        _write_backlog(_mean_counts(counts), args.reps, args.seed)
        print(f"written: {VARIANT.relative_to(ROOT)}")

    base_runs, variant_runs, counts = [], [], []
    for rep in range(args.reps):
        kpis, work, result = _run(BASELINE, rep, args.seed)
        counts.append(measured(result))
        del result
        base_runs.append((kpis, work))
        kpis, work, result = _run(VARIANT, rep, args.seed)
        del result
        variant_runs.append((kpis, work))
    mean_counts = _mean_counts(counts)
    print(f"open cases at day {warmup:g} of the baseline (mean of {args.reps}), by stage × age band {BANDS}:")
    for stage, row in mean_counts.items():
        print(f"  {stage:<26}{row}  = {sum(row)}")
    print(f"  total {sum(map(sum, mean_counts.values()))}")
    seeded = load_scenario(VARIANT).initial_backlog
    same = seeded is not None and all(list(seeded.counts.get(s, ())) == r for s, r in mean_counts.items() if any(r))
    print(f"  the variant's [initial_backlog] is {'this backlog' if same else 'NOT this backlog (rerun with --write)'}")

    print(f"\ncounted year, {args.reps} replications each (mean ± 95% t half-width):")
    print(f"  {'KPI':<32}{'warm-up 182 d (baseline)':>28}{'initial_backlog (variant)':>28}")
    for kpi in SHOWN:
        a = _interval([k[kpi] for k, _ in base_runs])
        b = _interval([k[kpi] for k, _ in variant_runs])
        print(f"  {kpi:<32}{a:>28}{b:>28}")
    frame = pd.DataFrame(
        [{"run": "baseline", **w} for _, w in base_runs] + [{"run": "backlog", **w} for _, w in variant_runs]
    )
    means = frame.groupby("run", sort=False).mean()
    print("\nsimulated work per replication (mean):")
    print(means.to_string(float_format=lambda v: f"{v:,.1f}"))
    ratio = means.loc["backlog"] / means.loc["baseline"]
    print("\nbacklog ÷ baseline: " + ", ".join(f"{c} {ratio[c]:.3f}" for c in means.columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
