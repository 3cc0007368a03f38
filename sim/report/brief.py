"""The one-page brief (简报) for a court president who reads one page: A4, Chinese first.

What a research office puts on the president's desk above the full report: the answer
(is the 45-day target held), the reasons (why cases are late, the 终本 floor), the
recommended change and the caveats. The words are the run report's own
(:mod:`sim.report.text`), so the brief never says something the report does not.

The recommended change comes from a ``courtsim marginal --out DIR`` table when one is given
(``marginal.csv``: the post whose one more person moves the 45-day rate most, with its
interval) or found in the results folder; without one the brief says that staffing has not
been measured, names the command, and gives the ceiling no staffing can pass. The page
prints on one A4 sheet (``@page { size: A4 }``); the tests print it with headless Chromium
and count the pages.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.metrics.stability import instability_warning
from sim.report import figures as fig
from sim.report import html as h
from sim.report.analysis import RunAnalysis, analyse_run
from sim.report.data import Results
from sim.report.fonts import figure_style
from sim.report.labels import pct, role_zh, team_zh
from sim.report.params import parameter_table
from sim.report.run_report import unstable_of
from sim.report.targets import FAST45_TARGET
from sim.report.text import marginal_command, verdict, why_late_deadlines, why_late_point

__all__ = ["BRIEF_NAME", "MARGINAL_FILE", "build_brief", "recommendation"]

BRIEF_NAME = "brief.html"
MARGINAL_FILE = "marginal.csv"

Pair = tuple[str, str]

CSS = """
@page { size: A4; margin: 13mm 14mm 12mm; }
* { box-sizing: border-box; }
body { margin: 0; color: #1f2933; font-size: 9.5pt; line-height: 1.4;
       font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
                    "WenQuanYi Micro Hei", sans-serif; }
main { max-width: 182mm; margin: 0 auto; }
h1 { font-size: 16pt; margin: 0 0 1mm; }
h2 { font-size: 11.5pt; margin: 3mm 0 1mm; padding-top: 1mm; border-top: 1.5px solid #1f2933; }
.sub { color: #5f6b7a; font-size: 8.5pt; margin: 0 0 2mm; }
.en { color: #5f6b7a; font-size: 7.5pt; display: block; line-height: 1.3; }
.answer { border: 2px solid #1f2933; border-radius: 4px; padding: 2mm 3mm; margin: 2mm 0; }
.answer.not_met { border-color: #c0392b; } .answer.met { border-color: #2e7d4f; }
.answer.uncertain { border-color: #b9770e; }
.headline { font-size: 13.5pt; font-weight: bold; margin: 0; }
.unstable { color: #c0392b; font-weight: bold; margin: 0 0 1mm; }
ul { margin: 0; padding-left: 5mm; } li { margin: 0 0 1.2mm; }
figure { margin: 1mm 0; } figure img { width: 100%; max-height: 55mm; object-fit: contain; }
.foot { color: #5f6b7a; font-size: 7.5pt; margin-top: 2mm; }
@media screen { body { background: #eef1f4; } main { background: white; padding: 13mm 14mm;
  margin: 8mm auto; width: 210mm; max-width: 210mm; min-height: 297mm; } }
"""


def _li(pair: Pair) -> str:
    return f'<li>{h.esc(pair[0])}<span class="en">{h.esc(pair[1])}</span></li>'


def _marginal_table(results: Results, marginal: Path | None) -> pd.DataFrame | None:
    """The ``courtsim marginal`` table: the folder given, else one in the results folder."""
    for folder in (marginal, results.folder):
        if folder is None:
            continue
        path = Path(folder) / MARGINAL_FILE if Path(folder).is_dir() else Path(folder)
        if path.is_file():
            return pd.read_csv(path)
    return None


def recommendation(a: RunAnalysis, table: pd.DataFrame | None, command: str) -> Pair:
    """The recommended change in words: the ceiling when no staffing can reach the target, the post
    whose one more person raises the 45-day rate most (significantly) when ``table`` holds the
    ``courtsim marginal`` results, else that the effect of staffing is not yet measured."""
    target = FAST45_TARGET.low or 0.9
    ceiling = float(a.zhongben["mean"].get("fast45_ceiling", math.nan)) if len(a.zhongben) else math.nan
    parts: list[Pair] = []
    if not math.isnan(ceiling) and ceiling < target:
        share = float(a.zhongben["mean"].get("zhongben_share", math.nan))
        parts.append(
            (
                f"任何人员配置都达不到{pct(target)}：{pct(share)}的简案以终本结案，依法须立案满3个月后才能终本，"
                f"45日内结案率最高约{pct(ceiling)}。要达到目标，须在考核口径上把终本案件单列，或减少进入终本的简案。",
                f"No staffing can reach {pct(target)}: {pct(share)} of simple cases end as 终本, which the law "
                f"allows only 3 months after filing, so the 45-day rate is capped near {pct(ceiling)}. Reaching "
                "the target needs 终本 cases counted apart, or fewer simple cases ending as 终本.",
            )
        )
    rows = None
    if table is not None and {"kpi", "delta", "significant", "gain"} <= set(table.columns):
        rows = table.loc[(table["kpi"] == "fast45_rate") & (table["delta"] == 1)]
    if rows is None:
        parts.append(
            (
                f"增人的效果尚未计算；运行 {command} --out DIR，再以 --marginal DIR 重写本简报。",
                f"The effect of one more person is not measured yet: run {command} --out DIR and write this "
                "brief again with --marginal DIR.",
            )
        )
        return "".join(p[0] for p in parts), " ".join(p[1] for p in parts)
    helping = rows.loc[rows["significant"].astype(bool) & (rows["gain"] > 0)].sort_values("gain", ascending=False)
    if helping.empty:
        parts.append(
            (
                "任何岗位增加一人都不能显著提高简案45日内结案率：限制不在人员（见上面的原因）。",
                "One more person in no post raises the 45-day rate significantly: the limit is not staffing "
                "(see the reasons above).",
            )
        )
    else:
        best = helping.iloc[0]
        post_zh = f"{team_zh(str(best.team))}·{role_zh(str(best.role))}"
        post_en = f"{str(best.team).replace('_', ' ')} {best.role}"
        gain = f"{100 * best.mean_diff:+.1f}个百分点（95%置信区间 {100 * best.ci_low:+.1f}至{100 * best.ci_high:+.1f}）"
        gain_en = f"{100 * best.mean_diff:+.1f} points (95% CI {100 * best.ci_low:+.1f} to {100 * best.ci_high:+.1f})"
        parts.append(
            (
                f"建议：{post_zh}增加一人，简案45日内结案率{gain}，是各岗位中效果最大的。",
                f"Recommended: one more {post_en}, which moves the 45-day rate by {gain_en}, the largest "
                "effect of any post.",
            )
        )
    return "".join(p[0] for p in parts), " ".join(p[1] for p in parts)


def _caveats(a: RunAnalysis, results: Results) -> list[Pair]:
    """What the numbers do not cover (the instability, when any, heads the answer box instead)."""
    params = parameter_table(results.manifest["scenarios"][a.label]["resolved"])
    est, total = int(params["est"].sum()), len(params)
    out: list[Pair] = []
    out.append(
        (
            f"{total}个参数中有{est}个标为EST（估计，无公开来源）；置信区间只反映{a.reps}次重复模拟的随机波动，"
            "不含这些假设的不确定性（见完整报告“模型说明”）。",
            f"{est} of {total} parameters are EST (estimates without a published source); the intervals cover "
            f"only the random variation of {a.reps} replications, not those assumptions (see the model "
            "description of the full report).",
        )
    )
    out.append(
        (
            "“为什么超期”是一阶估计：只去掉一项、其余不变；排队的连锁影响须重新模拟。",
            "'Why late' is a first-order estimate (one part removed, all else unchanged); knock-on effects "
            "on queues need a rerun.",
        )
    )
    return out


def build_brief(results: Results, label: str | None = None, marginal: Path | None = None) -> str:
    """The HTML of the one-page brief on scenario ``label`` (default: the first) of ``results``."""
    label = label or results.labels[0]
    if label not in results.runs:
        raise ValueError(f"scenario {label!r} is not in the folder (scenarios: {results.labels})")
    a = analyse_run(results, label)
    v = verdict(a)
    flagged, reps = unstable_of(a)
    warning = ""
    if flagged:
        zh, en = instability_warning(flagged, reps)
        warning = f'<p class="unstable">⚠ {h.esc(zh)}<span class="en">{h.esc(en)}</span></p>'
    answer_points = v.points[:1]
    answer = (
        f'<div class="answer {h.esc(v.status)}" id="answer">{warning}'
        f'<p class="headline">{h.esc(v.headline[0])}<span class="en">{h.esc(v.headline[1])}</span></p>'
        f"<ul>{''.join(_li(p) for p in answer_points)}</ul></div>"
    )
    # the 终本 floor and why late; not the utilisation ranking, which is context, not a reason
    reasons = v.points[1:-2] if len(a.bottlenecks) else v.points[1:-1]
    # one page: the three largest parts of why late, the others bounded in a clause
    full, short = why_late_point(a), why_late_point(a, most=3)
    reasons = [short if p == full and short is not None else p for p in reasons]
    deadlines = why_late_deadlines(a)[:1]
    figure = ""
    if deadlines:
        with figure_style():
            uri = fig.svg_data_uri(fig.fig_why_late(a.why_late, deadlines))
        figure = f'<figure><img src="{uri}" alt="为什么超期 why late"></figure>'
    seed = int(results.manifest.get("seed", 0))
    command = marginal_command(results.manifest["scenarios"][a.label].get("source"), seed)
    rec = recommendation(a, _marginal_table(results, marginal), command)
    title = a.scenario.title or a.label
    body = (
        f"<h1>执行工作简报：{h.esc(title)}</h1>"
        f'<p class="sub">简案45日内结案目标 · {a.reps}次重复模拟 · seed {seed} · '
        f"Brief for the court president: the 45-day target</p>"
        f"{answer}"
        f'<h2>原因 <span class="en" style="display:inline">Why</span></h2>'
        f"<ul>{''.join(_li(p) for p in reasons)}</ul>{figure}"
        f'<h2>建议 <span class="en" style="display:inline">Recommended change</span></h2>'
        f'<ul id="recommendation">{_li(rec)}</ul>'
        f'<h2>注意 <span class="en" style="display:inline">Caveats</span></h2>'
        f"<ul>{''.join(_li(p) for p in _caveats(a, results))}</ul>"
        f'<p class="foot">完整报告 report.html（同一文件夹）· The full report: report.html in the same folder.</p>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>执行工作简报 {h.esc(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
