"""``courtsim compare BASE OTHER...``: paired differences under common random numbers."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import pandas as pd

from sim import frames
from sim.api import comparison_table, kpi_info
from sim.commands import SUMMARIES
from sim.commands.common import (
    CommandError,
    add_experiment_options,
    fmt_diff,
    fmt_value,
    guarded,
    out_folder,
    report_usage,
    session,
)
from sim.config.load import load_scenario
from sim.config.schema import Scenario
from sim.experiments.results import write_results
from sim.experiments.running import run_experiment
from sim.experiments.statistics import differences, replications_needed
from sim.io import write_csv
from sim.metrics import View, headline, in_order

__all__ = ["format_comparison", "format_precision", "kpi_order", "payload", "precision_advice", "register", "run"]


# ---------------------------------------------------------------- formatting


def kpi_order(kpis: list[str]) -> list[str]:
    """Headline KPIs first (as ``courtsim run`` prints them), then the others in listing order, utilisation last."""
    head = headline(View.TERMINAL, kpis)
    return head + [k for k in in_order(kpis) if k not in head]


# ---------------------------------------------------------------- the command


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help=SUMMARIES["compare"],
        description="Run BASE and each OTHER on the same replications (the same cases) and print, per KPI, "
        "the paired difference OTHER − BASE with its 95% t-interval and whether it is significant.",
    )
    parser.add_argument("base", metavar="BASE", help="the base scenario TOML file")
    parser.add_argument("others", metavar="OTHER", nargs="+", help="scenario files to compare with the base")
    add_experiment_options(parser)
    parser.add_argument("--out", metavar="DIR", help="also write a results folder (KPIs, paired differences)")
    parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument(
        "--precision",
        default="fast45_rate=0.01",
        metavar="KPI=HALF",
        help="advise the replications for a ±HALF interval on KPI, for each level and difference "
        "(default fast45_rate=0.01, ±1 percentage point)",
    )
    parser.set_defaults(func=run)


def _load_all(paths: list[str]) -> dict[str, Scenario]:
    scenarios: dict[str, Scenario] = {}
    for path in paths:
        scenario = load_scenario(path)
        if scenario.name in scenarios:
            raise CommandError(f"{path}: another scenario is also named {scenario.name!r}; names must differ")
        scenarios[scenario.name] = scenario
    return scenarios


@guarded
def run(args: argparse.Namespace) -> int:
    """Load, run under CRN, print the paired differences."""
    scenarios = _load_all([args.base, *args.others])
    base = next(iter(scenarios))
    precision_kpi, half_width = _precision_option(args.precision)
    out = out_folder(args)
    reps = args.reps or scenarios[base].run.replications
    with session(args) as (backend, evaluator):
        result = run_experiment(
            scenarios, reps, args.seed, backend=backend, cache=evaluator.cache, progress=evaluator.progress
        )
        evaluator.computed, evaluator.cached = result.computed, result.cached
    table = comparison_table(result, base)
    advice = precision_advice(result.kpis, base, precision_kpi, half_width)
    if args.json:
        data = payload(table, result.reps, result.seed)
        data["precision"] = [{k: _plain(v) for k, v in row.items()} for row in advice.to_dict(orient="records")]
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(format_comparison(table, result.reps, result.seed))
        print(format_precision(advice, precision_kpi, half_width))
    report_usage(args, backend, evaluator)
    if out is not None:
        sources = dict(zip(scenarios, [args.base, *args.others], strict=True))
        write_csv(out / "paired_differences.csv", table)
        write_results(out, result, sources=sources, overwrite=True, extra={"command": "compare", "base": base})
        print(f"results: {out}", file=sys.stderr)
    return 0


def _precision_option(text: str) -> tuple[str, float]:
    kpi, sep, half = text.partition("=")
    try:
        value = float(half)
    except ValueError:
        value = -1.0
    if not sep or not (math.isfinite(value) and value > 0) or kpi_info(kpi.strip()) is None:
        raise CommandError(f"--precision {text!r}: expected KPI=HALF_WIDTH with a known KPI, e.g. fast45_rate=0.01")
    return kpi.strip(), value


def precision_advice(kpis: pd.DataFrame, base: str, kpi: str, half_width: float) -> pd.DataFrame:
    """Replications needed for ``± half_width`` on ``kpi``: each scenario's level, then each difference."""
    levels = replications_needed(kpis, kpi, half_width).assign(of="level")
    diffs = replications_needed(differences(kpis, base), kpi, half_width).assign(of=f"difference from {base}")
    return pd.concat([levels, diffs], ignore_index=True)


def format_precision(advice: pd.DataFrame, kpi: str, half_width: float) -> str:
    """One line per level and difference: the half-width now and the replications ``± half_width`` needs."""
    lines = [
        f"replications for ±{fmt_diff(kpi, half_width).lstrip('+')} on {kpi} "
        "(confidence-interval method, Law & Kelton §9.4.1; docs/experiments.md):"
    ]
    for row in frames.rows(advice, index=False):
        needed = "n/a" if math.isnan(row.needed) else f"{int(row.needed)}"
        now = fmt_diff(kpi, row.half_width).lstrip("+")
        lines.append(
            f"  {row.scenario} ({row.of}): ±{now} with {row.n}; ±{fmt_diff(kpi, half_width).lstrip('+')} "
            f"needs about {needed}{' (enough)' if row.enough else ''}"
        )
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars unwrapped, NaN as null."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def format_comparison(table: pd.DataFrame, reps: int, seed: int) -> str:
    """Per other scenario: every KPI's base mean, other mean, paired difference [CI], verdict."""
    lines: list[str] = []
    for other, rows in table.groupby("scenario", sort=False):
        base = rows["base"].iloc[0]
        rows = rows.set_index("kpi")
        lines += [
            f"{other} − {base}: {reps} paired replications (common random numbers), seed {seed}",
            "  difference = mean of (other − base) per replication, [95% t-interval]; * = significant",
            "",
            f"  {'KPI':<40} {base[:14]:>14} {str(other)[:14]:>14}  {'difference [95% CI]':<30}",
        ]
        for kpi in kpi_order(list(rows.index)):
            lines.append(_line(kpi, frames.line(rows, kpi)))
        lines.append("")
    return "\n".join(lines).rstrip()


def _line(kpi: str, row: pd.Series) -> str:
    ci = f"[{fmt_diff(kpi, row.ci_low).removesuffix(' pp')}, {fmt_diff(kpi, row.ci_high)}]"
    diff = f"{fmt_diff(kpi, row.mean_diff)} {ci}{' *' if row.significant else ''}"
    verdict = "" if row.verdict == "no significant difference" else row.verdict
    return (
        f"  {str(row.en)[:40]:<40} {fmt_value(kpi, row.base_mean):>14} {fmt_value(kpi, row['mean']):>14}"
        f"  {diff:<32} {verdict:<8} {row.zh}"
    )


def payload(table: pd.DataFrame, reps: int, seed: int) -> dict[str, Any]:
    """The ``--json`` object: per other scenario, per KPI, the paired difference and both means."""

    def num(v: Any) -> float | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    comparisons: dict[str, dict[str, Any]] = {}
    order = {kpi: i for i, kpi in enumerate(kpi_order(list(dict.fromkeys(table["kpi"]))))}
    table = table.sort_values("kpi", key=lambda s: s.map(order), kind="stable")
    for row in frames.rows(table, index=False):
        comparisons.setdefault(str(row.scenario), {})[str(row.kpi)] = {
            "zh": row.zh,
            "en": row.en,
            "base_mean": num(row.base_mean),
            "mean": num(row.mean),
            "mean_diff": num(row.mean_diff),
            "ci_low": num(row.ci_low),
            "ci_high": num(row.ci_high),
            "significant": bool(row.significant),
            "verdict": row.verdict,
            "n": int(row.n),
            "welch_half_width": num(row.welch_half_width),
        }
    base = str(table["base"].iloc[0]) if len(table) else None
    return {"base": base, "reps": reps, "seed": seed, "level": 0.95, "comparisons": comparisons}
