"""The report's figures, each a function from analysis tables to an inline SVG.

Like the charts pinned beside a quarterly report: each function draws one
matplotlib :class:`~matplotlib.figure.Figure` (no pyplot, no global state) and
:func:`svg_data_uri` turns it into a ``data:`` URI that the HTML embeds, so the
report needs no network and no separate files. Chinese labels come first;
:func:`sim.report.fonts.figure_style` makes them render on any machine.
"""

from __future__ import annotations

import base64
import io
from datetime import date, timedelta

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from sim import frames
from sim.report.fonts import save_svg
from sim.report.labels import outcome_label, pct, role_label, team_label, track_label
from sim.vocab import Role, Team

__all__ = [
    "fig_backlog",
    "fig_caseload",
    "fig_days_to_close",
    "fig_fast45_split",
    "fig_monthly",
    "fig_sla",
    "fig_utilisation",
    "fig_why_late",
    "svg_data_uri",
]

RED, AMBER, GREEN, BLUE, GREY = "#c0392b", "#e69f00", "#2e8b57", "#2c6fbb", "#9a9a9a"
TEAM_COLOURS = {
    "intake": "#8c6bb1",
    "fast_track": "#e6550d",
    "complex_track": "#3182bd",
    "asset_disposal": "#31a354",
    "records": "#756bb1",
    "review": "#636363",
    "oversight": "#bdbdbd",
}
SIX_MONTHS_DAYS = 183.0
"""The 6-month limit drawn on the days-to-close figure (the KPI counts exact calendar months)."""


def svg_data_uri(fig: Figure) -> str:
    """``data:image/svg+xml;base64,…`` of ``fig`` (metadata without a date, so runs compare)."""
    buffer = io.BytesIO()
    save_svg(fig, buffer, bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _rate_colour(rate: float) -> str:
    return GREEN if rate >= 0.95 else AMBER if rate >= 0.80 else RED


def fig_fast45_split(zhongben: pd.DataFrame, target: float) -> Figure:
    """One bar: simple cases closed within 45 days, as 终本 after the floor, and the rest."""
    within = float(frames.cell(zhongben, "fast45_rate", "mean"))
    zb_late = float(
        frames.cell(zhongben, "zhongben_share", "mean") - frames.cell(zhongben, "zhongben_within_share", "mean")
    )
    rest = max(1.0 - within - zb_late, 0.0)
    fig = Figure(figsize=(9.5, 1.6))
    ax = fig.subplots()
    parts = [
        (within, GREEN, "45日内结案 closed within 45 days"),
        (zb_late, AMBER, "终本（受3个月限制，45日后） 终本, after 45 days (3-month floor)"),
        (rest, RED, "其他超期或未结 other late or open"),
    ]
    left = 0.0
    for share, colour, label in parts:
        ax.barh([0], [share], left=left, color=colour, label=label, height=0.6)
        if share > 0.06:
            ax.text(
                left + share / 2,
                0,
                pct(share, 0),
                ha="center",
                va="center",
                color="white",
                fontsize=10,
            )
        left += share
    ax.axvline(target, color="black", linestyle="--", linewidth=1.2)
    ax.text(target, 0.42, f"目标 target {pct(target, 0)}", ha="center", va="bottom", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_title("简案（快执）收案45日内结案情况 Simple cases: closed within 45 days of receipt", loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3, frameon=False)
    return fig


def fig_sla(slas: pd.DataFrame) -> Figure:
    """各节点按期完成率: on-time rate per deadline with its 95% interval, worst first."""
    rows = slas.loc[slas["n_ended"] > 0].sort_values("on_time_rate", ascending=False, kind="stable")
    fig = Figure(figsize=(9.5, 0.32 * len(rows) + 1.2))
    ax = fig.subplots()
    y = np.arange(len(rows))
    rates = rows["on_time_rate"].to_numpy(float)
    lo = np.clip(rows["ci_low"].fillna(rows["on_time_rate"]).to_numpy(float), 0, 1)
    hi = np.clip(rows["ci_high"].fillna(rows["on_time_rate"]).to_numpy(float), 0, 1)
    ax.barh(y, rates, color=[_rate_colour(r) for r in rates], height=0.7)
    ax.errorbar(
        rates,
        y,
        xerr=[np.maximum(rates - lo, 0), np.maximum(hi - rates, 0)],
        fmt="none",
        ecolor="black",
        elinewidth=0.8,
        capsize=2,
    )
    unit = {"days": "日", "working_days": "个工作日", "months": "个月"}
    labels = [f"{r.zh}（{r.days}{unit.get(r.basis, '')}） {r.en}" for r in frames.rows(rows)]
    ax.set_yticks(y, labels)
    for yi, rate, top in zip(y, rates, hi, strict=True):
        ax.text(max(min(rate, 1.0), top) + 0.012, float(yi), pct(rate), va="center", fontsize=7)
    ax.set_xlim(0, 1.12)
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%" if v <= 1 else "")
    ax.set_xlabel("按期完成率（已完成的计时中）on-time rate of clocks that ended")
    ax.set_title("各节点按期完成率 On-time rate per deadline (95% CI)", loc="left")
    return fig


def fig_days_to_close(days: pd.DataFrame, reps: int) -> Figure:
    """结案用时 per track: histograms stacked by outcome, with the 45-day and 6-month lines."""
    tracks = [t for t in ("fast", "standard", "oversight") if (days["track"] == t).any()]
    fig = Figure(figsize=(9.5, 2.4 * max(len(tracks), 1) + 0.6))
    axes = np.atleast_1d(fig.subplots(max(len(tracks), 1), 1, sharex=True))
    top = float(np.nanquantile(days["days"], 0.995)) if len(days) else 200.0
    bins = np.arange(0, max(top, 200.0) + 7, 7)
    groups = [("completed", GREEN), ("zhongben", AMBER), ("other", GREY)]
    for ax, track in zip(axes, tracks, strict=False):
        own = days.loc[days["track"] == track]
        kind = own["outcome"].where(own["outcome"].isin(["completed", "zhongben"]), "other")
        data = [own.loc[kind == g, "days"].clip(upper=bins[-1] - 1).to_numpy(float) for g, _ in groups]
        weights = [np.full(d.size, 1.0 / max(reps, 1)) for d in data]
        names = [outcome_label(g) if g != "other" else "其他 other" for g, _ in groups]
        ax.hist(
            data,
            bins=bins,
            weights=weights,
            stacked=True,
            color=[c for _, c in groups],
            label=names,
        )
        within45 = float((own["days"] <= 45).mean()) if len(own) else float("nan")
        within6m = float((own["days"] <= SIX_MONTHS_DAYS).mean()) if len(own) else float("nan")
        ax.axvline(45, color="black", linestyle="--", linewidth=1)
        ax.axvline(SIX_MONTHS_DAYS, color=RED, linestyle=":", linewidth=1.2)
        ax.set_title(
            f"{track_label(track)}：45日内 {pct(within45)}，6个月内 within 6 months {pct(within6m)}",
            loc="left",
            fontsize=10,
        )
        ax.set_ylabel("案件数 cases")
    if axes[0].get_legend_handles_labels()[0]:  # no closed case drawn (an overloaded run): no legend
        axes[0].legend(loc="center right", frameon=False)
    ymax = axes[0].get_ylim()[1]
    axes[0].text(46, ymax * 0.92, "45日 45 days", fontsize=8)
    axes[0].text(SIX_MONTHS_DAYS + 1, ymax * 0.92, "6个月 6 months", fontsize=8, color=RED)
    axes[-1].set_xlabel("自立案至结案天数 days from filing to closing (counted cases, per replication)")
    return fig


def _grid(bottlenecks: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    teams = [t.value for t in Team if t.value in set(bottlenecks["team"])]
    roles = [r.value for r in Role]
    table = bottlenecks.set_index(["team", "role"])
    util = table["utilisation"].unstack().reindex(index=teams, columns=roles)
    heads = table["headcount"].unstack().reindex(index=teams, columns=roles).fillna(0).astype(int)
    return util, heads


def fig_utilisation(bottlenecks: pd.DataFrame) -> Figure:
    """利用率 heatmap, team × role; blank where the team has nobody in the role."""
    util, heads = _grid(bottlenecks)
    fig = Figure(figsize=(9.5, 0.5 * len(util) + 1.4))
    ax = fig.subplots()
    cmap = ListedColormap(["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"])
    image = ax.imshow(util.to_numpy(float), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for (i, j), value in np.ndenumerate(util.to_numpy(float)):
        count = int(heads.to_numpy()[i, j])
        if count == 0 or np.isnan(value):
            ax.text(j, i, "—", ha="center", va="center", color=GREY)
            continue
        ax.text(
            j,
            i,
            f"{pct(value, 0)}\n({count}人)",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if value > 0.66 else "black",
        )
    ax.set_xticks(range(len(util.columns)), [role_label(r, "\n") for r in util.columns])
    ax.set_yticks(range(len(util.index)), [team_label(t) for t in util.index])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.colorbar(image, ax=ax, fraction=0.03, format=lambda v, _: f"{100 * v:.0f}%")
    ax.set_title("利用率（工作时间中忙碌的比例）Utilisation: busy share of working time", loc="left")
    return fig


def _dates(start: date, days: np.ndarray) -> list[date]:
    return [start + timedelta(days=float(d)) for d in days]


def fig_backlog(
    backlog: pd.DataFrame,
    stages: pd.DataFrame,
    start: date,
    window: tuple[float, float],
    end: float,
) -> Figure:
    """未结案件 over time: every replication and their mean; below, where open cases sit."""
    fig = Figure(figsize=(9.5, 5.6))
    top, bottom = fig.subplots(2, 1, sharex=True)
    x = _dates(start, backlog.index.to_numpy(float))
    for column in backlog.columns:
        top.plot(x, backlog[column].to_numpy(float), color=BLUE, alpha=0.25, linewidth=0.8)
    top.plot(
        x,
        backlog.mean(axis=1).to_numpy(float),
        color=BLUE,
        linewidth=2,
        label="平均 mean of replications",
    )
    for ax in (top, bottom):
        ax.axvspan(
            _dates(start, np.array([0.0]))[0],
            _dates(start, np.array([window[0]]))[0],
            color=GREY,
            alpha=0.15,
            linewidth=0,
        )
        ax.axvspan(
            _dates(start, np.array([window[1]]))[0],
            _dates(start, np.array([end]))[0],
            color=GREY,
            alpha=0.15,
            linewidth=0,
        )
    top.set_ylabel("未结案件 open cases")
    top.set_title(
        "未结案件数（灰色：预热期与收尾期，不计入指标）Open cases (grey: warm-up and cool-down, not counted)",
        loc="left",
    )
    top.legend(loc="upper left", frameon=False)
    teams = [t.value for t in Team if t.value in stages.columns]
    bottom.stackplot(
        _dates(start, stages.index.to_numpy(float)),
        [stages[t].to_numpy(float) for t in teams],
        labels=[team_label(t) for t in teams],
        colors=[TEAM_COLOURS[t] for t in teams],
    )
    bottom.set_ylabel("未结案件 open cases")
    bottom.set_title("按所在团队 By the team holding the case (mean)", loc="left", fontsize=10)
    bottom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.autofmt_xdate()
    return fig


def fig_caseload(caseload: pd.DataFrame, benchmark: tuple[float, float]) -> Figure:
    """人均收案 per handler (counted cases a year) and open cases held at the horizon."""
    fig = Figure(figsize=(9.5, 3.6))
    ax = fig.subplots()
    x = np.arange(len(caseload))
    colours = [TEAM_COLOURS.get(t, GREY) for t in caseload["team"]]
    ax.bar(x, caseload["received_per_year"].to_numpy(float), color=colours, width=0.7)
    ax.plot(
        x,
        caseload["open_at_horizon"].to_numpy(float),
        "kD",
        markersize=4,
        label="期末在办案件 open at the horizon",
    )
    ax.axhspan(
        *benchmark,
        color=GREEN,
        alpha=0.15,
        linewidth=0,
        label=f"公开的人均结案数 published closed per head {benchmark[0]:.0f}–{benchmark[1]:.0f}",
    )
    names = [_short_handler(h) for h in caseload["handler"]]
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("每年收案 cases received a year")
    ax.set_title("承办人人均收案 Caseload per handling officer (colour: team)", loc="left")
    handles, labels = ax.get_legend_handles_labels()
    for team in dict.fromkeys(caseload["team"]):
        handles.append(ax.bar([0], [0], color=TEAM_COLOURS.get(team, GREY))[0])
        labels.append(team_label(team))
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return fig


def _short_handler(name: str) -> str:
    """A short axis label of a handler's log name.

    ``complex_track/执行二团队/officer/3`` → ``执行二团队-3``;
    ``fast_track/officer/1`` → ``快执-1``.
    """
    parts = name.split("/")
    number = parts[-1]
    if len(parts) == 4:
        return f"{parts[1]}-{number}"
    short = {"fast_track": "快执", "complex_track": "精执"}.get(parts[0], parts[0])
    return f"{short}-{number}"


PART_COLOURS = {
    "effort": BLUE,
    "queue": RED,
    "outside": AMBER,
    "handoff": "#1b9e77",
    "floor": "#7b3294",
    "excluded": GREY,
    "other": "#bdbdbd",
    "none": "#4d4d4d",
}


def fig_why_late(why: pd.DataFrame, deadlines: list[str]) -> Figure:
    """为什么超期: per deadline, the share of late clocks each part alone explains (95% CI),
    with the mean days of the part in late and in on-time clocks beside each bar."""
    from sim.metrics.why_late import PART_NAMES  # the metrics' names of the parts

    panels = [d for d in deadlines if d in set(why["sla"])]
    fig = Figure(figsize=(9.5, 2.5 * max(len(panels), 1) + 0.6), layout="constrained")
    axes = fig.subplots(max(len(panels), 1), 1, squeeze=False)[:, 0]
    for ax, sla in zip(axes, panels, strict=False):
        rows = why.loc[(why["sla"] == sla) & (why["detail"] == "") & (why["part"] != "excluded")]
        rows = rows.iloc[::-1]
        y = np.arange(len(rows))
        share = rows["explains_share"].fillna(0.0).to_numpy(float)
        lo = rows["explains_low"].fillna(rows["explains_share"]).fillna(0.0).to_numpy(float)
        hi = rows["explains_high"].fillna(rows["explains_share"]).fillna(0.0).to_numpy(float)
        ax.barh(y, share, color=[PART_COLOURS.get(p, GREY) for p in rows["part"]], height=0.65)
        ax.errorbar(
            share,
            y,
            xerr=[np.maximum(share - lo, 0), np.maximum(hi - share, 0)],
            fmt="none",
            ecolor="black",
            elinewidth=0.8,
            capsize=2,
        )
        ax.set_yticks(y, [f"{PART_NAMES[p][0]} {PART_NAMES[p][1]}" for p in rows["part"]], fontsize=8)
        for yi, row in zip(y, frames.rows(rows), strict=True):
            value = 0.0 if pd.isna(row.explains_share) else float(row.explains_share)
            text = pct(row.explains_share, 0)
            if row.part != "none":
                text += (
                    f"   超期 late {_days_text(row.mean_days_late)} · 按期 on time {_days_text(row.mean_days_on_time)}"
                )
            ax.text(value + 0.015, float(yi), text, va="center", fontsize=7)
        first = rows.iloc[0]
        ax.set_xlim(0, 1.55)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.set_title(
            f"{first.zh} {first.en}: 超期 {pct(first.late_share, 0)} late, 平均超期 "
            f"{first.mean_lateness_days:.1f} 天 days",
            loc="left",
            fontsize=9,
        )
    axes[-1].set_xlabel("单独去掉该部分即可按期的超期计时占比 share of late clocks this part alone explains")
    return fig


def _days_text(days: float) -> str:
    return "—" if pd.isna(days) else f"{days:.1f}天 d"


def fig_monthly(monthly: pd.DataFrame, target: float) -> Figure:
    """每月通报: filings, closures and month-end open cases; below, the 45-day rate by month of
    filing and each team's on-time rate (means of replications)."""
    fig = Figure(figsize=(9.5, 5.6))
    top, bottom = fig.subplots(2, 1, sharex=True)
    x = np.arange(len(monthly))
    top.bar(x - 0.2, monthly["filed"].to_numpy(float), width=0.4, color=BLUE, label="收案 filed")
    top.bar(x + 0.2, monthly["closed"].to_numpy(float), width=0.4, color=GREEN, label="结案 closed")
    top.plot(x, monthly["open_end"].to_numpy(float), "kD-", markersize=4, label="月末未结 open at month end")
    top.set_ylabel("案件 cases")
    top.set_title("每月收案、结案与月末未结案件 Filed, closed and open at month end", loc="left")
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    bottom.plot(
        x,
        monthly["fast45_rate"].to_numpy(float),
        "o-",
        color=RED,
        linewidth=2,
        label="简案45日内结案率（按收案月）fast45 by month filed",
    )
    bottom.axhline(target, color=RED, linestyle=":", linewidth=1, label=f"目标 target {pct(target)}")
    for column in [c for c in monthly.columns if c.startswith("on_time_")]:
        team = column.removeprefix("on_time_")
        bottom.plot(
            x,
            monthly[column].to_numpy(float),
            ".-",
            color=TEAM_COLOURS.get(team, GREY),
            linewidth=1,
            label=f"{team_label(team)} 按期 on time",
        )
    bottom.set_ylim(0, 1.05)
    bottom.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    bottom.set_title(
        "按收案月的45日结案率与各团队按期完成率 By month: 45-day rate and on-time rate per team",
        loc="left",
        fontsize=10,
    )
    bottom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    bottom.set_xticks(x, [str(m) for m in monthly["month"]], rotation=0)
    return fig
