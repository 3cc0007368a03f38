"""The check-fit page and table: the records against the simulated history."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.calibration.checkfit import DISTANCES, FitCheck, km_curve
from sim.calibration.figures import COLOURS, drawn, label, step
from sim.calibration.report import img, notes, page, section, table
from sim.io import write_text

__all__ = ["check_table_text", "write_check_report"]

_PERCENT = ("closed_share", "zhongben_rate", "completion_rate", "recovery_rate")


def _fmt(metric: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if metric in _PERCENT:
        return f"{100 * value:.1f}%"
    if metric in DISTANCES:
        return f"{value:.3f}"
    return f"{value:.1f}"


def check_table_text(check: FitCheck) -> str:
    """The comparison as aligned text, with the table's column names: records, simulated mean
    [sim_min, sim_max], gap, chance, limit and verdict."""
    r = check.records
    reps = len(check.simulated)
    lines = [
        f"{r.source}: {r.period}, {len(r.cases)} cases{' (SYNTHETIC)' if r.synthetic else ''}; "
        f"{reps} simulated replication(s) of the same period from an empty court",
        "",
        f"  {'metric':<42} {'records':>9} {'sim_mean [sim_min, sim_max]':>28} {'gap':>8} {'chance':>8} "
        f"{'limit':>8} {'verdict':>7}  指标",
    ]
    for row in check.table.to_dict("records"):
        metric = str(row["metric"])
        value = {k: float(row[k]) for k in ("records", "sim_mean", "sim_min", "sim_max", "gap", "chance", "limit")}
        sim = (
            ""
            if math.isnan(value["sim_min"])
            else (
                f"{_fmt(metric, value['sim_mean'])} "
                f"[{_fmt(metric, value['sim_min'])}, {_fmt(metric, value['sim_max'])}]"
            )
        )
        lines.append(
            f"  {row['en']:<42} {_fmt(metric, value['records']):>9} {sim:>28} "
            f"{_fmt(metric, value['gap']):>8} {_fmt(metric, value['chance']):>8} "
            f"{_fmt(metric, value['limit']):>8} {row['verdict']:>7}  {row['zh']}"
        )
    failed = [str(row["en"]) for row in check.table.to_dict("records") if row["verdict"] == "fail"]
    judged = int((check.table["verdict"] != "n/a").sum())
    lines += [
        "",
        "gap: records − simulated mean (for the distances: the distance itself); chance: the spread "
        "between replications (SD, or the mean distance between replications); limit: a statistic "
        "passes when |gap| is within its 95% prediction interval (t × chance × √(1 + 1/reps)), a "
        "distance when it is at most 2 × chance.",
        (
            "verdict: n/a (one replication gives no chance level; use --reps 2 or more)"
            if judged == 0
            else f"verdict: {judged - len(failed)} of {judged} pass"
            + (f"; fail: {', '.join(failed)}" if failed else "")
        ),
    ]
    return "\n".join(lines)


def write_check_report(check: FitCheck, path: Path, scenario_name: str) -> None:
    """Write the check-fit page with its figures to ``path``."""
    km = drawn(lambda fig: _km(fig, check), (7, 3.4))
    months = drawn(lambda fig: _months(fig, check.monthly), (8, 3.4))
    shares = drawn(lambda fig: _shares(fig, check.shares), (7, 3))
    shown = check.table.copy()
    text = [
        "The scenario is simulated over the records' period from an empty court; each replication is "
        "exported and cleaned like the records and cut on the same extraction date, so censoring and day "
        "rounding are the same on both sides.",
        "A gap well above the chance column points at a parameter to revisit; the first months are lighter in "
        "the model, which starts without the court's backlog.",
    ]
    body = [
        section("对比", f"Records against {scenario_name}", notes(text), table(shown, wide=True)),
        section("结案用时", "Days to close (Kaplan–Meier)", img(km, "KM curves")),
        section("月收案", "Monthly filings", img(months, "monthly filings")),
        section("结案方式", "Outcome shares among closed cases", table(check.shares), img(shares, "shares")),
    ]
    write_text(path, page(f"模型检验 Check of fit: {scenario_name} vs {check.records.source}", body))


def _km(fig: Figure, check: FitCheck) -> None:
    ax = fig.add_subplot()
    for i, sim in enumerate(check.simulated):
        days, surv = km_curve(sim)
        step(ax, days, surv, color=COLOURS[0], lw=0.8, alpha=0.6, label=label("simulated", "仿真") if i == 0 else None)
    days, surv = km_curve(check.records)
    step(ax, days, surv, color=COLOURS[1], lw=1.6, label=label("records", "记录"))
    ax.set_xlabel(label("days since filing", "立案后天数"))
    ax.set_ylabel(label("share still open", "未结比例"))
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)


def _months(fig: Figure, monthly: pd.DataFrame) -> None:
    ax = fig.add_subplot()
    x = np.arange(len(monthly))
    ax.bar(x, monthly["records"], color="#9ecae1", label=label("records", "记录"))
    ax.plot(x, monthly["sim_mean"], "o-", color=COLOURS[1], ms=3, label=label("simulated mean", "仿真均值"))
    ax.fill_between(
        x,
        monthly["sim_min"],
        monthly["sim_max"],
        color=COLOURS[1],
        alpha=0.15,
        label=label("simulated range", "仿真范围"),
    )
    ax.set_xticks(x, monthly["period"], rotation=60, fontsize=7)
    ax.set_ylabel(label("cases filed", "收案数"))
    ax.legend(fontsize=7)


def _shares(fig: Figure, shares: pd.DataFrame) -> None:
    ax = fig.add_subplot()
    x = np.arange(len(shares))
    ax.bar(x - 0.2, shares["records"], 0.4, color="#9ecae1", label=label("records", "记录"))
    err = np.vstack([shares["sim_mean"] - shares["sim_min"], shares["sim_max"] - shares["sim_mean"]])
    ax.bar(x + 0.2, shares["sim_mean"], 0.4, yerr=err, color=COLOURS[1], alpha=0.7, label=label("simulated", "仿真"))
    ax.set_xticks(x, shares["outcome"], rotation=20, fontsize=7)
    ax.set_ylabel(label("share of closed cases", "占已结案件比例"))
    ax.legend(fontsize=7)
