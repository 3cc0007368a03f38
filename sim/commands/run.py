"""``courtsim run SCENARIO``: replications of one scenario, headline KPIs, a results folder."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim.commands import common
from sim.config.load import ScenarioError, load_scenario
from sim.experiment import ExperimentResult, run_experiment
from sim.metrics import KPIS
from sim.results import ResultsExistError, default_folder, write_results

HEADLINE = (
    "fast45_rate", "fast45_rate_completed", "fast45_rate_zhongben", "within_limit_rate",
    "property_within_limit_rate", "completion_rate", "zhongben_rate", "actual_enforcement_rate",
    "recovery_rate", "mean_days_to_close", "mean_days_to_close_first", "mean_days_to_close_completed",
    "mean_days_to_close_fast", "mean_days_to_close_standard",
    "closed_per_officer", "backlog_end", "backlog_growth_per_day", "unstable",
)  # fmt: skip
"""The KPIs printed first; utilisation per team × role follows."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="simulate a scenario and print its KPIs with 95%% confidence intervals",
        description="Run replications of a scenario under common random numbers, print the headline "
        "KPIs (mean and 95%% t-interval) and write a results folder (default results/<name>-<time>).",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    common.add_run_options(parser)
    parser.add_argument("--out", metavar="DIR", help="results folder (default: results/<scenario>-<timestamp>)")
    parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out folder")
    parser.add_argument("--no-save", action="store_true", help="print only; write no results folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--report", action="store_true", help="also write report.html into the results folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run, print, save."""
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        return common.print_scenario_error(exc)
    reps = args.reps or scenario.run.replications
    out = None if args.no_save else Path(args.out) if args.out else default_folder(scenario.name)
    if out is not None and out.exists() and any(out.iterdir()) and not args.overwrite:
        print(f"error: {out} exists and is not empty; choose another --out or pass --overwrite", file=sys.stderr)
        return common.EXIT_USAGE
    result = run_experiment({scenario.name: scenario}, reps, args.seed, jobs=args.jobs,
                            keep_runs=out is not None, progress=common.progress_printer(args.quiet))  # fmt: skip
    payload = summary_payload(result, scenario.name)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(format_table(result, scenario.name))
    if out is not None:
        try:
            write_results(out, result, sources={scenario.name: str(Path(args.scenario))}, overwrite=args.overwrite)
        except ResultsExistError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return common.EXIT_USAGE
        if args.report:
            from sim.report import write_run_report

            write_run_report(out)
        print(f"results: {out}", file=sys.stderr)
    return 0


def summary_payload(result: ExperimentResult, label: str) -> dict[str, Any]:
    """The ``--json`` object: ``kpis`` (id → mean, ci_low, ci_high, n) and ``cases``.

    ``cases`` gives the mean per replication of the counted cases filed, closed, and
    still open at the horizon.
    """
    table = result.summary()
    table = table[table.scenario == label]
    kpis = {
        row.kpi: {"mean": _num(row.mean), "ci_low": _num(row.ci_low), "ci_high": _num(row.ci_high), "n": int(row.n)}
        for row in table.itertuples()
    }
    ids = {"arrived": "received_cases", "closed": "closed_cases", "open": "backlog_end"}
    counts = {key: kpis.get(kpi, {}).get("mean") for key, kpi in ids.items()}
    return {"scenario": label, "reps": result.reps, "seed": result.seed, "kpis": kpis, "cases": counts}


def _num(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def format_table(result: ExperimentResult, label: str) -> str:
    """The headline KPIs, then utilisation, as aligned text with Chinese and English names."""
    table = result.summary()
    table = table[table.scenario == label].set_index("kpi")
    order = [k for k in HEADLINE if k in table.index]
    order += sorted(k for k in table.index if k.startswith("util_"))
    lines = [f"{label}: {result.reps} replications, seed {result.seed} (mean [95% CI])", ""]
    for kpi in order:
        lines.append(_line(kpi, table.loc[kpi]))
    return "\n".join(lines)


def _line(kpi: str, row: pd.Series) -> str:
    info = KPIS.get(kpi)
    zh, en, unit = (info.zh, info.en, info.unit) if info else (kpi, kpi, "")
    percent = unit in ("share", "rate", "%")
    fmt = (lambda v: "    n/a" if _num(v) is None else f"{100 * v:6.1f}%") if percent else \
        (lambda v: "    n/a" if _num(v) is None else f"{v:7.1f}")  # fmt: skip
    ci = f"[{fmt(row.ci_low).strip()}, {fmt(row.ci_high).strip()}]" if _num(row.ci_low) is not None else ""
    return f"  {en:<44} {fmt(row['mean'])} {ci:<18} {zh}"
