"""``courtsim staff SCENARIO --target ... (--add N | --redistribute ROLE)``: a staffing search."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim import frames
from sim.commands import SUMMARIES, common
from sim.commands.common import (
    add_experiment_options,
    ceiling_lines,
    ceiling_payload,
    fmt_value,
    guarded,
    out_folder,
    report_usage,
    session,
    set_reps_help,
)
from sim.config.load import load_scenario, scenario_hash
from sim.config.schema import Scenario
from sim.display import ljust, rjust, width
from sim.experiments.results import write_manifest
from sim.experiments.staffing_search import DEFAULT_CHECK_REPS, DEFAULT_REPS, StaffResult, search_staffing
from sim.experiments.statistics import summarise
from sim.experiments.types import parse_target
from sim.io import write_atomic, write_csv
from sim.lang import bi
from sim.provenance import environment
from sim.vocab import ROLE_ZH, TEAM_ZH, Role, Team


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``staff`` subcommand."""
    parser = subparsers.add_parser(
        "staff",
        help=SUMMARIES["staff"],
        description="Greedy marginal allocation guided by utilisation: at each step try one more person "
        "(--add) or one person moved (--redistribute ROLE) for the busiest team × role pairs, screen them on "
        "common replications (those clearly worse than another stop after --screen-reps), keep the best, "
        "stop when every target holds with confidence; then confirm the finalists whose means meet the "
        "targets, smallest first, with more replications. Defaults: screen after 2 replications, 2 for the "
        "staffing kept, top 3 candidates, 6 for the check. docs/experiments.md.",
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
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--add", type=common._positive, metavar="N", help="add up to N people")
    mode.add_argument(
        "--redistribute",
        choices=[r.value for r in Role],
        metavar="ROLE",
        help="keep the total of ROLE (judge, officer, clerk, bailiff) and move people between teams",
    )
    parser.add_argument(
        "--max-moves",
        type=common._positive,
        default=4,
        metavar="M",
        help="with --redistribute: at most M people moved (default 4)",
    )
    parser.add_argument(
        "--top-k",
        type=common._positive,
        default=3,
        metavar="K",
        help="candidates tried per step, the busiest first (default 3)",
    )
    parser.add_argument(
        "--check-reps",
        type=common._replications,
        metavar="N",
        help="replications for the final check (default 6, or 2 × --reps if larger)",
    )
    parser.add_argument(
        "--screen-reps",
        type=common._positive,
        default=2,
        metavar="N",
        help="replications after which candidates clearly worse than another are dropped (default 2, >= 2)",
    )
    parser.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        metavar="C",
        help="one-sided confidence that a target holds (default 0.95)",
    )
    add_experiment_options(parser)
    set_reps_help(parser, "replications of the staffing kept at each step (default 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write a results folder (staffing, path, candidates, check, KPIs by replication, manifest); "
        "`courtsim report DIR` makes its HTML report",
    )
    parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out folder")
    parser.set_defaults(func=run)


@guarded
def run(args: argparse.Namespace) -> int:
    """Search, print the staffing table, the path and the candidates explored."""
    scenario = load_scenario(args.scenario)
    targets = [parse_target(t) for t in args.targets]
    if not 0.5 <= args.confidence < 1:
        raise ValueError(f"--confidence must be in [0.5, 1) (got {args.confidence})")
    reps = args.reps or DEFAULT_REPS
    check_reps = args.check_reps or max(DEFAULT_CHECK_REPS, 2 * reps)
    if reps < 2:
        raise ValueError(
            f"--reps must be at least 2 for a staffing search (got {reps}): a staffing is screened on the "
            "spread of its replications, and one replication has none"
        )
    if not 2 <= args.screen_reps <= reps:
        raise ValueError(f"--screen-reps must be between 2 and --reps ({reps}) (got {args.screen_reps})")
    out = out_folder(args)  # locked and checked before any simulation
    with session(args) as (backend, evaluator):
        result = search_staffing(
            scenario,
            targets,
            evaluator,
            add=args.add,
            redistribute=args.redistribute,
            reps=reps,
            top_k=args.top_k,
            check_reps=check_reps,
            confidence=args.confidence,
            max_moves=args.max_moves,
            screen_reps=args.screen_reps,
        )
    print(
        json.dumps(payload(result), ensure_ascii=False, indent=2)
        if args.json
        else format_staff(result, scenario.name, reps, check_reps, args.screen_reps)
    )
    report_usage(args, backend, evaluator)
    if out is not None:
        seed = scenario.run.seed if args.seed is None else args.seed
        settings = {
            "reps": reps,
            "check_reps": check_reps,
            "screen_reps": args.screen_reps,
            "top_k": args.top_k,
            "max_moves": args.max_moves,
            "add": args.add,
            "redistribute": args.redistribute,
        }
        write_staff_folder(out, result, str(args.scenario), scenario, seed, settings)
        print(f"results: {out}", file=sys.stderr)
    return 0


STAFF_FILES = ("staff_staffing.csv", "staff_path.csv", "staff_explored.csv", "staff_checks.csv", "staff.json")
"""The tables of a ``staff --out`` folder (besides the KPI tables and the manifest)."""


def write_staff_folder(
    out: Path, result: StaffResult, source: str, scenario: Scenario, seed: int, settings: dict[str, Any]
) -> Path:
    """A sealed results folder of a staffing search (the manifest last, with every file's checksum)."""
    table = result.staffing_table()
    table.insert(2, "team_zh", [str(TEAM_ZH[Team(t)]) for t in table["team"]])
    table.insert(3, "role_zh", [str(ROLE_ZH[Role(r)]) for r in table["role"]])
    write_csv(out / "staff_staffing.csv", table)
    for name, frame in (("path", result.path), ("explored", result.explored), ("checks", result.checks)):
        write_csv(out / f"staff_{name}.csv", _flat(frame))
    data = payload(result)
    write_atomic(out / "staff.json", lambda p: p.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8"))
    kpis = result.kpis if result.kpis is not None else pd.DataFrame(columns=["scenario", "replication", "kpi", "value"])
    write_csv(out / "kpis_by_rep.csv", kpis)
    write_csv(out / "kpis_summary.csv", summarise(kpis) if len(kpis) else kpis)
    meta = {
        "command": "staff",
        "scenario": source,
        "scenario_name": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "seed": seed,
        "targets": [str(t) for t in result.targets],
        "mode": result.mode,
        "confidence": result.confidence,
        **settings,
        "met": result.met,
        "conclusion": result.conclusion,
        "stopped": result.stopped,
        "labels": {label: scenario_hash(s) for label, s in (result.scenarios or {}).items()},
        **environment(),
    }
    write_manifest(out, meta)  # last: a folder with a manifest is complete
    return out


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """A path/candidate table with its head-counts as JSON (team → role → count) instead of a dict column."""
    if "counts" not in frame:
        return frame
    flat = frame.drop(columns="counts")
    flat["staffing"] = [json.dumps(_nested(c), ensure_ascii=False) for c in frame["counts"]]
    return flat


def _aligned(table: list[list[str]], right: set[int]) -> list[str]:
    """Rows of cells padded by display width (:mod:`sim.display`), so columns line up after Chinese."""
    widths = [max(width(row[i]) for row in table) for i in range(len(table[0]))]
    return [
        "  " + "  ".join(rjust(c, widths[i]) if i in right else ljust(c, widths[i]) for i, c in enumerate(row)).rstrip()
        for row in table
    ]


def format_staff(result: StaffResult, name: str, reps: int, check_reps: int, screen_reps: int = 2) -> str:
    """Conclusion, replications used, the staffing table (the changed posts first, headed columns),
    the trade-off path, candidates explored and the final check, each a headed table."""
    targets = ", ".join(str(t) for t in result.targets)
    tables = [t for t in (result.path, result.explored, result.checks) if "unstable_reps" in t]
    flagged = any(bool((t["unstable_reps"] > 0).any()) for t in tables)
    warning = (
        [
            "⚠ 不稳定：标注的人员配置在部分重复中未结案件持续增长，其按已结案件计算的均值有误导性。",
            "  UNSTABLE: the points marked unstable have a growing backlog in some replications; "
            "their means over closed cases are misleading.",
            "",
        ]
        if flagged
        else []
    )
    lines = [
        *warning,
        f"staffing search on {name}: {result.mode}; targets {targets} "
        f"({result.confidence:.0%} one-sided; candidates screened after {screen_reps} replications, "
        f"{reps} for the staffing kept at each step, {check_reps} to check)",
        "",
        (bi("答案", "answer", " ") + ": " if result.met else bi("未达到", "not met", " ") + ": ") + result.conclusion,
        f"replications: {result.usage}" if result.usage else "",
        *ceiling_lines(result.ceilings),
        "",
        bi(
            "人员配置（先列有变动的岗位；proposed = 答案，若都未达到则为最后一步）",
            "staffing, changed posts first (proposed = the answer, or the last step if none met the targets):",
            "\n",
        ),
    ]
    table = result.staffing_table()
    changed = table.loc[table["change"] != 0]
    rest = table.loc[table["change"] == 0]
    head = [bi("岗位", "post", " "), "team", "role", "base", "proposed", "change"]
    cells = [head]
    for row in frames.rows(pd.concat([changed, rest]), index=False):
        zh = f"{TEAM_ZH[Team(row.team)]}·{ROLE_ZH[Role(row.role)]}"
        mark = f"{row.change:+d}" if row.change else ""
        cells.append([zh, str(row.team), str(row.role), str(row.base), str(row.proposed), mark])
    lines += _aligned(cells, {3, 4, 5})
    lines += [
        "",
        bi(
            "权衡路径（人数与目标；平均值与单侧界）",
            "trade-off explored (staff against the targets; mean, one-sided bound):",
            "\n",
        ),
    ]
    lines += _rows(result, result.path, "step")
    if len(result.explored):
        lines += [
            "",
            "candidates tried (gain = drop of the summed relative shortfall of the KPI values from the "
            "staffing before, paired replication by replication; n = replications run):",
        ]
        lines += _rows(result, result.explored, "try")
    lines += ["", f"final check with {check_reps} replications (finalists whose means meet, smallest first):"]
    lines += _rows(result, result.checks, "check") if len(result.checks) else ["  none: no staffing's means meet"]
    return "\n".join(lines)


def _rows(result: StaffResult, table: pd.DataFrame, kind: str) -> list[str]:
    """A headed table: the step, its change, the staff, each target's mean and bound, the status."""
    if not len(table):
        return []
    head = [kind, "change", "staff"]
    for t in result.targets:
        head += [f"{t.kpi} mean", "≥ bound" if t.side == "lower" else "≤ bound"]
    head += ["status", "n", ""] + (["gain; screen"] if kind == "try" else [])
    cells = [head]
    for _, row in table.iterrows():
        status = "holds" if row["all_hold"] else ("means meet" if row["means_meet"] else "short")
        line = [str(int(row["step"])), str(row["change"]), str(int(row["staff"]))]
        for t in result.targets:
            line += [fmt_value(t.kpi, row[f"{t.kpi}_mean"]), fmt_value(t.kpi, row[f"{t.kpi}_bound"])]
        n = str(int(row["n"])) if "n" in row and not pd.isna(row["n"]) else ""
        flagged = int(row.get("unstable_reps", 0) or 0)
        line += [status, n, f"⚠ 不稳定 unstable {flagged}/{n}" if flagged else ""]
        if kind == "try":
            line.append(f"{row['gain']:+.4f}; {row['screen']}" if "screen" in row else "")
        cells.append(line)
    numbers = {0, 2, *range(3, 3 + 2 * len(result.targets)), 4 + 2 * len(result.targets)}
    return _aligned(cells, numbers)


def payload(result: StaffResult) -> dict[str, Any]:
    """The ``--json`` object (tables as records; head-counts as team → role → count)."""

    def clean(table: pd.DataFrame) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for raw in table.to_dict(orient="records"):
            counts = raw.pop("counts", None)
            record = {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in raw.items()}
            if counts is not None:
                record["staffing"] = _nested(counts)
            records.append(record)
        return records

    return {
        "targets": [str(t) for t in result.targets],
        "mode": result.mode,
        "confidence": result.confidence,
        "met": result.met,
        "conclusion": result.conclusion,
        "stopped": result.stopped,
        "replications": result.usage,
        "simulated": result.simulated,
        "ceilings": ceiling_payload(result.ceilings),
        "staffing": result.staffing_table().to_dict(orient="records"),
        "path": clean(result.path),
        "explored": clean(result.explored),
        "checks": clean(result.checks),
    }


def _nested(counts: dict[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    nested: dict[str, dict[str, int]] = {}
    for (team, role), n in counts.items():
        if n:
            nested.setdefault(team, {})[role] = int(n)
    return nested
