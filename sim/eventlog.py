"""The record of a run: steps, deadlines (SLAs) and cases, in fixed schemas.

Like a court's docket (卷宗目录), the log is only ever appended to while the
simulation runs; nothing downstream edits it. Every KPI is a pure function of
the three tables built here, so a results folder that keeps them can recompute
every printed number.

Times are simulation days since midnight of the scenario's ``start_date``.
Missing values are NaN (times, amounts) or the empty string (labels), never
``False`` or ``-inf``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "CASE_COLUMNS",
    "SLA_COLUMNS",
    "STEP_COLUMNS",
    "CaseRecord",
    "EventLog",
    "SlaRecord",
    "StepRecord",
]

NAN = math.nan


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step of one case: a piece of staff work, an external wait, or a milestone.

    ``kind`` is ``"task"`` (staff held for ``effort_hours`` of working time between
    ``start`` and ``end``), ``"wait"`` (an outside party: post, banks, appraisers,
    announcement periods; holds nobody) or ``"mark"`` (an instant milestone such as
    ``received`` or ``closed``; ``start == end``). ``queued`` is when the case asked
    for the staff; ``start - queued`` is its wait for them. ``excluded`` marks time
    that does not count against the 6-month limit (审限规定 art. 9: appraisal,
    auction, sell-off, suspension). ``queue_at_request`` is, for a task, the number of
    pieces of work already waiting at the team's desk when it asked for its people
    (:meth:`sim.staffing.TeamDesk.queue_length`, its own request not counted; the work
    of every unit and role of the team); NaN for a wait or a mark, which ask for nobody.
    """

    case_id: int
    step: str
    kind: str
    team: str
    unit: str
    roles: str
    staff: str
    queued: float
    start: float
    end: float
    effort_hours: float
    excluded: bool = False
    queue_at_request: float = NAN


@dataclass(frozen=True, slots=True)
class SlaRecord:
    """One deadline clock of one case: started at ``start``, due by ``due``.

    ``due`` is the end (midnight after) of the due day under legal day counting;
    ``end`` is NaN while the deadline's end event has not happened.
    """

    case_id: int
    sla: str
    occurrence: int  # 0 for the first clock of this SLA in this case, 1 for the next …
    start: float
    due: float
    end: float


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One row of the case table, as the case stands when the run ends."""

    case_id: int
    parent_id: int  # the 终本 case a 执恢 case resumes; -1 for none
    case_type: str
    behaviour: bool
    track: str
    team: str  # the team handling the case (快执/精执/...), "" before triage
    unit: str
    handler: str
    labels: str
    related_group: int
    arrived: float
    closed: float
    outcome: str
    stage: str  # "closed", or where an open case stands
    claim_cny: float
    frozen_cny: float
    recovered_cny: float  # paid to the applicant (the 执行申请费 deducted)
    has_property: bool  # 有财产可供执行: funds frozen or property found
    excluded_days: float  # days not counted against the 6-month limit
    counted: bool  # arrived in [warmup_days, horizon_days): the cases the KPIs count
    simple_by_rules: bool = False  # 按规则应属简案: the plan's triage rules call it simple (whatever the routing)
    fee_cny: float = 0.0  # 执行申请费 deducted from the money collected (sim.flow.fees)


def _columns(record: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record))


STEP_COLUMNS = _columns(StepRecord)
SLA_COLUMNS = _columns(SlaRecord)
CASE_COLUMNS = _columns(CaseRecord)


BATCH_ROWS = 65_536
"""Step rows held as tuples before :meth:`EventLog.compact` moves them into a columnar batch."""


class EventLog:
    """Append-only store of the step and SLA records of one replication.

    The model appends plain tuples on the hot path (a dataclass per event would
    cost a third of the run time); :meth:`steps_frame` and :meth:`slas_frame`
    give them their fixed schema. :meth:`compact`, called as the run goes, moves
    every full batch of step tuples into an Arrow record batch, so that a run
    holds at most one batch of its steps as Python objects (65,536 rows, under a
    quarter of the baseline's) and the rest in columns (a step tuple with its
    floats is up to about 290 bytes by sys.getsizeof; in columns about 135);
    the frame is the same, row for row.
    """

    def __init__(self, batch_rows: int = BATCH_ROWS) -> None:
        self._steps: list[tuple[object, ...]] = []
        self._batches: list[pa.RecordBatch] = []
        self._batch_rows = batch_rows
        self._slas: dict[tuple[int, str, int], list[float]] = {}
        self.append_step = self._steps.append
        """Append one step as a plain tuple in :data:`STEP_COLUMNS` order (the hot path's
        shortcut past :meth:`step`'s keyword handling)."""
        self.open_clock = self._slas.setdefault
        """``open_clock((case_id, sla, occurrence), [start, due, nan])`` starts a clock, as
        :meth:`sla_start` does (a clock already started keeps its start): the hot path's shortcut."""
        self.find_clock = self._slas.get
        """``find_clock((case_id, sla, occurrence))``: the running or stopped clock ``[start, due,
        end]``, or None; :meth:`sla_end`'s lookup, for the hot path."""

    def step(
        self,
        case_id: int,
        step: str,
        kind: str,
        team: str,
        unit: str,
        roles: str,
        staff: str,
        queued: float,
        start: float,
        end: float,
        effort_hours: float,
        excluded: bool = False,
        queue_at_request: float = NAN,
    ) -> None:
        """Append one :class:`StepRecord` (fields in schema order)."""
        self._steps.append(
            (
                case_id,
                step,
                kind,
                team,
                unit,
                roles,
                staff,
                queued,
                start,
                end,
                effort_hours,
                excluded,
                queue_at_request,
            )
        )

    def mark(self, case_id: int, step: str, team: str, time: float) -> None:
        """Append an instant milestone (``kind="mark"``)."""
        self._steps.append((case_id, step, "mark", team, "", "", "", time, time, time, 0.0, False, NAN))

    def sla_start(self, case_id: int, sla: str, start: float, due: float, occurrence: int = 0) -> None:
        """Start the clock of deadline ``sla``; a second start of the same clock is ignored."""
        self._slas.setdefault((case_id, sla, occurrence), [start, due, NAN])

    def sla_end(self, case_id: int, sla: str, end: float, occurrence: int = 0) -> None:
        """Stop the clock of ``sla`` at ``end``; only the first end counts."""
        clock = self._slas.get((case_id, sla, occurrence))
        if clock is not None and math.isnan(clock[2]):
            clock[2] = end

    def __len__(self) -> int:
        return sum(int(batch.num_rows) for batch in self._batches) + len(self._steps)

    def compact(self) -> None:
        """Move the step tuples into a columnar batch once a full batch of them is held.

        Cheap when there are fewer (a length check); the hot path's ``append_step``
        stays valid, since the list is emptied in place.
        """
        if len(self._steps) >= self._batch_rows:
            self._batches.append(_batch(self._steps, STEP_DTYPES))
            self._steps.clear()

    def clear(self) -> None:
        """Drop every record (once the frames are built and the run is over)."""
        self._steps.clear()
        self._batches.clear()
        self._slas.clear()

    def steps_frame(self) -> pd.DataFrame:
        """All steps as a DataFrame with columns :data:`STEP_COLUMNS`."""
        batches = [*self._batches, _batch(self._steps, STEP_DTYPES)]
        return _pandas(pa.Table.from_batches(batches, schema=batches[0].schema))

    def slas_frame(self) -> pd.DataFrame:
        """All deadline clocks as a DataFrame with columns :data:`SLA_COLUMNS`."""
        rows = [(cid, sla, k, *clock) for (cid, sla, k), clock in self._slas.items()]
        return _frame(rows, SLA_DTYPES)


def cases_frame(records: list[CaseRecord]) -> pd.DataFrame:
    """The case table with columns :data:`CASE_COLUMNS`."""
    return _frame([tuple(getattr(r, c) for c in CASE_COLUMNS) for r in records], CASE_DTYPES)


def _frame(rows: list[tuple[object, ...]], dtypes: dict[str, str]) -> pd.DataFrame:
    """Rows of tuples in schema order → a DataFrame of ``dtypes``."""
    return _pandas(pa.Table.from_batches([_batch(rows, dtypes)]))


def _batch(rows: list[tuple[object, ...]], dtypes: dict[str, str]) -> pa.RecordBatch:
    """Rows of tuples in schema order → an Arrow record batch of ``dtypes``.

    Arrow reads the tuples as structs in one pass, twice as fast as pandas'
    ``from_records`` on the step log.
    """
    struct = pa.struct([(name, _ARROW[dtype]) for name, dtype in dtypes.items()])
    return pa.RecordBatch.from_struct_array(pa.array(rows, type=struct))


def _pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of the log's schemas as pandas; strings come out as pandas' ``str`` dtype."""
    frame: pd.DataFrame = table.to_pandas(types_mapper=_PANDAS_TYPES.get)  # pyarrow is untyped
    return frame


_STR = "str"
STEP_DTYPES: dict[str, str] = {
    "case_id": "int64",
    "step": _STR,
    "kind": _STR,
    "team": _STR,
    "unit": _STR,
    "roles": _STR,
    "staff": _STR,
    "queued": "float64",
    "start": "float64",
    "end": "float64",
    "effort_hours": "float64",
    "excluded": "bool",
    "queue_at_request": "float64",
}
SLA_DTYPES: dict[str, str] = {
    "case_id": "int64",
    "sla": _STR,
    "occurrence": "int64",
    "start": "float64",
    "due": "float64",
    "end": "float64",
}
CASE_DTYPES: dict[str, str] = {
    "case_id": "int64",
    "parent_id": "int64",
    "case_type": _STR,
    "behaviour": "bool",
    "track": _STR,
    "team": _STR,
    "unit": _STR,
    "handler": _STR,
    "labels": _STR,
    "related_group": "int64",
    "arrived": "float64",
    "closed": "float64",
    "outcome": _STR,
    "stage": _STR,
    "claim_cny": "float64",
    "frozen_cny": "float64",
    "recovered_cny": "float64",
    "has_property": "bool",
    "excluded_days": "float64",
    "counted": "bool",
    "simple_by_rules": "bool",
    "fee_cny": "float64",
}
_ARROW = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(), _STR: pa.string()}
_PANDAS_TYPES = {pa.string(): pd.StringDtype(na_value=np.nan)}  # what ``astype("str")`` gives
