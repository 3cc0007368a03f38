"""The report's words: the verdict, the statute-versus-plan note and the model description.

Like the 说明 a court's research office writes above its tables: each function
turns numbers of a :class:`~sim.report.analysis.RunAnalysis` into Chinese
sentences with their English versions, as ``(zh, en)`` pairs. The model
description follows STRESS-DES (Monks et al. 2019, *Strengthening the
reporting of empirical simulation studies*): aim, logic, data, experimentation,
implementation, code access.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim import frames
from sim.metrics.why_late import PART_NAMES, detail_label
from sim.report.analysis import RunAnalysis
from sim.report.html import ref
from sim.report.labels import pct, role_zh, team_zh
from sim.report.targets import FAST45_TARGET, VERDICT_HEADLINES, Status, judge
from sim.vocab import Deadline, Role, Team

__all__ = [
    "Verdict",
    "compare_command",
    "marginal_command",
    "reproduce_command",
    "statute_note",
    "stress_des",
    "verdict",
    "why_late_deadlines",
    "why_late_point",
]

Pair = tuple[str, str]

HEADLINES: Mapping[str, Pair] = VERDICT_HEADLINES
MIN_CLOCKS_PER_YEAR = 20.0
"""A deadline needs this many clocks a year before it can be named the worst one."""


@dataclass(frozen=True)
class Verdict:
    """The first page: status of the 45-day target and the sentences that explain it."""

    status: Status
    headline: Pair
    points: list[Pair]


def _g(row: pd.Series | None, column: str = "mean") -> float:
    return math.nan if row is None else float(row[column])


def _staff_total(a: RunAnalysis) -> int:
    return sum(a.scenario.staffing.team(t).count(r) for t in Team for r in Role)


def _fast45_point(a: RunAnalysis, status: Status) -> Pair:
    row = a.kpi("fast45_rate")
    mean, lo, hi = _g(row), _g(row, "ci_low"), _g(row, "ci_high")
    load = f"{a.scenario.arrivals.cases_per_year:,.0f}"
    verdicts = {
        "met": ("达标", "met"),
        "not_met": ("未达标", "not met"),
        "uncertain": ("不确定", "uncertain"),
    }
    zh_v, en_v = verdicts.get(status, ("无数据", "no data"))
    return (
        f"按本方案{_staff_total(a)}名人员、年收案约{load}件计算，简案收案45日内结案率为{pct(mean)}"
        f"（95%置信区间 {pct(lo)}–{pct(hi)}，{a.reps}次重复模拟）。以90%为目标：{zh_v}。",
        f"With the scenario's {_staff_total(a)} staff and about {load} cases a year, the "
        "fast-track 45-day "
        f"closure rate is {pct(mean)} (95% confidence interval {pct(lo)}–{pct(hi)}, {a.reps} "
        "replications). "
        f"Against a 90% target: {en_v}.",
    )


def _floor_point(a: RunAnalysis) -> Pair:
    z = a.zhongben
    share, ceiling, other = (
        _g(frames.line(z, k)) for k in ("zhongben_share", "floor_ceiling", "fast45_rate_non_zhongben")
    )
    if a.scenario.policy.zhongben_floor:
        months = a.scenario.policy.zhongben_floor_months
        extra_zh = "即使人手无限，也达不到90%。" if ceiling < (FAST45_TARGET.low or 0.0) else ""
        extra_en = " Even unlimited staff could not reach 90%." if ceiling < (FAST45_TARGET.low or 0.0) else ""
        return (
            f"{pct(share)}的简案最终以终本结案；依法终本须在立案满{months}个月后（《终本规定》第1条"
            "第4项），"
            f"这些案件不可能在45日内结案，因此该比率最高约为{pct(ceiling)}"
            "（加上外部等待的上限见“建议人员配置”）。"
            f"{extra_zh}"
            f"终本以外的全部简案（未结的算超期）45日内结案率为{pct(other)}。",
            f"{pct(share)} of simple cases end as 终本, which the SPC rule allows only more than "
            f"{months} months "
            "after filing (终本规定 art. 1(4)); they cannot close within 45 days, so the rate is "
            "capped at about "
            f"{pct(ceiling)} (with outside waits too, see the recommended staffing).{extra_en} "
            "Of all simple cases but the 终本 ones (open ones counted as late), "
            f"{pct(other)} close within 45 days.",
        )
    early = _g(frames.line(z, "early_zhongben_per_year"))
    return (
        f"本方案按改革方案字面执行，未适用终本须满3个月的法定限制：每年约{early:,.0f}件终本案件在立"
        "案3个月内结案，"
        "这在现行规定下不合法（《终本规定》第1条第4项）。",
        "This scenario reads the plan literally and does not apply the statutory 3-month floor: "
        "about "
        f"{early:,.0f} 终本 closures a year come within 3 months of filing, which the SPC rule "
        "does not allow.",
    )


def _bottleneck_point(a: RunAnalysis) -> Pair:
    b = a.bottlenecks
    top = b.iloc[0]
    busiest = frames.line(b, b["utilisation"].idxmax())
    sla = a.slas.loc[a.slas["started_per_year"] >= MIN_CLOCKS_PER_YEAR].dropna(subset=["on_time_rate"])
    worst = frames.line(sla, sla["on_time_rate"].idxmin()) if len(sla) else None
    who = f"{team_zh(top.team)}·{role_zh(top.role)}"
    who_en = f"{top.team.replace('_', ' ')} {top.role}s"
    zh = (
        f"按利用率和超期计时内的等待排名，排第一的是{who}（{top.headcount}人，利用率{pct(top.utilisation)}，"
        f"任务平均等待{top.wait_per_task_days:.1f}天）。利用率最高的岗位是"
        f"{team_zh(busiest.team)}·{role_zh(busiest.role)}（{pct(busiest.utilisation)}）。"
        f"这是按忙碌程度的排名，不是增人的效果：在哪个岗位增加一人最能提高结案率，"
        "请运行 courtsim marginal（命令见“利用率与瓶颈”一节；共同随机数配对，给出置信区间）。"
    )
    en = (
        f"Ranked by utilisation and by waits inside late clocks, the top post is the {who_en} "
        f"({top.headcount} people, {pct(top.utilisation)} busy, tasks wait "
        f"{top.wait_per_task_days:.1f} days on average). The busiest post is the "
        f"{busiest.team.replace('_', ' ')} {busiest.role}s ({pct(busiest.utilisation)}). "
        "This ranks posts by how busy they are, not by what one more person would change: "
        "courtsim marginal measures that (CRN-paired, with intervals; the command is in the "
        "section on utilisation)."
    )
    if worst is not None:
        zh += f"按期完成率最低的节点是“{worst.zh}”（{pct(worst.on_time_rate)}）。"
        en += f" The deadline most often missed: {worst.en} ({pct(worst.on_time_rate)} on time)."
    return zh, en


FAST_CLOSE = Deadline.FAST_CLOSE.value


def why_late_deadlines(a: RunAnalysis, worst: int = 2) -> list[str]:
    """The deadlines page one explains: the 45-day target, then the ``worst`` deadlines with the
    lowest on-time rate (at least :data:`MIN_CLOCKS_PER_YEAR` clocks a year, some late)."""
    late = set(a.why_late.loc[a.why_late["n_late"] > 0, "sla"]) if len(a.why_late) else set()
    sla = a.slas.loc[(a.slas["started_per_year"] >= MIN_CLOCKS_PER_YEAR) & a.slas["sla"].isin(late)]
    sla = sla.loc[sla["sla"] != FAST_CLOSE].dropna(subset=["on_time_rate"])
    others: list[str] = sla.sort_values("on_time_rate", kind="stable")["sla"].head(worst).tolist()
    return ([FAST_CLOSE] if FAST_CLOSE in late else []) + others


def _top_detail(why: pd.DataFrame, sla: str, part: str) -> pd.Series | None:
    rows = why.loc[(why["sla"] == sla) & (why["part"] == part) & (why["detail"] != "")]
    return None if rows.empty else frames.line(rows, rows["mean_days_late"].idxmax())


def why_late_point(a: RunAnalysis, sla: str = FAST_CLOSE, most: int | None = None) -> Pair | None:
    """Why the clocks of ``sla`` end late: each part's share of the late clocks it alone explains.

    ``most`` keeps the largest parts only (the one-page brief) and says how much the others
    explain at most; none are dropped without a word.
    """
    why = a.why_late
    rows = why.loc[(why["sla"] == sla) & (why["detail"] == "")] if len(why) else why
    if rows.empty or not rows["n_late"].iloc[0] > 0:
        return None
    head = rows.iloc[0]
    parts = rows.loc[~rows["part"].isin(["none", "excluded"])].sort_values("explains_share", ascending=False)
    parts = parts.loc[parts["explains_share"] > 0.005]
    left_out = parts.iloc[most:] if most is not None else parts.iloc[0:0]
    parts = parts.iloc[:most] if most is not None else parts
    zh_parts, en_parts = [], []
    for r in frames.rows(parts):
        zh_name, en_name = PART_NAMES[r.part]
        zh, en = (
            f"单独去掉{zh_name}可使其中{pct(r.explains_share)}按期",
            f"removing {en_name} alone would put {pct(r.explains_share)} on time",
        )
        top = _top_detail(why, sla, r.part) if r.part in ("queue", "outside", "handoff") else None
        if top is not None:
            d_zh, d_en = detail_label(r.part, str(top.detail))
            zh += f"（最多的是{d_zh}，超期计时平均{top.mean_days_late:.1f}天）"
            en += f" (most: {d_en}, {top.mean_days_late:.1f} days per late clock)"
        zh_parts.append(zh)
        en_parts.append(en)
    if len(left_out):
        bound = pct(float(left_out["explains_share"].max()))
        zh_parts.append(f"其余{len(left_out)}项单独去掉各不超过{bound}")
        en_parts.append(f"each of the other {len(left_out)} parts alone at most {bound}")
    none = rows.loc[rows["part"] == "none", "explains_share"]
    rest = float(none.iloc[0]) if len(none) else math.nan
    subject_zh, subject_en = (
        ("简案", "simple cases") if sla == FAST_CLOSE else (f"“{head.zh}”计时", f"'{head.en}' clocks")
    )
    return (
        f"为什么超期：{pct(head.late_share)}的{subject_zh}超过期限，平均超期{head.mean_lateness_days:.1f}天。"
        + "；".join(zh_parts)
        + f"；另有{pct(rest)}须同时缩短几项才能按期。",
        f"Why late: {pct(head.late_share)} of {subject_en} miss the deadline, by {head.mean_lateness_days:.1f} days "
        "on average; " + "; ".join(en_parts) + f"; {pct(rest)} need several parts shortened at once.",
    )


def verdict(a: RunAnalysis) -> Verdict:
    """The 45-day verdict with its confidence, the statutory cap and what breaks first."""
    row = a.kpi("fast45_rate")
    status: Status = "n/a" if row is None else judge(FAST45_TARGET, _g(row), _g(row, "ci_low"), _g(row, "ci_high"))
    points = [_fast45_point(a, status)] if row is not None else []
    if row is not None and "floor_ceiling" in a.zhongben.index:
        points.append(_floor_point(a))
    why = why_late_point(a)
    if why is not None:
        points.append(why)
    if len(a.bottlenecks):
        points.append(_bottleneck_point(a))
    points.append(
        (
            "置信区间只反映模拟中的随机波动；标注EST的参数是假设，其不确定性不在区间内（见“模型说明·数据与来源”）。",
            "The interval covers the simulation's random variation only; parameters marked EST "
            "are assumptions "
            "whose uncertainty the interval does not include (see the model description, data and "
            "sources).",
        )
    )
    return Verdict(status, HEADLINES[status], points)


def statute_note(a: RunAnalysis) -> Pair:
    """Why the plan's 45 days and the 3-month 终本 floor conflict, and which way the model goes."""
    floor = a.scenario.policy.zhongben_floor
    zh = (
        "改革方案要求快执团队对无财产案件“尽快进行终本约谈，在收案45日内结案”（方案 三(二)1）；"
        "而最高人民法院《关于严格规范终结本次执行程序的规定（试行）》第1条第4项要求终本须“自立案之"
        "日起已超过三个月”。"
        "两者冲突时，模型以法律为准："
        + (
            "本方案适用3个月限制，无财产的简案最早在立案约91日后终本。"
            if floor
            else "本方案关闭了该限制，用于展示按方案字面执行的结果。"
        )
        + "因此45日内结案率按结案方式分开报告。"
    )
    en = (
        "The plan asks the fast-track team to hold the 终本 interview for no-property cases and "
        "close them within "
        "45 days of receipt (方案 三(二)1); the SPC 终本 rule, art. 1(4), allows 终本 only more "
        "than three months "
        "after filing. Where the two conflict the model follows the statute: "
        + (
            "this scenario applies the 3-month floor, so a no-property simple case reaches 终本 "
            "at day 91 at the "
            "earliest."
            if floor
            else "this scenario switches the floor off to show the plan read literally."
        )
        + " The 45-day rate is therefore reported by outcome."
    )
    return zh, en


def reproduce_command(source: str | None, reps: int, seed: int) -> str:
    """The command line that recreates the results folder and this report."""
    return f"courtsim run {source or 'SCENARIO.toml'} --reps {reps} --seed {seed} --report"


def compare_command(manifest: Mapping[str, Any], base: str) -> str:
    """The ``courtsim compare`` command that rewrites a comparison folder: the base's file first,
    then the others', with the folder's replications and seed (and ``--attribute`` when it holds
    an attribution)."""
    scenarios: Mapping[str, Any] = manifest.get("scenarios") or {}
    labels = [base, *[label for label in scenarios if label != base]]
    files = " ".join(str((scenarios.get(label) or {}).get("source") or f"{label}.toml") for label in labels)
    attribute = " --attribute" if manifest.get("attribution") else ""
    return (
        f"courtsim compare {files} --reps {manifest.get('reps')} --seed {manifest.get('seed')}"
        f"{attribute} --out DIR --report"
    )


def marginal_command(source: str | None, seed: int, reps: int = 3) -> str:
    """The command that ranks the posts by effect (one more person in each, CRN-paired)."""
    return f"courtsim marginal {source or 'SCENARIO.toml'} --reps {reps} --seed {seed}"


def stress_des(
    a: RunAnalysis, manifest: Mapping[str, Any], font: str, est: int, total: int
) -> list[tuple[str, Pair, Pair]]:
    """STRESS-DES parts as (key, (title zh, title en), (text zh, text en)), without numbers or tables.

    Keys: ``aim``, ``logic``, ``data`` (the parameter table follows it),
    ``experimentation``, ``implementation``; the model section numbers them.
    """
    run = a.scenario.run
    staff = _staff_total(a)
    deps = manifest.get("dependencies", {})
    return [
        (
            "aim",
            ("目标", "Aim"),
            (
                "评估邓州市人民法院2022年执行权运行机制改革方案（邓法〔2022〕41号）的团队分工与人"
                "员配置，"
                "在给定收案量下能否按期完成各节点期限，特别是简案45日内结案；找出瓶颈团队和岗位，"
                f"为人员调配和改革评估提供依据。主要输出为第{ref('kpis')}节所列质效指标、各节点按期完成率、利用"
                "率与未结案件。",
                "To judge whether the team organisation and staffing of the Dengzhou court's 2022 "
                "enforcement reform "
                "plan meet the plan's deadlines at a given load, above all closing simple cases "
                "within 45 days; to find "
                "the team and role that limit it; and to support staffing and reform evaluation. "
                "Outputs: the quality "
                f"indicators of section {ref('kpis')}, the on-time rate per deadline, utilisation and open "
                "cases.",
            ),
        ),
        (
            "logic",
            ("模型逻辑", "Logic"),
            (
                "离散事件仿真（SimPy）。实体为案件（首执、执恢、执保）及委托、信访等附带事务；资源"
                "为七个团队中的"
                f"{staff}名人员（员额法官、执行员、书记员、法警），每人是一个独立资源，执行员作为承"
                "办人拥有其案件。"
                "案件依次经过前置团队（核对、接待、文书、网络查控、繁简分流）、快执或精执团队（送"
                "达、询问、扣划、"
                "传统查控、强制措施、终本约谈）、财产处置团队（参考价、网拍、变卖）、卷宗管理中心"
                "与审查团队。"
                "每个步骤只在其工作量（小时）内占用人员；等待外部（送达、银行和登记机关反馈、评估"
                "、公告期）不占用任何人。"
                "人员按国家法定工作日历（含调休）工作；期限按《民事诉讼法》期间计算规则计算，每个"
                "期限是一个被跟踪的计时。"
                "案件的内在属性按命名随机流预先抽取，与人员配置无关（共同随机数）。",
                "A discrete-event simulation (SimPy). Entities are cases (首执, 执恢, 执保) and "
                "side work (commissioned "
                f"matters, petitions); resources are the {staff} people of the seven teams "
                "(judges, officers, clerks, "
                "bailiffs), each an individual resource, and an officer owns the cases he "
                "handles. A case passes the "
                "front-end team (checks, first contact, documents, online asset query, triage), "
                "the fast or standard "
                "track (service, interview, deduction, investigation, coercive measures, the 终本 "
                "interview), the asset "
                "disposal team (reference price, online auction, sell-off), the records centre "
                "and the review team. A "
                "step holds staff only for its effort in hours; waits on outside parties hold "
                "nobody. Staff work on the "
                "official calendar with make-up days; periods are counted by the Civil Procedure "
                "Law's rule and every "
                "deadline is a tracked clock. What is intrinsic to a case is drawn from named "
                "random streams, "
                "independently of staffing (common random numbers).",
            ),
        ),
        (
            "data",
            ("数据与来源", "Data and sources"),
            (
                "参数来自改革方案原文（“方案”）、法律与司法解释以及公开统计（domain-facts.md，含网"
                "址与可靠性等级）。"
                f"共{total}项参数，其中{est}项标注EST，即没有来源支持的假设（主要是工作量小时数和多"
                "数概率）；"
                "下表逐项列出，EST以紫色标出。",
                "Parameters come from the plan itself ('方案'), statutes and judicial "
                "interpretations, and published "
                f"statistics (domain-facts.md, with URLs and reliability grades). Of {total} "
                f"parameters, {est} are "
                "marked EST: assumptions that no source supports (mostly effort hours and most "
                "probabilities). The "
                "table lists each one; EST rows are marked in purple.",
            ),
        ),
        (
            "experimentation",
            ("实验设计", "Experimentation"),
            (
                f"每次重复从空院开始，模拟{run.horizon_days + run.cooldown_days:g}天（自"
                f"{run.start_date}起）："
                f"前{run.warmup_days:g}天为预热期，统计立案于第{run.warmup_days:g}至"
                f"{run.horizon_days:g}天的案件，"
                f"之后{run.cooldown_days:g}天继续收案，使被统计的案件在正常负荷下结案。共{a.reps}次"
                "重复，"
                f"基础随机种子{manifest.get('seed')}；指标取各次重复的平均值及Student t 95%置信区间"
                "。",
                "Each replication starts from an empty court and runs "
                f"{run.horizon_days + run.cooldown_days:g} days "
                f"from {run.start_date}: a {run.warmup_days:g}-day warm-up, then cases filed "
                "between day "
                f"{run.warmup_days:g} and day {run.horizon_days:g} are counted, and filings "
                "continue for "
                f"{run.cooldown_days:g} more days so that counted cases finish under a realistic "
                f"load. {a.reps} "
                f"replications, base seed {manifest.get('seed')}; each indicator is the mean over "
                "replications with a "
                "Student-t 95% confidence interval.",
            ),
        ),
        (
            "implementation",
            ("实现", "Implementation"),
            (
                f"courtsim {manifest.get('courtsim')}，Python {manifest.get('python')}，SimPy "
                f"{deps.get('simpy')}，"
                f"NumPy {deps.get('numpy')}，pandas {deps.get('pandas')}；随机数为按（种子、重复、"
                "名称）派生的"
                f"numpy Generator。运行平台：{manifest.get('platform')}。图中中文字体：{font}。",
                f"courtsim {manifest.get('courtsim')}, Python {manifest.get('python')}, SimPy "
                f"{deps.get('simpy')}, "
                f"NumPy {deps.get('numpy')}, pandas {deps.get('pandas')}; random numbers from "
                "numpy Generators derived "
                f"from (seed, replication, name). Platform: {manifest.get('platform')}. Figure "
                f"font: {font}.",
            ),
        ),
    ]
