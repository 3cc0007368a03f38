"""瓶颈: which team × role holds the cases up.

Two witnesses, ranked side by side: how busy each team × role is (utilisation
over the window), and how long tasks waited for them while a deadline clock of
the same case was running and ended late. A team that is busy *and* makes
deadlines late is where the next officers should go (DOMAIN.md §1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.metrics._common import explode_roles
from sim.metrics.utilisation import utilisation
from sim.workcalendar import WorkCalendar

__all__ = ["bottlenecks", "late_clock_spans"]

_KEYS = ["team", "role"]


def late_clock_spans(slas: pd.DataFrame) -> pd.DataFrame:
    """The union of each case's late deadline clocks, as disjoint ``[start, end]`` spans.

    A clock is late when it ended after its due (``end > due``). Overlapping
    late clocks of one case merge, so a wait inside two of them counts once.
    """
    late = slas.loc[slas["end"].notna() & (slas["end"] > slas["due"]), ["case_id", "start", "end"]]
    late = late.sort_values(["case_id", "start"], kind="stable")
    reach = late.groupby("case_id")["end"].cummax()
    previous = reach.groupby(late["case_id"]).shift(1)
    block = (previous.isna() | (late["start"] > previous)).cumsum()
    spans = late.groupby(block).agg(case_id=("case_id", "first"), start=("start", "min"), end=("end", "max"))
    return spans.reset_index(drop=True)


def bottlenecks(
    steps: pd.DataFrame,
    staff: pd.DataFrame,
    slas: pd.DataFrame,
    calendar: WorkCalendar,
    window: tuple[float, float],
) -> pd.DataFrame:
    """Rank team × role by utilisation and by queue waits inside late deadline clocks.

    Parameters
    ----------
    steps, staff, slas
        The run's tables.
    calendar
        The run's working calendar.
    window
        ``(start, end)`` in sim days: utilisation is measured over it and the
        waits of tasks queued in it are summed.

    Returns
    -------
    DataFrame
        One row per team × role: ``headcount, utilisation, tasks, wait_days``
        (Σ start − queued), ``late_wait_days`` (the part of those waits inside a
        late clock of the same case, see :func:`late_clock_spans`), ``late_tasks``,
        ``rank_utilisation``, ``rank_late_wait`` (1 = worst) and ``rank`` (by the
        sum of both ranks, ties by late wait); sorted by ``rank``. A task needing
        several roles charges its wait to each of them.
    """
    util = utilisation(steps, staff, calendar, window).set_index(_KEYS)
    waits = _waits(steps, slas, window)
    table = util[["headcount", "utilisation"]].join(waits, how="outer")
    table = table.fillna({"headcount": 0, "tasks": 0, "wait_days": 0.0, "late_wait_days": 0.0, "late_tasks": 0})
    table = table.astype({"headcount": int, "tasks": int, "late_tasks": int})
    table["rank_utilisation"] = table["utilisation"].rank(ascending=False, method="min", na_option="bottom")
    table["rank_late_wait"] = table["late_wait_days"].rank(ascending=False, method="min")
    table = table.assign(_score=table["rank_utilisation"] + table["rank_late_wait"])
    table = table.sort_values(["_score", "late_wait_days"], ascending=[True, False], kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    table = table.drop(columns="_score").astype({"rank_utilisation": int, "rank_late_wait": int})
    return table.reset_index()


def _waits(steps: pd.DataFrame, slas: pd.DataFrame, window: tuple[float, float]) -> pd.DataFrame:
    """Per team × role: tasks queued in ``window``, their waits, the waits inside late clocks."""
    start, end = window
    tasks = steps.loc[(steps["kind"] == "task") & (steps["queued"] >= start) & (steps["queued"] < end)]
    tasks = tasks.reset_index(drop=True).rename_axis("task").reset_index()
    spans = late_clock_spans(slas)
    pairs = tasks[["task", "case_id", "queued", "start"]].merge(spans, on="case_id", suffixes=("", "_late"))
    overlap = pairs[["start", "end"]].min(axis=1) - pairs[["queued", "start_late"]].max(axis=1)
    late = overlap.clip(lower=0.0).groupby(pairs["task"]).sum()
    tasks = tasks.assign(
        wait_days=tasks["start"] - tasks["queued"],
        late_wait_days=tasks["task"].map(late).fillna(0.0),
    )
    rows = explode_roles(tasks)
    if rows.empty:
        return pd.DataFrame(
            columns=["tasks", "wait_days", "late_wait_days", "late_tasks"],
            index=pd.MultiIndex.from_tuples([], names=_KEYS),
        )
    return rows.groupby(_KEYS).agg(
        tasks=("task", "size"),
        wait_days=("wait_days", "sum"),
        late_wait_days=("late_wait_days", "sum"),
        late_tasks=("late_wait_days", lambda s: int((s > 0).sum())),
    )
