"""Over time: open cases, where they sit, queues, and the monthly report (月度通报).

Like the wall charts in a 执行局 office: how many cases are open each day and in
which team, how many tasks wait for each team's officers and clerks, and the
month-by-month table a court circulates (收案, 结案, 结案方式, 简案45日内结案率,
执行到位率). Times are sim days; series are indexed by ``day``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.config.schema import DeadlineSpec
from sim.metrics._common import bin_starts, explode_roles, overlap_integral, safe_ratio
from sim.metrics.sla import due_times
from sim.metrics.utilisation import utilisation_series
from sim.vocab import OUTCOME_ZH, CaseType, Milestone, Outcome, Track
from sim.workcalendar import WorkCalendar

__all__ = ["MONTHLY_ZH", "SERIES", "backlog_series", "monthly_table", "queue_series", "stage_series", "tidy_series"]


def _points(end: float, freq_days: float) -> np.ndarray:
    """Snapshot times 0, f, 2f, … up to and including ``end`` (days)."""
    if not freq_days > 0:
        raise ValueError(f"freq_days must be > 0, got {freq_days!r}")
    if not end >= 0:
        return np.empty(0)
    return freq_days * np.arange(math.floor(end / freq_days + 1e-9) + 1)


def _open_count(start: np.ndarray, stop: np.ndarray, x: np.ndarray) -> np.ndarray:
    """How many intervals ``[start, stop)`` contain each point of ``x`` (NaN stop = still open)."""
    starts = np.sort(start[~np.isnan(start)])
    stops = np.sort(stop[~np.isnan(stop) & ~np.isnan(start)])
    return np.searchsorted(starts, x, side="right") - np.searchsorted(stops, x, side="right")


def backlog_series(
    cases: pd.DataFrame, end: float, freq_days: float = 1.0, by: str | None = None
) -> pd.Series | pd.DataFrame:
    """未结案件: open cases (``arrived <= t < closed``) at t = 0, f, 2f, … ≤ ``end``.

    With ``by`` (a case-table column such as ``track`` or ``case_type``) one column
    per value; only the case's final value is known, so use :func:`stage_series`
    for where a case sat over time. All cases count, not only the counted ones:
    the backlog is the court's state.
    """
    x = _points(end, freq_days)
    index = pd.Index(x, name="day")
    if by is None:
        counts = _open_count(cases["arrived"].to_numpy(float), cases["closed"].to_numpy(float), x)
        return pd.Series(counts, index=index, name="open_cases")
    columns = {
        value: _open_count(group["arrived"].to_numpy(float), group["closed"].to_numpy(float), x)
        for value, group in cases.groupby(by, sort=True)
    }
    return pd.DataFrame(columns, index=index)


def stage_series(steps: pd.DataFrame, cases: pd.DataFrame, end: float, freq_days: float = 1.0) -> pd.DataFrame:
    """Open cases by the team holding them at t = 0, f, 2f, … ≤ ``end``.

    A case is held by the team of its latest ``received`` mark until its next
    ``received`` mark or its closing. The model marks the hand-over to the asset
    disposal team but not the return of the proceeds to the handling team, so a
    case after disposal still shows under ``asset_disposal``.
    """
    marks = steps.loc[(steps["kind"] == "mark") & (steps["step"] == Milestone.RECEIVED.value) & (steps["case_id"] >= 0)]
    marks = marks.sort_values(["case_id", "start"], kind="stable")
    nxt = marks.groupby("case_id")["start"].shift(-1).to_numpy(float)
    closed = marks["case_id"].map(cases.set_index("case_id")["closed"]).to_numpy(float)
    stop = np.fmin(nxt, closed)  # fmin: NaN only when both are NaN (still open)
    x = _points(end, freq_days)
    frame = marks.assign(stop=stop)
    columns = {
        team: _open_count(group["start"].to_numpy(float), group["stop"].to_numpy(float), x)
        for team, group in frame.groupby("team", sort=True)
    }
    return pd.DataFrame(columns, index=pd.Index(x, name="day"))


def queue_series(steps: pd.DataFrame, freq_days: float = 1.0, end: float | None = None) -> pd.DataFrame:
    """Tasks waiting for staff (``queued <= t < start``) per team × role, mean over each bin.

    Returns a DataFrame indexed by the bin start ``day`` with columns (team, role):
    the time-average number of tasks waiting during ``[day, day + freq_days)``. A
    task that needs several roles waits in each of their queues. Tasks still
    waiting when the log ends are not in the log, so the last days undercount.
    """
    rows = explode_roles(steps)
    if end is None:
        end = float(rows["start"].max()) if len(rows) else 0.0
    starts = bin_starts(end, freq_days)
    edges = np.append(starts, end)
    widths = np.diff(edges)
    columns = {}
    for key, group in rows.groupby(["team", "role"], sort=True):
        q, s = group["queued"].to_numpy(float), group["start"].to_numpy(float)
        columns[key] = np.diff(overlap_integral(q, np.maximum(q, s), np.ones(q.size), edges)) / widths
    frame = pd.DataFrame(columns, index=pd.Index(starts, name="day"))
    if columns:
        frame.columns = pd.MultiIndex.from_tuples(list(columns), names=["team", "role"])
    return frame


# ---------------------------------------------------------------- 月度通报

MONTHLY_ZH: Mapping[str, str] = {
    "month": "月份",
    "received": "收案数",
    "closed": "结案数",
    **{f"closed_{o.value}": f"结案·{OUTCOME_ZH[o]}" for o in Outcome},
    "closed_rate": "结收比",
    "fast_closed": "简案结案数",
    "fast45_closed": "简案45日内结案数",
    "fast45_rate": "简案45日内结案率",
    "claim_closed_cny": "已结案件申请标的额（元）",
    "recovered_cny": "执行到位金额（元）",
    "recovery_rate": "执行到位率",
}
"""Chinese column labels of :func:`monthly_table` (``table.rename(columns=MONTHLY_ZH)``)."""

_ENFORCED = (CaseType.FIRST.value, CaseType.RESUMED.value)


def _month_of(times: np.ndarray, calendar: WorkCalendar) -> np.ndarray:
    """'YYYY-MM' of each sim time (days); '' for NaN."""
    times = np.asarray(times, dtype=float)
    known = ~np.isnan(times)
    days = np.datetime64(calendar.start_date, "D") + np.floor(times[known]).astype("timedelta64[D]")
    months = np.full(times.shape, "", dtype=object)
    months[known] = days.astype("datetime64[M]").astype(str)
    return months


def monthly_table(
    cases: pd.DataFrame, steps: pd.DataFrame, calendar: WorkCalendar, fast_days: int = 45
) -> pd.DataFrame:
    """The monthly report: one row per calendar month with filings or closings.

    Columns (Chinese labels in :data:`MONTHLY_ZH`): ``received``, ``closed``,
    ``closed_<outcome>`` per outcome, ``closed_rate`` (结收比: closed ÷ received in
    the month), ``fast_closed`` and ``fast45_rate`` (simple 首执+执恢 cases closed in
    the month within ``fast_days`` days of receipt by their team, CPL art. 85
    counting ÷ simple cases closed in the month), ``claim_closed_cny``,
    ``recovered_cny`` and ``recovery_rate`` (执行到位率 of the 首执+执恢 money
    cases closed in the month). All cases count, warm-up included, as in a
    court's own report. Sources: domain-facts §5, §3.8.
    """
    arrived = _month_of(cases["arrived"].to_numpy(float), calendar)
    closed_m = _month_of(cases["closed"].to_numpy(float), calendar)
    months = sorted({*arrived, *closed_m} - {""})
    table = pd.DataFrame(index=pd.Index(months, name="month"))
    table["received"] = pd.Series(arrived).value_counts().reindex(months, fill_value=0).to_numpy()
    table["closed"] = pd.Series(closed_m).value_counts().reindex(months, fill_value=0).to_numpy()
    for outcome in Outcome:
        own = closed_m[(cases["outcome"] == outcome.value).to_numpy()]
        table[f"closed_{outcome.value}"] = pd.Series(own).value_counts().reindex(months, fill_value=0).to_numpy()
    table["closed_rate"] = [safe_ratio(c, r) for c, r in zip(table["closed"], table["received"], strict=True)]
    table = table.join(_fast_monthly(cases, steps, calendar, closed_m, fast_days))
    table = table.join(_money_monthly(cases, closed_m))
    fill = {"fast_closed": 0, "fast45_closed": 0, "claim_closed_cny": 0.0, "recovered_cny": 0.0}
    return table.fillna(fill).reset_index()


def _fast_monthly(
    cases: pd.DataFrame,
    steps: pd.DataFrame,
    calendar: WorkCalendar,
    closed_m: np.ndarray,
    fast_days: int,
) -> pd.DataFrame:
    """Simple cases closed per month and the share closed within ``fast_days`` of receipt."""
    simple = (
        (cases["track"] == Track.FAST.value) & cases["case_type"].isin(_ENFORCED) & (cases["outcome"] != "")
    ).to_numpy()
    own = cases.loc[simple, ["case_id", "team", "closed"]].assign(month=closed_m[simple])
    received = (steps["kind"] == "mark") & (steps["step"] == Milestone.RECEIVED.value)
    marks = steps.loc[received, ["case_id", "team", "start"]]
    receipt = own.merge(marks, on=["case_id", "team"], how="left").groupby("case_id", sort=False)["start"].min()
    own = own.assign(receipt=own["case_id"].map(receipt).to_numpy(float))
    due = due_times(own["receipt"], DeadlineSpec(days=fast_days, basis="days"), calendar)
    own = own.assign(within=(own["closed"].to_numpy(float) <= due))
    grouped = own.groupby("month").agg(fast_closed=("within", "size"), fast45_closed=("within", "sum"))
    grouped["fast45_rate"] = grouped["fast45_closed"] / grouped["fast_closed"]
    return grouped


def _money_monthly(cases: pd.DataFrame, closed_m: np.ndarray) -> pd.DataFrame:
    """Claimed and recovered yuan of the 首执+执恢 money cases closed per month."""
    money = (cases["case_type"].isin(_ENFORCED) & (cases["claim_cny"] > 0) & (cases["outcome"] != "")).to_numpy()
    own = cases.loc[money, ["claim_cny", "recovered_cny"]].assign(month=closed_m[money])
    grouped = own.groupby("month").agg(claim_closed_cny=("claim_cny", "sum"), recovered_cny=("recovered_cny", "sum"))
    grouped["recovery_rate"] = grouped["recovered_cny"] / grouped["claim_closed_cny"]
    return grouped


SERIES = ("backlog", "stage", "queue", "utilisation")
"""The series :func:`tidy_series` can give, in its order."""


def tidy_series(
    result: Any,
    calendar: WorkCalendar,
    freq_days: float = 7.0,
    series: tuple[str, ...] = SERIES,
) -> pd.DataFrame:
    """One run's time series as one long table: ``time, date, series, item, value``.

    - ``backlog``: open cases at each time (``item`` empty);
    - ``stage``: open cases held by each team (``item`` the team), :func:`stage_series`;
    - ``queue``: tasks waiting for staff, mean over ``[time, time + freq_days)``
      (``item`` ``team/role``), :func:`queue_series`;
    - ``utilisation``: busy share of working time over the same bins (``item``
      ``team/role``; NaN in bins without working hours), :func:`utilisation_series`.

    ``time`` is in sim days (a snapshot's time, or a bin's start), ``date`` the calendar
    date of that day. The run's whole log is covered, warm-up and cool-down included.
    """
    unknown = [s for s in series if s not in SERIES]
    if unknown:
        raise ValueError(f"unknown series {unknown} (expected some of: {', '.join(SERIES)})")
    end = float(result.meta.get("end_days", float(result.cases["closed"].max() if len(result.cases) else 0.0)))
    parts = []

    def wide(frame: pd.DataFrame, name: str) -> pd.DataFrame:
        if frame.empty:
            return pd.DataFrame(columns=["time", "series", "item", "value"])
        if isinstance(frame.columns, pd.MultiIndex):
            frame = frame.set_axis(["/".join(map(str, c)) for c in frame.columns], axis=1)
        long = frame.rename_axis("time").reset_index().melt(id_vars="time", var_name="item", value_name="value")
        return long.assign(series=name)

    for name in series:
        if name == "backlog":
            counts = backlog_series(result.cases, end, freq_days)
            parts.append(pd.DataFrame({"time": counts.index, "series": name, "item": "", "value": counts.to_numpy()}))
        elif name == "stage":
            parts.append(wide(stage_series(result.steps, result.cases, end, freq_days), name))
        elif name == "queue":
            parts.append(wide(queue_series(result.steps, freq_days, end), name))
        else:
            parts.append(wide(utilisation_series(result.steps, result.staff, calendar, end, freq_days), name))
    table = pd.concat(parts, ignore_index=True)
    table["time"] = table["time"].astype(float)
    table["value"] = table["value"].astype(float)
    dates = {t: calendar.date_of(t) for t in table["time"].unique()}
    table["date"] = pd.to_datetime(table["time"].map(dates))
    return table[["time", "date", "series", "item", "value"]]
