"""各节点按期完成率: how often each deadline of the plan and the statutes was met.

Like the registry clerk's overdue list: every deadline clock the model started
(``slas`` table) is checked against its due time. Due times follow the Civil
Procedure Law's day counting (art. 85: the start day is not counted, a last day
that is a rest day rolls to the next working day), by the one rule the model's
clocks use too (:meth:`WorkCalendar.due_time <sim.workcalendar.WorkCalendar.due_time>`):
recomputing a due time from a clock's start checks that the model logged the
right deadline at the right time, and gives the 6-month limit of a case whose
clock was not logged.

The 6-month limit (执行期限, 审限规定 art. 5) is measured from filing with the
excluded periods subtracted (art. 9: appraisal, auction, sell-off, the public
notice, a stay, the time a settlement runs; domain-facts §2.8), using the case
table's ``excluded_days``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.config.schema import DeadlineSpec, Scenario
from sim.metrics._common import safe_ratio
from sim.vocab import DEADLINE_NAMES, DEADLINE_STARTS, RECEIPT_DEADLINES, RECEIPT_STARTS, Deadline
from sim.workcalendar import WorkCalendar

__all__ = ["SLA_NAMES", "case_deadlines", "due_times", "limit_clocks", "recompute_due", "sla_compliance"]

SLA_NAMES: Mapping[Deadline, tuple[str, str]] = DEADLINE_NAMES
"""Chinese and English names of the deadlines (:data:`sim.vocab.DEADLINE_NAMES`, kept under this name)."""


def recompute_due(start: float, spec: DeadlineSpec, calendar: WorkCalendar) -> float:
    """The due time (days) of a deadline clock started at ``start``: midnight ending its last day.

    CPL art. 85 by :meth:`WorkCalendar.due_time` for each basis: calendar days and
    working days, and months (the same day ``spec.days`` months later, the month's
    last day if it has none, a rest day rolled forward), as the model's clocks do.
    """
    return calendar.due_time(start, spec.days, spec.basis)


def due_times(starts: np.ndarray | pd.Series, spec: DeadlineSpec, calendar: WorkCalendar) -> np.ndarray:
    """:func:`recompute_due` for many start times (days); NaN starts give NaN.

    A due time depends only on the start's date, so each date is computed once.
    """
    values = np.asarray(starts, dtype=float)
    days = np.floor(values)
    known = ~np.isnan(days)
    result = np.full(values.shape, math.nan)
    if known.any():
        unique, inverse = np.unique(days[known], return_inverse=True)
        dues = np.array([recompute_due(float(d), spec, calendar) for d in unique])
        result[known] = dues[inverse]
    return result


def limit_clocks(slas: pd.DataFrame, cases: pd.DataFrame, scenario: Scenario, calendar: WorkCalendar) -> pd.DataFrame:
    """The 6-month limit of every case, with excluded periods applied.

    Returns one row per case (same index as ``cases``) with ``case_id``, ``start``
    (filing), ``due`` (end of the last day of the limit, from the model's
    ``execution_limit`` clock when logged, else recomputed), ``end`` (closing
    time, NaN while open) and ``due_effective = due + excluded_days``: a case is
    within the limit when ``end <= due_effective``, i.e. ``end - excluded_days <=
    due`` (审限规定 art. 9 items 8 and 12; domain-facts §2.8).
    """
    spec = scenario.deadlines[Deadline.EXECUTION_LIMIT]
    logged = slas.loc[(slas["sla"] == Deadline.EXECUTION_LIMIT.value) & (slas["occurrence"] == 0)]
    logged_due = cases["case_id"].map(logged.drop_duplicates("case_id").set_index("case_id")["due"])
    recomputed = due_times(cases["arrived"], spec, calendar)
    due = logged_due.to_numpy(dtype=float, na_value=math.nan)
    due = np.where(np.isnan(due), recomputed, due)
    return pd.DataFrame(
        {
            "case_id": cases["case_id"].to_numpy(),
            "start": cases["arrived"].to_numpy(dtype=float),
            "due": due,
            "end": cases["closed"].to_numpy(dtype=float),
            "due_effective": due + cases["excluded_days"].to_numpy(dtype=float),
        },
        index=cases.index,
    )


def sla_compliance(
    slas: pd.DataFrame,
    cases: pd.DataFrame,
    scenario: Scenario,
    calendar: WorkCalendar,
    at: float | None = None,
) -> pd.DataFrame:
    """各节点按期完成率: one row per deadline id, counted cases only.

    Parameters
    ----------
    slas, cases
        The run's deadline clocks and case table (``RunResult.slas``, ``.cases``).
    scenario, calendar
        The scenario (its ``deadlines``) and the run's working calendar.
    at
        Time (days) of the "open past due" snapshot; default the horizon.

    Returns
    -------
    DataFrame
        ``sla, zh, en, start_zh, start_en`` (the event the clock runs from: the
        "收案后" clocks name ``policy.receipt_basis``), ``basis, days, source, n_started, n_ended, n_on_time,
        on_time_rate`` (ended with ``end <= due`` ÷ ended), ``mean_lateness_days``
        (mean ``end - due`` over late ones, calendar days), ``n_void`` (never
        ended because the case closed first, by ``at``: e.g. an investigation
        clock of a case the debtor paid), ``n_open_past_due`` and
        ``open_past_due_share`` (started by ``at``, neither ended nor void by
        ``at``, and ``due < at``, ÷ started by ``at``). The ``execution_limit`` row is built
        from :func:`limit_clocks` (filing to closing, exclusions applied) whether
        or not the model logged that clock. Source of the indicator:
        domain-facts §5 and DOMAIN.md §6 (各节点按期完成率).
    """
    at = scenario.run.horizon_days if at is None else float(at)
    counted_ids = cases.loc[cases["counted"], "case_id"]
    clocks = slas.loc[slas["case_id"].isin(counted_ids)]
    limit = limit_clocks(slas, cases.loc[cases["counted"]], scenario, calendar)
    closed_at = clocks["case_id"].map(cases.set_index("case_id")["closed"])
    receipt = RECEIPT_STARTS[scenario.policy.receipt_basis]
    starts = {d: receipt if d in RECEIPT_DEADLINES else DEADLINE_STARTS[d] for d in Deadline}
    rows = []
    for sla in Deadline:
        spec = scenario.deadlines[sla]
        if sla is Deadline.EXECUTION_LIMIT:
            times = limit[["start", "due_effective", "end", "end"]]
        else:
            own = clocks["sla"] == sla.value
            times = pd.concat([clocks.loc[own, ["start", "due", "end"]], closed_at[own]], axis=1)
        zh, en = DEADLINE_NAMES[sla]
        start_zh, start_en = starts[sla]
        rows.append(
            {
                "sla": sla.value,
                "zh": zh,
                "en": en,
                "start_zh": start_zh,
                "start_en": start_en,
                "basis": spec.basis,
                "days": spec.days,
                "source": spec.source or "",
                **_compliance(times.to_numpy(dtype=float), at),
            }
        )
    return pd.DataFrame(rows)


def _compliance(times: np.ndarray, at: float) -> dict[str, float]:
    """Counts and rates of one deadline's clocks; ``times``: start, due, end, case closed."""
    s, d, e, closed = times.T if times.size else np.empty((4, 0))
    ended = ~np.isnan(e)
    on_time = ended & (e <= d)
    late = ended & (e > d)
    begun = s <= at
    void = ~ended & (closed <= at)  # the case closed first: the step became moot
    open_past = begun & ~(e <= at) & ~(closed <= at) & (d < at)
    lateness = float(np.mean(e[late] - d[late])) if late.any() else math.nan
    return {
        "n_started": int(s.size),
        "n_ended": int(ended.sum()),
        "n_on_time": int(on_time.sum()),
        "on_time_rate": safe_ratio(on_time.sum(), ended.sum()),
        "mean_lateness_days": lateness,
        "n_void": int(void.sum()),
        "n_open_past_due": int(open_past.sum()),
        "open_past_due_share": safe_ratio(open_past.sum(), begun.sum()),
    }


def case_deadlines(
    cases: pd.DataFrame,
    slas: pd.DataFrame,
    scenario: Scenario,
    calendar: WorkCalendar,
    at: float | None = None,
) -> pd.DataFrame:
    """The case table with two columns per deadline: ``due_<sla>`` and ``met_<sla>``.

    One sheet for whoever wants each case's deadlines beside its outcome (the
    ``slas`` table keeps every clock, one row each). ``due_<sla>`` is the due time
    (days) of the case's first clock of that deadline; papers are handed over and
    scanned several times, the others run once. ``met_<sla>`` (nullable boolean) is
    False when any of the case's clocks of that deadline ended late or was overdue
    and still running at ``at`` (default: the end of the run, cool-down included:
    everything the run knows); True when all that ended
    did so on time and none is overdue; missing when no clock was started, or every
    one became moot (the case closed first) or is still running within its time.
    ``execution_limit`` uses the 6-month limit with excluded periods
    (:func:`limit_clocks`): its due is ``due_effective``.
    """
    at = scenario.run.horizon_days + scenario.run.cooldown_days if at is None else float(at)
    closed = slas["case_id"].map(cases.set_index("case_id")["closed"]).to_numpy(dtype=float)
    s, d, e = (slas[c].to_numpy(dtype=float) for c in ("start", "due", "end"))
    ended = e <= at
    missed = (ended & (e > d)) | ((s <= at) & ~ended & ~(closed <= at) & (d < at))
    kept = ended & (e <= d)
    clocks = pd.DataFrame(
        {
            "case_id": slas["case_id"],
            "sla": slas["sla"],
            "missed": missed,
            "kept": kept,
            "first_due": np.where(slas["occurrence"].to_numpy() == 0, d, np.nan),
        }
    )
    grouped = clocks.groupby(["case_id", "sla"], sort=False).agg(
        due=("first_due", "max"), missed=("missed", "any"), kept=("kept", "any")
    )
    met = pd.Series(pd.NA, index=grouped.index, dtype="boolean")
    met[grouped["kept"].to_numpy()] = True
    met[grouped["missed"].to_numpy()] = False
    due = grouped["due"].unstack("sla")
    met_wide = met.unstack("sla")
    out = cases.copy()
    limit = limit_clocks(slas, cases, scenario, calendar)
    for sla in Deadline:
        if sla is Deadline.EXECUTION_LIMIT:
            end, due_effective = limit["end"].to_numpy(), limit["due_effective"].to_numpy()
            overdue = np.isnan(end) & (due_effective < at)
            late = ~np.isnan(end) & (end > due_effective)
            # numpy's stubs take no pd.NA as a fill value; the object array is what "boolean" reads
            open_ = np.where(np.isnan(end) & ~overdue, pd.NA, ~(late | overdue))  # type: ignore[call-overload]
            met_limit: pd.api.extensions.ExtensionArray = pd.array(open_, dtype="boolean")
            out[f"due_{sla.value}"], out[f"met_{sla.value}"] = due_effective, met_limit
            continue
        name = sla.value
        out[f"due_{name}"] = out["case_id"].map(due[name]).astype(float) if name in due else np.nan
        out[f"met_{name}"] = (
            out["case_id"].map(met_wide[name]).astype("boolean")
            if name in met_wide
            else pd.array([pd.NA] * len(out), dtype="boolean")
        )
    return out
