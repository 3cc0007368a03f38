"""``courtsim sensitivity SCENARIO``: which assumptions drive the verdict, and does it survive them?"""

from __future__ import annotations

import argparse
import json
import math
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from sim.commands import SUMMARIES
from sim.commands.common import (
    CommandError,
    add_experiment_options,
    fmt_value,
    guarded,
    out_folder,
    progress_printer,
    report_usage,
    session,
)
from sim.config.load import load_scenario, scenario_hash
from sim.config.schema import Scenario
from sim.experiments.sensitivity import Analysis, CourtModel, analyse, measure_first, robustness
from sim.io import write_atomic, write_text
from sim.lang import bi
from sim.metrics import KPIS
from sim.provenance import environment
from sim.report.sensitivity_report import write_sensitivity_report

__all__ = ["DEFAULT_BUDGET", "format_summary", "register", "run", "write_folder"]

DEFAULT_BUDGET = 300
"""Model runs (parameter sets × replications) when ``--budget`` is not given."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sensitivity`` subcommand."""
    parser = subparsers.add_parser(
        "sensitivity",
        help=SUMMARIES["sensitivity"],
        description="Move every uncertain parameter of SCENARIO (its [uncertainty] table, and a range by the "
        "default rules for every EST parameter without one) across its range: a Morris screening (SALib) of "
        "which assumptions move each KPI, then with --method sobol first-order and total Sobol indices of the "
        "few that matter. Every parameter set runs the same replications (common random numbers). Prints the "
        "assumptions that drive the 45-day rate and how often each target is met over the ranges.",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="the scenario TOML file")
    parser.add_argument("--method", choices=("morris", "sobol"), default="morris", help="default morris")
    parser.add_argument(
        "--kpi",
        dest="kpis",
        action="append",
        metavar="KPI",
        help="the KPI(s) whose drivers to rank and choose for Sobol (repeatable; default fast45_rate)",
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=DEFAULT_BUDGET,
        metavar="N",
        help=f"model runs (parameter sets × replications) to spend, default {DEFAULT_BUDGET}",
    )
    parser.add_argument(
        "--groups",
        choices=("auto", "table", "none"),
        default="auto",
        help="screen each parameter (none), the scenario tables (table), or the tables first when the budget "
        "cannot pay for each parameter (auto, the default)",
    )
    parser.add_argument("--top", type=int, default=4, metavar="K", help="parameters for Sobol (default 4)")
    add_experiment_options(parser)
    for action in parser._actions:
        if action.dest == "reps":
            action.help = "replications per parameter set, the same for every set (default 1)"
    parser.add_argument("--out", metavar="DIR", help="write a results folder with the tables and report.html")
    parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out folder")
    parser.add_argument("--json", action="store_true", help="print the indices as JSON records")
    parser.set_defaults(func=run)


@guarded
def run(args: argparse.Namespace) -> int:
    """Load, screen (and Sobol), print; write the folder and its report."""
    _check_salib()
    scenario = load_scenario(args.scenario)
    focus = args.kpis or ["fast45_rate"]
    unknown = [k for k in focus if k not in KPIS and not k.startswith("util_")]
    if unknown:
        raise CommandError(f"unknown --kpi {', '.join(unknown)}; known: {', '.join(KPIS)}")
    if args.budget < 1 or args.top < 1:
        raise CommandError("--budget and --top must be positive whole numbers")
    out = out_folder(args)
    reps = args.reps or 1
    with session(args) as (backend, evaluator):
        model = CourtModel(
            scenario,
            reps=reps,
            seed=args.seed,
            backend=backend,
            cache=evaluator.cache,
            progress=progress_printer(args.quiet),
        )
        if len(model.factors) < 2:
            raise CommandError(f"{args.scenario}: fewer than two uncertain parameters; add ranges in [uncertainty]")
        analysis = analyse(model, method=args.method, budget=args.budget, focus=focus, top=args.top, groups=args.groups)
        evaluator.computed, evaluator.cached = model.computed, model.cached
    if args.json:
        print(analysis.final.indices.to_json(orient="records", force_ascii=False, indent=2))
    else:
        print(format_summary(analysis, model.parameters, focus, scenario, args))
    report_usage(args, backend, evaluator)
    if out is not None:
        write_folder(out, analysis, model.parameters, scenario, args, focus)
        print(f"report: {write_sensitivity_report(out)}", file=sys.stderr)
        print(f"{bi('结果', 'results', ' ')}: {out}", file=sys.stderr)
    return 0


def _check_salib() -> None:
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise CommandError("sensitivity needs SALib: pip install 'courtsim[sensitivity]' (or salib)") from None


def _command(args: argparse.Namespace, focus: list[str]) -> str:
    parts = ["courtsim sensitivity", str(args.scenario), f"--method {args.method}", f"--budget {args.budget}"]
    parts += [f"--kpi {k}" for k in focus] + [f"--reps {args.reps or 1}"]
    parts += [f"--seed {args.seed}"] if args.seed is not None else []
    parts += [f"--groups {args.groups}"] if args.groups != "auto" else []
    parts += [f"--top {args.top}"] if args.method == "sobol" else []
    return " ".join(parts)


def format_summary(analysis: Analysis, parameters: list[Any], focus: list[str], scenario: Scenario, args: Any) -> str:
    """The terminal summary: the stages run, the drivers of each focus KPI, and the verdict's robustness."""
    lines = [
        f"{scenario.name}: {len(parameters)} uncertain parameters; {analysis.runs} model runs, seed "
        f"{scenario.run.seed if args.seed is None else args.seed}"
    ]
    for stage in analysis.stages:
        what = "tables as groups" if stage.grouped else f"{len(stage.factors)} parameters"
        lines.append(f"  {stage.method}: {what}, {stage.settings['points']} parameter sets")
    for kpi in focus:
        lines += ["", f"what drives {kpi} ({analysis.final.method}; ± = half-width of the 95% bootstrap interval):"]
        for row in measure_first(analysis, parameters, kpi, n=5).to_dict(orient="records"):
            lines.append("  " + _index_text({str(k): v for k, v in row.items()}, kpi))
    verdict = robustness(analysis.stages[0])
    lines += ["", f"over the {int(verdict['sets'].max()) if len(verdict) else 0} parameter sets of the first stage:"]
    for row in verdict.to_dict(orient="records"):
        if row["kpi"] == "unstable":
            lines.append(f"  court unstable in {100 * row['share']:.0f}% of the replications")
            continue
        spread = f"median {fmt_value(row['kpi'], row['median'])}, 90% of sets in "
        spread += f"[{fmt_value(row['kpi'], row['q05'])}, {fmt_value(row['kpi'], row['q95'])}]"
        lines.append(f"  {row['kpi']} {row['target']}: met in {100 * row['share']:.0f}% of the sets ({spread})")
    return "\n".join(lines)


def _index_text(row: dict[str, Any], kpi: str) -> str:
    name = f"{row['parameter']:<44}"
    if "S1" in row:
        return f"{name} S1 {row['S1']:.2f} ± {row['S1_conf']:.2f}   ST {row['ST']:.2f} ± {row['ST_conf']:.2f}"
    scale, unit = (100.0, " pp") if kpi.endswith("_rate") else (1.0, "")
    text = f"{name} mu* {scale * row['mu_star']:.2f}{unit} ± {scale * row['mu_star_conf']:.2f}"
    return text if math.isnan(row["sigma"]) else f"{text}   sigma {scale * row['sigma']:.2f}"


STAGE_NAMES = ("groups", "morris", "sobol")


def write_folder(
    out: Path, analysis: Analysis, parameters: list[Any], scenario: Scenario, args: Any, focus: list[str]
) -> None:
    """The results folder: the parameters, each stage's indices, sets and KPIs, the verdict; manifest last."""
    table = pd.DataFrame([vars(p) | {"group": p.group} for p in parameters])
    write_atomic(out / "parameters.csv", lambda p: table.to_csv(p, index=False))
    stages = {}
    for name, stage in zip(STAGE_NAMES, (analysis.groups, analysis.screening, analysis.sobol), strict=True):
        if stage is None:
            continue
        stages[name] = stage.settings | {"grouped": stage.grouped, "factors": [f.name for f in stage.factors]}
        for kind, frame in (("indices", stage.indices), ("samples", stage.samples), ("outputs", stage.outputs)):
            write_atomic(out / f"{name}_{kind}.csv", partial(frame.to_csv, index=False))
    verdict = robustness(analysis.stages[0])
    write_atomic(out / "robustness.csv", lambda p: verdict.to_csv(p, index=False))
    first = pd.concat([measure_first(analysis, parameters, kpi).assign(kpi=kpi) for kpi in focus])
    write_atomic(out / "measure_first.csv", lambda p: first.to_csv(p, index=False))
    meta = {
        "command": "sensitivity",
        "scenario": str(args.scenario),
        "scenario_name": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "method": args.method,
        "budget": args.budget,
        "runs": analysis.runs,
        "reps": args.reps or 1,
        "seed": scenario.run.seed if args.seed is None else args.seed,
        "focus": focus,
        "selected": analysis.selected,
        "stages": stages,
        "reproduce": _command(args, focus),
        **environment(),
    }
    write_text(out / "manifest.json", json.dumps(meta, ensure_ascii=False, indent=2, default=str))
