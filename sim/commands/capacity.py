"""``courtsim capacity SCENARIO``: the highest load at which a target still holds."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim import frames
from sim.commands import SUMMARIES
from sim.commands.common import (
    CommandError,
    add_experiment_options,
    ceiling_lines,
    ceiling_payload,
    finite_number,
    fmt_value,
    guarded,
    out_folder,
    report_usage,
    session,
    set_reps_help,
)
from sim.config.load import load_scenario, scenario_hash
from sim.config.schema import MAX_PER_YEAR, Scenario
from sim.experiments.load_search import CapacityResult, find_capacity
from sim.experiments.results import write_manifest
from sim.experiments.statistics import summarise
from sim.experiments.types import parse_target
from sim.io import write_atomic, write_csv
from sim.provenance import environment

DEFAULT_TARGET = "fast45_rate>=0.9"


_float = finite_number  # inf and nan are refused by name, before any simulation


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``capacity`` subcommand."""
    parser = subparsers.add_parser(
        "capacity",
        help=SUMMARIES["capacity"],
        description="Scale arrivals.cases_per_year by a multiplier and find the highest multiplier at which "
        "the target holds with the given one-sided confidence (bracketing, then bisection; the same "
        "replications at every load). A load whose target fails with confidence after 2 replications is "
        "not run further, and loads beyond the saturation of the busiest team (utilisation 1 at the "
        "scenario's load, extrapolated) are not simulated; a target failing at the scenario's load above "
        "its ceiling (the most any staffing reaches, e.g. under the 终本 floor) is not looked for at lower "
        "loads. Default: fast45_rate>=0.9, 95%, 5 replications "
        "per load, to 0.1×. Method and limits: docs/experiments.md.",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    parser.add_argument(
        "--target",
        default=DEFAULT_TARGET,
        metavar="KPI>=X",
        help=f"the target, e.g. 'fast45_rate>=0.9' or 'mean_days_to_close<=90' (default {DEFAULT_TARGET})",
    )
    parser.add_argument(
        "--confidence",
        type=_float,
        default=0.95,
        metavar="C",
        help="one-sided confidence that the target holds (default 0.95)",
    )
    parser.add_argument("--low", type=_float, default=0.25, help="lowest multiplier tried (default 0.25)")
    parser.add_argument("--high", type=_float, default=3.0, help="highest multiplier tried (default 3)")
    parser.add_argument("--tol", type=_float, default=0.1, help="stop when the bracket is this narrow (default 0.1)")
    add_experiment_options(parser)
    set_reps_help(parser, "replications per load (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write a results folder (every load tried, KPIs by replication, manifest); "
        "`courtsim report DIR` makes its HTML report",
    )
    parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out folder")
    parser.set_defaults(func=run)


@guarded
def run(args: argparse.Namespace) -> int:
    """Search, then print the answer, the bracket and every load tried."""
    scenario = load_scenario(args.scenario)
    target = parse_target(args.target)
    if not 0.5 <= args.confidence < 1:
        raise ValueError(f"--confidence must be in [0.5, 1) (got {args.confidence})")
    _check_bracket(args, scenario.arrivals.cases_per_year)
    reps = args.reps or 5
    out = out_folder(args)  # locked and checked before any simulation
    with session(args) as (backend, evaluator):
        result = find_capacity(
            scenario,
            target,
            evaluator,
            confidence=args.confidence,
            reps=reps,
            low=args.low,
            high=args.high,
            tol=args.tol,
        )
    print(
        json.dumps(payload(result), ensure_ascii=False, indent=2)
        if args.json
        else format_capacity(result, scenario.name)
    )
    report_usage(args, backend, evaluator)
    if out is not None:
        seed = scenario.run.seed if args.seed is None else args.seed
        settings = {"reps": reps, "low": args.low, "high": args.high, "tol": args.tol}
        write_capacity_folder(out, result, str(args.scenario), scenario, seed, settings)
        print(f"results: {out}", file=sys.stderr)
    return 0


def write_capacity_folder(
    out: Path, result: CapacityResult, source: str, scenario: Scenario, seed: int, settings: dict[str, Any]
) -> Path:
    """A sealed results folder of a capacity search (the manifest last, with every file's checksum)."""
    write_csv(out / "capacity_loads.csv", result.evaluations)
    data = payload(result)
    write_atomic(out / "capacity.json", lambda p: p.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8"))
    kpis = result.kpis if result.kpis is not None else pd.DataFrame(columns=["scenario", "replication", "kpi", "value"])
    write_csv(out / "kpis_by_rep.csv", kpis)
    write_csv(out / "kpis_summary.csv", summarise(kpis) if len(kpis) else kpis)
    meta = {
        "command": "capacity",
        "scenario": source,
        "scenario_name": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "seed": seed,
        "target": str(result.target),
        "confidence": result.confidence,
        **settings,
        "multiplier": result.multiplier,
        "conclusion": result.conclusion,
        "stopped": result.stopped,
        **environment(),
    }
    write_manifest(out, meta)  # last: a folder with a manifest is complete
    return out


def _check_bracket(args: argparse.Namespace, cases_per_year: float) -> None:
    """--low, --high and --tol make a search the scenario can run, named when they do not."""
    if not 0 < args.low <= 1:
        raise CommandError(f"--low must be in (0, 1] (got {args.low:g})")
    if args.high < 1:
        raise CommandError(f"--high must be at least 1 (got {args.high:g})")
    if cases_per_year * args.high > MAX_PER_YEAR:
        most = MAX_PER_YEAR / cases_per_year if cases_per_year else math.inf
        raise CommandError(
            f"--high {args.high:g} would simulate {cases_per_year * args.high:,.0f} cases a year; "
            f"arrivals.cases_per_year allows at most {MAX_PER_YEAR:,}, so --high must be <= {most:g}"
        )
    if not args.tol > 0:
        raise CommandError(f"--tol must be a positive width (got {args.tol:g})")


def format_capacity(result: CapacityResult, name: str) -> str:
    """The answer in words, then the table of loads."""
    t, kpi = result.target, result.target.kpi
    side = "lower" if t.side == "lower" else "upper"
    conf = f"{result.confidence:.0%}"
    lines = [f"capacity of {name} for {t} ({conf} one-sided confidence, up to {result.reps} replications per load)", ""]
    if result.multiplier is None:
        lines.append(f"no answer: {result.conclusion}")
    else:
        row = result.at_answer()
        assert row is not None
        lines.append(
            f"answer: {result.multiplier:g}× the load = {result.cases_per_year:,.0f} cases/year "
            f"(the scenario has {result.base_cases_per_year:,.0f})"
        )
        lo, hi = result.bracket
        upper = f"not shown to hold at {hi:g}×" if hi is not None else "the highest load tried"
        lines.append(f"  bracket: holds at {lo:g}×, {upper}")
        bound = f"{fmt_value(kpi, row['bound'])} (n={int(row['n'])}) {t.op} {fmt_value(kpi, t.threshold)}"
        lines.append(f"  at the answer: {kpi} mean {fmt_value(kpi, row['mean'])}, {conf} {side} bound {bound}")
        lines.append(f"  {result.conclusion}")
    if result.saturation is not None:
        lines.append(f"  analytic bound: {result.saturation}")
    if result.ceiling is not None:
        lines += [f"  {line}" for line in ceiling_lines([result.ceiling])]
    if result.usage:
        lines.append(f"  replications: {result.usage}; stopped: {result.stopped}")
    table = result.evaluations.sort_values("multiplier")
    if "unstable" in table and (table["unstable"] > 0).any():
        lines += [
            "",
            "⚠ 不稳定：标注“不稳定”的负荷下未结案件持续增长，按已结案件计算的均值有误导性。",
            "  UNSTABLE: at the loads marked unstable the backlog still grows; means over closed cases mislead.",
        ]
    header = f"{'load':>6} {'cases/year':>11} {'mean':>9} {side + ' bound':>12} {'n':>3} {'unstable':>8}  verdict"
    lines += ["", f"  {header}"]
    for row in frames.rows(table, index=False):
        flagged = int(getattr(row, "unstable", 0) or 0)
        unstable = f"{flagged}/{int(row.n)}" if flagged else "0"
        lines.append(
            f"  {row.multiplier:>6.3f} {row.cases_per_year:>11,.0f} {fmt_value(kpi, row.mean):>9} "
            f"{fmt_value(kpi, row.bound):>12} {int(row.n):>3} {unstable:>8}  {row.basis}"
        )
    return "\n".join(lines)


def payload(result: CapacityResult) -> dict[str, Any]:
    """The ``--json`` object."""

    def num(v: Any) -> float | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    return {
        "target": str(result.target),
        "confidence": result.confidence,
        "reps": result.reps,
        "multiplier": result.multiplier,
        "cases_per_year": num(result.cases_per_year),
        "base_cases_per_year": result.base_cases_per_year,
        "bracket": list(result.bracket),
        "conclusion": result.conclusion,
        "stopped": result.stopped,
        "replications": result.usage,
        "simulated": result.simulated,
        "saturation": None
        if result.saturation is None
        else {**vars(result.saturation), "text": str(result.saturation)},
        "ceiling": ceiling_payload([result.ceiling])[0] if result.ceiling is not None else None,
        "evaluations": [
            {
                k: (bool(v) if k == "holds" else v if k == "basis" else int(v) if k == "unstable" else num(v))
                for k, v in row.items()
            }
            for row in result.evaluations.to_dict(orient="records")
        ],
    }
