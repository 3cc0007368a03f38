"""The Streamlit page of ``courtsim app``: a thin layer over :mod:`sim.app.edits`, ``jobs`` and ``summaries``.

Run by ``streamlit run`` (``courtsim app`` starts it), which executes this file top to
bottom on every interaction; ``main`` draws the page from the session's widget values.
The scenario, the results folder and the workers come in the environment
(``COURTSIM_APP_SCENARIO``, ``COURTSIM_APP_ROOT``, ``COURTSIM_APP_JOBS``), which ``courtsim app``
and Streamlit's ``AppTest`` set.
Results poll once a second in a fragment while a run is under way, so the page never blocks.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from matplotlib.figure import Figure

from sim import frames
from sim.app.edits import (
    CASES_PER_YEAR,
    Built,
    EditField,
    build_variant,
    changes,
    describe_changes,
    edit_fields,
    problems_by_field,
    units_path,
    values_of,
    variant_toml,
    with_unit_totals,
)
from sim.app.jobs import DEFAULT_ROOT, Job, Jobs, MarginalJob, MarginalSettings, RunSettings
from sim.app.summaries import comparison, utilisation_grid, verdicts
from sim.config.errors import ScenarioError
from sim.config.load import load_scenario
from sim.config.schema import MAX_COUNT, Scenario
from sim.experiments.ceilings import ceiling_checks
from sim.experiments.marginal import marginal_cost, posts_of
from sim.experiments.statistics import summarise
from sim.experiments.types import Target
from sim.metrics import KPIS
from sim.metrics.registry import SHARE_UNITS
from sim.metrics.stability import instability_warning
from sim.report.targets import FAST45_TARGET
from sim.vocab import ROLE_ZH, TEAM_ZH, Role, Team

__all__ = ["main", "values_from_state", "widget_key"]

BASE_LABEL_ZH = "基线 baseline"
VARIANT_LABEL_ZH = "方案 variant"


def widget_key(path: str, *parts: object) -> str:
    """The session-state key of a field's widget (``f:<path>``, ``f:<path>:<unit>:<role>`` for units)."""
    return ":".join(["f", path, *map(str, parts)])


def values_from_state(state: Any, base: Scenario, fields: list[EditField]) -> dict[str, Any]:
    """The values the form holds: each widget's, or the base's where the widget is not drawn yet.

    ``state`` is Streamlit's session state (a mapping of widget keys to values; any mapping in tests).
    """
    values = values_of(base, fields)
    for f in fields:
        if f.kind == "units":
            units = [dict(u) for u in values[f.path]]
            for i, unit in enumerate(units):
                for role in ("officers", "clerks"):
                    unit[role] = int(state.get(widget_key(f.path, i, role), unit[role]))
            values[f.path] = units
        elif f.kind == "rules":
            values[f.path] = list(state.get(widget_key(f.path), values[f.path]))
        else:
            values[f.path] = state.get(widget_key(f.path), values[f.path])
    return with_unit_totals(values)


@dataclass(frozen=True)
class _Settings:
    scenario: str | None
    root: str
    jobs: int
    cache: str | None  # the command line's replication cache; None: the page's own (root/.kpis)


def _settings() -> _Settings:
    """What ``courtsim app`` passes in the environment (Streamlit owns the command line)."""
    jobs = os.environ.get("COURTSIM_APP_JOBS", "0")
    return _Settings(
        os.environ.get("COURTSIM_APP_SCENARIO") or None,
        os.environ.get("COURTSIM_APP_ROOT") or str(DEFAULT_ROOT),
        int(jobs) if jobs.isdigit() else 0,
        os.environ.get("COURTSIM_APP_CACHE") or None,
    )


@st.cache_resource
def _jobs(root: str, cache: str | None) -> Jobs:
    """One registry of jobs per server process: every browser tab sees the same finished runs."""
    return Jobs(Path(root), None if cache is None else Path(cache))


@st.cache_resource
def _base(path: str, mtime: float) -> Scenario:
    return load_scenario(path)


def _init(state: Any, key: str, value: Any) -> None:  # Streamlit's session state
    if key not in state:
        state[key] = value


# ---------------------------------------------------------------- the form


def _staffing(base: Scenario, fields: list[EditField], problems: Mapping[str, list[str]]) -> None:
    state = st.session_state
    unit_teams = {f.path.split(".")[1] for f in fields if f.kind == "units"}
    heads = st.columns([1.6, 1, 1, 1, 1])
    heads[0].markdown("**团队 team**")
    for col, role in zip(heads[1:], Role, strict=True):
        col.markdown(f"**{ROLE_ZH[role]} {role.value}**")
    for team in Team:
        cols = st.columns([1.6, 1, 1, 1, 1])
        cols[0].markdown(f"{TEAM_ZH[team]}  \n`{team.value}`")
        row_problems: list[str] = []
        for col, role in zip(cols[1:], Role, strict=True):
            path = f"staffing.{team.value}.{role.value}s"
            key = widget_key(path)
            derived = team.value in unit_teams and role in (Role.OFFICER, Role.CLERK)
            _init(state, key, base.staffing.team(team).count(role))
            col.number_input(
                f"{TEAM_ZH[team]}·{ROLE_ZH[role]} {team.value} {role.value}s",
                min_value=0,
                max_value=MAX_COUNT,
                step=1,
                key=key,
                disabled=derived,
                label_visibility="collapsed",
                help="由下方各组相加 / the sum of the units below" if derived else None,
            )
            if problems.get(path):
                col.markdown(":red[⚠ 见下 see below]")
                row_problems += problems[path]
        for text in _shortened(row_problems):
            st.error(text, icon="⚠️")
    for team_value in sorted(unit_teams):
        team = Team(team_value)
        path = units_path(team)
        st.markdown(f"**{TEAM_ZH[team]}各组 units of {team.value}**（执行员 officers / 书记员 clerks）")
        units = base.staffing.team(team).units
        cols = st.columns(len(units))
        for i, (col, unit) in enumerate(zip(cols, units, strict=True)):
            col.markdown(unit.name)
            for column in ("officers", "clerks"):
                key = widget_key(path, i, column)
                _init(state, key, getattr(unit, column))
                col.number_input(
                    f"{unit.name} {column}",
                    min_value=0,
                    max_value=MAX_COUNT,
                    step=1,
                    key=key,
                    label_visibility="visible",
                )
        for text in _shortened(problems.get(path, [])):
            st.error(text, icon="⚠️")


def _shortened(messages: list[str], show: int = 3) -> list[str]:
    if len(messages) <= show:
        return messages
    return [*messages[:show], f"…另有 {len(messages) - show} 条 / and {len(messages) - show} more"]


def _load(base: Scenario, problems: Mapping[str, list[str]]) -> None:
    state = st.session_state
    base_cases = float(base.arrivals.cases_per_year)
    key = widget_key(CASES_PER_YEAR)
    _init(state, key, base_cases)
    _init(state, "load:multiplier", 1.0)

    def from_multiplier() -> None:
        state[key] = round(float(state["load:multiplier"]) * base_cases, 1)

    def from_cases() -> None:
        state["load:multiplier"] = round(float(state[key]) / base_cases, 4) if base_cases else 1.0

    left, right = st.columns(2)
    left.number_input(
        "案件量倍数 load multiplier (× base)",
        min_value=0.0,
        max_value=100.0,
        step=0.05,
        key="load:multiplier",
        on_change=from_multiplier,
        help=f"基线 base: {base_cases:,.0f} 件/年 cases a year",
    )
    right.number_input("年收案量 cases per year", min_value=0.0, step=100.0, key=key, on_change=from_cases)
    for text in _shortened(problems.get(CASES_PER_YEAR, [])):
        st.error(text, icon="⚠️")


def _policy_and_reform(base: Scenario, fields: list[EditField], problems: Mapping[str, list[str]]) -> None:
    state = st.session_state
    values = values_of(base, fields)
    for f in fields:
        if f.path.startswith(("staffing.", "arrivals.")):
            continue
        key = widget_key(f.path)
        _init(state, key, list(values[f.path]) if f.kind == "rules" else values[f.path])
        if f.kind == "bool":
            st.checkbox(f.label, key=key)
        elif f.kind == "count":
            st.number_input(f.label, min_value=0, max_value=1200, step=1, key=key)
        elif f.kind == "number":
            st.number_input(f.label, min_value=0.0, step=10_000.0, key=key)
        elif f.kind == "choice":
            st.selectbox(f.label, f.choices, key=key)
        elif f.kind == "rules":
            st.multiselect(
                f.label,
                f.choices,
                key=key,
                help="按所选顺序应用；不选即不分流 / applied in this order; none: no triage",
            )
        for text in _shortened(problems.get(f.path, [])):
            st.error(text, icon="⚠️")


# ---------------------------------------------------------------- results


def _fmt(kpi: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    info = KPIS.get(kpi)
    return f"{100 * value:.1f}%" if info is not None and info.unit in SHARE_UNITS else f"{value:,.1f}"


def _diff(kpi: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    info = KPIS.get(kpi)
    return f"{100 * value:+.1f} 点 pp" if info is not None and info.unit in SHARE_UNITS else f"{value:+,.1f}"


_STATE_ZH = {
    "running": "运行中 running",
    "cancelling": "正在停止 stopping",
    "cancelled": "已取消 cancelled",
    "finished": "已完成 finished",
    "failed": "失败 failed",
}


_STATUS_COLOUR = {"met": "green", "not_met": "red", "uncertain": "orange", "unstable": "violet", "n/a": "gray"}


def _verdict_lines(job: Job, kpis: pd.DataFrame, label: str) -> None:
    table = verdicts(summarise(kpis), kpis, label)
    if table.empty or not int(table["n"].max()):
        return
    flagged, reps = int(table["unstable_replications"].iloc[0]), int(table["replications"].iloc[0])
    if flagged:
        zh, en = instability_warning(flagged, reps)
        st.warning(f"{zh}\n\n{en}", icon="⚠️")
    for r in frames.rows(table):
        interval = "" if r.n < 2 else f" [{_fmt(r.kpi, r.ci_low)}, {_fmt(r.kpi, r.ci_high)}]"
        colour = _STATUS_COLOUR.get(str(r.status), "gray")
        st.markdown(
            f"- **{r.zh}** {r.en}：{_fmt(r.kpi, r.mean)}{interval}，目标 target ≥ {_fmt(r.kpi, r.target)} → "
            f":{colour}[**{r.status_zh} {r.status_en}**]（{r.n} 次重复 replications）"
        )


def _ceiling(job: Job, label: str) -> None:
    """The most the 45-day rate could reach with no queueing at all, from the finished run's replications
    (:func:`sim.experiments.ceilings.ceiling_checks`, the run report's sentence), beside the verdict."""
    if job.outcome is None:
        return
    target = Target("fast45_rate", ">=", FAST45_TARGET.low or 0.9)
    checks = ceiling_checks(job.outcome.result.kpis, label, [target], 0.95)
    if not checks:
        return
    zh, en = checks[0].sentence()
    say = st.error if not checks[0].reachable else st.info
    say(f"**上限 ceiling**：{zh}\n\n{en}", icon="📏")


def _utilisation(kpis: pd.DataFrame, label: str) -> None:
    grid = utilisation_grid(summarise(kpis), label)
    st.table(grid.map(lambda v: "—" if math.isnan(v) else f"{100 * v:.0f}%"))


def _comparison(job: Job, kpis: pd.DataFrame) -> None:
    table = comparison(kpis, job.scenarios, job.base, job.settings.seed)
    if table.empty:
        st.caption("两个方案各有两次配对重复后显示 / shown once both have two paired replications")
        return
    shown = pd.DataFrame(
        {
            "指标 KPI": [f"{r.zh} {r.en}" for r in frames.rows(table)],
            "基线 base": [_fmt(r.kpi, r.base_mean) for r in frames.rows(table)],
            "方案 variant": [_fmt(r.kpi, r.mean) for r in frames.rows(table)],
            "差值 difference [95% CI]": [
                f"{_diff(r.kpi, r.mean_diff)} [{_diff(r.kpi, r.ci_low)}, {_diff(r.kpi, r.ci_high)}]"
                for r in frames.rows(table)
            ],
            "显著 significant": ["是 yes" if r.significant else "否 no" for r in frames.rows(table)],
            "判断 verdict": list(table["verdict"]),
        }
    )
    st.table(shown.set_index("指标 KPI"))
    pairs = int(table["n"].max())
    st.caption(f"同一批案件（共同随机数）逐次配对比较，{pairs} 对重复 / CRN-paired, {pairs} pairs")


@st.cache_resource(max_entries=64)
def _png(key: str, kind: str, _draw: Callable[[], Figure]) -> bytes:
    """A finished run's figure as PNG, drawn once per run (not at every rerun of the page)."""
    from sim.report.fonts import figure_style  # matplotlib's settings: only once a run has finished

    buffer = io.BytesIO()
    with figure_style():  # the CJK font, as in the reports (else Chinese labels are empty boxes)
        _draw().savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _finished(job: Job) -> None:
    outcome = job.outcome
    if outcome is None:
        return
    label = list(job.scenarios)[-1]
    analysis = outcome.analyses.get(label)
    if analysis is None:
        return
    from sim.report import figures  # matplotlib: only once a run has finished
    from sim.report.targets import FAST45_TARGET
    from sim.report.text import why_late_deadlines

    why, sla, month, files = st.tabs(
        ["为什么超期 Why late", "各期限按期率 On time per deadline", "每月通报 Monthly", "下载 Downloads"]
    )
    with why:
        deadlines = why_late_deadlines(analysis)
        if deadlines:
            st.image(_png(job.key, "why", lambda: figures.fig_why_late(analysis.why_late, deadlines)))
        else:
            st.caption("没有超期计时 / no late clocks")
    with sla:
        slas = analysis.slas
        st.table(
            pd.DataFrame(
                {
                    "期限 deadline": [f"{r.zh} {r.en}" for r in frames.rows(slas)],
                    "按期率 on time": [_fmt("fast45_rate", r.on_time_rate) for r in frames.rows(slas)],
                    "95% CI": [
                        f"[{_fmt('fast45_rate', r.ci_low)}, {_fmt('fast45_rate', r.ci_high)}]"
                        for r in frames.rows(slas)
                    ],
                    "每年计时 clocks a year": [f"{r.started_per_year:,.0f}" for r in frames.rows(slas)],
                }
            ).set_index("期限 deadline")
        )
    with month:
        if len(analysis.monthly):
            target = float(FAST45_TARGET.low or 0.0)
            st.image(_png(job.key, "monthly", lambda: figures.fig_monthly(analysis.monthly, target)))
            st.dataframe(analysis.monthly, hide_index=True, width="stretch")
    with files:
        report = outcome.folder / "report.html"
        if report.is_file() or st.button("生成HTML报告 Make the HTML report (some seconds)"):
            st.download_button(
                "下载HTML报告 Download the HTML report",
                job.report().read_bytes(),
                file_name=f"{label}-report.html",
                mime="text/html",
            )
        st.download_button(
            "下载结果文件夹（zip） Download the results folder (zip)",
            outcome.archive.read_bytes(),
            file_name=outcome.archive.name,
            mime="application/zip",
        )
        st.caption(f"结果文件夹 results folder: `{outcome.folder}`")


def _progress(job: Job) -> None:
    snap = job.snapshot()
    n = min(snap.done.values()) if snap.done else 0
    cap = job.settings.max_reps
    label = list(job.scenarios)[-1]
    width = ""
    if n >= 2:
        row = summarise(snap.kpis.loc[snap.kpis["kpi"] == job.settings.kpi])
        row = row.loc[row["scenario"] == label]
        if len(row):
            half = float((row["ci_high"].iloc[0] - row["ci_low"].iloc[0]) / 2)
            asked = 100 * job.settings.half_width
            width = (
                f"；45日率 ±{100 * half:.1f} 点（目标 ±{asked:g}）/ 45-day rate ±{100 * half:.1f} pp (asked ±{asked:g})"
            )
    state_zh = _STATE_ZH[snap.state]
    st.progress(min(n / cap, 1.0), text=f"{state_zh}：{n} / {cap} 次重复 replications{width}")
    if snap.state == "finished":
        st.caption(f"已停止 stopped: {snap.message}")
    elif snap.message:
        (st.error if snap.state == "failed" else st.caption)(snap.message)
    if n == 0:
        st.caption("第一批重复完成后显示第一个估计 / the first estimate appears after the first replications")
        return
    st.subheader("结论 Verdict")
    _verdict_lines(job, snap.kpis, label)
    if snap.state == "finished":
        _ceiling(job, label)
    if len(job.scenarios) > 1:
        st.subheader("与基线比较 Compared with the baseline (CRN)")
        _comparison(job, snap.kpis)
    st.subheader("利用率 Utilisation (team × role)")
    _utilisation(snap.kpis, label)
    if snap.state == "finished":
        _finished(job)


def _kept(jobs: Jobs) -> None:
    """Several variants side by side: each kept run's 45-day rate and its paired difference."""
    keys = [k for k in st.session_state.get("kept", []) if jobs.get(k) is not None]
    if len(keys) < 2:
        return
    rows = []
    for key in keys:
        job = jobs.get(key)
        if job is None:
            continue
        snap = job.snapshot()
        label = list(job.scenarios)[-1]
        table = comparison(snap.kpis, job.scenarios, job.base, job.settings.seed)
        fast = table.loc[table["kpi"] == "fast45_rate"] if len(table) else table
        summary = summarise(snap.kpis)
        mine = summary.loc[(summary["scenario"] == label) & (summary["kpi"] == "fast45_rate")]
        rows.append(
            {
                "方案 variant": label,
                "状态 state": snap.state,
                "重复 reps": min(snap.done.values()) if snap.done else 0,
                "45日率 45-day rate": _fmt("fast45_rate", float(mine["mean"].iloc[0])) if len(mine) else "—",
                "差值 difference [95% CI]": (
                    f"{_diff('fast45_rate', fast['mean_diff'].iloc[0])} "
                    f"[{_diff('fast45_rate', fast['ci_low'].iloc[0])}, {_diff('fast45_rate', fast['ci_high'].iloc[0])}]"
                )
                if len(fast)
                else "—",
                "改了什么 changes": "; ".join(
                    f"{a}: {b}→{c}" for a, b, c in st.session_state.get(f"changes:{key}", [])
                ),
            }
        )
    st.subheader("并排比较 Variants side by side")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


# ---------------------------------------------------------------- the page


def main() -> None:
    """Draw the page."""
    st.set_page_config(page_title="courtsim 执行模拟 what-if", layout="wide")
    args = _settings()
    st.title("执行改革模拟：人员与政策的假设分析")
    st.caption("What-if: move people between teams, change the load and the rules, and see whether the deadlines hold")
    if not args.scenario:
        st.error("没有给出情景文件 / no scenario file given: `courtsim app SCENARIO.toml`")
        return
    path = Path(args.scenario)
    try:
        base = _base(str(path), path.stat().st_mtime)
    except (ScenarioError, OSError) as exc:
        found = [str(p) for p in exc.problems] if isinstance(exc, ScenarioError) else [str(exc)]
        st.error(f"情景文件有误 / the scenario file is invalid: {path}\n\n" + "\n".join(f"- {p}" for p in found))
        return
    jobs = _jobs(args.root, args.cache)
    fields = edit_fields(base)
    values = values_from_state(st.session_state, base, fields)
    edits = changes(base, values)
    built: Built = build_variant(base, edits)
    problems = problems_by_field(built.problems, fields)

    with st.sidebar:
        st.markdown(f"**情景 scenario**: `{path}`  \n{base.title or base.name}")
        seed = st.number_input("随机种子 seed", min_value=0, value=int(base.run.seed), step=1)
        half = st.number_input("精度：45日率 ± 点 precision (± pp)", min_value=0.1, max_value=50.0, value=2.0, step=0.5)
        max_reps = st.number_input("最多重复次数 replication cap", min_value=2, max_value=200, value=20, step=1)
        st.caption(
            "重复次数增加直到区间够窄或达到上限 / replications are added until the interval is narrow enough or the cap"
        )

    with st.container():
        staffing, load, policy = st.tabs(["人员配置 Staffing", "案件量 Load", "政策与改革 Policy & reform"])
        with staffing:
            _staffing(base, fields, problems)
        with load:
            _load(base, problems)
        with policy:
            _policy_and_reform(base, fields, problems)
        for text in problems.get("", []):
            st.error(text, icon="⚠️")
        st.subheader("与基线的不同 What differs from the base")
        listed = describe_changes(base, edits)
        if listed:
            st.table(pd.DataFrame(listed, columns=["字段 field", "基线 base", "方案 variant"]).set_index("字段 field"))
        else:
            st.caption("尚未修改 / nothing changed yet: a run shows the baseline alone")
        if built.scenario is not None:
            st.download_button(
                "下载方案TOML Download the variant (TOML)",
                variant_toml(path.name, built.scenario.name, edits),
                file_name=f"{built.scenario.name}.toml",
                mime="application/toml",
                help=f"保存在 {path.parent} 旁即可运行 / save it beside {path.name} (its base = ...)",
            )

    with st.container():
        st.divider()
        run_col, cancel_col, _ = st.columns([1, 1, 3])
        run = run_col.button("运行 Run", type="primary", disabled=not built.ok, width="stretch")
        cancel = cancel_col.button("取消 Cancel", width="stretch")
        if run and built.scenario is not None:
            scenarios = {base.name: base} if not edits else {base.name: base, built.scenario.name: built.scenario}
            cap = int(max_reps)
            settings = RunSettings(
                seed=int(seed), half_width=float(half) / 100, min_reps=min(3, cap), max_reps=cap, jobs=args.jobs
            )
            job = jobs.run(scenarios, settings)
            st.session_state["current"] = job.key
            kept = st.session_state.setdefault("kept", [])
            if job.key not in kept:
                kept.append(job.key)
            st.session_state[f"changes:{job.key}"] = describe_changes(base, edits)
        current = jobs.get(st.session_state.get("current", ""))
        if cancel and current is not None:
            current.cancel()
        _results(current, jobs)


def _results(job: Job | None, jobs: Jobs) -> None:
    if job is None:
        st.caption("修改上方，然后点“运行” / edit above, then press Run")
        return
    live = job.state in ("running", "cancelling")

    @st.fragment(run_every=1.0 if live else None)
    def poll() -> None:
        _progress(job)
        _kept(jobs)
        if live and job.state not in ("running", "cancelling"):
            st.rerun()  # the run ended: draw the whole page once more, without polling

    poll()
    if job.state == "finished" and job.outcome is not None:
        _bottleneck(job, jobs)


def _bottleneck(job: Job, jobs: Jobs) -> None:
    """找瓶颈: ``courtsim marginal`` on the run's variant (one more person in each post), in the background."""
    label = list(job.scenarios)[-1]
    scenario = job.scenarios[label]
    settings = MarginalSettings(seed=job.settings.seed, jobs=job.settings.jobs)
    posts, cost = len(posts_of(scenario)), marginal_cost(scenario, settings.reps)
    st.subheader("找瓶颈 Bottleneck by effect")
    st.caption(
        f"各岗位增加一人（{posts}个岗位），与本方案在相同案件上逐次配对比较（共同随机数），每个方案{settings.reps}次重复，"
        f"共{cost}次运行（已算过的取自缓存），约需几分钟。与 `courtsim marginal --reps {settings.reps}` 相同。 / "
        f"One more person in each of the {posts} posts, paired with this run on the same cases (common random "
        f"numbers), {settings.reps} replications each: {cost} runs (those done before come from the cache), "
        f"minutes. The same as `courtsim marginal --reps {settings.reps}`."
    )
    remembered = f"marginal:{job.key}"
    run_col, cancel_col, _ = st.columns([1, 1, 3])
    start = run_col.button("找瓶颈 Bottleneck by effect", key="marginal:run", width="stretch")
    stop = cancel_col.button("停止 Stop", key="marginal:cancel", width="stretch")
    if start:
        st.session_state[remembered] = jobs.marginal(scenario, settings).key
    marginal = jobs.get_marginal(st.session_state.get(remembered, ""))
    if marginal is None:
        return
    if stop:
        marginal.cancel()
    live = marginal.state in ("running", "cancelling")

    @st.fragment(run_every=1.0 if live else None)
    def poll() -> None:
        _marginal_results(job, marginal, label)
        if live and marginal.state not in ("running", "cancelling"):
            st.rerun()  # it ended: draw the page once more, without polling

    poll()


def _marginal_results(job: Job, marginal: MarginalJob, label: str) -> None:
    """Progress, then the posts by their effect on the 45-day rate, in the report's words."""
    snap = marginal.snapshot()
    share = min(snap.done / snap.total, 1.0) if snap.total else 0.0
    st.progress(share, text=f"{_STATE_ZH[snap.state]}：{snap.done} / {snap.total} 次重复 replications")
    result = marginal.result
    if snap.state != "finished" or result is None:
        if snap.message:
            (st.error if snap.state == "failed" else st.caption)(snap.message)
        return
    from sim.report.brief import recommendation  # the A4 brief's words (matplotlib: only once finished)
    from sim.report.text import marginal_command

    st.caption(snap.message)
    if result.base_unstable_reps:
        zh, en = instability_warning(result.base_unstable_reps, result.reps)
        st.warning(f"{zh}\n\n{en}", icon="⚠️")
    analysis = job.outcome.analyses.get(label) if job.outcome is not None else None
    if analysis is not None:
        zh, en = recommendation(analysis, result.table, marginal_command(None, marginal.settings.seed))
        st.markdown(f"**{zh}**\n\n{en}")
    ranked = result.ranking("fast45_rate")
    rows = list(frames.rows(ranked, index=False))
    st.table(
        pd.DataFrame(
            {
                "名次 rank": [str(i) for i in range(1, len(ranked) + 1)],
                "岗位 post": [f"{TEAM_ZH[Team(r.team)]}·{ROLE_ZH[Role(r.role)]} {r.team}.{r.role}" for r in rows],
                "人数 n": [f"{int(r.headcount)}→{int(r.headcount + r.delta)}" for r in rows],
                "45日率变化 effect on the 45-day rate [95% CI]": [
                    f"{_diff('fast45_rate', r.mean_diff)} [{_points(r.ci_low)}, {_points(r.ci_high)}]" for r in rows
                ],
                "显著 significant": ["显著 yes" if r.significant else "不显著 no" for r in rows],
                "利用率 utilisation": [f"{_pct(r.utilisation)} → {_pct(r.utilisation_after)}" for r in rows],
            }
        ).set_index("名次 rank")
    )
    st.caption(
        f"按效果排名：每个岗位增加一人后45日内结案率的配对差值（{result.reps}次重复，{result.level:.0%}置信区间）。"
        "利用率只说明谁忙，不说明增人是否有用。 / Ranked by effect: the paired difference in the 45-day rate "
        f"with one more person in the post ({result.reps} replications, {result.level:.0%} intervals). "
        "Utilisation says who is busy, not where one more person helps."
    )
    for s in frames.rows(result.skipped, index=False):
        st.caption(f"未运行 not run: {s.team}.{s.role} {int(s.delta):+d}: {s.reason}")


def _points(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{100 * value:+.1f}"


def _pct(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{100 * value:.0f}%"


if __name__ == "__main__":
    main()
