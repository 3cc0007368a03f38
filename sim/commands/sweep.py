"""``courtsim sweep SCENARIO --set PATH=V1,V2,...``: one or two parameters over a grid."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim.api import with_names
from sim.commands import SUMMARIES
from sim.commands.common import (
    CommandError,
    add_experiment_options,
    fmt_value,
    guarded,
    out_folder,
    report_usage,
    session,
)
from sim.config.load import load_scenario, scenario_hash
from sim.experiments.results import write_manifest
from sim.experiments.sweep import grid, parse_set, sweep
from sim.io import write_csv
from sim.lang import bi
from sim.metrics import View, headline
from sim.metrics.stability import UNSTABLE_KPI, closed_case_kpi
from sim.provenance import environment


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sweep`` subcommand."""
    parser = subparsers.add_parser(
        "sweep",
        help=SUMMARIES["sweep"],
        description="Set one or two dotted scenario paths to each of their values (TOML scalars; every "
        "combination), run each grid point under common random numbers and print the KPIs with 95% "
        "t-intervals. Example: --set arrivals.cases_per_year=6000,6500,7000 "
        "--set staffing.fast_track.officers=4,6",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        required=True,
        metavar="PATH=V1,V2,...",
        help="a dotted scenario path and its values; give one or two",
    )
    parser.add_argument(
        "--kpi",
        dest="kpis",
        action="append",
        metavar="ID",
        help=f"KPI to print (repeatable; default: {', '.join(headline(View.SWEEP))}); --out keeps all",
    )
    add_experiment_options(parser)
    parser.add_argument("--out", metavar="DIR", help="write sweep_summary.csv, sweep_by_rep.csv, manifest.json")
    parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out folder")
    parser.add_argument("--json", action="store_true", help="print the tidy table as JSON records")
    parser.set_defaults(func=run)


@guarded
def run(args: argparse.Namespace) -> int:
    """Parse the grid, validate every point, run, print."""
    scenario = load_scenario(args.scenario)
    parameters: dict[str, list[Any]] = {}
    for text in args.sets:
        path, values = parse_set(text)
        if path in parameters:
            raise CommandError(f"--set {path} is given twice")
        parameters[path] = values
    if len(parameters) > 2:
        raise CommandError(f"a sweep takes one or two --set parameters (got {len(parameters)})")
    grid(scenario, parameters)  # validate every point before any simulation
    out = out_folder(args)
    reps = args.reps or scenario.run.replications
    with session(args) as (backend, evaluator):
        summary, by_rep = sweep(scenario, parameters, evaluator, reps)
    summary = with_names(summary)
    shown = args.kpis or headline(View.SWEEP, summary["kpi"])
    unknown = sorted(set(shown) - set(summary["kpi"]))
    if unknown:
        known = ", ".join(dict.fromkeys(summary["kpi"]))
        raise CommandError(f"unknown --kpi {', '.join(unknown)}; known: {known}")
    seed = scenario.run.seed if args.seed is None else args.seed
    if args.json:
        print(summary.to_json(orient="records", force_ascii=False, indent=2))
    else:
        print(format_sweep(summary, list(parameters), shown, reps, seed))
    report_usage(args, backend, evaluator)
    if out is not None:
        _write(out, summary, by_rep, scenario_hash(scenario), args, parameters, reps, seed)
    return 0


def format_sweep(summary: pd.DataFrame, paths: list[str], kpis: list[str], reps: int, seed: int) -> str:
    """One block per KPI: a row per grid point, mean [95% CI]."""
    lines = [f"sweep of {' × '.join(paths)}: {reps} replications per point, seed {seed} (mean [95% CI])"]
    widths = [max(len(p), 8) for p in paths]
    flags = unstable_points(summary, paths)
    if any(k for k, _ in flags.values()):
        lines += [
            "⚠ 不稳定：标注的取值下未结案件持续增长，按已结案件计算的均值有误导性。",
            "  UNSTABLE: at the points marked the backlog still grows in some replications; means over "
            "closed cases mislead.",
        ]
    for kpi in kpis:
        rows = summary[summary["kpi"] == kpi]
        lines += [
            "",
            bi(str(rows["zh"].iloc[0]), str(rows["en"].iloc[0])),
            "  "
            + "  ".join(f"{p:<{w}}" for p, w in zip(paths, widths, strict=True))
            + f"  {'mean':>10} {'[95% CI]':<20}  {bi('不稳定', 'unstable', ' ')}",
        ]
        for _, row in rows.iterrows():
            cells = "  ".join(f"{_whole(row[p]):<{w}}" for p, w in zip(paths, widths, strict=True))
            ci = f"[{fmt_value(kpi, row['ci_low'])}, {fmt_value(kpi, row['ci_high'])}]"
            flagged, n = flags.get(tuple(row[p] for p in paths), (0, 0))
            mark = f"{flagged}/{n}" + ("  ← 误导 misleading" if closed_case_kpi(kpi) else "") if flagged else "0"
            lines.append(f"  {cells}  {fmt_value(kpi, row['mean']):>10} {ci:<20}  {mark}")
    return "\n".join(lines)


def unstable_points(summary: pd.DataFrame, paths: list[str]) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Per grid point (its parameter values): ``(replications flagged unstable, replications)``."""
    rows = summary.loc[summary["kpi"] == UNSTABLE_KPI]
    return {
        tuple(row[p] for p in paths): (round(float(row["mean"]) * int(row["n"])), int(row["n"]))
        for _, row in rows.iterrows()
    }


def _whole(value: Any) -> str:
    """A grid value as given: ``5`` people, not ``5.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _write(
    out: Path,
    summary: pd.DataFrame,
    by_rep: pd.DataFrame,
    digest: str,
    args: argparse.Namespace,
    parameters: dict[str, list[Any]],
    reps: int,
    seed: int,
) -> None:
    write_csv(out / "sweep_summary.csv", summary)
    write_csv(out / "sweep_by_rep.csv", by_rep)
    meta = {
        "command": "sweep",
        "scenario": str(args.scenario),
        "scenario_hash": digest,
        "reps": reps,
        "seed": seed,  # the seed used, the scenario's run.seed when --seed was not given
        "parameters": parameters,
        **environment(),
    }
    write_manifest(out, meta)  # last, with each file's checksum: a folder with a manifest is complete
    print(f"{bi('结果', 'results', ' ')}: {out}", file=sys.stderr)
