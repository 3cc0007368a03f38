"""The sweep report: KPIs over one or two parameters, the load curve and its breaking point.

Like the chart an administrator asks for before the budget meeting: "at what
load does the 45-day target break, and does moving two officers change that?"
A ``courtsim sweep --out`` folder holds ``sweep_summary.csv`` (one row per grid
point and KPI, the parameters as columns) and a manifest naming the
parameters; this module draws each indicator against the first parameter
(one line per value of the second), marks where each target is surely missed,
and tabulates every KPI.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim import frames
from sim.metrics import View, headline, levels
from sim.metrics.registry import SHARE_UNITS
from sim.metrics.stability import UNSTABLE_KPI
from sim.report import html as h
from sim.report.data import ReportDataError
from sim.report.figures import RED, svg_data_uri
from sim.report.fonts import figure_style
from sim.report.labels import kpi_names, pct, value_text
from sim.report.params import parameter_zh
from sim.report.targets import STATUS_EN, STATUS_ZH, judge, level_of

__all__ = ["breaking_points", "build_sweep_report", "load_sweep"]


def load_sweep(folder: Path) -> tuple[dict[str, Any], pd.DataFrame, list[str]]:
    """The manifest, the summary table and the swept paths of a sweep folder."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        summary = pd.read_csv(folder / "sweep_summary.csv")
    except FileNotFoundError as exc:
        raise ReportDataError(f"{folder}: {Path(str(exc.filename)).name} is missing") from None
    paths = list(manifest.get("parameters") or [])
    missing = [p for p in paths if p not in summary.columns]
    if not paths or missing:
        raise ReportDataError(f"{folder}: the manifest's parameters {paths} are not columns of the table")
    return manifest, summary, paths


def breaking_points(summary: pd.DataFrame, paths: list[str]) -> pd.DataFrame:
    """Per target KPI (and value of the second parameter): the first value surely missing it.

    Values of the first parameter are taken in increasing order. Where the target fails at the
    high values (a load), ``breaks_at`` is the first value surely below it and ``fails`` is
    ``"from"``; where it fails at the low values and holds higher up (a head count),
    ``breaks_at`` is the last value of that failing run and ``fails`` is ``"up_to"``.
    ``breaks_at`` is NaN when no value is surely below the target.
    """
    rows = []
    groups = summary.groupby(paths[1]) if len(paths) > 1 else [(None, summary)]
    for second, part in groups:
        for kpi, target in levels(summary["kpi"]).items():
            own = part.loc[part["kpi"] == kpi].sort_values(paths[0])
            if own.empty or target.kind != "target":
                continue
            status = [judge(target, r["mean"], r["ci_low"], r["ci_high"]) for _, r in own.iterrows()]
            values = list(own[paths[0]])
            broken = [v for v, s in zip(values, status, strict=True) if s == "not_met"]
            fails, at = "from", broken[0] if broken else math.nan
            if broken and status[0] == "not_met" and status[-1] != "not_met":
                run = next((i for i, s in enumerate(status) if s != "not_met"), len(status))
                fails, at = "up_to", values[run - 1]
            rows.append({"kpi": kpi, "second": second, "breaks_at": at, "fails": fails, "statuses": status})
    return pd.DataFrame(rows, columns=["kpi", "second", "breaks_at", "fails", "statuses"])


def _figure(summary: pd.DataFrame, paths: list[str], breaks: pd.DataFrame) -> Figure:
    kpis = headline(View.SWEEP_REPORT, summary["kpi"])
    n_rows = max(math.ceil(len(kpis) / 2), 1)
    fig = Figure(figsize=(9.5, 2.8 * n_rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(n_rows, 2)).ravel()
    for ax in axes[len(kpis) :]:
        ax.set_visible(False)
    seconds = sorted(summary[paths[1]].unique()) if len(paths) > 1 else [None]
    for ax, kpi in zip(axes, kpis, strict=False):
        zh, en, unit = kpi_names(kpi)
        scale = 100.0 if unit in SHARE_UNITS else 1.0
        for second in seconds:
            own = summary.loc[summary["kpi"] == kpi]
            own = own if second is None else own.loc[own[paths[1]] == second]
            own = own.sort_values(paths[0])
            x = own[paths[0]].to_numpy(float)
            label = None if second is None else f"{paths[1]} = {_show(second)}"
            line = ax.plot(x, scale * own["mean"].to_numpy(float), "o-", label=label)[0]
            low, high = own["ci_low"].to_numpy(float), own["ci_high"].to_numpy(float)
            if scale == 100.0:
                low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
            ax.fill_between(x, scale * low, scale * high, color=line.get_color(), alpha=0.2)
        target = level_of(kpi)
        if target is not None and target.kind == "target" and target.low is not None:
            ax.axhline(scale * target.low, color=RED, linestyle="--", linewidth=1)
        for value in breaks.loc[breaks["kpi"] == kpi, "breaks_at"].dropna():
            ax.axvline(float(value), color="black", linestyle=":", linewidth=1)
        ax.set_title(f"{zh} {en}" + (" (%)" if scale == 100.0 else ""), fontsize=9, loc="left")
        ax.set_xlabel(paths[0], fontsize=8)
        if all(float(v).is_integer() for v in summary[paths[0]]):  # head counts: whole-number ticks
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(seconds) > 1:
            ax.legend(fontsize=7, frameon=False)
    return fig


def _table(summary: pd.DataFrame, paths: list[str]) -> str:
    kpis = headline(View.SWEEP_REPORT, summary["kpi"])
    kpis += [k for k in ("backlog_growth_per_day", UNSTABLE_KPI) if k in set(summary["kpi"]) and k not in kpis]
    points = summary[paths].drop_duplicates().sort_values(paths)
    header: list[object] = [h.hd("指标", "indicator")]
    header += [h.hd(" · ".join(_show(v) for v in p), " · ".join(paths), True) for p in points.to_numpy()]
    rows = []
    for kpi in kpis:
        zh, en, unit = kpi_names(kpi)
        row: list[object] = [h.bi(zh, en)]
        for point in points.to_numpy():
            mask = summary["kpi"] == kpi
            for path, value in zip(paths, point, strict=True):
                mask &= summary[path] == value
            r = summary.loc[mask].iloc[0]
            if kpi == UNSTABLE_KPI:  # how many replications were flagged, in red when any
                flagged = round(float(r["mean"]) * int(r["n"]))
                css = "num unstable" if flagged else "num"
                row.append(h.bi(f"{flagged}/{int(r['n'])}", "⚠ 积案增长 growing" if flagged else "稳定 stable", css))
                continue
            ci = f"{value_text(r['ci_low'], unit)}–{value_text(r['ci_high'], unit)}"
            row.append(h.bi(value_text(r["mean"], unit), ci, "num"))
        rows.append(row)
    return h.table(header, rows)


def _show(value: object) -> str:
    """``5000`` rather than ``5000.0`` (numpy's floats too)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _break_line(r: Any, paths: list[str], first: object) -> tuple[str, str]:
    """The breaking point in words, for the parameter swept: its Chinese name in the Chinese
    sentence (:func:`parameter_zh`, never a code path), "from X on" for a load, "X or fewer"
    for a head count that fails low and holds higher up."""
    zh, en, _ = kpi_names(str(r.kpi))
    target = level_of(str(r.kpi))
    level = pct(target.low if target else None, 0)
    name = parameter_zh(paths[0])
    where = "" if r.second is None else f"（{parameter_zh(paths[1])}为 {_show(r.second)}）"
    where_en = "" if r.second is None else f" ({paths[1]} = {_show(r.second)})"
    at = _show(r.breaks_at)
    if isinstance(r.breaks_at, float) and math.isnan(r.breaks_at):
        last = r.statuses[-1] if r.statuses else "n/a"
        return (
            f"{zh}{where}：所试取值下都未确认低于{level}（最后一点：{STATUS_ZH[last]}）",
            f"{en}{where_en}: not surely below {level} at any value tried (last: {STATUS_EN[last]})",
        )
    if getattr(r, "fails", "from") == "up_to":
        return (
            f"{zh}{where}：{name}为 {at} 及以下时肯定低于{level}；再多才不再肯定低于（转折点）",
            f"{en}{where_en}: surely below {level} with {paths[0]} at {at} or less; not surely below above it "
            "(the breaking point)",
        )
    if r.breaks_at == first:
        return (
            f"{zh}{where}：{name}取所试最低值 {at} 时已肯定低于{level}",
            f"{en}{where_en}: already surely below {level} at the lowest value tried, {at}",
        )
    return (
        f"{zh}{where}：{name}为 {at} 起肯定低于{level}（转折点）",
        f"{en}{where_en}: surely below {level} from {paths[0]} = {at} on (the breaking point)",
    )


def _unstable_line(summary: pd.DataFrame, paths: list[str]) -> tuple[str, str] | None:
    """Which grid points have a growing backlog in some replication (said first)."""
    rows = summary.loc[(summary["kpi"] == UNSTABLE_KPI) & (summary["mean"] > 0)]
    if rows.empty:
        return None
    points = "；".join(
        " · ".join(f"{p} = {_show(r[p])}" for p in paths) + f"（{round(float(r['mean']) * int(r['n']))}/{int(r['n'])}）"
        for _, r in rows.iterrows()
    )
    return (
        f"⚠ 不稳定：以下取值下未结案件持续增长，按已结案件计算的均值有误导性：{points}",
        f"UNSTABLE: at these points the backlog still grows in some replications (flagged/replications); "
        f"means over closed cases there are misleading: {points}",
    )


def _verdict(summary: pd.DataFrame, paths: list[str], breaks: pd.DataFrame) -> str:
    first = min(summary[paths[0]])
    unstable = _unstable_line(summary, paths)
    items = [f'<strong class="unstable" style="color:#c0392b">{h.bi(*unstable).html}</strong>'] if unstable else []
    items += [h.bi(*_break_line(r, paths, first)).html for r in frames.rows(breaks)]
    lis = "".join(f"<li>{item}</li>" for item in items)
    return f'<div class="verdict"><ul>{lis}</ul></div>' if items else ""


def build_sweep_report(folder: Path) -> str:
    """The HTML of the sweep in ``folder``."""
    manifest, summary, paths = load_sweep(folder)
    breaks = breaking_points(summary, paths)
    with figure_style():
        uri = svg_data_uri(_figure(summary, paths, breaks))
    values = " ".join(f"--set {p}={','.join(str(v) for v in vs)}" for p, vs in manifest["parameters"].items())
    seed = f" --seed {manifest['seed']}" if manifest.get("seed") is not None else ""
    command = f"courtsim sweep {manifest.get('scenario')} {values} --reps {manifest.get('reps')}{seed}"
    rows = [
        ["情景 scenario", f"{manifest.get('scenario')} (hash {manifest.get('scenario_hash')})"],
        ["重复次数 replications", str(manifest.get("reps"))],
        ["随机种子 seed", str(manifest.get("seed"))],
        ["代码版本 commit", str(manifest.get("git_commit") or "—")],
        ["生成时间 created (UTC)", str(manifest.get("created_utc"))],
    ]
    sections = [
        h.Section(
            "verdict",
            "结论",
            "Verdict",
            _verdict(summary, paths, breaks)
            + h.figure(
                uri,
                "参数扫描",
                "各指标随参数变化（阴影为95%置信区间）；红色虚线为目标，黑色点线为转折点。",
                "Indicators against the swept parameter (band: 95% CI); dashed red: the target; "
                "dotted black: "
                "the breaking point.",
            ),
        ),
        h.Section("table", "指标表", "Indicators at every grid point", _table(summary, paths)),
        h.Section(
            "reproduce",
            "可重复性",
            "Reproducibility",
            h.table(["项目 item", "值 value"], rows) + f"<pre>{h.esc(command)}</pre>",
        ),
    ]
    reps = manifest.get("reps")
    subtitle = f"{manifest.get('scenario')} · {' × '.join(paths)} · {reps}次重复 replications"
    return h.page("参数扫描报告 Sweep report", subtitle, sections)
