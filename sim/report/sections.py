"""The figure and appendix sections of the run report, one function per section.

Each takes the :class:`~sim.report.analysis.RunAnalysis` (and the figure's
``data:`` URI) and returns an :class:`~sim.report.html.Section`: the deadlines,
days to close, utilisation and bottlenecks, open cases, caseload per handler,
the statute-versus-plan note, the model description (STRESS-DES) with every
parameter and its source, and the reproducibility block.
"""

from __future__ import annotations

import pandas as pd

from sim import frames
from sim.metrics import View, headline
from sim.report import html as h
from sim.report.analysis import RunAnalysis
from sim.report.data import Results
from sim.report.labels import TEAM_EN, kpi_names, pct, role_zh, team_zh
from sim.report.params import GROUP_ZH, parameter_table
from sim.report.text import reproduce_command, statute_note, stress_des

__all__ = [
    "backlog_section",
    "bottleneck_section",
    "caseload_section",
    "days_section",
    "model_section",
    "monthly_section",
    "reproduce_section",
    "role_cell",
    "sla_section",
    "statute_section",
    "team_cell",
]


def team_cell(team: str) -> h.Cell:
    """``快执团队`` over ``fast track``, kept on one line."""
    return h.bi(team_zh(team), TEAM_EN.get(team, team), "name")


def role_cell(role: str) -> h.Cell:
    """``执行员`` over ``officer``."""
    return h.bi(role_zh(role), role, "name")


def sla_section(a: RunAnalysis, uri: str) -> h.Section:
    rows = []
    for r in frames.rows(a.slas):
        unit = {"days": "日", "working_days": "个工作日", "months": "个月"}.get(r.basis, "")
        rows.append(
            [
                h.bi(r.zh, r.en),
                f"{r.days}{unit}",
                h.num(f"{r.started_per_year:,.0f}"),
                h.num(pct(r.on_time_rate)),
                h.num(f"{pct(r.ci_low)} – {pct(r.ci_high)}"),
                h.num("—" if pd.isna(r.mean_lateness_days) else f"{r.mean_lateness_days:.1f}"),
                h.Cell(f'<span class="small">{h.esc(r.source)}</span>'),
            ]
        )
    body = h.figure(
        uri,
        "各节点按期完成率",
        "绿色≥95%，橙色80%–95%，红色<80%；细线为95%置信区间。",
        "Green ≥ 95%, amber 80–95%, red < 80%; whiskers: 95% confidence interval.",
    ) + h.table(
        [
            h.hd("期限", "deadline"),
            h.hd("时限", "limit"),
            h.hd("每年计时数", "clocks a year", True),
            h.hd("按期率", "on time", True),
            h.hd("95%置信区间", "CI", True),
            h.hd("平均超期天数", "mean days late", True),
            h.hd("依据", "rule"),
        ],
        rows,
    )
    return h.Section("deadlines", "各节点按期完成率", "On-time rate per deadline", body)


def days_section(uri: str) -> h.Section:
    caption = h.figure(
        uri,
        "结案用时分布",
        "统计期内立案并已结案的案件，按分流轨道分组、按结案方式着色；黑色虚线为45日，红色点线为6个"
        "月。"
        "注意：45日内结案率从快执团队收案起算，图中从立案起算。",
        "Counted cases that closed, by track, coloured by outcome; dashed black line: 45 days; "
        "dotted red line: 6 months. "
        "The 45-day KPI counts from receipt by the fast-track team; the figure counts from filing.",
    )
    return h.Section("days", "结案用时", "Days to close", caption)


def bottleneck_section(
    a: RunAnalysis, uri: str, marginal: str = "courtsim marginal SCENARIO.toml --reps 3"
) -> h.Section:
    """Utilisation heat map and the ranking by busyness; ``marginal`` is the command that ranks by effect."""
    per_year = 365.0 / (a.scenario.run.horizon_days - a.scenario.run.warmup_days)
    rows = [
        [
            h.num(str(r.rank)),
            team_cell(r.team),
            role_cell(r.role),
            h.num(str(r.headcount)),
            h.num(pct(r.utilisation)),
            h.num(f"{r.wait_per_task_days:.2f}" if pd.notna(r.wait_per_task_days) else "—"),
            h.num(f"{r.late_wait_days * per_year:,.0f}"),
        ]
        for r in frames.rows(a.bottlenecks.head(10))
    ]
    body = (
        h.figure(
            uri,
            "利用率热力图",
            "各团队、各岗位在统计期内的忙碌比例（工作时间中用于办案的比例，各次重复平均）；“—”表示没有该岗位。",
            "Busy share of working time per team × role over the counted window (mean of "
            "replications); "
            "'—': nobody in that role.",
        )
        + "<h3>瓶颈排名 Bottleneck ranking</h3>"
        + h.paragraphs(
            "排名综合两项：利用率，以及该岗位的任务排队等待中落在已超期计时之内的时间（说明等待造"
            "成了超期）。"
            "这是按忙碌程度的排名，不是增人的效果：忙的岗位增加一人未必提高结案率（限制可能在法定"
            "期间或外部等待）。要知道在哪个岗位增加（或减少）一人能显著改变各项指标，请运行下列命令"
            "（每个岗位与基准在相同案件上配对比较，给出95%置信区间；共需 2×岗位数×重复次数 次运行，"
            "所以报告本身不运行它）：",
            "The ranking combines utilisation and the queueing wait of the role's tasks that fell "
            "inside "
            "a deadline clock that ended late (the wait made a deadline late). It ranks posts by how "
            "busy they are, not by effect: one more person in a busy post need not raise the closure "
            "rates (the limit may be a statutory period or outside waits). Which post's one more (or one "
            "fewer) person changes the KPIs significantly is what this command measures (each post "
            "paired with the base on the same cases, 95% intervals; about 2 × posts × replications runs, "
            "so the report does not run it):",
        )
        + f"<pre>{h.esc(marginal)}</pre>"
        + h.table(
            [
                h.hd("名次", "rank", True),
                h.hd("团队", "team"),
                h.hd("岗位", "role"),
                h.hd("人数", "staff", True),
                h.hd("利用率", "utilisation", True),
                h.hd("任务平均等待（日）", "wait per task, days", True),
                h.hd(
                    "超期计时内的等待（任务·日/年）",
                    "wait inside late clocks, task-days a year",
                    True,
                ),
            ],
            rows,
        )
    )
    return h.Section("utilisation", "利用率与瓶颈", "Utilisation and bottlenecks", body)


def backlog_section(uri: str) -> h.Section:
    return h.Section(
        "backlog",
        "未结案件",
        "Open cases over time",
        h.figure(
            uri,
            "未结案件",
            "上图：未结案件总数（细线为各次重复，粗线为平均）；下图：按案件所在团队。",
            "Top: all open cases (thin lines: replications; thick: mean). Bottom: by the team holding the case.",
        ),
    )


def monthly_section(a: RunAnalysis, uri: str) -> h.Section:
    """每月通报: the monthly view of the counted window, a table and a figure (means of replications)."""
    m = a.monthly
    teams = [c.removeprefix("on_time_") for c in m.columns if c.startswith("on_time_")]
    header = [
        h.hd("月份", "month"),
        h.hd("统计天数", "days counted", True),
        h.hd("收案", "filed", True),
        h.hd("结案", "closed", True),
        h.hd("简案45日内结案率（按收案月）", "fast45 rate by month filed", True),
        h.hd("月末未结", "open at month end", True),
        *(h.hd(f"{team_zh(t)}按期率", f"{TEAM_EN.get(t, t)} on time", True) for t in teams),
    ]
    rows = [
        [
            h.num(str(r["month"])),
            h.num(f"{r['days']:.0f}"),
            h.num(f"{r['filed']:,.0f}"),
            h.num(f"{r['closed']:,.0f}"),
            h.num(f"{pct(r['fast45_rate'])} / {r['fast_filed']:,.0f}"),
            h.num(f"{r['open_end']:,.0f}"),
            *(h.num(pct(r[f"on_time_{t}"])) for t in teams),
        ]
        for _, r in m.iterrows()
    ]
    body = (
        h.paragraphs(
            "方案要求“三统一”管理团队每月通报。下表按统计期内的自然月列出：收案数，结案数（含预热期收案、"
            "当月结案的案件），当月收案的简案在45日内结案的比例（斜线后为当月收案的简案数；各月合计即"
            "简案45日内结案率），月末未结案件数，以及各团队当月届满的节点期限中按期完成的比例（法定执行期限"
            "除外，见指标表的法定期限内结案率）。首末两月常不完整，见统计天数。各次重复的平均。",
            "The plan asks the 三统一 team for a monthly report (每月通报). By calendar month of the counted "
            "window: cases filed, cases closed (warm-up filings closed that month included), the share of the "
            "simple cases filed that month that closed within 45 days (after the slash: how many were filed; "
            "the months add up to the fast45 rate), the cases open at the month's end, and each team's share "
            "of the deadline clocks that ended that month on time (the 6-month limit left out: see "
            "within_limit_rate). The first and last months are often partial: see days counted. Means of "
            "replications.",
        )
        + h.table(header, rows)
        + h.figure(
            uri,
            "每月通报",
            "上图：每月收案、结案（柱）与月末未结案件（线）；下图：按收案月的简案45日内结案率（红，虚线为目标）"
            "与各团队按期完成率。",
            "Top: filed and closed each month (bars), open at month end (line). Bottom: the 45-day rate by "
            "month of filing (red; dotted: the target) and each team's on-time rate.",
        )
    )
    return h.Section("monthly", "每月通报", "Monthly report", body)


def caseload_section(a: RunAnalysis, uri: str) -> h.Section:
    by_team = a.caseload.groupby("team")[["received_per_year", "open_at_horizon"]].mean()
    rows = [
        [
            team_cell(str(t)),
            h.num(f"{r.received_per_year:,.0f}"),
            h.num(f"{r.open_at_horizon:,.0f}"),
        ]
        for t, r in by_team.iterrows()
    ]
    body = h.figure(
        uri,
        "承办人收案",
        "每名承办执行员每年分到的统计期案件，及统计期末仍在办的案件；绿色带为公开的人均结案数。",
        "Counted cases each handling officer receives a year, and the cases he holds open at the "
        "horizon; green band: published cases closed per head (domain-facts §3.10).",
    ) + h.table(
        [
            h.hd("团队", "team"),
            h.hd("人均每年收案", "received per officer a year", True),
            h.hd("人均期末在办", "open per officer at the horizon", True),
        ],
        rows,
    )
    return h.Section("caseload", "承办人收案", "Caseload per handler", body)


ZHONGBEN_ROWS = {
    "simple_per_year": ("每年简案数", "simple cases a year", "count"),
    "fast45_rate": ("45日内结案率（全部简案）", "45-day rate, all simple cases", "share"),
    "zhongben_share": ("以终本结案的简案比例", "share of simple cases ending as 终本", "share"),
    "fast45_rate_non_zhongben": (
        "45日内结案率（终本以外的全部简案，未结的算超期）",
        "45-day rate of all simple cases but 终本 (open ones count as late)",
        "share",
    ),
    "floor_ceiling": (
        "在3个月限制下可达到的最高比率",
        "highest rate possible under the floor",
        "share",
    ),
    "zhongben_mean_days": ("简案终本平均用时（日）", "mean days to 终本, simple cases", "days"),
    "early_zhongben_per_year": (
        "每年立案3个月内的终本（违反规定）",
        "终本 within 3 months of filing a year (unlawful)",
        "count",
    ),
}


def _count(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:,.0f}"


def _amount(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:,.1f}"


def statute_section(a: RunAnalysis) -> h.Section:
    zh, en = statute_note(a)
    rows = []
    for key, (row_zh, row_en, unit) in ZHONGBEN_ROWS.items():
        if key not in a.zhongben.index:
            continue
        r = frames.line(a.zhongben, key)
        show = pct if unit == "share" else (_count if unit == "count" else _amount)
        rows.append(
            [
                h.bi(row_zh, row_en),
                h.num(show(r["mean"])),
                h.num(f"{show(r.ci_low)} – {show(r.ci_high)}"),
            ]
        )
    for kpi in headline(View.STATUTE, a.kpis.index):
        r = frames.line(a.kpis, kpi)
        k_zh, k_en, _ = kpi_names(kpi)
        rows.append(
            [
                h.bi(k_zh, k_en),
                h.num(pct(r["mean"])),
                h.num(f"{pct(r.ci_low)} – {pct(r.ci_high)}"),
            ]
        )
    body = (
        f'<div class="note">{h.paragraphs(zh, en)}</div>'
        + h.table(
            [h.hd("数字", "figure"), h.hd("平均", "mean", True), h.hd("95%置信区间", "CI", True)],
            rows,
        )
        + h.paragraphs(
            "两个“不计终本”的比率分母不同：“终本以外的全部简案”除以终本以外的所有简案（含期末未结和以和解、"
            "撤回等方式结案的）；指标“简案45日内结案率（执行完毕）”只除以以执行完毕结案的简案，因此更高。",
            "The two figures that leave 终本 out divide by different cases: 'all simple cases but 终本' divides "
            "by every simple case that did not end as 终本 (open at the end, settled, withdrawn and the rest "
            "included); the KPI 'fast-track 45-day rate, completed' divides by the simple cases closed as "
            "执行完毕 only, so it is higher.",
        )
        + h.paragraphs(
            "若要看按方案字面执行（不适用3个月限制）的结果，运行 scenarios/plan_literal.toml 并与本方案比较。",
            "To see the plan read literally (no 3-month floor), run scenarios/plan_literal.toml "
            "and "
            "compare it with this scenario.",
        )
    )
    return h.Section(
        "statute",
        "法律与方案：终本3个月限制",
        "Statute versus plan: the 3-month 终本 floor",
        body,
    )


def _breakable(name: str) -> str:
    """A dotted parameter name that wraps only after its dots and underscores (``<wbr>``)."""
    return "".join(h.esc(c) + ("<wbr>" if c in "._" else "") for c in name)


def model_section(a: RunAnalysis, results: Results, font: str) -> h.Section:
    label = a.label
    params = parameter_table(results.manifest["scenarios"][label]["resolved"])
    parts = stress_des(a, results.manifest, font, int(params["est"].sum()), len(params))
    body = ""
    for number, (key, (t_zh, t_en), (zh, en)) in enumerate(parts, start=1):
        title = f'{number} {h.esc(t_zh)} <span class="en">{number} {h.esc(t_en)}</span>'
        body += f"<h3>{title}</h3>{h.paragraphs(zh, en)}"
        if key == "data":
            rows = [
                [
                    h.Cell(h.esc(GROUP_ZH.get(r.group, r.group)), "name"),
                    h.Cell(f"<code>{_breakable(r.parameter)}</code>", "param"),
                    h.Cell(h.esc(r.zh), "zhname"),
                    r.value,
                    h.badge("EST", "est") if r.est else "",
                    h.Cell(f'<span class="small">{h.esc(r.source)}</span>'),
                ]
                for r in frames.rows(params)
            ]
            body += h.table(
                [
                    h.hd("组", "group"),
                    h.hd("参数", "parameter"),
                    h.hd("名称", "name"),
                    h.hd("取值", "value"),
                    "",
                    h.hd("来源", "source"),
                ],
                rows,
                ["est" if e else "" for e in params["est"]],
            )
    return h.Section("model", "模型说明（STRESS-DES）", "Model description (STRESS-DES)", body)


def reproduce_section(a: RunAnalysis, results: Results) -> h.Section:
    m = results.manifest
    entry = m["scenarios"][a.label]
    deps = ", ".join(f"{k} {v}" for k, v in (m.get("dependencies") or {}).items())
    rows = [
        ["随机种子 seed", str(m.get("seed"))],
        ["重复次数 replications", str(m.get("reps"))],
        ["情景 scenario", f"{a.label} ({entry.get('source') or '—'}), hash {entry.get('hash')}"],
        ["代码版本 commit", str(m.get("git_commit") or "—")],
        ["courtsim", str(m.get("courtsim"))],
        ["Python", str(m.get("python"))],
        ["依赖 dependencies", deps],
        ["平台 platform", str(m.get("platform"))],
        ["生成时间 created (UTC)", str(m.get("created_utc"))],
        ["结果目录 results folder", str(results.folder)],
    ]
    command = reproduce_command(entry.get("source"), int(m.get("reps", a.reps)), int(m.get("seed", 0)))
    body = (
        h.table(["项目 item", "值 value"], rows)
        + h.paragraphs(
            "用同一代码版本运行下列命令可得到完全相同的数字（结果与并行进程数无关）：",
            "Running this command with the same commit gives identical numbers (whatever the "
            "number of "
            "worker processes):",
        )
        + f"<pre>{h.esc(command)}\ncourtsim report {h.esc(str(results.folder))}</pre>"
    )
    return h.Section("reproduce", "可重复性", "Reproducibility", body)
