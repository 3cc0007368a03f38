"""每月通报: the monthly view of the counted window the plan's 三统一 team circulates.

Like the sheet the "三统一"管理团队 sends round each month (方案 三(一)7: 每月通报): for each
calendar month of the counting window [warm-up, horizon), how many cases were filed and
closed, the 45-day rate of the simple cases filed that month, the cases still open at the
month's end, and each team's on-time rate over the deadline clocks that ended that month.
One row per month, from a run's case table and deadline clocks alone.

The two edge months are usually cut by the window: ``days`` says how many of their days
it covers, so a short first or last month is not read as a slump.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from sim.config.schema import Scenario
from sim.metrics._common import safe_ratio
from sim.vocab import DEADLINE_FUNCTION, HANDLING, CaseType, Deadline, Team, Track

__all__ = ["MONTHLY_VIEW_ZH", "month_bounds", "monthly_view", "team_of_clocks"]

_ENFORCED = (CaseType.FIRST.value, CaseType.RESUMED.value)

MONTHLY_VIEW_ZH: Mapping[str, str] = {
    "month": "月份",
    "days": "统计天数",
    "filed": "收案数",
    "closed": "结案数",
    "fast_filed": "当月收案简案数",
    "fast45_within": "其中45日内结案",
    "fast45_rate": "简案45日内结案率（按收案月）",
    "open_end": "月末未结案件数",
}
"""Chinese labels of the fixed columns of :func:`monthly_view` (team columns: ``on_time_<team>``)."""


def month_bounds(start_date: date, start: float, end: float) -> list[tuple[str, float, float]]:
    """``(YYYY-MM, from, to)`` of each calendar month that meets ``[start, end)`` (sim days), cut to it."""
    if not end > start:
        return []
    first = start_date + timedelta(days=int(np.floor(start)))
    month = date(first.year, first.month, 1)
    out = []
    while True:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        lo, hi = float((month - start_date).days), float((following - start_date).days)
        if lo >= end:
            break
        out.append((f"{month:%Y-%m}", max(lo, start), min(hi, end)))
        month = following
    return out


def team_of_clocks(slas: pd.DataFrame, cases: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """The staffed team answering for each clock (:data:`sim.vocab.DEADLINE_FUNCTION`): a fixed
    function's team as ``organisation.performed_by`` staffs it, or the case's handling team."""
    handling = slas["case_id"].map(cases.set_index("case_id")["team"])
    fixed = {d.value: scenario.organisation.team_for(f).value for d, f in DEADLINE_FUNCTION.items() if f != HANDLING}
    own = slas["sla"].map(fixed)
    return own.fillna(handling).astype(str)


def monthly_view(cases: pd.DataFrame, slas: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """每月通报: one row per calendar month of the counting window ``[warmup_days, horizon_days)``.

    Columns (Chinese labels in :data:`MONTHLY_VIEW_ZH`):

    - ``month`` ('YYYY-MM') and ``days``, the days of the month inside the window;
    - ``filed``: cases filed in the month (every case type);
    - ``closed``: cases closed in the month, whenever they were filed (warm-up ones too: the
      court's closures that month);
    - ``fast_filed``, ``fast45_within``, ``fast45_rate``: the simple cases (fast track, 首执 +
      执恢) filed in the month, those whose 45-day clock (``fast_close``) ended by its due, and
      the share: the headline ``fast45_rate`` split by month of filing (the months' counts add
      up to the KPI's). A case filed late in the window may not have closed when the run ends:
      it counts as not within, as in the KPI;
    - ``open_end``: cases open at the month's end (filed, not closed; the window's end for the
      last month), warm-up cases included: the court's backlog;
    - ``on_time_<team>``: of the deadline clocks that ended in the month and that ``team``
      answers for (:func:`team_of_clocks`), the share that ended by their due (NaN if none
      ended); ``clocks_<team>`` their number. The 6-month limit is left out: its due moves
      with the excluded periods and it is reported as ``within_limit_rate``.
    """
    run = scenario.run
    start_date = run.start_date
    months = month_bounds(start_date, run.warmup_days, run.horizon_days)
    arrived = cases["arrived"].to_numpy(float)
    closed = cases["closed"].to_numpy(float)
    simple = ((cases["track"] == Track.FAST.value) & cases["case_type"].isin(_ENFORCED)).to_numpy()
    fast = slas.loc[(slas["sla"] == Deadline.FAST_CLOSE.value) & (slas["occurrence"] == 0)]
    fast = fast.drop_duplicates("case_id").set_index("case_id")
    due = cases["case_id"].map(fast["due"]).to_numpy(float)
    end = cases["case_id"].map(fast["end"]).to_numpy(float)
    within = ~np.isnan(end) & (end <= due)
    clocks = slas.loc[slas["sla"] != Deadline.EXECUTION_LIMIT.value]
    clock_team = team_of_clocks(clocks, cases, scenario).to_numpy()
    clock_end = clocks["end"].to_numpy(float)
    clock_on_time = clock_end <= clocks["due"].to_numpy(float)
    teams = [t.value for t in Team if t.value in set(clock_team)]
    rows = []
    for label, lo, hi in months:
        filed = (arrived >= lo) & (arrived < hi)
        fast_filed = filed & simple
        row: dict[str, object] = {
            "month": label,
            "days": hi - lo,
            "filed": int(filed.sum()),
            "closed": int(((closed >= lo) & (closed < hi)).sum()),
            "fast_filed": int(fast_filed.sum()),
            "fast45_within": int((fast_filed & within).sum()),
            "fast45_rate": safe_ratio(float((fast_filed & within).sum()), float(fast_filed.sum())),
            "open_end": int(((arrived <= hi) & ~(closed <= hi)).sum()),
        }
        ended = (clock_end >= lo) & (clock_end < hi)
        for team in teams:
            mine = ended & (clock_team == team)
            row[f"clocks_{team}"] = int(mine.sum())
            row[f"on_time_{team}"] = safe_ratio(float((mine & clock_on_time).sum()), float(mine.sum()))
        rows.append(row)
    return pd.DataFrame(rows, columns=[*MONTHLY_VIEW_ZH, *(f"{p}_{t}" for t in teams for p in ("clocks", "on_time"))])
