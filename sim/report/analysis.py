"""The numbers behind a run report, computed once from a results folder.

Like the statistician's worksheet behind a court's quarterly report: every
figure and table of the report is computed here from the event log with the
functions of :mod:`sim.metrics`, one replication at a time, then summarised
over replications (mean and 95% t-interval, the same statistics as
``kpis_summary.csv``). Plain pandas; nothing here draws or writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim import frames
from sim.config.schema import Scenario
from sim.experiments.statistics import summarise
from sim.metrics import (
    MONTHLY_VIEW_ZH,
    add_months,
    backlog_series,
    bottlenecks,
    monthly_view,
    sla_compliance,
    stage_series,
    why_late,
)
from sim.metrics.warmup import WarmupCheck, mser5_table
from sim.report.data import Results, ScenarioRun
from sim.vocab import CaseType, Deadline, Outcome, Role, Team, Track

__all__ = ["RunAnalysis", "analyse_run", "interval_table", "summarise_monthly", "summarise_why_late"]

_ENFORCED = (CaseType.FIRST.value, CaseType.RESUMED.value)
SERIES_STEP_DAYS = 7.0
"""Backlog snapshots once a week."""


@dataclass(frozen=True)
class RunAnalysis:
    """Everything one scenario's report shows; rates are shares in [0, 1]."""

    label: str
    scenario: Scenario
    reps: int
    kpis: pd.DataFrame  # index kpi: n, mean, sd, ci_low, ci_high
    slas: pd.DataFrame  # one row per deadline: names, rule, counts per year, on-time rate + CI
    bottlenecks: pd.DataFrame  # team × role: utilisation, waits in late clocks, mean rank
    backlog: pd.DataFrame  # index day, one column per replication: open cases
    stages: pd.DataFrame  # index day, one column per team: open cases held there (mean)
    days_to_close: pd.DataFrame  # replication, track, outcome, case_type, days (counted closed)
    caseload: pd.DataFrame  # team, unit, handler: received per year and open at the horizon
    zhongben: pd.DataFrame  # index quantity: mean, ci_low, ci_high (statute-vs-plan note)
    why_late: pd.DataFrame  # deadline × part (× detail): shares of late clocks each part explains, mean + CI
    monthly: pd.DataFrame  # one row per month of the counted window (monthly_view), mean of replications
    warmup: WarmupCheck | None = None  # MSER-5 over the outputs: is the warm-up long enough?

    def kpi(self, kpi: str) -> pd.Series | None:
        """Summary row of ``kpi`` (n, mean, sd, ci_low, ci_high) or None."""
        return frames.line(self.kpis, kpi) if kpi in self.kpis.index else None


def interval_table(values: Mapping[str, list[float]]) -> pd.DataFrame:
    """Mean and 95% t-interval of per-replication values, by name (index)."""
    rows = [("_", rep, name, v) for name, vs in values.items() for rep, v in enumerate(vs)]
    long = pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])
    if long.empty:
        return pd.DataFrame(columns=["n", "mean", "sd", "ci_low", "ci_high"])
    table = summarise(long).set_index("kpi")
    return table.drop(columns="scenario").reindex(list(values))


def analyse_run(results: Results, label: str) -> RunAnalysis:
    """Compute every table of the report for scenario ``label`` of ``results``."""
    run = results.runs[label]
    kpis = results.summary.loc[results.summary["scenario"] == label].set_index("kpi")
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("slas", "bneck", "stages", "days", "load", "late", "month")}
    backlog: dict[int, pd.Series] = {}
    zhongben: dict[str, list[float]] = {}
    mser: list[pd.DataFrame] = []
    for rep, tables in run.per_replication():
        cases, slas, steps = tables["cases"], tables["slas"], tables["steps"]
        comp = sla_compliance(slas, cases, run.scenario, run.calendar)
        parts["slas"].append(comp.assign(replication=rep))
        parts["bneck"].append(bottlenecks(steps, run.staff, slas, run.calendar, run.window))
        total = backlog_series(cases, run.end, SERIES_STEP_DAYS)
        backlog[rep] = total if isinstance(total, pd.Series) else total.sum(axis=1)
        parts["stages"].append(stage_series(steps, cases, run.end, SERIES_STEP_DAYS))
        parts["days"].append(_days_to_close(cases).assign(replication=rep))
        parts["load"].append(_caseload(cases, run).assign(replication=rep))
        parts["late"].append(
            why_late(
                steps, slas, cases, run.scenario, run.calendar, at=run.end, unfinished=tables.get("unfinished")
            ).assign(replication=rep)
        )
        parts["month"].append(monthly_view(cases, slas, run.scenario).assign(replication=rep))
        mser.append(mser5_table([(rep, steps, cases)], run.window[0], run.end))
        for name, value in _zhongben_numbers(cases, slas, run).items():
            zhongben.setdefault(name, []).append(value)
    return RunAnalysis(
        label=label,
        scenario=run.scenario,
        reps=len(backlog),
        kpis=kpis,
        slas=_summarise_slas(parts["slas"], run.window),
        bottlenecks=_summarise_bottlenecks(parts["bneck"]),
        backlog=pd.DataFrame(backlog),
        stages=pd.concat(parts["stages"]).groupby(level=0).mean().fillna(0.0),
        days_to_close=pd.concat(parts["days"], ignore_index=True),
        caseload=_summarise_caseload(parts["load"], run),
        zhongben=interval_table(zhongben),
        why_late=summarise_why_late(parts["late"]),
        monthly=summarise_monthly(parts["month"]),
        warmup=WarmupCheck.of(pd.concat(mser, ignore_index=True), run.window[0]) if mser else None,
    )


def summarise_monthly(views: list[pd.DataFrame]) -> pd.DataFrame:
    """The replications' monthly views as one: each month's counts and rates, mean of replications.

    A rate with no clocks or cases in a replication's month (NaN) is left out of that month's
    mean; NaN stays where no replication has one.
    """
    if not views:
        return pd.DataFrame(columns=list(MONTHLY_VIEW_ZH))
    stacked = pd.concat(views, ignore_index=True)
    numeric = [c for c in stacked.columns if c not in ("month", "replication")]
    return stacked.groupby("month", sort=True)[numeric].mean().reset_index()


# ---------------------------------------------------------------- deadlines


def _summarise_slas(frames: list[pd.DataFrame], window: tuple[float, float]) -> pd.DataFrame:
    """Per deadline: the rule, clocks per year, on-time rate (mean, 95% CI over replications)."""
    every = pd.concat(frames, ignore_index=True)
    per_year = 365.0 / (window[1] - window[0])
    rates = summarise(
        every.rename(columns={"sla": "kpi", "on_time_rate": "value"}).assign(scenario="_")[
            ["scenario", "replication", "kpi", "value"]
        ]
    )
    rates = rates.set_index("kpi")[["n", "mean", "ci_low", "ci_high"]]
    first = every.drop_duplicates("sla").set_index("sla")[["zh", "en", "basis", "days", "source"]]
    means = every.groupby("sla")[["n_started", "n_ended", "mean_lateness_days", "open_past_due_share"]].mean()
    table = first.join(means).join(rates.rename(columns={"mean": "on_time_rate"}))
    table["started_per_year"] = table["n_started"] * per_year
    return table.reindex(first.index).reset_index()


# ---------------------------------------------------------------- why late

_WHY_KEYS = ["sla", "part", "detail"]
_WHY_DEADLINE = ["zh", "en", "n_clocks", "n_late", "late_share", "mean_lateness_days"]
_WHY_VALUES = ["explains_share", "main_share", "mean_days_late", "mean_days_on_time"]


def summarise_why_late(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """:func:`sim.metrics.why_late` over replications: the mean of every column, and the 95%
    t-interval of ``explains_share`` (``explains_low``, ``explains_high``, clipped to [0, 1]).

    A part or detail that a replication's late (on-time) clocks never spent time in
    counts as 0 there, so that a rare wait is not averaged over only the runs that had it.
    """
    if not frames:
        return pd.DataFrame(columns=[*_WHY_KEYS, "team", "role", *_WHY_DEADLINE, *_WHY_VALUES])
    every = pd.concat(frames, ignore_index=True)
    keys = every.drop_duplicates(_WHY_KEYS)[[*_WHY_KEYS, "team", "role"]]
    filled = []
    for rep, frame in every.groupby("replication", sort=True):
        deadline = frame.drop_duplicates("sla").set_index("sla")[_WHY_DEADLINE]
        full = keys.loc[keys["sla"].isin(deadline.index)].merge(frame[[*_WHY_KEYS, *_WHY_VALUES]], how="left")
        full = full.join(deadline, on="sla")
        part = full["part"] != "none"
        late, on_time = (full["n_late"] > 0) & part, (full["n_clocks"] > full["n_late"]) & part
        for column, has in (
            ("explains_share", late | (full["n_late"] > 0)),
            ("mean_days_late", late),
            ("mean_days_on_time", on_time),
        ):
            full[column] = full[column].where(full[column].notna() | ~has, 0.0)
        part_row = full["detail"] == ""
        full["main_share"] = full["main_share"].where(full["main_share"].notna() | ~(late & part_row), 0.0)
        filled.append(full.assign(replication=rep))
    table = pd.concat(filled, ignore_index=True)
    key = table["sla"] + "|" + table["part"] + "|" + table["detail"]
    ci = summarise(table.assign(scenario="_", kpi=key, value=table["explains_share"]))
    ci = ci.set_index("kpi")
    means = table.groupby(_WHY_KEYS, sort=False)[[*_WHY_DEADLINE[2:], *_WHY_VALUES]].mean().reset_index()
    names = table.drop_duplicates("sla").set_index("sla")[["zh", "en"]]
    out = keys.merge(means, on=_WHY_KEYS).join(names, on="sla")
    out_key = out["sla"] + "|" + out["part"] + "|" + out["detail"]
    out["explains_low"] = np.clip(out_key.map(ci["ci_low"]).to_numpy(float), 0.0, 1.0)
    out["explains_high"] = np.clip(out_key.map(ci["ci_high"]).to_numpy(float), 0.0, 1.0)
    out["reps"] = every["replication"].nunique()
    return out


# ---------------------------------------------------------------- bottlenecks


def _summarise_bottlenecks(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean over replications of each team × role's utilisation, waits and rank; re-ranked."""
    every = pd.concat(frames, ignore_index=True)
    every["wait_per_task_days"] = every["wait_days"] / every["tasks"].where(every["tasks"] > 0)
    table = every.groupby(["team", "role"], sort=False).agg(
        headcount=("headcount", "first"),
        utilisation=("utilisation", "mean"),
        tasks=("tasks", "mean"),
        wait_per_task_days=("wait_per_task_days", "mean"),
        late_wait_days=("late_wait_days", "mean"),
        late_tasks=("late_tasks", "mean"),
        mean_rank=("rank", "mean"),
    )
    table = table.loc[table["headcount"] > 0]
    table = table.sort_values(["mean_rank", "late_wait_days"], ascending=[True, False], kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    return table.reset_index()


# ---------------------------------------------------------------- cases


def _days_to_close(cases: pd.DataFrame) -> pd.DataFrame:
    closed = cases.loc[cases["counted"] & (cases["outcome"] != "")]
    return pd.DataFrame(
        {
            "track": closed["track"].astype(str).to_numpy(),
            "outcome": closed["outcome"].astype(str).to_numpy(),
            "case_type": closed["case_type"].astype(str).to_numpy(),
            "days": (closed["closed"] - closed["arrived"]).to_numpy(float),
        }
    )


def _handling_teams(scenario: Scenario) -> list[str]:
    org = scenario.organisation
    return sorted({org.team_for(Team.FAST_TRACK).value, org.team_for(Team.COMPLEX_TRACK).value})


def _caseload(cases: pd.DataFrame, run: ScenarioRun) -> pd.DataFrame:
    """Per handler: counted cases received (per year) and cases held open at the horizon."""
    warmup, horizon = run.window
    own = cases.loc[cases["team"].isin(_handling_teams(run.scenario)) & (cases["handler"] != "")]
    received = own.loc[own["counted"]].groupby("handler").size() * 365.0 / (horizon - warmup)
    held = own.loc[(own["arrived"] <= horizon) & ~(own["closed"] <= horizon)].groupby("handler").size()
    return pd.DataFrame({"received_per_year": received, "open_at_horizon": held}).fillna(0.0)


def _summarise_caseload(frames: list[pd.DataFrame], run: ScenarioRun) -> pd.DataFrame:
    staff = run.staff
    handlers = staff.loc[staff["team"].isin(_handling_teams(run.scenario)) & (staff["role"] == Role.OFFICER.value)]
    mean = pd.concat(frames).drop(columns="replication").groupby(level=0).sum() / max(len(frames), 1)
    table = handlers.set_index("name")[["team", "unit"]].join(mean, how="outer")
    table = table.fillna({"received_per_year": 0.0, "open_at_horizon": 0.0})
    table["team"] = table["team"].fillna(table.index.to_series().str.split("/").str[0])
    table["unit"] = table["unit"].fillna("")
    table = table.rename_axis("handler").reset_index()
    order = {name: i for i, name in enumerate(staff["name"])}  # the scenario's own order
    return table.sort_values("handler", key=lambda s: s.map(order).fillna(len(order)), kind="stable")


def _zhongben_numbers(cases: pd.DataFrame, slas: pd.DataFrame, run: ScenarioRun) -> dict[str, float]:
    """What the 3-month 终本 floor does to the 45-day rate, for one replication.

    ``fast45_*`` use the fast_close clock (45 days from receipt by the fast-track
    team, as the KPI does); ``early_zhongben_per_year`` counts 终本 closures
    within ``zhongben_floor_months`` of filing (unlawful under 终本规定 art. 1(4)).
    """
    counted = cases.loc[cases["counted"]]
    simple = counted.loc[(counted["track"] == Track.FAST.value) & counted["case_type"].isin(_ENFORCED)]
    clocks = slas.loc[(slas["sla"] == Deadline.FAST_CLOSE.value) & (slas["occurrence"] == 0)].drop_duplicates("case_id")
    clocks = clocks.set_index("case_id")
    end = simple["case_id"].map(clocks["end"]).to_numpy(float)
    within = ~np.isnan(end) & (end <= simple["case_id"].map(clocks["due"]).to_numpy(float))
    zb = (simple["outcome"] == Outcome.ZHONGBEN.value).to_numpy()
    n = max(len(simple), 1)
    zb_days = (simple["closed"] - simple["arrived"]).to_numpy(float)[zb]
    months = run.scenario.policy.zhongben_floor_months
    all_zb = counted.loc[counted["outcome"] == Outcome.ZHONGBEN.value]
    start = run.scenario.run.start_date
    limit = [(add_months(start + pd.Timedelta(days=int(a)), months) - start).days + 1 for a in all_zb["arrived"]]
    early = int((all_zb["closed"].to_numpy(float) < np.asarray(limit, dtype=float)).sum()) if limit else 0
    per_year = 365.0 / (run.window[1] - run.window[0])
    return {
        "simple_per_year": len(simple) * per_year,
        "fast45_rate": float(within.sum() / n),
        "zhongben_share": float(zb.sum() / n),
        "zhongben_within_share": float((within & zb).sum() / n),
        "fast45_rate_non_zhongben": float(within[~zb].sum() / max(int((~zb).sum()), 1)),
        "floor_ceiling": float(1.0 - zb.sum() / n),
        "zhongben_mean_days": float(zb_days.mean()) if zb_days.size else float("nan"),
        "early_zhongben_per_year": early * per_year,
    }
