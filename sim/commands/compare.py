"""``courtsim compare BASE OTHER...``: paired differences under common random numbers.

With ``--attribute`` (or ``--part``) each difference OTHER − BASE is also taken apart into
its parts (:mod:`sim.experiments.attribution`): the intermediate scenarios run in the same
experiment as the two ends, on the same replications, so the ends are simulated once and
the cache serves all of it. An option of ``compare`` rather than a command of its own:
an attribution *is* a comparison (same scenarios, seed, replications, results folder
and report) with more scenarios in between.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path
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
    parse_precision,
    report_usage,
    session,
    warn_of_load,
)
from sim.config.load import load_scenario
from sim.config.schema import Scenario
from sim.display import clip, ljust, width
from sim.experiments.attribution import (
    EFFECTS_FILE,
    KPIS_FILE,
    AttributionResult,
    Plan,
    compact_paths,
    effects,
    plan_attribution,
)
from sim.experiments.results import default_folder, write_results
from sim.experiments.running import run_experiment
from sim.experiments.statistics import differences, replications_needed
from sim.experiments.types import ExperimentResult
from sim.io import write_csv
from sim.lang import bi, lang
from sim.metrics import View, headline, in_order
from sim.metrics.workload import denominators

__all__ = [
    "format_attribution",
    "format_comparison",
    "format_denominators",
    "format_precision",
    "kpi_order",
    "parse_parts",
    "payload",
    "precision_advice",
    "register",
    "run",
]


_METHODS = (("waterfall", "waterfall step"), ("one_at_a_time", "one at a time"), ("shapley", "Shapley"))


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
        "the paired difference OTHER − BASE with its 95% t-interval and whether it is significant. "
        "A KPI that one scenario does not define (e.g. the fast-track rates of a court without a "
        "fast track) is listed as 'only in base' or 'only in other'.",
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
    parser.add_argument(
        "--report",
        action="store_true",
        help="also write the comparison report (report.html) into the results folder "
        "(--out, default results/<base>-vs-<others>-<time>)",
    )
    group = parser.add_argument_group(
        "attribution",
        "take each OTHER − BASE apart into its parts (the groups of the scenario that differ), switched "
        "on one at a time on the same cases: a waterfall in the parts' order, each part's effect alone "
        "with the interaction remainder, and Shapley values when affordable (docs/experiments.md §9)",
    )
    group.add_argument(
        "--attribute",
        action="store_true",
        help="attribute each difference to its parts (about 2 scenarios per part; 2^parts with Shapley)",
    )
    group.add_argument(
        "--part",
        action="append",
        default=[],
        metavar="NAME=PATH[,PATH...]",
        help="name a part by dotted scenario paths (a path takes every differing field below it); "
        "repeat for several, in waterfall order; implies --attribute. The differing fields they "
        "leave form the default parts",
    )
    group.add_argument(
        "--shapley",
        choices=("auto", "yes", "no"),
        default="auto",
        help="Shapley values need 2^parts scenarios: auto = when there are at most 4 parts (default)",
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


def parse_parts(texts: list[str]) -> dict[str, list[str]]:
    """``["org=organisation,staffing"]`` → ``{"org": ["organisation", "staffing"]}``; a clear error otherwise."""
    parts: dict[str, list[str]] = {}
    for text in texts:
        name, sep, paths = text.partition("=")
        listed = [p.strip() for p in paths.split(",") if p.strip()]
        if not sep or not name.strip() or not listed:
            raise CommandError(f"--part {text!r}: expected NAME=PATH[,PATH...], e.g. --part triage=policy.triage")
        if name.strip() in parts:
            raise CommandError(f"--part {text!r}: part {name.strip()!r} is named twice")
        parts[name.strip()] = listed
    return parts


def _plans(args: argparse.Namespace, scenarios: dict[str, Scenario], base: str) -> list[Plan]:
    """Every attribution's scenarios, built and validated before anything is simulated."""
    if not (args.attribute or args.part):
        return []
    parts = parse_parts(args.part)
    shapley = {"auto": None, "yes": True, "no": False}[args.shapley]
    plans = [
        plan_attribution(scenarios[base], scenarios[other], parts, shapley=shapley)
        for other in scenarios
        if other != base
    ]
    if not args.quiet:
        for plan in plans:
            d = plan.design
            print(
                f"attribution of {d.other} − {d.base}: {len(d.parts)} part(s) ({', '.join(d.names)}), "
                f"{len(plan.intermediate)} intermediate scenario(s), Shapley {'on' if d.shapley else 'off'}",
                file=sys.stderr,
            )
    return plans


@guarded
def run(args: argparse.Namespace) -> int:
    """Load and check everything, run under CRN, print the paired differences (and attributions)."""
    scenarios = _load_all([args.base, *args.others])
    base = next(iter(scenarios))
    precision_kpi, half_width = parse_precision(args.precision, "--precision")
    out = out_folder(args)
    if out is None and args.report:
        out = default_folder(f"{base}-vs-{'-'.join(list(scenarios)[1:])}")
    plans = _plans(args, scenarios, base)
    everything = dict(scenarios)
    for plan in plans:
        everything.update(plan.intermediate)
    reps = args.reps or scenarios[base].run.replications
    warn_of_load(scenarios, reps)
    with session(args) as (backend, evaluator):
        ran = run_experiment(
            everything, reps, args.seed, backend=backend, cache=evaluator.cache, progress=evaluator.progress
        )
        evaluator.computed, evaluator.cached = ran.computed, ran.cached
    result = _only(ran, scenarios)
    table = comparison_table(result, base)
    advice = precision_advice(result.kpis, base, precision_kpi, half_width)
    attributions = [AttributionResult(p.design, ran.kpis, effects(p.design, ran.kpis)) for p in plans]
    if args.json:
        data = payload(table, result.reps, result.seed)
        data["precision"] = [{k: _plain(v) for k, v in row.items()} for row in advice.to_dict(orient="records")]
        data["attribution"] = [_attribution_payload(a) for a in attributions]
        data["denominators"] = {
            label: [dataclasses.asdict(d) for d in denominators(s)] for label, s in scenarios.items()
        }
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(format_comparison(table, result.reps, result.seed))
        print(format_precision(advice, precision_kpi, half_width))
        print()
        print(format_denominators(scenarios))
        for attribution in attributions:
            print()
            print(format_attribution(attribution, result.reps))
        if not attributions and not args.quiet:
            print(
                "\nto take each difference apart into the scenario's parts (waterfall, one at a time, "
                "CRN-paired), add --attribute (docs/experiments.md §9)",
                file=sys.stderr,
            )
    report_usage(args, backend, evaluator)
    if out is not None:
        _write(out, args, result, table, attributions, ran)
        print(f"{bi('结果', 'results', ' ')}: {out}", file=sys.stderr)
    return 0


def _only(result: ExperimentResult, scenarios: dict[str, Scenario]) -> ExperimentResult:
    """The experiment restricted to the scenarios named on the command line."""
    kpis = result.kpis.loc[result.kpis["scenario"].isin(list(scenarios))].reset_index(drop=True)
    return dataclasses.replace(result, kpis=kpis, scenarios=dict(scenarios))


def _write(
    out: Path,
    args: argparse.Namespace,
    result: ExperimentResult,
    table: pd.DataFrame,
    attributions: list[AttributionResult],
    ran: ExperimentResult,
) -> None:
    """The results folder: the ends as a comparison, the attributions beside them, then the report."""
    sources = dict(zip(result.scenarios, [args.base, *args.others], strict=True))
    extra: dict[str, Any] = {"command": "compare", "base": next(iter(result.scenarios))}
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "paired_differences.csv", table)
    if attributions:
        inner = ran.kpis.loc[~ran.kpis["scenario"].isin(list(result.scenarios))]
        effects = [a.effects.assign(base=a.design.base, scenario=a.design.other) for a in attributions]
        write_csv(out / KPIS_FILE, inner)
        write_csv(out / EFFECTS_FILE, pd.concat(effects))
        extra["attribution"] = [a.design.to_json() for a in attributions]
    write_results(out, result, sources=sources, overwrite=True, extra=extra)
    if args.report:
        from sim.report import write_comparison_report  # matplotlib: only with --report

        write_comparison_report(out)


# ---------------------------------------------------------------- precision advice


def precision_advice(kpis: pd.DataFrame, base: str, kpi: str, half_width: float) -> pd.DataFrame:
    """Replications needed for ``± half_width`` on ``kpi``: each scenario's level, then each difference.

    A scenario (or a difference) in which ``kpi`` has no value in any replication gets a row
    with ``n`` = 0 and ``needed`` NaN: the KPI is not defined there (a court without a fast
    track has no fast-track rate), which is an answer, not an error; ``undefined_in`` names
    the scenarios without a value.
    """
    own = kpis.loc[kpis["kpi"] == kpi]
    scenarios = list(dict.fromkeys(kpis["scenario"]))
    undefined = set(scenarios) - set(own.dropna(subset=["value"])["scenario"])
    levels = _advice(own, kpi, half_width, scenarios).assign(of="level")
    levels["undefined_in"] = [s if s in undefined else "" for s in levels["scenario"]]
    diffs = differences(own, base) if len(own) else own.iloc[0:0]
    others = [s for s in scenarios if s != base]
    diffs = _advice(diffs, kpi, half_width, others).assign(of=f"difference from {base}")
    diffs["undefined_in"] = [", ".join(x for x in (base, s) if x in undefined) for s in diffs["scenario"]]
    return pd.concat([levels, diffs], ignore_index=True)


def _advice(kpis: pd.DataFrame, kpi: str, half_width: float, scenarios: list[str]) -> pd.DataFrame:
    defined = kpis.dropna(subset=["value"])
    table = (
        replications_needed(defined, kpi, half_width)
        if len(defined)
        else pd.DataFrame(columns=["scenario", "kpi", "n", "mean", "sd", "half_width", "target", "needed", "enough"])
    )
    nan = math.nan
    missing = [
        {"scenario": s, "kpi": kpi, "n": 0, "mean": nan, "sd": nan, "half_width": nan, "target": half_width}
        | {"needed": nan, "enough": False}
        for s in scenarios
        if s not in set(table["scenario"])
    ]
    if missing:
        table = pd.concat([table, pd.DataFrame(missing, columns=table.columns)], ignore_index=True)
    return table.set_index("scenario").loc[scenarios].reset_index()


def format_precision(advice: pd.DataFrame, kpi: str, half_width: float) -> str:
    """One line per level and difference: the half-width now and the replications ``± half_width`` needs."""
    target = fmt_diff(kpi, half_width).lstrip("+")
    method = "confidence-interval method, Law & Kelton §9.4.1; docs/experiments.md"
    lines = [f"replications for ±{target} on {kpi} ({method}):"]
    for row in frames.rows(advice, index=False):
        if row.n == 0:
            where = f" in {row.undefined_in}" if row.undefined_in else ""
            lines.append(f"  {row.scenario} ({row.of}): {kpi} is not defined{where} (no value in any replication)")
            continue
        needed = "n/a" if math.isnan(row.needed) else f"{int(row.needed)}"
        now = fmt_diff(kpi, row.half_width).lstrip("+")
        lines.append(
            f"  {row.scenario} ({row.of}): ±{now} with {row.n}; ±{target} "
            f"needs about {needed}{' (enough)' if row.enough else ''}"
        )
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars unwrapped, NaN as null."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


# ---------------------------------------------------------------- the comparison table


def format_comparison(table: pd.DataFrame, reps: int, seed: int) -> str:
    """Per other scenario: every KPI's base mean, other mean, paired difference [CI], verdict.

    Each row begins with the KPI's Chinese name, then its English one (alone under ``--lang en``);
    the columns are padded by display width (:mod:`sim.display`), so they line up after Chinese.
    """
    lines: list[str] = []
    chinese = lang() == "zh"
    for other, rows in table.groupby("scenario", sort=False):
        base = rows["base"].iloc[0]
        rows = rows.set_index("kpi")
        order = kpi_order(list(rows.index))
        zh_width = max([width(str(frames.line(rows, k).zh)) for k in order] + [4]) if chinese else 0
        names = ljust("指标", zh_width) + "  " if chinese else ""
        lines += [
            bi(
                f"{other} − {base}：{reps} 次配对重复（共同随机数），随机种子 {seed}",
                f"{other} − {base}: {reps} paired replications (common random numbers), seed {seed}",
                "\n",
            ),
            "  "
            + bi(
                "差 = 每次重复（方案 − 基准）的平均，[95% t 区间]；* = 显著；n/a = 该情景中无定义",
                "difference = mean of (other − base) per replication, [95% t-interval]; * = significant; "
                "n/a = not defined in that scenario",
                "\n  ",
            ),
            "",
            f"  {names}{'KPI':<40} {base[:14]:>14} {str(other)[:14]:>14}  {'difference [95% CI]':<30}",
        ]
        for kpi in order:
            lines.append(_line(kpi, frames.line(rows, kpi), zh_width))
        lines.append("")
    return "\n".join(lines).rstrip()


def _line(kpi: str, row: pd.Series, zh_width: int = 0) -> str:
    if row.n == 0:
        diff = "n/a"
    else:
        ci = f"[{fmt_diff(kpi, row.ci_low).removesuffix(' pp')}, {fmt_diff(kpi, row.ci_high)}]"
        diff = f"{fmt_diff(kpi, row.mean_diff)} {ci}{' *' if row.significant else ''}"
    verdict = "" if row.verdict == "no significant difference" else row.verdict
    zh = f"{ljust(str(row.zh), zh_width)}  " if zh_width else ""
    return (
        f"  {zh}{ljust(clip(str(row.en), 40), 40)} "
        f"{fmt_value(kpi, row.base_mean):>14} {fmt_value(kpi, row['mean']):>14}"
        f"  {diff:<32} {verdict}"
    ).rstrip()


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


def format_denominators(scenarios: dict[str, Scenario]) -> str:
    """The head-counts the per-head KPIs divide by, in every scenario (planned; KPIs use the window's mean)."""
    lines = ["denominators of the per-head KPIs (planned head-count; the KPIs divide by the window's mean):"]
    for label, scenario in scenarios.items():
        shown = "; ".join(f"{d.id} {d.count} ({d.detail})" for d in denominators(scenario))
        lines.append(f"  {label}: {shown}")
    return "\n".join(lines)


# ---------------------------------------------------------------- the attribution


def _attribution_kpis(attribution: AttributionResult) -> list[str]:
    """The KPIs the text shows: the comparison figure's, where both ends define them."""
    totals = attribution.effects.loc[attribution.effects["method"] == "total"]
    defined = set(totals.loc[totals["n"] > 0, "kpi"])
    return [k for k in headline(View.FOCUS) if k in defined]


def _effect(kpi: str, row: pd.Series | None) -> str:
    if row is None or row.n == 0:
        return "n/a"
    ci = f"[{fmt_diff(kpi, row.ci_low).removesuffix(' pp')}, {fmt_diff(kpi, row.ci_high)}]"
    return f"{fmt_diff(kpi, row['mean'])} {ci}{' *' if row.significant else ''}"


def format_attribution(attribution: AttributionResult, reps: int) -> str:
    """The parts, then per KPI of the comparison figure: each part's effect by each method."""
    d = attribution.design
    lines = [
        f"attribution of {d.other} − {d.base}: {reps} paired replications; parts switched on from the base "
        "in this order (waterfall), each alone (one at a time; remainder = interaction)"
        + (", and Shapley values" if d.shapley else ""),
    ]
    for i, part in enumerate(d.parts, start=1):
        lines.append(f"  part {i} {part.name}: {compact_paths(part.paths)}")
        if part.note:
            lines.append(f"    grouped: {part.note}")
        if part.alone_problem:
            lines.append(f"    no effect alone: {part.alone_problem}")
    lines += [f"  note: {note}" for note in d.notes]
    methods = [(m, title) for m, title in _METHODS if m != "shapley" or d.shapley]
    effects_ = attribution.effects.set_index(["kpi", "method", "part"])
    width = min(max(len(n) for n in [*d.names, "interaction remainder"]) + 2, 40)
    for kpi in _attribution_kpis(attribution):
        info = kpi_info(kpi)
        total = frames.line(effects_, (kpi, "total", "total"))
        base_level = attribution.kpis.loc[
            (attribution.kpis["scenario"] == d.base) & (attribution.kpis["kpi"] == kpi), "value"
        ].mean()
        lines += [
            "",
            f"  {info.en if info else kpi} ({info.zh if info else kpi}): {d.base} {fmt_value(kpi, base_level)}, "
            f"total {_effect(kpi, total)}",
            f"    {'part':<{width}}" + "".join(f"{title:<30}" for _, title in methods),
        ]
        for name in [*d.names, "remainder"]:
            cells = [_effect(kpi, _row(effects_, kpi, method, name)) for method, _ in methods]
            if name == "remainder":
                alone = all(p.alone for p in d.parts)
                cells = [
                    "" if m != "one_at_a_time" else c if alone else "n/a (a part has no effect alone)"
                    for (m, _), c in zip(methods, cells, strict=True)
                ]
            label = "interaction remainder" if name == "remainder" else name
            lines.append(f"    {label[:width]:<{width}}" + "".join(f"{c:<30}" for c in cells))
    return "\n".join(lines)


def _row(effects_: pd.DataFrame, kpi: str, method: str, part: str) -> pd.Series | None:
    key = (kpi, method, part)
    result: pd.Series | None = frames.line(effects_, key) if key in effects_.index else None
    return result


def _attribution_payload(attribution: AttributionResult) -> dict[str, Any]:
    """The ``--json`` form: the design, and per KPI the effects by method and part."""
    by_kpi: dict[str, list[dict[str, Any]]] = {}
    for row in attribution.effects.to_dict(orient="records"):
        by_kpi.setdefault(str(row.pop("kpi")), []).append({str(k): _plain(v) for k, v in row.items()})
    return {**attribution.design.to_json(), "effects": by_kpi}
