"""利用率: how much of the staff's working time went into work, per team × role.

Like a time sheet: each person's hours of effort on tasks (``steps`` with kind
``task``) divided by the working hours they were available (head-count × working
hours of the official calendar). Effort is not elapsed time (DOMAIN.md §4): a
task holds its people for ``effort_hours`` of working time between its start and
end, so a task crossing a window edge is split pro rata by the working hours on
each side.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import cast

import numpy as np
import pandas as pd

from sim.metrics._common import WorkClock, bin_starts, explode_staff, overlap_integral
from sim.workcalendar import WorkCalendar

__all__ = ["utilisation", "utilisation_series"]

_KEYS = ["team", "role"]
_TIMES = ("start", "end", "effort_hours")  # the step-log columns a person's busy hours need


def utilisation(
    steps: pd.DataFrame, staff: pd.DataFrame, calendar: WorkCalendar, window: tuple[float, float]
) -> pd.DataFrame:
    """Busy share of working time per team × role over ``window`` (days, [start, end)).

    Returns
    -------
    DataFrame
        ``team, role, headcount, busy_hours, available_hours, utilisation``: busy
        hours are the part of each task's ``effort_hours`` inside the window (split
        by working hours), available hours are head-count × working hours in the
        window (a person with ``joined``/``left`` columns counts only while
        employed). Utilisation is NaN when nobody was available. Source:
        DOMAIN.md §6 (利用率: busy share of working time per team × role).
    """
    busy, available = _busy_available(steps, staff, calendar, np.asarray(window, dtype=float))
    frame = pd.DataFrame({"busy_hours": busy.sum(), "available_hours": available.sum()})
    frame["headcount"] = staff.groupby(_KEYS).size().reindex(frame.index, fill_value=0).astype(int)
    frame["utilisation"] = frame["busy_hours"] / frame["available_hours"].where(frame["available_hours"] > 0)
    columns = ["team", "role", "headcount", "busy_hours", "available_hours", "utilisation"]
    return frame.reset_index()[columns] if len(frame) else pd.DataFrame(columns=columns)


def utilisation_series(
    steps: pd.DataFrame,
    staff: pd.DataFrame,
    calendar: WorkCalendar,
    end: float,
    freq_days: float = 1.0,
    start: float = 0.0,
) -> pd.DataFrame:
    """Busy share of working time per team × role in each bin ``[d, d + freq_days)``.

    Returns a DataFrame indexed by the bin start ``day`` (sim days) with columns
    (team, role); bins without working hours (weekends, holidays) are NaN. The
    last bin ends at ``end``.
    """
    starts = bin_starts(end, freq_days, start)
    edges = np.append(starts, end) if starts.size else np.array([start])
    busy, available = _busy_available(steps, staff, calendar, edges)
    share = busy / available.where(available > 0)
    share.index = pd.Index(starts, name="day")
    return share


def _busy_available(
    steps: pd.DataFrame, staff: pd.DataFrame, calendar: WorkCalendar, edges: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Busy and available working hours in each bin between consecutive ``edges`` (days).

    Both frames have one row per bin and the same (team, role) columns: every
    team × role of ``staff`` or of the people in the log.
    """
    rows = explode_staff(steps, staff, columns=_TIMES)
    start, end, effort = (rows[column].to_numpy(float) for column in _TIMES)
    times = np.concatenate([edges, start, end])
    times = times[np.isfinite(times)]
    clock = WorkClock(calendar, float(times.min()), float(times.max()))
    at = clock(edges)
    # Each team × role's rows by position (in log order), not as a copied sub-frame per group.
    groups = rows.groupby(_KEYS).indices
    busy = {_key(k): np.diff(_cumulative_busy(start[i], end[i], effort[i], clock, at)) for k, i in groups.items()}
    avail = {_key(k): np.diff(_cumulative_available(g, clock, edges, at)) for k, g in staff.groupby(_KEYS)}
    keys = sorted(set(busy) | set(avail))
    columns = pd.MultiIndex.from_tuples(keys, names=_KEYS)
    zeros = np.zeros(max(edges.size - 1, 0))

    def frame(table: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
        data = np.column_stack([table.get(k, zeros) for k in keys]) if keys else np.empty((zeros.size, 0))
        return pd.DataFrame(data, columns=columns)

    return frame(busy), frame(avail)


def _key(key: Hashable) -> tuple[str, str]:
    """A (team, role) group key (a pair, as pandas' groupby gives it) as two strings."""
    pair = cast("tuple[object, object]", key)
    return str(pair[0]), str(pair[1])


def _cumulative_busy(
    start: np.ndarray, end: np.ndarray, effort: np.ndarray, clock: WorkClock, at: np.ndarray
) -> np.ndarray:
    """Effort hours done up to each edge (W-coordinates ``at``), split by working hours."""
    a = clock(start)
    b = clock(end)
    span = b - a
    spread = span > 0
    rate = np.where(spread, effort / np.where(spread, span, 1.0), 0.0)
    done = overlap_integral(a[spread], b[spread], rate[spread], at)
    # A task with effort but no working time between start and end (a hand-built
    # row): its effort counts at its start.
    point = ~spread
    done += np.array([effort[point][a[point] < x].sum() for x in at]) if point.any() else 0.0
    return done


def _cumulative_available(people: pd.DataFrame, clock: WorkClock, edges: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Person-hours available up to each edge; ``joined``/``left`` (days) limit a person."""
    n = len(people)
    joined = people["joined"].to_numpy(float) if "joined" in people else np.full(n, -math.inf)
    left = people["left"].to_numpy(float) if "left" in people else np.full(n, math.inf)
    joined = np.where(np.isnan(joined), -math.inf, joined)
    left = np.where(np.isnan(left), math.inf, left)
    lo, hi = float(edges.min()), float(edges.max())
    a = clock(np.clip(joined, lo, hi))
    b = clock(np.clip(left, lo, hi))
    return overlap_integral(a, np.maximum(a, b), np.ones(n), at)
