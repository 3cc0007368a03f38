"""The comparison report: several scenarios of one results folder, side by side.

Like the table an administrator puts before the court's party group when choosing
between staffing plans: what differs between the scenarios, each indicator in
each scenario with its interval, and the paired difference from the base
scenario (common random numbers: replication r of every scenario saw the same
cases, so differences are measured pair by pair and their intervals are
narrow). When the scenarios differ in load or in head-count, the load curve
with its breaking point and the staffing trade-off are drawn. Every per-head
indicator names its denominator, and the denominators are stated for each
scenario. A folder written by ``courtsim compare --attribute`` adds the
attribution of each difference to its parts (a waterfall) and the closing note
gives the measured direction and size with intervals
(:mod:`sim.report.attribution_report`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import frames
from sim.experiments.statistics import paired_differences
from sim.metrics import KPI, KPIS, Group, View, headline, in_order, levels
from sim.metrics.registry import SHARE_UNITS
from sim.metrics.stability import UNSTABLE_KPI, closed_case_kpi, instability_warning
from sim.metrics.workload import denominators
from sim.report import html as h
from sim.report.attribution_report import attribution_sections, closing_section
from sim.report.data import Results
from sim.report.figures import AMBER, BLUE, GREEN, GREY, RED, svg_data_uri
from sim.report.fonts import figure_style
from sim.report.labels import kpi_names, pct, value_text
from sim.report.params import format_value
from sim.report.targets import FAST45_TARGET, STATUS_EN, STATUS_ZH, judge
from sim.report.text import compare_command
from sim.vocab import Role, Team

__all__ = ["build_comparison_report", "scenario_differences"]

CURVE_COLOURS = (BLUE, GREEN, AMBER, GREY)
"""Colours of the load and staffing curves: one per share KPI with a target, in listing order."""


def _flatten(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping) and "dist" not in node and "roles" not in node:
        for key, value in node.items():
            if key not in ("source", "sources", "name", "title", "description"):
                yield from _flatten(value, f"{path}.{key}" if path else key)
    else:
        yield path, node


def scenario_differences(results: Results) -> pd.DataFrame:
    """Parameters whose resolved values differ between the scenarios: one column per scenario."""
    flat = {label: dict(_flatten(entry["resolved"])) for label, entry in results.manifest["scenarios"].items()}
    keys = sorted({k for values in flat.values() for k in values})
    rows = [
        {"parameter": k, **{label: format_value(values.get(k)) for label, values in flat.items()}}
        for k in keys
        if len({repr(values.get(k)) for values in flat.values()}) > 1
    ]
    return pd.DataFrame(rows, columns=["parameter", *flat])


def _staff_total(results: Results, label: str) -> int:
    staffing = results.runs[label].scenario.staffing
    return sum(staffing.team(t).count(r) for t in Team for r in Role)


def _unstable(results: Results, label: str) -> tuple[int, int]:
    """``(flagged, replications)`` of ``label``'s ``unstable`` KPI (from the summary, as the run report)."""
    row = results.kpi(label, UNSTABLE_KPI)
    if row is None or pd.isna(row["mean"]):
        return 0, 0
    return round(float(row["mean"]) * int(row["n"])), int(row["n"])


def _cell(results: Results, label: str, kpi: str) -> h.Cell:
    row = results.kpi(label, kpi)
    if row is None:
        return h.num("—")
    unit = kpi_names(kpi)[2]
    flagged, reps = _unstable(results, label)
    if kpi == UNSTABLE_KPI:  # the replications flagged, not a mean of flags
        text = f"{flagged}/{reps}" + (" ⚠" if flagged else "")
        return h.Cell(
            f'{h.esc(text)}<br><span class="en">{"积案增长 growing" if flagged else "稳定 stable"}</span>', "num"
        )
    ci = f"{value_text(row.ci_low, unit)}–{value_text(row.ci_high, unit)}"
    misleading = '<br><span class="unstable">误导 misleading</span>' if flagged and closed_case_kpi(kpi) else ""
    return h.Cell(f'{h.esc(value_text(row["mean"], unit))}<br><span class="en">{h.esc(ci)}</span>{misleading}', "num")


def _diff_cell(diffs: pd.DataFrame, label: str, kpi: str) -> h.Cell:
    rows = diffs.loc[(diffs["scenario"] == label) & (diffs["kpi"] == kpi)]
    if rows.empty or math.isnan(float(rows.iloc[0]["mean_diff"])):
        return h.num("—")
    r = rows.iloc[0]
    unit = kpi_names(kpi)[2]
    scale, fmt = (100.0, "{:+.1f}点") if unit in SHARE_UNITS else (1.0, "{:+,.1f}")
    mark = " *" if bool(r["significant"]) else ""
    ci = f"{fmt.format(scale * r.ci_low)}–{fmt.format(scale * r.ci_high)}"
    return h.Cell(
        f'{h.esc(fmt.format(scale * r.mean_diff) + mark)}<br><span class="en">{h.esc(ci)}</span>',
        "num",
    )


def _kpi_table(results: Results, diffs: pd.DataFrame, base: str) -> str:
    labels = results.labels
    kpis = in_order(results.summary["kpi"])
    header: list[object] = [h.hd("指标", "indicator")]
    header += [h.hd(label, "mean, 95% CI", True) for label in labels]
    header += [h.hd(f"{label} − {base}", "paired difference", True) for label in labels if label != base]
    rows = []
    for kpi in kpis:
        zh, en, _ = kpi_names(kpi)
        row: list[object] = [h.bi(zh, en)]
        row += [_cell(results, label, kpi) for label in labels]
        row += [_diff_cell(diffs, label, kpi) for label in labels if label != base]
        rows.append(row)
    return h.table(header, rows)


def _li(zh: str, en: str) -> str:
    return f'<li>{h.esc(zh)}<br><span class="en">{h.esc(en)}</span></li>'


def _changes(diffs: pd.DataFrame, label: str) -> tuple[str, str] | None:
    """The KPIs (utilisation aside) that got significantly better or worse than the base."""
    own = diffs.loc[(diffs["scenario"] == label) & diffs["significant"]]
    better: list[KPI] = []
    worse: list[KPI] = []
    for r in frames.rows(own):
        info = KPIS.get(str(r.kpi))
        if info is None or info.better == "none" or info.group is Group.UTILISATION:
            continue
        (better if (r.mean_diff > 0) == (info.better == "higher") else worse).append(info)
    if not better and not worse:
        return None
    zh_better = "、".join(k.zh for k in better) or "无"
    zh_worse = "、".join(k.zh for k in worse) or "无"
    en_better = ", ".join(k.en for k in better) or "none"
    en_worse = ", ".join(k.en for k in worse) or "none"
    return (
        f"{label}：显著改善 {zh_better}；显著变差 {zh_worse}",
        f"{label}: significantly better: {en_better}; significantly worse: {en_worse}",
    )


def _fast45_line(results: Results, diffs: pd.DataFrame, base: str, label: str) -> tuple[str, str] | None:
    row = results.kpi(label, "fast45_rate")
    if row is None:
        return None
    status = judge(FAST45_TARGET, row["mean"], row.ci_low, row.ci_high)
    ci = f"{pct(row.ci_low)}–{pct(row.ci_high)}"
    zh = f"{label}：简案45日内结案率 {pct(row['mean'])}（{ci}），{STATUS_ZH[status]}"
    en = f"{label}: 45-day rate {pct(row['mean'])} ({ci}), {STATUS_EN[status]}"
    d = diffs.loc[(diffs["scenario"] == label) & (diffs["kpi"] == "fast45_rate")]
    if label != base and len(d):
        r = d.iloc[0]
        sig_zh = "差异显著" if r["significant"] else "差异不显著"
        sig_en = "significant" if r["significant"] else "not significant"
        zh += f"；比{base} {100 * r.mean_diff:+.1f}个百分点（{sig_zh}）"
        en += f"; {100 * r.mean_diff:+.1f} points against {base} ({sig_en})"
    return zh, en


def _verdicts(results: Results, diffs: pd.DataFrame, base: str) -> str:
    """Per scenario: the 45-day rate against the target and the base, then what changed."""
    items = []
    for label in results.labels:  # a growing backlog first: the closed-case means of that scenario mislead
        flagged, reps = _unstable(results, label)
        if flagged:
            zh, en = instability_warning(flagged, reps)
            items.append(
                f'<li class="unstable" style="color:#c0392b">⚠ {h.esc(label)}：{h.esc(zh)}<br>'
                f'<span class="en">{h.esc(label)}: {h.esc(en)}</span></li>'
            )
    for label in results.labels:
        for line in (_fast45_line(results, diffs, base, label), _changes(diffs, label)):
            if line is not None:
                items.append(_li(*line))
    return f'<div class="verdict"><ul>{"".join(items)}</ul></div>'


def _focus_figure(results: Results) -> Figure:
    labels = results.labels
    kpis = headline(View.FOCUS, results.summary["kpi"])
    rows = math.ceil(max(len(kpis), 1) / 2)
    fig = Figure(figsize=(9.5, rows * (0.9 + 0.35 * len(labels))), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, 2)).ravel()
    for ax in axes[len(kpis) :]:
        ax.set_visible(False)
    for ax, kpi in zip(axes, kpis, strict=False):
        zh, en, unit = kpi_names(kpi)
        scale = 100.0 if unit in SHARE_UNITS else 1.0
        for i, label in enumerate(labels):
            row = results.kpi(label, kpi)
            if row is None:
                continue
            lo, hi = scale * row.ci_low, scale * row.ci_high
            ax.errorbar(
                [scale * row["mean"]],
                [i],
                xerr=[[scale * row["mean"] - lo], [hi - scale * row["mean"]]],
                fmt="o",
                color=BLUE,
                capsize=3,
            )
        if kpi == "fast45_rate":
            ax.axvline(100 * (FAST45_TARGET.low or 0.9), color=RED, linestyle="--", linewidth=1)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_ylim(-0.5, len(labels) - 0.5)
        ax.invert_yaxis()
        ax.set_title(f"{zh} {en}" + (" (%)" if scale == 100 else ""), fontsize=9, loc="left")
    return fig


def _curve(results: Results, x_of: Mapping[str, float], xlabel: str, title: str) -> Figure:
    labels = sorted(results.labels, key=lambda s: x_of[s])
    x = np.array([x_of[s] for s in labels], dtype=float)
    fig = Figure(figsize=(9.5, 3.4))
    ax = fig.subplots()
    # Every share with a target, against its target line (the levels of the register).
    targets = {
        k: t for k, t in levels().items() if t.kind == "target" and t.low is not None and KPIS[k].unit == "share"
    }
    for i, kpi in enumerate(targets):
        colour = CURVE_COLOURS[i % len(CURVE_COLOURS)]
        rows = [results.kpi(s, kpi) for s in labels]
        if any(r is None for r in rows):
            continue
        mean = np.array([r["mean"] for r in rows if r is not None], dtype=float)
        lo = np.array([r.ci_low for r in rows if r is not None], dtype=float)
        hi = np.array([r.ci_high for r in rows if r is not None], dtype=float)
        zh, en, _ = kpi_names(kpi)
        ax.plot(x, 100 * mean, "o-", color=colour, label=f"{zh} {en}")
        ax.fill_between(x, 100 * np.clip(lo, 0, 1), 100 * np.clip(hi, 0, 1), color=colour, alpha=0.2)
    for low in sorted({t.low for t in targets.values() if t.low is not None}):
        ax.axhline(100 * low, color=RED, linestyle="--", linewidth=1, label=f"{pct(low, 0)} 目标 target")
    breaking = _breaking_point(results, labels)
    if breaking is not None:
        ax.axvline(x_of[breaking], color="black", linestyle=":", linewidth=1)
        ax.text(x_of[breaking], 95, f" 转折点 breaking point: {breaking}", fontsize=8, va="top")
    ax.set_ylim(0, 105)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("%")
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    return fig


def _breaking_point(results: Results, ordered: list[str]) -> str | None:
    """The first scenario (in curve order) whose 45-day rate is surely below the target."""
    for label in ordered:
        row = results.kpi(label, "fast45_rate")
        if row is not None and judge(FAST45_TARGET, row["mean"], row.ci_low, row.ci_high) == "not_met":
            return label
    return None


def _curves(results: Results, differences: pd.DataFrame) -> str:
    """The load curve when only the load differs; the staffing trade-off when only staffing does."""
    out = ""
    load = {s: results.runs[s].scenario.arrivals.cases_per_year for s in results.labels}
    staff = {s: float(_staff_total(results, s)) for s in results.labels}
    varied = {str(p).split(".")[0] for p in differences["parameter"]}
    with figure_style():
        if varied == {"arrivals"} and len(set(load.values())) > 1:
            uri = svg_data_uri(_curve(results, load, "年收案数 cases a year", "负荷曲线 Load curve"))
            out += h.figure(
                uri,
                "负荷曲线",
                "随收案量变化的指标（阴影为95%置信区间）；点线为45日率肯定低于90%的第一个负荷。",
                "Indicators against the load (band: 95% CI); dotted line: the first load at which "
                "the "
                "45-day rate is surely below 90%.",
            )
        if varied == {"staffing"} and len(set(staff.values())) > 1:
            uri = svg_data_uri(_curve(results, staff, "总人数 total staff", "人员配置权衡 Staffing trade-off"))
            out += h.figure(
                uri,
                "人员配置权衡",
                "随总人数变化的指标（阴影为95%置信区间）。",
                "Indicators against total head-count (band: 95% CI).",
            )
    return out


def _denominators(results: Results) -> str:
    """Per-head indicators and the head-count each divides by, in every scenario."""
    labels = results.labels
    stated = {label: denominators(results.runs[label].scenario) for label in labels}
    rows = []
    for i, first in enumerate(stated[labels[0]]):
        names = [kpi_names(k)[:2] for k in first.kpis]
        used = "<br>".join(f"{h.esc(zh)} <span class='en'>{h.esc(en)}</span>" for zh, en in names)
        cells = [
            h.Cell(f"{stated[s][i].count}<br><span class='en'>{h.esc(stated[s][i].detail)}</span>") for s in labels
        ]
        rows.append([h.bi(first.zh.strip("（）"), first.en), h.Cell(used or "—"), *cells])
    header = [h.hd("分母", "denominator"), h.hd("用于指标", "indicators")]
    header += [h.hd(label, "planned head-count", True) for label in labels]
    note = h.paragraphs(
        "人均指标的分子与分母都在其定义中写明（第"
        f"{h.ref('kpis')}节）。全院口径（员额法官、全院执行员、全体执行人员）在组织方式改变时分母不变，可用于比较改革前后；"
        "承办执行员口径描述一名承办人的工作量，其分母随组织方式改变。表中为情景计划的人数；"
        "指标使用计数期内的平均在岗人数（有人员变动时按比例计）。",
        "Every per-head indicator names its numerator and denominator in its definition "
        f"(section {h.ref('kpis')}). The court-wide ones (judges, all officers, all staff) keep their "
        "denominator when the organisation changes and so compare organisations; the handling-officer "
        "ones describe a handler's caseload and their denominator changes with the organisation. The "
        "table gives the scenarios' planned head-counts; the indicators divide by the mean head-count "
        "over the counting window (hires and leaves pro rata).",
    )
    return note + h.table(header, rows)


def build_comparison_report(results: Results, base: str | None = None) -> str:
    """The HTML of the comparison of every scenario in ``results`` against ``base``."""
    base = base or str(results.manifest.get("base") or results.labels[0])
    if base not in results.labels:
        raise ValueError(f"base scenario {base!r} is not in the folder (scenarios: {results.labels})")
    diffs = paired_differences(results.by_rep, base)
    with figure_style():
        focus = svg_data_uri(_focus_figure(results))
    differences = scenario_differences(results)
    curves = _curves(results, differences)
    diff_rows = [
        [h.Cell(f"<code>{h.esc(r['parameter'])}</code>"), *[r[s] for s in results.labels]]
        for _, r in differences.iterrows()
    ]
    m = results.manifest
    repro = compare_command(m, base)
    sections = [
        h.Section(
            "verdict",
            "结论",
            "Verdict",
            _verdicts(results, diffs, base)
            + h.figure(
                focus,
                "主要指标比较",
                "各情景的平均值与95%置信区间；红色虚线为90%目标。",
                "Mean and 95% CI per scenario; dashed red line: the 90% target.",
            )
            + curves,
        ),
        *attribution_sections(results),
        h.Section(
            "differences",
            "情景差异",
            "What differs between the scenarios",
            h.table([h.hd("参数", "parameter"), *[h.hd(s, "") for s in results.labels]], diff_rows),
        ),
        h.Section(
            "kpis",
            "指标对比",
            "Indicators side by side",
            h.paragraphs(
                f"每格为平均值及95%置信区间；差值为与{base}的配对差（共同随机数，逐次重复相减），"
                "*表示区间不含0。比率的差值单位为百分点。“—”表示该情景中此指标无定义（如改革前没有快执团队的指标）。",
                f"Each cell: mean and 95% CI. Differences are paired against {base} (common random "
                "numbers, replication "
                "by replication); * marks an interval that excludes 0. Differences of rates are "
                "in percentage points. — marks an indicator the scenario does not define (the fast "
                "track's rates in a court without one).",
            )
            + _kpi_table(results, diffs, base),
        ),
        h.Section("denominators", "人均指标的分母", "Denominators of the per-head indicators", _denominators(results)),
        closing_section(results, diffs, base),
        h.Section(
            "reproduce",
            "可重复性",
            "Reproducibility",
            h.table(
                ["项目 item", "值 value"],
                [
                    ["随机种子 seed", str(m.get("seed"))],
                    ["重复次数 replications", str(m.get("reps"))],
                    ["代码版本 commit", str(m.get("git_commit") or "—")],
                    ["courtsim", str(m.get("courtsim"))],
                    ["生成时间 created (UTC)", str(m.get("created_utc"))],
                ],
            )
            + h.paragraphs(
                "用同一代码版本运行下列命令，可重新得到这份比较（完全相同的数字）：",
                "Running this command with the same commit writes this comparison again, with identical numbers:",
            )
            + f"<pre>{h.esc(repro)}</pre>",
        ),
    ]
    title = "情景比较报告 Scenario comparison"
    subtitle = f"{' · '.join(results.labels)} · {m.get('reps')}次重复 replications · 基准 base: {base}"
    return h.page(title, subtitle, sections)
