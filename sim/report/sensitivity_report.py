"""The sensitivity report: which assumptions drive the verdict, and whether the verdict survives them.

Like the page an auditor adds to a forecast ("these three guesses decide the answer; measure
them first"), a ``courtsim sensitivity --out`` folder becomes one HTML page: the verdict's
robustness in one sentence (how often each target is met, and the court unstable, over the
ranges of the assumptions), a tornado chart of the indices per headline KPI, the 45-day
rate's distribution over the parameter sets, "measure these first", and every index with its
bootstrap interval.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.metrics import View, headline
from sim.metrics.registry import SHARE_UNITS
from sim.report import html as h
from sim.report.data import ReportDataError
from sim.report.figures import RED, svg_data_uri
from sim.report.fonts import figure_style
from sim.report.labels import kpi_names, pct
from sim.report.run_report import write_html
from sim.report.targets import FAST45, level_of

__all__ = ["build_sensitivity_report", "load_sensitivity", "write_sensitivity_report"]

REPORT_NAME = "report.html"
STAGES = ("groups", "morris", "sobol")
STAGE_TEXT = {
    "groups": ("按参数表分组的Morris筛选", "Morris screening of the scenario tables as groups"),
    "morris": ("逐个参数的Morris筛选", "Morris screening of each parameter"),
    "sobol": ("Sobol方差分解", "Sobol indices (first order and total)"),
}


def load_sensitivity(folder: Path) -> dict[str, Any]:
    """The manifest and tables of a sensitivity folder (raises :class:`ReportDataError` if incomplete)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        data: dict[str, Any] = {
            "manifest": manifest,
            "parameters": pd.read_csv(folder / "parameters.csv"),
            "robustness": pd.read_csv(folder / "robustness.csv"),
            "measure_first": pd.read_csv(folder / "measure_first.csv"),
        }
        for stage in manifest.get("stages", {}):
            data[f"{stage}_indices"] = pd.read_csv(folder / f"{stage}_indices.csv")
            data[f"{stage}_outputs"] = pd.read_csv(folder / f"{stage}_outputs.csv")
    except FileNotFoundError as exc:
        raise ReportDataError(f"{folder}: {Path(str(exc.filename)).name} is missing") from None
    if manifest.get("command") != "sensitivity" or not manifest.get("stages"):
        raise ReportDataError(f"{folder}: not a finished `courtsim sensitivity` folder")
    return data


def _final(data: dict[str, Any]) -> str:
    return [s for s in STAGES if s in data["manifest"]["stages"]][-1]


def _first(data: dict[str, Any]) -> str:
    return next(s for s in STAGES if s in data["manifest"]["stages"])


# ---------------------------------------------------------------- figures


def _tornado(indices: pd.DataFrame, kpis: list[str], method: str, top: int = 10) -> Figure:
    """Horizontal bars of the index per parameter (largest on top), with the bootstrap interval."""
    key, conf = ("mu_star", "mu_star_conf") if method != "sobol" else ("ST", "ST_conf")
    n = max(len(kpis), 1)
    fig = Figure(figsize=(9.5, 0.32 * top * math.ceil(n / 2) + 1.2 * math.ceil(n / 2)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(math.ceil(n / 2), 2)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax, kpi in zip(axes, kpis, strict=False):
        rows = indices[indices["kpi"] == kpi].sort_values(key, ascending=False).head(top).iloc[::-1]
        zh, en, unit = kpi_names(kpi)
        scale = 100.0 if unit in SHARE_UNITS and method != "sobol" else 1.0
        ax.barh(rows["parameter"], scale * rows[key], xerr=scale * rows[conf], color="#3182bd", capsize=2)
        if method == "sobol":
            ax.barh(rows["parameter"], rows["S1"], color="#9ecae1", height=0.4, label="S1")
            ax.legend(["ST", "S1"], fontsize=7, frameon=False)
        ax.tick_params(axis="y", labelsize=7)
        what = "μ*" if method != "sobol" else "Sobol"
        ax.set_title(f"{zh} {en} — {what}" + (" (pp)" if scale == 100.0 else ""), fontsize=9, loc="left")
    return fig


def _distribution(outputs: pd.DataFrame) -> Figure:
    """The 45-day rate over the parameter sets, with the target."""
    values = outputs[outputs["kpi"] == FAST45].groupby("point")["value"].mean().to_numpy(dtype=float)
    fig = Figure(figsize=(7.5, 2.8), layout="constrained")
    ax = fig.subplots()
    ax.hist(100 * values[~np.isnan(values)], bins=min(30, max(5, len(values) // 3)), color="#6baed6")
    target = level_of(FAST45)
    if target is not None and target.low is not None:
        ax.axvline(100 * target.low, color=RED, linestyle="--", linewidth=1)
    zh, en, _ = kpi_names(FAST45)
    ax.set_xlabel(f"{zh} {en} (%)", fontsize=8)
    ax.set_ylabel("参数组数 parameter sets", fontsize=8)
    return fig


# ---------------------------------------------------------------- text


def robustness_sentence(data: dict[str, Any]) -> tuple[str, str]:
    """The verdict's robustness in one sentence (Chinese, English)."""
    table = data["robustness"].set_index("kpi")
    stage = data["manifest"]["stages"][_first(data)]
    sets = int(stage["points"])
    n_params = len(data["parameters"])
    zh_parts, en_parts = [], []
    if FAST45 in table.index:
        r = table.loc[FAST45]
        target = level_of(FAST45)
        level = pct(target.low if target else None, 0)
        zh_parts.append(
            f"45日结案率达到{level}目标的参数组占{pct(r['share'], 0)}"
            f"（中位数{pct(r['median'])}，90%的参数组在{pct(r['q05'])}–{pct(r['q95'])}之间）"
        )
        en_parts.append(
            f"the 45-day target ({level}) is met in {pct(r['share'], 0)} of them "
            f"(median rate {pct(r['median'])}, 90% of sets between {pct(r['q05'])} and {pct(r['q95'])})"
        )
    if "unstable" in table.index:
        share = pct(table.loc["unstable", "share"], 0)
        zh_parts.append(f"积压持续增长（不稳定）的重复占{share}")
        en_parts.append(f"the court is unstable in {share} of the replications")
    zh = f"在{n_params}个假设的取值范围内（{sets}组参数）：" + "；".join(zh_parts) + "。"
    en = f"Over the ranges of the {n_params} assumptions ({sets} parameter sets): " + "; ".join(en_parts) + "."
    return zh, en


def _measure_first(data: dict[str, Any]) -> str:
    table = data["measure_first"]
    rows = []
    for r in table[table["kpi"] == FAST45].to_dict(orient="records") if "kpi" in table else []:
        if "S1" in r and not pd.isna(r.get("S1")):
            index = f"S1 {r['S1']:.2f} ± {r['S1_conf']:.2f}; ST {r['ST']:.2f} ± {r['ST_conf']:.2f}"
        else:
            index = f"μ* {100 * r['mu_star']:.2f} ± {100 * r['mu_star_conf']:.2f} pp"
        span = "—" if pd.isna(r.get("low")) else f"{r['low']:.4g} – {r['high']:.4g} ({r['kind']})"
        source = "" if pd.isna(r.get("source")) else str(r["source"])
        rows.append([str(r["parameter"]), h.num(index), span, source or "(a whole table)"])
    header = [h.hd("假设", "assumption"), h.hd("指数", "index", True), h.hd("范围", "range"), h.hd("来源", "source")]
    intro = h.paragraphs(
        "缩小以下假设的不确定性（实地测量或查阅案卷），最能减少45日结案率结论的不确定性：",
        "Narrowing these assumptions (by measuring them, or reading the case files) would most reduce the "
        "uncertainty of the 45-day rate:",
    )
    return intro + h.table(header, rows)


def _indices_table(indices: pd.DataFrame, kpis: list[str], stage: str) -> str:
    rows = []
    for kpi in kpis:
        own = indices[indices["kpi"] == kpi]
        key = "ST" if stage == "sobol" else "mu_star"
        for r in own.sort_values(key, ascending=False).head(10).to_dict(orient="records"):
            if stage == "sobol":
                cells = [f"{r['S1']:.3f} ± {r['S1_conf']:.3f}", f"{r['ST']:.3f} ± {r['ST_conf']:.3f}"]
            else:
                sigma = "—" if pd.isna(r["sigma"]) else f"{r['sigma']:.4g}"
                cells = [f"{r['mu_star']:.4g} ± {r['mu_star_conf']:.4g}", sigma]
            rows.append([kpi, str(r["parameter"]), *(h.num(c) for c in cells)])
    names = ("S1 ± 95%", "ST ± 95%") if stage == "sobol" else ("μ* ± 95%", "σ")
    header = [h.hd("指标", "KPI"), h.hd("参数", "parameter"), h.hd(names[0], "", True), h.hd(names[1], "", True)]
    return h.table(header, rows)


# ---------------------------------------------------------------- the page


def build_sensitivity_report(folder: Path) -> str:
    """The HTML of the sensitivity analysis in ``folder``."""
    data = load_sensitivity(folder)
    manifest = data["manifest"]
    final = _final(data)
    indices = data[f"{final}_indices"]
    kpis = headline(View.FOCUS, indices["kpi"].unique())
    kpis += [k for k in manifest.get("focus", []) if k not in kpis and k in set(indices["kpi"])]
    with figure_style():
        tornado = svg_data_uri(_tornado(indices, kpis, final))
        spread = svg_data_uri(_distribution(data[f"{_first(data)}_outputs"]))
    zh, en = robustness_sentence(data)
    stages_zh = "；".join(
        f"{STAGE_TEXT[s][0]}（{manifest['stages'][s]['points']}组）" for s in STAGES if s in manifest["stages"]
    )
    stages_en = "; ".join(
        f"{STAGE_TEXT[s][1]} ({manifest['stages'][s]['points']} sets)" for s in STAGES if s in manifest["stages"]
    )
    verdict = f'<div class="verdict">{h.paragraphs(zh, en)}</div>' + h.paragraphs(
        f"方法：{stages_zh}。每组参数使用相同的随机数（共同随机数），指数反映参数的作用而非随机波动。",
        f"Method: {stages_en}. Every parameter set runs the same replications (common random numbers), so the "
        "indices measure the parameters, not noise.",
    )
    sections = [
        h.Section("verdict", "结论的稳健性", "How robust the verdict is", verdict),
        h.Section(
            "drivers",
            "驱动因素",
            "What drives each headline indicator",
            h.figure(
                tornado,
                "敏感性指数",
                "各指标最敏感的假设（误差线为95% bootstrap区间）。",
                "The assumptions each indicator is most sensitive to (error bars: 95% bootstrap interval); "
                + ("μ*: mean absolute elementary effect over the whole range." if final != "sobol" else "ST, S1."),
            ),
        ),
        h.Section(
            "spread",
            "45日结案率的分布",
            "The 45-day rate over the ranges",
            h.figure(
                spread,
                "45日结案率分布",
                "各参数组的45日结案率；红色虚线为目标。",
                "The 45-day rate of each parameter set; dashed red: the target.",
            ),
        ),
        h.Section("measure", "优先测量", "Measure these first", _measure_first(data)),
    ]
    for stage in STAGES:
        if stage in manifest["stages"]:
            table = _indices_table(data[f"{stage}_indices"], kpis, stage)
            sections.append(h.Section(f"indices-{stage}", STAGE_TEXT[stage][0], STAGE_TEXT[stage][1], table))
    rows = [
        ["情景 scenario", f"{manifest.get('scenario')} (hash {manifest.get('scenario_hash')})"],
        ["模型运行 model runs", f"{manifest.get('runs')} (budget {manifest.get('budget')})"],
        ["重复次数 replications per set", str(manifest.get("reps"))],
        ["随机种子 seed", str(manifest.get("seed"))],
        ["代码版本 commit", str(manifest.get("git_commit") or "—")],
        ["生成时间 created (UTC)", str(manifest.get("created_utc"))],
    ]
    sections.append(
        h.Section(
            "reproduce",
            "可重复性",
            "Reproducibility",
            h.table(["项目 item", "值 value"], rows) + f"<pre>{h.esc(manifest.get('reproduce', ''))}</pre>",
        )
    )
    subtitle = f"{manifest.get('scenario_name')} · {len(data['parameters'])} assumptions · {manifest.get('runs')} runs"
    return h.page("敏感性与不确定性分析 Sensitivity and uncertainty", subtitle, sections)


def write_sensitivity_report(folder: Path, out: Path | None = None) -> Path:
    """Write ``folder/report.html`` (or ``out``); return its path."""
    target = Path(out) if out else Path(folder) / REPORT_NAME
    return write_html(target, build_sensitivity_report(Path(folder)))
