"""Shared arithmetic of the metrics: working-hour clocks, interval integrals, staff rows.

Like a court statistician's ruler and abacus: nothing here knows a KPI, it only
measures time (calendar days and working hours) and counts what lies inside it.
All functions are vectorised numpy/pandas; nothing imports SimPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sim.workcalendar import WorkCalendar

__all__ = [
    "WorkClock",
    "bin_starts",
    "explode_roles",
    "explode_staff",
    "overlap_integral",
    "safe_ratio",
]


def safe_ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is zero or NaN (a rate of nothing)."""
    if not denominator or math.isnan(denominator):
        return math.nan
    return float(numerator) / float(denominator)


class WorkClock:
    """W(t): working hours from the start of a span of days to time ``t``, vectorised.

    Like the hour counter on a time clock that only runs in office hours: the
    difference ``W(t1) - W(t0)`` equals ``calendar.working_hours_between(t0, t1)``
    for any times inside the span; times outside it are clipped to its ends.

    Parameters
    ----------
    calendar
        The run's working calendar (official days, window, hours per day).
    lo_days, hi_days
        The span of simulation time (days) the clock must cover.
    """

    def __init__(self, calendar: WorkCalendar, lo_days: float, hi_days: float) -> None:
        lo = math.floor(min(lo_days, hi_days)) if math.isfinite(lo_days) else 0
        hi = math.floor(max(lo_days, hi_days)) + 1 if math.isfinite(hi_days) else lo + 1
        first = calendar.start_date + timedelta(days=lo)
        flags = [calendar.is_working_day(first + timedelta(days=k)) for k in range(hi - lo + 1)]
        self._lo, self._hi = lo, hi
        self._flags = np.asarray(flags, dtype=bool)
        self._cum = np.concatenate([[0.0], np.cumsum(self._flags, dtype=float)])
        self._hours = calendar.hours_per_day
        self._open = calendar.day_start_hour

    def __call__(self, t: np.ndarray | float) -> np.ndarray:
        """Working hours from the span's start to each time in ``t`` (days); NaN stays NaN."""
        times = np.clip(np.asarray(t, dtype=float), self._lo, self._hi)
        nan = np.isnan(times)
        times = np.where(nan, self._lo, times)
        day = np.floor(times).astype(np.int64)
        index = day - self._lo
        within = np.clip((times - day) * 24.0 - self._open, 0.0, self._hours) * self._flags[index]
        result = self._hours * self._cum[index] + within
        return np.where(nan, np.nan, result)


def overlap_integral(a: np.ndarray, b: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Σ_i w_i · |[a_i, b_i] ∩ (-∞, x]| for every point of ``x``.

    The cumulative weighted length of intervals up to ``x``: the difference of two
    values is the weighted time the intervals spend between two points (busy
    hours between two dates, task-days waited in a day). Intervals need
    ``a_i <= b_i``; rows with a NaN are ignored.
    """
    a, b, w = (np.asarray(v, dtype=float) for v in (a, b, w))
    x = np.asarray(x, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b) | np.isnan(w))
    return np.asarray(_ramp(a[ok], w[ok], x) - _ramp(b[ok], w[ok], x), dtype=float)


def _ramp(points: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Σ_{p_i < x} w_i (x - p_i), via a sort and prefix sums (O((n + m) log n))."""
    order = np.argsort(points, kind="stable")
    p, wp = points[order], w[order]
    cum_w = np.concatenate([[0.0], np.cumsum(wp)])
    cum_wp = np.concatenate([[0.0], np.cumsum(wp * p)])
    n = np.searchsorted(p, x, side="left")
    return np.asarray(x * cum_w[n] - cum_wp[n], dtype=float)


def bin_starts(end: float, freq_days: float, start: float = 0.0) -> np.ndarray:
    """Starts of the bins ``[s, s + freq)`` covering ``[start, end)`` (days)."""
    if not freq_days > 0:
        raise ValueError(f"freq_days must be > 0, got {freq_days!r}")
    if not end > start:
        return np.empty(0)
    return start + freq_days * np.arange(math.ceil((end - start) / freq_days - 1e-9))


def _role_of_name(name: str) -> tuple[str, str]:
    """(team, role) read from a log name such as ``complex_track/执行二团队/officer/3``."""
    parts = name.split("/")
    return (parts[0], parts[-2]) if len(parts) >= 3 else ("", "")


_STR = pd.StringDtype(na_value=np.nan)
"""pandas' ``str`` dtype, what a column of names split from the log is inferred as."""


def _arrow_text(column: pd.Series) -> pa.Array:
    """A column of text as an Arrow ``large_string`` array (what pandas' ``str`` holds; an empty
    or object column too, so that every array of one lookup has the same type)."""
    return pa.array(column, type=pa.large_string())


TASK_COLUMNS = ("case_id", "step", "queued", "start", "end", "effort_hours")
"""The step-log columns :func:`explode_staff` repeats on each person's row, unless told fewer."""


def explode_staff(steps: pd.DataFrame, staff: pd.DataFrame, columns: Sequence[str] = TASK_COLUMNS) -> pd.DataFrame:
    """One row per (task, person): each person is held for the task's whole effort.

    Returns the task's ``columns`` (by default ``case_id, step, queued, start, end,
    effort_hours``), then ``name, team, role``: a caller that needs three of them asks
    for three, and a baseline year's quarter-million person rows do not carry the
    task's text along. The person's team and role come from ``staff`` (their own
    team: a handling-team officer may work at another team's desk); names not in
    ``staff`` are read from the log name ``team/[unit/]role/n``.

    The names are split, flattened and looked up by Arrow's compute kernels and the task
    rows repeated by position (``iloc``): the rows, order and dtypes that ``str.split`` +
    ``explode`` + ``join`` gave, in an eighth of the time (``explode`` made a Python list
    per task; bench/RESULTS.md "issue 15, round 7").
    """
    is_task = (steps["kind"] == "task").to_numpy(dtype=bool)
    cols = list(columns)
    lists = pc.split_pattern(_arrow_text(steps["staff"]).filter(pa.array(is_task)), "+")
    names, parents = pc.list_flatten(lists), pc.list_parent_indices(lists)  # a null staff: no row
    keep = pc.fill_null(pc.not_equal(names, ""), False)
    names, parents = names.filter(keep), parents.filter(keep)
    lookup = staff.drop_duplicates("name")
    at = pc.index_in(names, value_set=_arrow_text(lookup["name"]))  # null: a name not in ``staff``
    people = pa.table(
        {
            "name": names,
            "team": pc.take(_arrow_text(lookup["team"]), at),
            "role": pc.take(_arrow_text(lookup["role"]), at),
        }
    ).to_pandas(types_mapper=lambda t: _STR if pa.types.is_string(t) or pa.types.is_large_string(t) else None)
    found: pd.DataFrame = steps[cols].iloc[np.flatnonzero(is_task)[parents.to_numpy()]].reset_index(drop=True)
    found["name"] = people["name"]
    for column in ("team", "role"):  # the staff table's dtypes, as a join on it gave
        found[column] = people[column].astype(staff[column].dtype)
    missing = found["role"].isna()
    if missing.any():
        parsed = [_role_of_name(str(n)) for n in found.loc[missing, "name"]]
        found.loc[missing, "team"] = [p[0] for p in parsed]
        found.loc[missing, "role"] = [p[1] for p in parsed]
    return found


def explode_roles(steps: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, distinct role it needed) with the desk's team.

    A task waiting for an officer and a clerk at once counts as waiting in both
    team×role queues: the log does not say which of them was the one missing.
    """
    tasks = steps.loc[steps["kind"] == "task"]
    roles = [sorted(set(r.split("+"))) if r else [] for r in tasks["roles"].tolist()]
    rows = tasks.assign(role=pd.Series(roles, index=tasks.index, dtype=object)).explode("role")
    rows = rows.loc[rows["role"].notna() & (rows["role"] != "")]
    return rows.reset_index(drop=True)
