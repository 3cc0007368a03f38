"""The reports of the two searches: which staffing holds the targets, and up to what load.

Like the two pages an administrator takes to the budget meeting, one per
question: ``courtsim staff --out`` (the staffing that meets the targets, or the
ceiling that no staffing can pass, and the trade-off explored) and ``courtsim
capacity --out`` (the highest load at which the target still holds). Both read
their folder's tables and manifest only (no event log), say first when any point
tried has a growing backlog in some replication (its closed-case means are then
misleading, 误导), and end with the command that reproduces them. Built from the
run report's blocks (:mod:`sim.report.html`, :mod:`sim.report.figures`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import frames
from sim.experiments.types import parse_target
from sim.report import html as h
from sim.report.data import ReportDataError
from sim.report.figures import BLUE, RED, svg_data_uri
from sim.report.fonts import figure_style
from sim.report.labels import kpi_names, value_text

__all__ = ["build_capacity_report", "build_staff_report", "load_staff", "recommended_staffing"]

_UNSTABLE_ZH = "⚠ 不稳定：标注“不稳定”的点在部分重复中未结案件持续增长，其按已结案件计算的均值有误导性。"
_UNSTABLE_EN = (
    "UNSTABLE: the points marked unstable have a growing backlog in some replications; their means over "
    "closed cases are misleading."
)


def _read(folder: Path, names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        tables = {
            name: (
                json.loads((folder / name).read_text(encoding="utf-8"))
                if name.endswith(".json")
                else pd.read_csv(folder / name)
            )
            for name in names
        }
    except FileNotFoundError as exc:
        raise ReportDataError(f"{folder}: {Path(str(exc.filename)).name} is missing") from None
    except pd.errors.EmptyDataError:
        raise ReportDataError(f"{folder}: a table is empty; rerun the command that wrote it") from None
    return manifest, tables


def _unstable_box() -> str:
    return (
        f'<p class="headline unstable" style="color:#c0392b">{h.esc(_UNSTABLE_ZH)} '
        f'<span class="en">{h.esc(_UNSTABLE_EN)}</span></p>'
    )


def _count(value: object) -> int:
    """A count read from a CSV cell (NaN or missing: 0)."""
    number = float(str(value)) if value is not None else math.nan
    return 0 if math.isnan(number) else int(number)


def _flag_cell(flagged: object, n: object) -> h.Cell:
    k, total = _count(flagged), _count(n)
    if k:
        return h.Cell(
            f'<span style="color:#c0392b">⚠ {k}/{total}</span><br><span class="en">不稳定 unstable</span>', "num"
        )
    return h.num(f"0/{total}")


def _reproduce(manifest: dict[str, Any], command: str) -> h.Section:
    rows = [
        ["情景 scenario", f"{manifest.get('scenario')} (hash {manifest.get('scenario_hash')})"],
        ["随机种子 seed", str(manifest.get("seed"))],
        ["代码版本 commit", str(manifest.get("git_commit") or "—")],
        ["生成时间 created (UTC)", str(manifest.get("created_utc"))],
    ]
    return h.Section(
        "reproduce",
        "可重复性",
        "Reproducibility",
        h.table(["项目 item", "值 value"], rows) + f"<pre>{h.esc(command)}</pre>",
    )


# ---------------------------------------------------------------- staff


def load_staff(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest and tables of a ``courtsim staff --out`` folder."""
    manifest, tables = _read(Path(folder), ("staff_staffing.csv", "staff_path.csv", "staff.json"))
    if manifest.get("command") != "staff":
        raise ReportDataError(f"{folder} was not written by courtsim staff (command {manifest.get('command')!r})")
    for optional in ("staff_explored.csv", "staff_checks.csv"):
        try:
            tables[optional] = pd.read_csv(Path(folder) / optional)
        except (FileNotFoundError, pd.errors.EmptyDataError):
            tables[optional] = pd.DataFrame()
    return manifest, tables


def recommended_staffing(folder: Path) -> tuple[dict[str, Any], pd.DataFrame, list[dict[str, Any]]]:
    """What a staff folder recommends: its payload, the staffing table (team, role, base, proposed,
    change, Chinese names) and its ceilings; the run report's page one shows them."""
    _, tables = load_staff(folder)
    data: dict[str, Any] = tables["staff.json"]
    return data, tables["staff_staffing.csv"], list(data.get("ceilings") or [])


def staffing_rows(table: pd.DataFrame, changed_only: bool = False) -> str:
    """The staffing table as HTML: team, role, base, proposed, change (changes in bold)."""
    rows = []
    for r in frames.rows(table, index=False):
        change = int(r.change)
        if changed_only and not change:
            continue
        rows.append(
            [
                h.bi(str(getattr(r, "team_zh", r.team)), str(r.team)),
                h.bi(str(getattr(r, "role_zh", r.role)), str(r.role)),
                h.num(str(int(r.base))),
                h.num(str(int(r.proposed))),
                h.Cell(f"<strong>{change:+d}</strong>" if change else "", "num"),
            ]
        )
    header = [
        h.hd("团队", "team"),
        h.hd("岗位", "role"),
        h.hd("现有", "base", True),
        h.hd("建议", "proposed", True),
        h.hd("变化", "change", True),
    ]
    return h.table(header, rows)


def _staff_figure(path: pd.DataFrame, checks: pd.DataFrame, targets: list[str]) -> Figure:
    """Staff total against each target KPI's mean and bound along the path; unstable points in red."""
    parsed = [parse_target(t) for t in targets]
    fig = Figure(figsize=(9.0, 2.6 * max(len(parsed), 1)), layout="constrained")
    axes = fig.subplots(max(len(parsed), 1), 1, squeeze=False)[:, 0]
    for ax, target in zip(axes, parsed, strict=False):
        kpi, threshold, text = target.kpi, target.threshold, str(target)
        zh, en, unit = kpi_names(kpi)
        scale = 100.0 if unit in ("share", "rate") else 1.0
        x = path["staff"].to_numpy(float)
        mean = path[f"{kpi}_mean"].to_numpy(float) * scale
        bound = path[f"{kpi}_bound"].to_numpy(float) * scale
        flagged = path.get("unstable_reps", pd.Series(0, index=path.index)).fillna(0).to_numpy(float) > 0
        ax.plot(x, mean, "o-", color=BLUE, label="均值 mean")
        ax.plot(x, bound, "v:", color=BLUE, alpha=0.7, label="单侧界 one-sided bound")
        if flagged.any():
            ax.scatter(x[flagged], mean[flagged], s=120, facecolors="none", edgecolors=RED, label="不稳定 unstable")
        if len(checks) and f"{kpi}_mean" in checks:
            ax.plot(
                checks["staff"].to_numpy(float),
                checks[f"{kpi}_bound"].to_numpy(float) * scale,
                "s",
                color="black",
                label="复核界 check bound",
            )
        ax.axhline(threshold * scale, color=RED, linestyle="--", linewidth=1, label=f"目标 target {text}")
        ax.set_xlabel("人员总数 staff total", fontsize=8)
        ax.set_title(f"{zh} {en}" + (" (%)" if scale == 100.0 else ""), fontsize=9, loc="left")
        ax.legend(fontsize=7, frameon=False, loc="best")
        ax.set_xticks(np.unique(x))
    return fig


def _step_table(frame: pd.DataFrame, targets: list[str], kind: str) -> str:
    if frame.empty:
        return h.paragraphs("无。", "None.")
    kpis = [parse_target(t).kpi for t in targets]
    header: list[object] = [h.hd("步", kind), h.hd("变化", "change"), h.hd("人数", "staff", True)]
    header += [h.hd(kpi_names(k)[0], f"{k}: mean, bound", True) for k in kpis]
    header += [h.hd("重复", "n", True), h.hd("不稳定", "unstable", True), h.hd("判断", "status")]
    rows = []
    for r in frame.to_dict(orient="records"):
        row: list[object] = [h.num(str(int(r["step"]))), h.bi(str(r["change"]), ""), h.num(str(int(r["staff"])))]
        for k in kpis:
            unit = kpi_names(k)[2]
            row.append(h.bi(value_text(r[f"{k}_mean"], unit), value_text(r[f"{k}_bound"], unit), "num"))
        row.append(h.num(str(int(r["n"])) if not pd.isna(r.get("n")) else "—"))
        row.append(_flag_cell(r.get("unstable_reps", 0), r.get("n")))
        status = (
            ("满足（有把握）", "holds")
            if r["all_hold"]
            else (("均值满足", "means meet") if r["means_meet"] else ("未达", "short"))
        )
        row.append(h.bi(*status))
        rows.append(row)
    return h.table(header, rows)


def _ceiling_items(ceilings: list[dict[str, Any]]) -> list[str]:
    items = []
    for c in ceilings:
        css = "" if c.get("reachable", True) else ' style="color:#c0392b"'
        items.append(f'<li{css}>上限 ceiling：{h.esc(c["zh"])}<br><span class="en">{h.esc(c["en"])}</span></li>')
    return items


def build_staff_report(folder: Path) -> str:
    """The HTML of the staffing search in ``folder``."""
    manifest, tables = load_staff(Path(folder))
    data: dict[str, Any] = tables["staff.json"]
    path, explored, checks = tables["staff_path.csv"], tables["staff_explored.csv"], tables["staff_checks.csv"]
    targets = list(data.get("targets") or [])
    frames_ = [f for f in (path, explored, checks) if "unstable_reps" in f]
    unstable = any(bool((f["unstable_reps"].fillna(0) > 0).any()) for f in frames_)
    met = bool(data.get("met"))
    headline = (
        ("找到满足目标的人员配置", "A staffing that meets the targets was found")
        if met
        else ("没有找到满足目标的人员配置", "No staffing explored meets the targets")
    )
    blocked = [c for c in data.get("ceilings") or [] if not c.get("reachable", True)]
    if blocked:
        headline = (
            "任何人员配置都达不到目标：目标高于上限",
            "No staffing can meet the targets: they are above their ceiling",
        )
    css = "met" if met else "not_met"
    items = _ceiling_items(list(data.get("ceilings") or []))
    items.append(f"<li>{h.esc(data.get('conclusion', ''))}</li>")
    items.append(f"<li>重复次数 replications: {h.esc(data.get('replications', ''))}</li>")
    verdict = (
        (_unstable_box() if unstable else "")
        + f'<div class="verdict {css}"><p class="headline">{h.esc(headline[0])} '
        + f'<span class="en">{h.esc(headline[1])}</span></p>'
        + f"<ul>{''.join(items)}</ul></div>"
    )
    staffing = tables["staff_staffing.csv"]
    changes = staffing_rows(staffing, changed_only=True) if (staffing["change"] != 0).any() else ""
    verdict += (
        (h.paragraphs("建议的变化：", "The changes proposed:") + changes)
        if changes
        else h.paragraphs("不建议任何人员变化。", "No change of staff is proposed.")
    )
    with figure_style():
        uri = svg_data_uri(_staff_figure(path, checks, targets))
    sections = [
        h.Section("verdict", "结论", "Verdict", verdict),
        h.Section(
            "staffing",
            "人员配置",
            "Staffing",
            h.paragraphs(
                "建议 = 通过复核的配置；若没有，则为搜索的最后一步。",
                "Proposed = the staffing that passed the check, or the search's last step if none did.",
            )
            + staffing_rows(staffing),
        ),
        h.Section(
            "tradeoff",
            "人员与目标的权衡",
            "The trade-off explored",
            h.figure(
                uri,
                "人员与目标",
                "沿搜索路径：人员总数与各目标指标的均值和单侧置信界；红圈为不稳定的点，红色虚线为目标。",
                "Along the search path: staff total against each target KPI's mean and one-sided bound; "
                "red circles: unstable points; dashed red: the target.",
            )
            + _step_table(path, targets, "step"),
        ),
        h.Section("candidates", "试过的候选", "Candidates tried", _step_table(explored, targets, "try")),
        h.Section("check", "最终复核", "Final check", _step_table(checks, targets, "check")),
        _reproduce(manifest, _staff_command(manifest)),
    ]
    subtitle = f"{manifest.get('scenario')} · {', '.join(targets)} · {manifest.get('mode')}"
    return h.page("人员配置搜索报告 Staffing search report", subtitle, sections)


def _staff_command(m: dict[str, Any]) -> str:
    mode = f"--add {m.get('add')}" if m.get("add") else f"--redistribute {m.get('redistribute')}"
    targets = " ".join(f'--target "{t}"' for t in m.get("targets") or [])
    return (
        f"courtsim staff {m.get('scenario')} {targets} {mode} --reps {m.get('reps')} "
        f"--check-reps {m.get('check_reps')} "
        f"--screen-reps {m.get('screen_reps')} --top-k {m.get('top_k')} --confidence {m.get('confidence')} "
        f"--seed {m.get('seed')}"
    )


# ---------------------------------------------------------------- capacity


def _capacity_figure(loads: pd.DataFrame, kpi: str, threshold: float, target: str) -> Figure:
    zh, en, unit = kpi_names(kpi)
    scale = 100.0 if unit in ("share", "rate") else 1.0
    loads = loads.sort_values("multiplier")
    fig = Figure(figsize=(9.0, 3.2), layout="constrained")
    ax = fig.subplots()
    x = loads["multiplier"].to_numpy(float)
    ax.plot(x, loads["mean"].to_numpy(float) * scale, "o-", color=BLUE, label="均值 mean")
    ax.plot(x, loads["bound"].to_numpy(float) * scale, "v:", color=BLUE, alpha=0.7, label="单侧界 bound")
    flagged = loads.get("unstable", pd.Series(0, index=loads.index)).fillna(0).to_numpy(float) > 0
    if flagged.any():
        ax.scatter(
            x[flagged],
            loads["mean"].to_numpy(float)[flagged] * scale,
            s=120,
            facecolors="none",
            edgecolors=RED,
            label="不稳定 unstable",
        )
    ax.axhline(threshold * scale, color=RED, linestyle="--", linewidth=1, label=f"目标 target {target}")
    ax.set_xlabel("负荷倍数 load multiplier (× arrivals.cases_per_year)", fontsize=8)
    ax.set_title(f"{zh} {en}" + (" (%)" if scale == 100.0 else ""), fontsize=9, loc="left")
    ax.legend(fontsize=7, frameon=False)
    return fig


def build_capacity_report(folder: Path) -> str:
    """The HTML of the capacity search in ``folder``."""
    manifest, tables = _read(Path(folder), ("capacity_loads.csv", "capacity.json"))
    if manifest.get("command") != "capacity":
        raise ReportDataError(f"{folder} was not written by courtsim capacity (command {manifest.get('command')!r})")
    data: dict[str, Any] = tables["capacity.json"]
    loads: pd.DataFrame = tables["capacity_loads.csv"].sort_values("multiplier")
    parsed = parse_target(str(data["target"]))
    target, kpi, threshold = str(data["target"]), parsed.kpi, parsed.threshold
    unit = kpi_names(kpi)[2]
    unstable = "unstable" in loads and bool((loads["unstable"].fillna(0) > 0).any())
    multiplier = data.get("multiplier")
    if multiplier is None:
        headline = ("所试负荷下目标都未确认达到", "The target is not shown to hold at any load tried")
    else:
        cases = data.get("cases_per_year") or math.nan
        headline = (
            f"最高可承受 {multiplier:g} 倍负荷（每年约 {cases:,.0f} 件）",
            f"The target holds up to {multiplier:g}× the load ({cases:,.0f} cases a year)",
        )
    items = [f"<li>{h.esc(data.get('conclusion', ''))}</li>"]
    if data.get("saturation"):
        items.append(f"<li>解析界 analytic bound: {h.esc(data['saturation'].get('text', ''))}</li>")
    items.append(
        f"<li>重复次数 replications: {h.esc(data.get('replications', ''))}; "
        f"stopped: {h.esc(data.get('stopped', ''))}</li>"
    )
    verdict = (
        (_unstable_box() if unstable else "")
        + f'<div class="verdict {"met" if multiplier is not None else "not_met"}"><p class="headline">'
        + f'{h.esc(headline[0])} <span class="en">{h.esc(headline[1])}</span></p><ul>{"".join(items)}</ul></div>'
    )
    with figure_style():
        uri = svg_data_uri(_capacity_figure(loads, kpi, threshold, target))
    header = [
        h.hd("负荷", "load", True),
        h.hd("每年收案", "cases/year", True),
        h.hd("均值", "mean", True),
        h.hd("单侧界", "bound", True),
        h.hd("重复", "n", True),
        h.hd("不稳定", "unstable", True),
        h.hd("判断", "verdict"),
    ]
    rows = [
        [
            h.num(f"{r['multiplier']:.3f}×"),
            h.num(f"{r['cases_per_year']:,.0f}"),
            h.num(value_text(r["mean"], unit)),
            h.num(value_text(r["bound"], unit)),
            h.num(str(int(r["n"]))),
            _flag_cell(r.get("unstable", 0), r["n"]),
            h.bi(str(r["basis"]), ""),
        ]
        for r in loads.to_dict(orient="records")
    ]
    command = (
        f'courtsim capacity {manifest.get("scenario")} --target "{target}" --confidence {manifest.get("confidence")} '
        f"--low {manifest.get('low')} --high {manifest.get('high')} --tol {manifest.get('tol')} "
        f"--reps {manifest.get('reps')} --seed {manifest.get('seed')}"
    )
    sections = [
        h.Section(
            "verdict",
            "结论",
            "Verdict",
            verdict
            + h.figure(
                uri,
                "负荷与目标",
                "各负荷下目标指标的均值与单侧置信界；红圈为不稳定的负荷，红色虚线为目标。",
                "The target KPI's mean and one-sided bound at each load tried; red circles: unstable loads; "
                "dashed red: the target.",
            ),
        ),
        h.Section("loads", "所试负荷", "Every load tried", h.table(header, rows)),
        _reproduce(manifest, command),
    ]
    subtitle = f"{manifest.get('scenario')} · {target} · {manifest.get('confidence')}"
    return h.page("承载能力报告 Capacity report", subtitle, sections)
