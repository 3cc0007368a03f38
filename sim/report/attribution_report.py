"""The comparison report's attribution and closing note: what made the difference, and how big it is.

Like the page of an evaluation that takes the year-on-year change apart: which parts of
the scenario differ (each with its source, and whether it is an assumption), the
waterfall that switches them on from the base in a stated order, each part's effect
alone with the interaction remainder, and Shapley values where they were affordable
(:mod:`sim.experiments.attribution`). The closing note gives the measured direction and
size of the main indicators with their intervals, and says which parts rest on sources
and which on assumptions (EST).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import frames
from sim.experiments.attribution import Design, Part, compact_paths, effects, source_of
from sim.metrics import KPIS, View, headline
from sim.metrics.registry import SHARE_UNITS
from sim.report import html as h
from sim.report.data import Results
from sim.report.figures import BLUE, GREEN, GREY, RED, svg_data_uri
from sim.report.fonts import figure_style
from sim.report.labels import kpi_names, value_text
from sim.report.params import is_est

__all__ = ["attribution_sections", "closing_section", "designs", "focus_kpis", "part_sources"]

METHOD_ZH = {"waterfall": "逐步累加", "one_at_a_time": "单独切换", "shapley": "Shapley值"}
METHOD_EN = {"waterfall": "waterfall step", "one_at_a_time": "one at a time", "shapley": "Shapley"}


def designs(results: Results) -> list[Design]:
    """The attributions of the folder (``courtsim compare --attribute``), in the manifest's order."""
    return [Design.from_json(d) for d in results.manifest.get("attribution") or []]


def _kpis(results: Results) -> pd.DataFrame:
    inner = results.attribution_kpis
    return results.by_rep if inner is None else pd.concat([results.by_rep, inner], ignore_index=True)


def focus_kpis(table: pd.DataFrame) -> list[str]:
    """The comparison figure's KPIs whose total is defined (both ends have values)."""
    totals = table.loc[(table["method"] == "total") & (table["n"] > 0)]
    return headline(View.FOCUS, set(totals["kpi"]))


def part_sources(results: Results, design: Design) -> dict[str, list[str]]:
    """Per part, the distinct citations of its fields in the other scenario (the values switched to)."""
    resolved = results.manifest["scenarios"][design.other]["resolved"]
    return {p.name: list(dict.fromkeys(source_of(resolved, path) for path in p.paths)) for p in design.parts}


def _scale(kpi: str) -> tuple[float, str]:
    unit = kpi_names(kpi)[2]
    return (100.0, "点") if unit in SHARE_UNITS else (1.0, "")


def _diff_text(kpi: str, row: Mapping[str, Any] | pd.Series | None) -> str:
    if row is None or int(row["n"]) == 0 or math.isnan(float(row["mean"])):
        return "—"
    scale, unit = _scale(kpi)
    mark = " *" if bool(row["significant"]) else ""
    return f"{scale * row['mean']:+,.1f}{unit}{mark} [{scale * row['ci_low']:+,.1f}, {scale * row['ci_high']:+,.1f}]"


def _direction(kpi: str, mean: float, significant: bool) -> tuple[str, str]:
    better = KPIS[kpi].better if kpi in KPIS else "none"
    if not significant:
        return "无显著差异", "no significant difference"
    if better == "none":
        return "有变化", "changed"
    good = (mean > 0) == (better == "higher")
    return ("改善", "better") if good else ("变差", "worse")


# ---------------------------------------------------------------- the waterfall figure


def _step_colour(kpi: str, row: pd.Series) -> str:
    if not bool(row["significant"]):
        return GREY
    better = KPIS[kpi].better if kpi in KPIS else "none"
    if better == "none":
        return BLUE
    return GREEN if (row["mean"] > 0) == (better == "higher") else RED


def _waterfall_panel(ax: Any, kpi: str, table: pd.DataFrame, design: Design, base_level: float) -> None:
    scale, _ = _scale(kpi)
    steps = table.loc[(table["kpi"] == kpi) & (table["method"] == "waterfall")].sort_values("order")
    level = base_level
    x_labels = [design.base]
    ax.bar([0], [scale * level], color="#d9dee5", width=0.6)
    tops = [scale * level]
    for i, row in enumerate(frames.rows(steps, index=False), start=1):
        series = pd.Series(row._asdict())
        delta = float(row.mean) if not math.isnan(row.mean) else 0.0
        bottom = scale * min(level, level + delta)
        ax.bar([i], [scale * abs(delta)], bottom=bottom, color=_step_colour(kpi, series), width=0.6)
        end = scale * (level + delta)
        lo, hi = scale * (level + row.ci_low), scale * (level + row.ci_high)
        if not (math.isnan(lo) or math.isnan(hi)):
            ax.errorbar(
                [i], [end], yerr=[[max(end - lo, 0)], [max(hi - end, 0)]], fmt="none", ecolor="black", capsize=3
            )
        ax.plot([i - 0.7, i - 0.3], [scale * level] * 2, color="black", linewidth=0.5)  # from the bar before
        level += delta
        tops += [scale * level, lo, hi]
        x_labels.append(str(row.part))
    n = len(x_labels)
    ax.bar([n], [scale * level], color="#d9dee5", width=0.6)
    x_labels.append(design.other)
    finite = [t for t in tops if not math.isnan(t)]
    low, high = min(finite), max(finite)
    pad = (high - low) * 0.25 or abs(high) * 0.05 or 1.0
    ax.set_ylim(low - pad, high + pad)
    ax.set_xticks(range(len(x_labels)), [_wrap(t) for t in x_labels], fontsize=7)
    zh, en, _ = kpi_names(kpi)
    ax.set_title(f"{zh} {en}" + (" (%)" if scale == 100 else ""), fontsize=8, loc="left")


def _wrap(label: str) -> str:
    return label.replace("+", "+\n") if len(label) > 14 else label


def _figure(table: pd.DataFrame, design: Design, kpis: list[str], levels: Mapping[str, float]) -> Figure:
    cols = 2
    rows = max(math.ceil(len(kpis) / cols), 1)
    fig = Figure(figsize=(9.5, 2.9 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes[len(kpis) :]:
        ax.set_visible(False)
    for ax, kpi in zip(axes, kpis, strict=False):
        _waterfall_panel(ax, kpi, table, design, levels[kpi])
    return fig


# ---------------------------------------------------------------- the section


def _parts_table(results: Results, design: Design) -> str:
    sources = part_sources(results, design)
    rows = []
    for i, part in enumerate(design.parts, start=1):
        cited = sources[part.name]
        est = any(is_est(s) for s in cited)
        badge = h.badge("EST", "est") if est else h.badge("有来源 sourced", "met")
        rows.append(
            [
                str(i),
                h.Cell(f"<code>{h.esc(part.name)}</code>"),
                h.Cell(h.esc(compact_paths(part.paths))),
                badge,
                h.Cell(h.esc("; ".join(cited))),
                h.Cell(h.esc(_part_note(part)) if part.note or part.alone_problem else "—"),
            ]
        )
    header = [
        h.hd("序", "order"),
        h.hd("部分", "part"),
        h.hd("字段", "fields"),
        h.hd("依据", "basis"),
        h.hd("来源", "sources"),
        h.hd("合并或不能单独切换的原因", "why grouped, or not switched alone"),
    ]
    return h.table(header, rows)


def _part_note(part: Part) -> str:
    notes = [part.note] if part.note else []
    if part.alone_problem:
        notes.append(f"不能单独切换 no effect alone: {part.alone_problem}")
    return "; ".join(notes)


def _effects_table(table: pd.DataFrame, design: Design, kpis: list[str]) -> str:
    methods = [m for m in ("waterfall", "one_at_a_time", "shapley") if m != "shapley" or design.shapley]
    header = [h.hd("指标", "indicator"), h.hd("部分", "part")]
    header += [h.hd(METHOD_ZH[m], METHOD_EN[m] + ", 95% CI", True) for m in methods]
    keyed = table.set_index(["kpi", "method", "part"])

    def cell(kpi: str, method: str, part: str) -> h.Cell:
        key = (kpi, method, part)
        return h.num(_diff_text(kpi, frames.line(keyed, key) if key in keyed.index else None))

    rows: list[list[object]] = []
    css: list[str] = []
    for kpi in kpis:
        zh, en, _ = kpi_names(kpi)
        for part in design.names:
            rows.append([h.bi(zh, en) if part == design.names[0] else "", part, *(cell(kpi, m, part) for m in methods)])
            css.append("")
        remainder = [cell(kpi, "one_at_a_time", "remainder") if m == "one_at_a_time" else "" for m in methods]
        rows.append(["", h.bi("交互余项", "interaction remainder"), *remainder])
        css.append("")
        total = h.num(_diff_text(kpi, frames.line(keyed, (kpi, "total", "total"))))
        rows.append(["", h.bi("合计", f"total: {design.other} − {design.base}"), *([total] * len(methods))])
        css.append("total")
    return h.table(header, rows, css)


def _one(results: Results, design: Design) -> str:
    table = effects(design, _kpis(results))
    kpis = focus_kpis(table)
    ends = results.by_rep.loc[results.by_rep["scenario"] == design.base]
    levels = {str(k): float(v) for k, v in ends.groupby("kpi")["value"].mean().items()}
    out = f"<h3>{h.esc(design.other)} − {h.esc(design.base)}</h3>" + _parts_table(results, design)
    out += "".join(f'<p class="note">{h.esc(note)}</p>' for note in design.notes)
    if len(design.parts) == 1:
        out += h.paragraphs(
            "两个情景只有一个可单独切换的部分：差异无法再细分，全部归于该部分。",
            "The scenarios differ in one part that can be switched: the difference cannot be taken "
            "further apart and belongs to it entirely.",
        )
    if kpis:
        with figure_style():
            uri = svg_data_uri(_figure(table, design, kpis, levels))
        out += h.figure(
            uri,
            "差异归因瀑布图",
            f"从{design.base}出发按表中顺序逐一切换各部分（共同随机数配对）；灰色柱为两端水平，"
            "绿色为改善、红色为变差、浅灰为不显著，误差线为95%置信区间。",
            f"From {design.base}, the parts switched on in the table's order (paired by common random "
            "numbers); grey bars: the two ends; green: better, red: worse, light grey: not significant; "
            "error bars: 95% CI of each step.",
        )
        out += _effects_table(table, design, kpis)
    return out


def attribution_sections(results: Results) -> list[h.Section]:
    """The attribution section, when the folder holds attributions (else none)."""
    found = designs(results)
    if not found:
        return []
    intro = h.paragraphs(
        "把每个情景与基准的差异拆成其组成部分（情景中不同的参数组；不能单独切换的部分已合并，并说明原因）。"
        "逐步累加：按表中顺序依次切换，各步之和等于总差异，但各步取决于顺序；单独切换：只切换该部分，"
        "交互余项为总差异减去各部分单独效果之和；Shapley值：所有切换顺序的平均，和等于总差异。"
        "各效果为配对重复的平均值及95%置信区间，*表示区间不含0；区间只反映仿真的随机误差，不反映模型假设（EST）的不确定性。",
        "Each scenario's difference from the base, taken apart into its parts (the groups of parameters "
        "that differ; parts that cannot be switched alone are grouped, and the table says why). Waterfall: "
        "the parts switched on in the table's order; the steps add up to the total, but each depends on "
        "the order. One at a time: that part alone; the interaction remainder is the total minus the sum "
        "of the parts alone. Shapley: the average over every order; the values add up to the total. Each "
        "effect is the mean over paired replications with its 95% CI (* excludes 0); the intervals "
        "measure the simulation's noise, not the uncertainty of the model's assumptions (EST).",
    )
    body = intro + "".join(_one(results, d) for d in found)
    return [h.Section("attribution", "差异归因", "Attribution of the difference", body)]


# ---------------------------------------------------------------- the closing note


def _closing_kpis(diffs: pd.DataFrame, label: str) -> list[str]:
    own = diffs.loc[(diffs["scenario"] == label) & (diffs["n"] > 0)]
    focus = headline(View.FOCUS, set(own["kpi"]))
    more = [k for k in headline(View.TERMINAL, set(own["kpi"])) if k not in focus]
    return focus + more


def closing_section(results: Results, diffs: pd.DataFrame, base: str) -> h.Section:
    """结语: per scenario, the measured direction and size of the main indicators; the parts' sources."""
    items: list[str] = []
    by_design = {d.other: d for d in designs(results)}
    reps = results.manifest.get("reps")
    for label in [s for s in results.labels if s != base]:
        lines = []
        own = diffs.loc[diffs["scenario"] == label].set_index("kpi")
        for kpi in _closing_kpis(diffs, label):
            r = frames.line(own, kpi)
            zh_dir, en_dir = _direction(kpi, float(r.mean_diff), bool(r.significant))
            zh, en, unit = kpi_names(kpi)
            row = {"n": r.n, "mean": r.mean_diff, "ci_low": r.ci_low, "ci_high": r.ci_high}
            row["significant"] = r.significant
            text = _diff_text(kpi, row)
            base_row, other_row = results.kpi(base, kpi), results.kpi(label, kpi)
            ends = (
                f"{value_text(base_row['mean'], unit)} → {value_text(other_row['mean'], unit)}"
                if base_row is not None and other_row is not None
                else ""
            )
            lines.append(f"<li>{h.esc(f'{zh}：{ends}，{text}（{zh_dir}）')}<br>")
            lines.append(f'<span class="en">{h.esc(f"{en}: {ends}, {text} ({en_dir})")}</span></li>')
        design = by_design.get(label)
        if design is not None:
            sources = part_sources(results, design)
            est = [p for p in design.names if any(is_est(s) for s in sources[p])]
            sourced = [p for p in design.names if p not in est]
            zh_sourced, en_sourced = "、".join(sourced) or "无", ", ".join(sourced) or "none"
            zh_est, en_est = "、".join(est) or "无", ", ".join(est) or "none"
            lines.append(
                f"<li>{h.esc(f'归因的部分：有来源 {zh_sourced}；估计（EST）{zh_est}。')}<br>"
                f'<span class="en">{h.esc(f"Parts of the attribution: sourced {en_sourced}; assumed (EST) {en_est}.")}'
                "</span></li>"
            )
        head_zh = f"{label} − {base}（{reps}次配对重复，差值及95%置信区间）："
        head_en = f"{label} − {base} ({reps} paired replications; difference and 95% CI):"
        items.append(f"<p>{h.esc(head_zh)}<br><span class='en'>{h.esc(head_en)}</span></p><ul>{''.join(lines)}</ul>")
    caveat = h.paragraphs(
        "这些数字是当前模型的结果：区间只含仿真随机误差；标为EST的参数是假设，其不确定性不在区间内。"
        f"各指标的定义见第{h.ref('kpis')}节。",
        "These are the current model's numbers: the intervals hold the simulation's noise only; parameters "
        "marked EST are assumptions whose uncertainty is not in the intervals. "
        f"Definitions: section {h.ref('kpis')}.",
    )
    return h.Section("closing", "结语", "Closing note", "".join(items) + caveat)
