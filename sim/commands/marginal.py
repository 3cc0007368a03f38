"""``courtsim marginal SCENARIO``: the bottleneck by effect, one more person in each post.

A command of its own rather than a mode of ``staff``: ``staff`` searches for the smallest
staffing that meets targets, while this asks no target and answers "where would one more
person (or one fewer, ``--minus``) move the KPIs, and by how much" for every team × role
that does work (:mod:`sim.experiments.marginal`), CRN-paired, with 95% intervals and the
post's utilisation beside as context. The run report ranks by utilisation and points here:
it costs ``(1 + posts × deltas) × reps`` replications, too many for every report.
"""

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
    fmt_diff,
    fmt_value,
    guarded,
    out_folder,
    report_usage,
    session,
    set_reps_help,
)
from sim.config.load import load_scenario
from sim.config.schema import Scenario
from sim.display import ljust, rjust
from sim.display import width as display_width  # the one display-width rule of every table
from sim.experiments.marginal import (
    BASE,
    MarginalResult,
    marginal_cost,
    marginal_staffing,
    posts_of,
    variant_label,
)
from sim.experiments.results import write_results
from sim.experiments.types import ExperimentResult
from sim.io import write_csv
from sim.lang import bi
from sim.metrics import KPIS, View, headline
from sim.metrics.stability import closed_case_kpi, instability_warning
from sim.vocab import ROLE_ZH, TEAM_ZH, Role, Team

__all__ = [
    "MARGINAL_FILE",
    "SHOWN",
    "display_width",
    "format_marginal",
    "parse_post",
    "payload",
    "post_names",
    "register",
    "run",
]

MARGINAL_FILE = "marginal.csv"
"""The table of :class:`MarginalResult` in the results folder (one row per post, delta and KPI)."""

SHOWN = tuple(headline(View.SWEEP))
"""The KPIs printed by default, the short table of ``sweep`` (every headline KPI is in ``--json`` and
``marginal.csv``)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``marginal`` subcommand."""
    parser = subparsers.add_parser(
        "marginal",
        help=SUMMARIES["marginal"],
        description="增减一人的效果 / the bottleneck by effect: run the scenario as it is and with one more "
        "person (and with --minus one fewer) in each team × role that does work, on the same replications "
        "(the same cases), and print per KPI the paired difference from the base with its 95% t-interval, "
        "whether it is significant, and the post's utilisation as context. Costs (1 + posts × deltas) × reps "
        "replications (about 16 posts in the baseline). docs/experiments.md.",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    parser.add_argument("--minus", action="store_true", help="also try one person fewer in each post")
    parser.add_argument(
        "--post",
        dest="posts",
        action="append",
        default=[],
        metavar="TEAM.ROLE",
        help="only this post, e.g. fast_track.officer (repeatable; default every post that does work)",
    )
    parser.add_argument(
        "--kpi",
        dest="kpis",
        action="append",
        default=[],
        metavar="KPI",
        help=f"print this KPI (repeatable; default {', '.join(SHOWN)}); every headline KPI is in --json and --out",
    )
    add_experiment_options(parser)
    set_reps_help(parser, "replications of the base and of every variant (default 3, at least 2)")
    parser.add_argument("--out", metavar="DIR", help="also write a results folder (KPIs, marginal.csv)")
    parser.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.set_defaults(func=run)


def parse_post(text: str) -> tuple[str, str]:
    """``"fast_track.officer"`` → ``("fast_track", "officer")``; a clear error naming the allowed values."""
    team, sep, role = text.partition(".")
    teams, roles = [t.value for t in Team], [r.value for r in Role]
    if not sep or team not in teams or role not in roles:
        raise CommandError(
            f"--post {text!r}: 岗位写作 团队.角色 / expected TEAM.ROLE with TEAM one of {', '.join(teams)} "
            f"and ROLE one of {', '.join(roles)}, e.g. fast_track.officer"
        )
    return team, role


@guarded
def run(args: argparse.Namespace) -> int:
    """Check everything, say the cost, run under CRN, print the table; write the folder if asked."""
    scenario = load_scenario(args.scenario)
    reps = args.reps or 3
    if reps < 2:
        raise CommandError("--reps 至少为 2 / must be at least 2 for a paired interval")
    unknown = [k for k in args.kpis if k not in KPIS]
    if unknown:
        raise CommandError(f"--kpi: 未知指标 / unknown KPI {', '.join(unknown)}; `courtsim run --json` lists them")
    posts = [parse_post(p) for p in args.posts] or None
    deltas = (1, -1) if args.minus else (1,)
    out = out_folder(args)
    count = (1 + len(deltas) * len(posts)) * reps if posts else marginal_cost(scenario, reps, deltas)
    if not args.quiet:
        n_posts = len(posts) if posts else len(posts_of(scenario))
        print(
            f"将运行 {count} 次重复 / {count} replications: (1 + {n_posts} posts × {len(deltas)}) × {reps}",
            file=sys.stderr,
        )
    with session(args) as (backend, evaluator):
        result = marginal_staffing(scenario, evaluator, reps=reps, deltas=deltas, posts=posts)
    seed = scenario.run.seed if args.seed is None else args.seed
    if args.json:
        print(json.dumps(payload(result, scenario.name, seed), ensure_ascii=False, indent=2))
    else:
        print(format_marginal(result, scenario.name, seed, list(args.kpis) or list(SHOWN)))
    report_usage(args, backend, evaluator)
    if out is not None:
        _write(out, args, result, scenario, seed)
        print(f"{bi('结果', 'results', ' ')}: {out}", file=sys.stderr)
    return 0


def _write(out: Path, args: argparse.Namespace, result: MarginalResult, scenario: Scenario, seed: int) -> None:
    """The results folder: every variant's KPIs, the marginal table; the base scenario in the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / MARGINAL_FILE, result.table)
    experiment = ExperimentResult(kpis=result.kpis, scenarios={BASE: scenario}, seed=seed, reps=result.reps)
    variants = {
        label: {"team": team, "role": role, "delta": int(delta)}
        for label, (team, role, delta) in _labels(result).items()
    }
    extra = {
        "command": "marginal",
        "base": BASE,
        "variants": variants,
        "skipped": result.skipped.to_dict(orient="records"),
        "level": result.level,
    }
    write_results(out, experiment, sources={BASE: args.scenario}, overwrite=True, extra=extra)


def _labels(result: MarginalResult) -> dict[str, tuple[str, str, int]]:
    if not len(result.table):
        return {}
    keys = result.table[["team", "role", "delta"]].drop_duplicates()
    return {variant_label(t, r, int(d)): (t, r, int(d)) for t, r, d in keys.itertuples(index=False)}


# ---------------------------------------------------------------- formatting


def _pad(text: str, width: int, right: bool = False) -> str:
    return rjust(text, width) if right else ljust(text, width)


def post_names(team: str, role: str) -> tuple[str, str]:
    """``("快执团队·执行员", "fast_track.officer")``: the post in Chinese and as the scenario names it."""
    return f"{TEAM_ZH[Team(team)]}·{ROLE_ZH[Role(role)]}", f"{team}.{role}"


def _interval(kpi: str, low: float, high: float) -> str:
    if any(v is None or math.isnan(v) for v in (low, high)):
        return ""
    return f"[{fmt_diff(kpi, low).replace(' pp', '')}, {fmt_diff(kpi, high)}]"


def _kpi_names(kpi: str) -> tuple[str, str]:
    info = KPIS.get(kpi)
    return (info.zh, info.en) if info else (kpi, kpi)


def verdict(result: MarginalResult, kpi: str = "fast45_rate") -> tuple[str, str]:
    """The verdict line in Chinese and English: the post whose +1 moves ``kpi`` most with confidence."""
    zh_kpi, _ = _kpi_names(kpi)
    ranked = result.ranking(kpi)
    helping = ranked.loc[ranked["significant"] & (ranked["gain"] > 0)] if len(ranked) else ranked
    if not len(helping):
        return (
            f"结论：任何岗位增加一人都不能显著改善{zh_kpi}；限制不在人员（见运行报告的迟延原因）。",
            f"verdict: one more person in no post improves {kpi} significantly; the limit is not staffing "
            "(see why late in the run report).",
        )
    best = helping.iloc[0]
    zh, en = post_names(best.team, best.role)
    change = f"{fmt_diff(kpi, best.mean_diff)} {_interval(kpi, best.ci_low, best.ci_high)}"
    others = len(helping) - 1
    also_zh = f"另有{others}个岗位增加一人也显著改善。" if others else "其他岗位增加一人都不显著。"
    also_en = (
        f"one more in {others} other post(s) also helps significantly."
        if others
        else ("one more in any other post does not, significantly.")
    )
    return (
        f"结论：按效果的瓶颈是{zh}：增加一人，{zh_kpi} {change}（显著）；{also_zh}",
        f"verdict: the bottleneck by effect is {en}: one more person moves {kpi} by {change} (significant); " + also_en,
    )


def format_marginal(result: MarginalResult, name: str, seed: int, kpis: list[str]) -> str:
    """Instability first, the verdict, then one block per KPI: posts by gain, Δ with interval, utilisation."""
    lines: list[str] = []
    flagged = result.base_unstable_reps
    if flagged:
        zh, en = instability_warning(flagged, result.reps)
        lines += [f"!! 基准 base: {zh}", f"!! {en}", ""]
    lines += [*verdict(result), ""]
    lines.append(
        f"增减一人的效果 / one person more or fewer in each post: {name}, {result.reps} replications each, "
        f"seed {seed}, paired with the base (common random numbers), {result.level:.0%} t-intervals"
    )
    for kpi in kpis:
        rows = result.table.loc[result.table["kpi"] == kpi]
        zh_kpi, en_kpi = _kpi_names(kpi)
        if not len(rows):
            lines += ["", f"{zh_kpi} {kpi}: 无数据 / not defined in this scenario"]
            continue
        base = fmt_value(kpi, float(rows["base_mean"].iloc[0]))
        mark = "  ← 误导 misleading (unstable)" if flagged and closed_case_kpi(kpi) else ""
        lines += ["", f"{zh_kpi} {en_kpi} ({kpi}), 基准 base {base}{mark}"]
        header = ["岗位 post", "人数 n", "变化 Δ [95% CI]", "显著 significant", "利用率 utilisation", "不稳定 unstable"]
        table = [header]
        ordered = rows.sort_values(["delta", "gain"], ascending=[False, False], kind="stable", na_position="last")
        for r in frames.rows(ordered, index=False):
            zh, en = post_names(r.team, r.role)
            table.append(
                [
                    f"{zh} {en} {int(r.delta):+d}",
                    f"{int(r.headcount)}→{int(r.headcount + r.delta)}",
                    f"{fmt_diff(kpi, r.mean_diff)} {_interval(kpi, r.ci_low, r.ci_high)}",
                    "显著 yes" if r.significant else "不显著 no",
                    f"{_percent(r.utilisation)} → {_percent(r.utilisation_after)}",
                    f"{int(r.unstable_reps)}/{result.reps}" if r.unstable_reps else "",
                ]
            )
        lines += _aligned(table, right={1, 2})
    if len(result.skipped):
        lines += ["", "未运行 / not run:"]
        for s in frames.rows(result.skipped, index=False):
            zh, en = post_names(s.team, s.role)
            lines.append(f"  {zh} {en} {int(s.delta):+d}: {s.reason}")
    lines += [
        "",
        "利用率只说明谁忙，不说明增人是否有用 / utilisation says who is busy, not where one more person helps.",
    ]
    return "\n".join(lines)


def _aligned(table: list[list[str]], right: set[int]) -> list[str]:
    """Rows of cells padded to each column's widest cell, in terminal columns (CJK counts two)."""
    widths = [max(display_width(row[i]) for row in table) for i in range(len(table[0]))]
    return ["  " + "  ".join(_pad(cell, widths[i], i in right) for i, cell in enumerate(row)).rstrip() for row in table]


def _percent(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.0f}%"


def payload(result: MarginalResult, name: str, seed: int) -> dict[str, Any]:
    """The ``--json`` object: the verdict, the stability of the base, every row of the table."""
    zh, en = verdict(result)

    def clean(table: pd.DataFrame) -> list[dict[str, Any]]:
        return [
            {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in table.to_dict(orient="records")
        ]

    flagged = result.base_unstable_reps
    stability: dict[str, Any] = {"unstable_replications": flagged, "replications": result.reps}
    if flagged:
        stability["warning_zh"], stability["warning"] = instability_warning(flagged, result.reps)
    return {
        "scenario": name,
        "reps": result.reps,
        "seed": seed,
        "level": result.level,
        "verdict": en,
        "verdict_zh": zh,
        "base_stability": stability,
        "table": clean(result.table),
        "skipped": clean(result.skipped),
    }
