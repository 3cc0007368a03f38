"""The run report: one scenario's results folder as one self-contained HTML page.

Like the quarterly 执行质效分析报告 a court's research office hands to the
president: the verdict on the first page, then the staffing, the indicators
against their targets, the deadlines, the figures, the bottlenecks, the note
on the statute and the plan, and the model description with every source and
assumption, ending with what it takes to reproduce the numbers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim import frames
from sim.experiments.ceilings import ceiling_checks
from sim.experiments.types import Target
from sim.io import write_atomic
from sim.metrics import KPIS, Group, in_order, levels
from sim.metrics.registry import SHARE_UNITS
from sim.metrics.stability import UNSTABLE_KPI, closed_case_kpi, instability_warning
from sim.metrics.why_late import detail_label
from sim.report import figures as fig
from sim.report import html as h
from sim.report import search_report
from sim.report import sections as parts
from sim.report.analysis import RunAnalysis, analyse_run
from sim.report.data import Results
from sim.report.fonts import figure_style
from sim.report.labels import (
    kpi_names,
    pct,
    role_label,
    role_zh,
    team_label,
    value_text,
)
from sim.report.search_report import recommended_staffing
from sim.report.targets import FAST45_TARGET, STATUS_EN, STATUS_ZH, judge, level_of, tone
from sim.report.text import marginal_command, verdict, why_late_deadlines
from sim.vocab import Deadline, Role, Team

__all__ = ["build_run_report"]


def _why_late_table(a: RunAnalysis, sla: str) -> str:
    """The 45-day target's split: each part and its two largest details, late vs on time."""

    why = a.why_late.loc[a.why_late["sla"] == sla]
    rows = []
    for part in why.loc[why["detail"] == "", "part"]:
        if part == "excluded":
            continue
        own = why.loc[why["part"] == part]
        top = own.loc[own["detail"] != ""].sort_values("mean_days_late", ascending=False).head(2)
        for r in [own.loc[own["detail"] == ""].iloc[0], *[t for _, t in top.iterrows()]]:
            zh, en = detail_label(part, str(r["detail"]))
            name = h.bi(zh, en) if r["detail"] == "" else h.bi("　· " + zh, en, "small")
            explains = pct(r["explains_share"])
            if r["detail"] == "" and part != "none" and not pd.isna(r["explains_low"]):
                explains += f" ({pct(r['explains_low'])}–{pct(r['explains_high'])})"
            rows.append(
                [
                    name,
                    h.num(explains),
                    h.num("" if pd.isna(r["main_share"]) else pct(r["main_share"])),
                    h.num("" if pd.isna(r["mean_days_late"]) else f"{r['mean_days_late']:.1f}"),
                    h.num("" if pd.isna(r["mean_days_on_time"]) else f"{r['mean_days_on_time']:.1f}"),
                ]
            )
    header = [
        h.hd("组成部分", "part of the time"),
        h.hd("单独去掉即可按期", "alone explains (95% CI)", True),
        h.hd("最大部分", "largest part", True),
        h.hd("超期案件平均天数", "days, late", True),
        h.hd("按期案件平均天数", "days, on time", True),
    ]
    return h.table(header, rows)


def _staffing_answer(a: RunAnalysis, results: Results, staff: Path | None) -> str:
    """建议人员配置 on page one: the staffing a ``staff`` folder found to hold the target, or, when
    none holds (or no search was given), the ceiling no staffing can pass and its reasons."""
    target = Target("fast45_rate", ">=", FAST45_TARGET.low or 0.9)
    checks = ceiling_checks(results.by_rep, a.label, [target], 0.95)
    ceiling = checks[0].sentence() if checks else None
    title = "<h3>建议人员配置 Recommended staffing</h3>"
    if staff is not None:
        data, table, ceilings = recommended_staffing(staff)
        targets = "、".join(data.get("targets") or [])
        if data.get("met"):
            changes = table.loc[table["change"] != 0]
            body = h.paragraphs(
                f"人员配置搜索（{targets}）找到了满足目标的最小配置，建议的变化如下：",
                f"The staffing search ({targets}) found the smallest staffing meeting the targets; "
                f"the changes it proposes: {data.get('conclusion', '')}",
            )
            body += search_report.staffing_rows(changes) if len(changes) else h.paragraphs("无需变化。", "No change.")
            return f'<div class="recommended met">{title}{body}</div>'
        lines = [c for c in ceilings if not c.get("reachable", True)] or ceilings
        reason_zh = "".join(c["zh"] for c in lines) or (ceiling[0] if ceiling else "")
        reason_en = " ".join(c["en"] for c in lines) or (ceiling[1] if ceiling else "")
        body = h.paragraphs(
            f"人员配置搜索（{targets}）没有找到满足目标的人员配置。{reason_zh}",
            f"The staffing search ({targets}) found no staffing that meets the targets: "
            f"{data.get('conclusion', '')}. {reason_en}",
        )
        return f'<div class="recommended not_met">{title}{body}</div>'
    if ceiling is None:
        return ""
    blocked = not checks[0].reachable
    more_zh = (
        "因此没有能满足目标的人员配置，须改变人手以外的因素（终本规则、外部等待、交接）。"
        if blocked
        else "上限不排除达到目标：可用 courtsim staff … --out DIR 搜索人员配置，"
        "再以 courtsim report --staff DIR 把结果放在这里。"
    )
    more_en = (
        " So no staffing holds the target; only levers other than staff (the 终本 rule, outside waits, "
        "hand-offs) can move it."
        if blocked
        else " The ceiling does not rule the target out: search with `courtsim staff … --out DIR` and pass "
        "`courtsim report --staff DIR` to show its answer here."
    )
    css = "not_met" if blocked else ""
    return (
        f'<div class="recommended {css}">{title}{h.paragraphs(ceiling[0] + more_zh, ceiling[1] + "." + more_en)}</div>'
    )


def _verdict_section(a: RunAnalysis, split_uri: str, why_uri: str | None, recommended: str = "") -> h.Section:
    v = verdict(a)
    points = "".join(f'<li>{h.esc(zh)}<br><span class="en">{h.esc(en)}</span></li>' for zh, en in v.points)
    flagged, reps = unstable_of(a)
    warning = ""
    if flagged:
        zh, en = instability_warning(flagged, reps)
        warning = (
            f'<p class="headline unstable" style="color:#c0392b">⚠ {h.esc(zh)} <span class="en">{h.esc(en)}</span></p>'
        )
    if a.warmup is not None:
        zh, en = a.warmup.message()
        colour = "" if a.warmup.enough else ' style="color:#c0392b"'
        mark = "" if a.warmup.enough else "⚠ "
        warning += f'<p class="warmup"{colour}>{mark}{h.esc(zh)} <span class="en">{h.esc(en)}</span></p>'
    box = (
        f'<div class="verdict {v.status}">{warning}<p class="headline">{h.esc(v.headline[0])} '
        f'<span class="en">{h.esc(v.headline[1])}</span></p><ul>{points}</ul></div>'
    )
    target = h.paragraphs(
        "目标说明：方案要求简案一律在收案45日内结案，未给出容许比例；本报告以90%为目标（EST），参"
        "照最高人民法院"
        "对有财产可供执行案件法定期限内实际执结率等指标≥90%的要求。",
        f"Target used: {FAST45_TARGET.source}.",
    )
    figure = h.figure(
        split_uri,
        "简案45日内结案情况",
        "简案按结案情况分组（各次重复平均）；虚线为90%目标。",
        "Simple cases by how they ended (mean of replications); dashed line: the 90% target.",
    )
    why = ""
    if why_uri is not None:
        why = (
            "<h3>为什么超期 Why deadlines are missed</h3>"
            + h.figure(
                why_uri,
                "为什么超期",
                "每个超期计时的用时分为办理、排队等人、外部等待、终本法定等待期和未记录时间；条形为"
                "单独去掉该部分即可在期限内完成的超期计时占比（可多项同时成立），细线为95%置信区间；"
                "右侧为该部分在超期与按期计时中的平均天数。只去掉一项、其余不变，是一阶估计：排队的"
                "连锁影响须重新模拟（见“增减一人的效果”）。",
                "Each late clock's time is split into staff effort, queueing for staff, outside waits, the "
                "终本 floor and time not logged; a bar is the share of late clocks that removing this part "
                "alone, all else unchanged, would have put on time (several can hold at once), whiskers the "
                "95% interval; beside it the part's mean days in late and in on-time clocks. A first-order "
                "estimate: knock-on effects on queues need a rerun (see the effect of one more or one fewer "
                "person).",
            )
            + _why_late_table(a, Deadline.FAST_CLOSE)
        )
    return h.Section("verdict", "结论", "Verdict", box + recommended + figure + why + target)


def _staffing_section(a: RunAnalysis) -> h.Section:
    rows, total = [], [0, 0, 0, 0]
    for team in Team:
        s = a.scenario.staffing.team(team)
        counts = [s.count(r) for r in (Role.JUDGE, Role.OFFICER, Role.CLERK, Role.BAILIFF)]
        total = [x + y for x, y in zip(total, counts, strict=True)]
        units = "；".join(f"{u.name}（执行员{u.officers}，书记员{u.clerks}）" for u in s.units)
        rows.append(
            [
                parts.team_cell(team.value),
                *[h.num(str(c)) for c in counts],
                h.num(str(sum(counts))),
                units,
                s.source or "unsourced",
            ]
        )
    rows.append(["合计 total", *[h.num(str(c)) for c in total], h.num(str(sum(total))), "", ""])
    header = [
        h.hd("团队", "team"),
        *[h.hd(role_zh(r.value), r.value, True) for r in Role],
        h.hd("合计", "total", True),
        h.hd("执行团队", "units"),
        h.hd("来源", "source"),
    ]
    changes = "".join(
        f"<li>{c.date} {team_label(c.team.value)} {role_label(c.role.value)} {c.delta:+d} {h.esc(c.note)}</li>"
        for c in a.scenario.staffing_changes
    )
    extra = f"<h3>人员变动 Staffing changes</h3><ul>{changes}</ul>" if changes else ""
    body = h.table(header, rows, [""] * (len(rows) - 1) + ["total"]) + extra
    return h.Section("staffing", "人员配置", "Staffing", body)


def unstable_of(a: RunAnalysis) -> tuple[int, int]:
    """``(flagged, replications)``: how many replications the ``unstable`` KPI flagged."""
    row = a.kpi(UNSTABLE_KPI)
    if row is None or pd.isna(row["mean"]):
        return 0, a.reps
    n = int(row["n"])
    return round(float(row["mean"]) * n), n


def _kpi_section(a: RunAnalysis) -> h.Section:
    unstable = unstable_of(a)[0] > 0
    # Every KPI in listing order, but utilisation: the utilisation section draws it.
    order = [k for k in in_order(a.kpis.index) if k not in KPIS or KPIS[k].group is not Group.UTILISATION]
    rows, definitions = [], []
    for kpi in order:
        zh, en, unit = kpi_names(kpi)
        row = frames.line(a.kpis, kpi)
        ci = f"{value_text(row.ci_low, unit)} – {value_text(row.ci_high, unit)}"
        target = level_of(kpi)
        percent = unit in SHARE_UNITS
        level: object = ""
        status: object = ""
        if target is None:
            pass
        else:
            s = judge(target, row["mean"], row.ci_low, row.ci_high)
            kind = "目标 target" if target.kind == "target" else "参考 reference"
            level = h.bi(target.label(percent), kind)
            status = h.badge(f"{STATUS_ZH[s]} {STATUS_EN[s]}", tone(kpi, s))
        if "missing" in row.index and isinstance(row["missing"], str) and row["missing"]:
            status = h.Cell(f'<span class="badge not_met">{h.esc(row["missing"])}</span>')
        elif unstable and closed_case_kpi(kpi):
            before = status.html if isinstance(status, h.Cell) else h.esc(str(status))
            status = h.Cell(f'{before} <span class="badge not_met">误导 misleading</span>')
        rows.append([h.bi(zh, en), h.num(value_text(row["mean"], unit)), h.num(ci), level, status])
        info = KPIS.get(kpi)
        definitions.append(f"<li><b>{h.esc(zh)}</b> {h.esc(info.definition if info else '')}</li>")
    sources = "".join(f"<li><b>{h.esc(kpi_names(k)[0])}</b>：{h.esc(t.source)}</li>" for k, t in levels().items())
    body = (
        h.paragraphs(
            "平均值为各次重复的平均；区间为95%置信区间。“目标”是考核要求；“参考”是公开数据中同类法"
            "院的水平，"
            "用来判断模型是否合理，不是考核要求。",
            "Means over replications with 95% confidence intervals. A 'target' is a level the "
            "court is "
            "asked to reach; a 'reference' is what comparable courts publish, a plausibility "
            "check of the "
            "model, not a goal.",
        )
        + h.table(
            [
                h.hd("指标", "indicator"),
                h.hd("平均", "mean", True),
                h.hd("95%置信区间", "CI", True),
                h.hd("目标/参考", "level"),
                h.hd("判断", "status"),
            ],
            rows,
        )
        + f"<details><summary>指标定义与目标来源 Definitions and sources of the levels</summary>"
        f'<ul class="small">{"".join(definitions)}</ul><ul class="small">{sources}</ul></details>'
    )
    return h.Section("kpis", "质效指标", "Quality indicators", body)


def build_run_report(results: Results, label: str | None = None, staff: Path | None = None) -> str:
    """The HTML of the report on scenario ``label`` (default: the first) of ``results``.

    ``staff``: a ``courtsim staff --out`` folder whose answer page one shows as the recommended staffing.
    """
    label = label or results.labels[0]
    if label not in results.runs:
        raise ValueError(f"scenario {label!r} is not in the folder (scenarios: {results.labels})")
    a = analyse_run(results, label)
    run = results.runs[label]
    deadlines = why_late_deadlines(a)
    with figure_style() as style:
        uris: dict[str, str] = {
            "split": fig.svg_data_uri(fig.fig_fast45_split(a.zhongben, FAST45_TARGET.low or 0.9)),
            "why": fig.svg_data_uri(fig.fig_why_late(a.why_late, deadlines)) if deadlines else "",
            "sla": fig.svg_data_uri(fig.fig_sla(a.slas)),
            "days": fig.svg_data_uri(fig.fig_days_to_close(a.days_to_close, a.reps)),
            "util": fig.svg_data_uri(fig.fig_utilisation(a.bottlenecks)),
            "backlog": fig.svg_data_uri(
                fig.fig_backlog(a.backlog, a.stages, a.scenario.run.start_date, run.window, run.end)
            ),
            "load": fig.svg_data_uri(fig.fig_caseload(a.caseload, (200.0, 274.0))),
            "monthly": fig.svg_data_uri(fig.fig_monthly(a.monthly, FAST45_TARGET.low or 0.9)),
        }
    body = [
        _verdict_section(a, uris["split"], uris["why"] or None, _staffing_answer(a, results, staff)),
        _staffing_section(a),
        _kpi_section(a),
        parts.sla_section(a, uris["sla"]),
        parts.days_section(uris["days"]),
        parts.bottleneck_section(
            a,
            uris["util"],
            marginal_command(
                results.manifest["scenarios"][a.label].get("source"), int(results.manifest.get("seed", 0))
            ),
        ),
        parts.backlog_section(uris["backlog"]),
        parts.monthly_section(a, uris["monthly"]),
        parts.caseload_section(a, uris["load"]),
        parts.statute_section(a),
        parts.model_section(a, results, style.describe()),
        parts.reproduce_section(a, results),
    ]
    title = "执行工作仿真报告 Enforcement simulation report"
    seed = results.manifest.get("seed")
    subtitle = f"{a.scenario.title or a.label} · {a.reps}次重复 replications · seed {seed}"
    return h.page(title, subtitle, body)


def write_html(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a reader never sees half a report)."""

    def write(target: Path) -> None:
        target.write_text(text, encoding="utf-8")

    write_atomic(path, write)
    return path
