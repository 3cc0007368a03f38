"""``courtsim levers SCENARIO --target ...``: every lever the scenario exposes, CRN-paired, screened.

A command of its own rather than an option of ``staff``: ``staff`` answers "the smallest
head-count that holds", step by step; this answers "which change, of any kind, moves the
target and by how much", one change at a time and then the helpful ones together.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import pandas as pd

from sim.commands import SUMMARIES, common
from sim.commands.common import (
    add_experiment_options,
    fmt_diff,
    fmt_value,
    guarded,
    out_folder,
    report_usage,
    session,
    set_reps_help,
)
from sim.config.load import load_scenario, scenario_hash
from sim.experiments.levers import LeverResult, search_levers
from sim.experiments.results import write_manifest
from sim.experiments.statistics import summarise
from sim.experiments.types import parse_target
from sim.io import write_atomic, write_csv
from sim.metrics.stability import instability_warning
from sim.provenance import environment


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``levers`` subcommand."""
    parser = subparsers.add_parser(
        "levers",
        help=SUMMARIES["levers"],
        description="Run every lever the scenario exposes against it under common random numbers: one more "
        "person in each of the --top-k busiest posts, each triage rule dropped or added, the simple-case "
        "threshold halved and doubled, each [reform] mechanism switched, more electronic service, each other "
        "dispatch order and handler rule. Levers clearly worse than another after --screen-reps replications "
        "stop there; the others run to --reps. Then the levers with a significant good effect run together. "
        "Prints each lever's effect on the targets with its 95%% interval, whether it meets them, the ceiling "
        "under it and its unstable replications. docs/experiments.md §5.2.",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    parser.add_argument(
        "--target",
        dest="targets",
        action="append",
        required=True,
        metavar="KPI>=X",
        help="a target such as 'fast45_rate>=0.9' (repeatable: all must hold)",
    )
    parser.add_argument(
        "--top-k",
        type=common._positive,
        default=3,
        metavar="K",
        help="staffing levers: the K busiest posts (default 3)",
    )
    parser.add_argument(
        "--screen-reps",
        type=common._positive,
        default=2,
        metavar="N",
        help="replications after which levers clearly worse than another stop (default 2, >= 2)",
    )
    parser.add_argument(
        "--confidence", type=float, default=0.95, metavar="C", help="one-sided confidence (default 0.95)"
    )
    add_experiment_options(parser)
    set_reps_help(parser, "replications per lever that survives the screen (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--out", metavar="DIR", help="write levers.csv, levers.json, the KPIs and a manifest")
    parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out folder")
    parser.set_defaults(func=run)


@guarded
def run(args: argparse.Namespace) -> int:
    """Search the levers, print the table (best first), write the folder."""
    scenario = load_scenario(args.scenario)
    targets = [parse_target(t) for t in args.targets]
    if not 0.5 <= args.confidence < 1:
        raise ValueError(f"--confidence must be in [0.5, 1) (got {args.confidence})")
    reps = args.reps or 3
    if not 2 <= args.screen_reps <= reps:
        raise ValueError(f"--screen-reps must be between 2 and --reps ({reps}) (got {args.screen_reps})")
    out = out_folder(args)
    with session(args) as (backend, evaluator):
        result = search_levers(
            scenario,
            targets,
            evaluator,
            reps=reps,
            screen_reps=args.screen_reps,
            confidence=args.confidence,
            top_k=args.top_k,
        )
    print(
        json.dumps(payload(result), ensure_ascii=False, indent=2) if args.json else format_levers(result, scenario.name)
    )
    report_usage(args, backend, evaluator)
    if out is not None:
        write_csv(out / "levers.csv", result.table)
        data = payload(result)
        write_atomic(
            out / "levers.json", lambda p: p.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
        )
        kpis = (
            result.kpis
            if result.kpis is not None
            else pd.DataFrame(columns=["scenario", "replication", "kpi", "value"])
        )
        write_csv(out / "kpis_by_rep.csv", kpis)
        write_csv(out / "kpis_summary.csv", summarise(kpis) if len(kpis) else kpis)
        seed = scenario.run.seed if args.seed is None else args.seed
        meta = {
            "command": "levers",
            "scenario": str(args.scenario),
            "scenario_hash": scenario_hash(scenario),
            "seed": seed,
            "targets": [str(t) for t in targets],
            "reps": reps,
            "screen_reps": args.screen_reps,
            "top_k": args.top_k,
            "confidence": args.confidence,
            "conclusion": result.conclusion,
            **environment(),
        }
        write_manifest(out, meta)
        print(f"results: {out}", file=sys.stderr)
    return 0


def format_levers(result: LeverResult, name: str) -> str:
    """The warning if the scenario is unstable, the conclusion, the ceilings, then one line per lever."""
    lines: list[str] = []
    flagged, reps = result.base_unstable
    if flagged:
        zh, en = instability_warning(flagged, reps)
        lines += [f"!! {zh}", f"!! {en}", ""]
    targets = ", ".join(str(t) for t in result.targets)
    lines += [
        f"结论 levers of {name} against {targets} ({result.confidence:.0%} one-sided; screened after "
        f"{result.screen_reps} replications, {result.reps} for the rest):",
        ("answer: " if result.met else "not met: ") + result.conclusion,
        f"stopped: {result.stopped}",
        f"replications: {result.usage}",
    ]
    for check in result.ceilings:
        zh, en = check.sentence()
        lines += [f"上限 ceiling: {zh}", f"  {en}"]
    lines.append("")
    kpis = [t.kpi for t in result.targets]
    header = ["类别 kind", "杠杆 lever"]
    for kpi in kpis:
        header += [f"{kpi} mean (bound)", "Δ [95% CI]"]
    header += ["达标 holds", "上限 ceiling", "不稳定 unstable", "n"]
    body = []
    for r in result.table.to_dict(orient="records"):
        cells = [str(r["kind_zh"]), f"{r['zh']} / {r['lever']}"]
        for kpi in kpis:
            cells.append(f"{fmt_value(kpi, r[f'{kpi}_mean'])} ({fmt_value(kpi, r[f'{kpi}_bound'])})")
            mark = " *" if r[f"{kpi}_significant"] else ""
            cells.append(
                f"{fmt_diff(kpi, r[f'{kpi}_diff'])}{mark} [{fmt_diff(kpi, r[f'{kpi}_diff_low'])}, "
                f"{fmt_diff(kpi, r[f'{kpi}_diff_high'])}]"
            )
        cells.append("是 yes" if r["holds"] else "否 no")
        cells.append("—" if math.isnan(float(r["ceiling"])) else f"{100 * float(r['ceiling']):.1f}%")
        cells.append(f"⚠ {int(r['unstable_reps'])}/{int(r['n'])}" if r["unstable_reps"] else "0")
        cells.append(str(int(r["n"])))
        body.append(cells)
    widths = [max(_width(c) for c in column) for column in zip(header, *body, strict=True)]
    for row in [header, *body]:
        lines.append("  " + "  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)))
    lines += ["", "* the 95% interval of the paired difference excludes 0; Δ is the lever minus the scenario as given"]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata  # only the table needs it

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def payload(result: LeverResult) -> dict[str, Any]:
    """The ``--json`` object."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return None
        return value

    return {
        "targets": [str(t) for t in result.targets],
        "confidence": result.confidence,
        "met": result.met,
        "conclusion": result.conclusion,
        "stopped": result.stopped,
        "replications": result.usage,
        "simulated": result.simulated,
        "unstable_replications": result.base_unstable[0],
        "combined": list(result.combined),
        "ceilings": [
            {"target": str(c.target), "mean": clean(c.mean), "upper_bound": clean(c.bound), "reachable": c.reachable}
            | dict(zip(("zh", "en"), c.sentence(), strict=True))
            for c in result.ceilings
        ],
        "levers": [{k: clean(v) for k, v in row.items()} for row in result.table.to_dict(orient="records")],
    }
