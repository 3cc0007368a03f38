"""Case records: a court's export read, checked and cleaned, with every change on record.

Like an auditor's working papers, the cleaned table comes with a list of every row
that was dropped or changed and why, so that nothing disappears silently. Each
problem is one line of the cleaning report: ``row`` (line or sheet row in the
file), ``case_no``, ``field``, ``action`` and ``reason``. Actions:

- ``dropped``: the row is used nowhere (no case number, not an implementation case,
  duplicate, no readable filing date, filed after the extraction date). Of rows sharing
  a case number one is kept by :data:`DUPLICATE_RULE` (closed beats open, then the later
  row of the file wins); each other row is listed as identical or conflicting, and a
  note counts the conflicts;
- ``repaired``: a value was reinterpreted and the row is used (a closing date before
  the filing date is discarded, a closing after the extraction date counts as open,
  和解 is read as 执行完毕, the case type column disagrees with the case number);
- ``partly used``: the row is used except where the missing value matters (no
  claim: left out of the amount fit; unknown outcome: left out of outcome shares;
  outcome without closing date: left out of durations).

Times: ``filed`` and ``closed`` are dates. ``follow_days`` is the days from filing
to closing for a closed case (a same-day closure counts as 0.5 day) and, for an open
case, the days from filing to the end of the extraction date plus 0.5: the right-
censoring time used by every duration fit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration import parsing as p
from sim.calibration.steps import STEP_COLUMNS as STEP_TABLE_COLUMNS
from sim.calibration.steps import StepRow, clean_steps
from sim.calibration.table import (
    CHUNK_ROWS,
    RawTable,
    RecordsError,
    TableStream,
    map_columns,
    open_table,
    step_columns,
)

__all__ = ["CLEANING_COLUMNS", "CaseRecords", "RecordsError", "clean", "from_frame", "load_records"]

logger = logging.getLogger(__name__)

CLEANING_COLUMNS = ["row", "case_no", "field", "action", "reason"]
STATUSES = ("closed", "open", "closed_undated")


@dataclass(frozen=True)
class CaseRecords:
    """Cleaned case records and the account of the cleaning.

    ``cases`` has one row per kept case: row, case_no, case_type (first/resumed/
    preservation), track (fast/standard/oversight/none or ""), team, handler, filed,
    closed (dates, NaT when open or undated), status (closed/open/closed_undated),
    outcome (an :class:`~sim.vocab.Outcome` value, or "" when open or unknown),
    claim_cny, recovered_cny (NaN when missing), behaviour (claim of 0: a 行为类 case),
    follow_days, event (True when closed on a known date), origin (the normalised case
    number a 执恢 case resumes, "" if not given) and resumes_own (a 执恢 case resuming a
    case of these records: made by the court's own 终本 cases, not an outside filing).

    ``steps`` has one row per dated request of an outside delay (``<delay>_requested`` /
    ``<delay>_answered`` columns; empty without them): row, case_no, delay, requested,
    answered (NaT while open), days, event (:mod:`sim.calibration.steps`).
    """

    cases: pd.DataFrame
    cleaning: pd.DataFrame
    notes: tuple[str, ...]
    source: str
    start_date: date
    extraction_date: date
    synthetic: bool
    n_rows: int
    fields: tuple[str, ...] = ()  # canonical fields the file has a column for (see sim.calibration.table)
    steps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=STEP_TABLE_COLUMNS))

    @property
    def period(self) -> str:
        """The records' period as text, e.g. ``2023-01-02 to 2023-12-31``."""
        return f"{self.start_date.isoformat()} to {self.extraction_date.isoformat()}"

    @property
    def n_dropped(self) -> int:
        """Rows of the file used nowhere."""
        return self.n_rows - len(self.cases)


Progress = Callable[[int], None]
"""Called with the number of rows read so far after each chunk of the file."""


def load_records(
    path: str | Path,
    extraction_date: date | None = None,
    header_row: int | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    progress: Progress | None = None,
) -> CaseRecords:
    """Read and clean a case export; see the module docstring for the rules.

    Parameters
    ----------
    path
        CSV or .xlsx file, one row per case.
    extraction_date
        The day the export was made: open cases are right-censored at its end. Default:
        the ``extraction_date=`` of a comment line, else the latest date in the file.
    header_row
        The line (CSV) or sheet row (xlsx) of the header, 1-based. Default: the first of
        the top rows that names 案号 and 立案日期, so title rows above it are skipped.
    chunk_rows
        Rows read and cleaned at a time: the file's raw cells are never all in memory
        (the result is the same for every chunk size).
    progress
        Called after each chunk with the rows read so far.

    Raises
    ------
    RecordsError
        If the file cannot be read, lacks a required column, or has no usable row.
    """
    table = open_table(path, header_row)
    if extraction_date is None and (given := table.comment_extraction_date()):
        extraction_date = date.fromisoformat(given)
    return clean(table, extraction_date, chunk_rows=chunk_rows, progress=progress)


def from_frame(frame: pd.DataFrame, source: str, extraction_date: date | None = None) -> CaseRecords:
    """Clean records already in memory (e.g. a synthetic export), as if read from a file named ``source``."""
    rows = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    table = RawTable(Path(source), [str(c) for c in frame.columns], rows, list(range(2, len(rows) + 2)))
    return clean(table, extraction_date)


def clean(
    table: RawTable | TableStream,
    extraction_date: date | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    progress: Progress | None = None,
) -> CaseRecords:
    """Clean a raw table into :class:`CaseRecords` (see :func:`load_records`).

    The rows are parsed ``chunk_rows`` at a time; what is kept of a row is its clean
    values (and a digest of its cells, to tell identical repeats of a case number from
    conflicting ones), so memory grows with the cases, not with the file's text.
    """
    columns, units, notes = map_columns(table)
    dated = step_columns(table.header)
    step_at = list(dated.values())
    if table.title_rows:
        shown = "; ".join(repr(t[:60]) for t in table.title_rows[:3])
        notes.insert(0, f"{len(table.title_rows)} row(s) above the header skipped as a title: {shown}")
    log = _Log()
    kept = _Kept()
    filled: set[int] = set()  # columns with a value in some row
    n_read = n_blank = 0
    for rows, numbers in table.chunks(chunk_rows):
        for cells, row_no in zip(rows, numbers, strict=True):
            present = [j for j, v in enumerate(cells) if not p.is_blank(v)]
            if not present:
                n_blank += 1
                continue
            filled.update(present)
            record = _parse_row(cells, row_no, columns, units, log)
            if record is not None:
                record["steps"] = tuple(cells[j] if j < len(cells) else None for j in step_at)
                kept.append(record)
        n_read += len(rows)
        if progress is not None:
            progress(n_read)
    notes += _empty_column_notes(table.header, columns, filled, n_read)
    if n_blank:
        notes.append(f"{n_blank} empty row(s) skipped")
    _drop_duplicates(kept, log)
    if not kept.n_used and not log.dropped_rows:
        found = "only empty rows" if n_read else "no rows"
        raise RecordsError(
            f"{table.source}: no case rows: the file has {found} below its header; export the cases "
            "with one row per case under the header (案号, 立案日期, …)"
        )
    if not kept.n_used:
        raise RecordsError(
            f"{table.source}: no usable case rows: all {log.dropped_rows} dropped (commonest reasons: "
            + _first_reasons(log).removeprefix("; ").replace("; ", ", ")
            + ")"
        )
    extraction = extraction_date or kept.latest_date()
    _censor(kept, extraction, log)
    if not kept.n_used:
        raise RecordsError(f"{table.source}: every case was filed after the extraction date {extraction}")
    cases = _frame(kept, extraction)
    steps = clean_steps(_step_rows(kept), dated, extraction, log.add)
    synthetic = _is_synthetic(table.comments, cases)
    if extraction_date is None:
        notes.append(f"extraction date not given: the latest date in the file, {extraction}, is used")
    notes += _team_notes(cases)
    notes += _resumption_notes(cases, "origin" in columns)
    conflicts = sum("conflicts with row" in e[4] for e in log.entries)
    if conflicts:
        notes.append(f"{conflicts} row(s) repeat a case number with other contents: kept by the rule {DUPLICATE_RULE}")
    return CaseRecords(
        cases.drop(columns="synthetic"),
        log.frame(),
        tuple(notes),
        table.source.name,
        cases["filed"].min().date(),
        extraction,
        synthetic,
        n_read - n_blank,
        tuple(columns),
        steps,
    )


def _step_rows(kept: _Kept) -> list[StepRow]:
    """The rows used, as the dated steps' cleaner reads them."""
    v = kept.values
    return [
        StepRow(v["row"][i], v["case_no"][i], v["filed"][i], v["closed"][i], v["status"][i], v["steps"][i])
        for i, used in enumerate(kept.used)
        if used and v["steps"][i]
    ]


class _Kept:
    """The clean values of the rows parsed so far, a list per field (a dict per row cost
    several times the memory), and which of them are still used."""

    FIELDS = (
        "row",
        "case_no",
        "key",
        "case_type",
        "filed",
        "closed",
        "status",
        "outcome",
        "claim_cny",
        "recovered_cny",
        "team",
        "track",
        "handler",
        "synthetic",
        "origin",
        "content",
        "steps",
    )

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {name: [] for name in self.FIELDS}
        self.used: list[bool] = []
        self._texts: dict[str, str] = {}  # one object per distinct team or handler name

    def append(self, record: dict[str, Any]) -> None:
        for name in ("team", "handler"):
            record[name] = self._texts.setdefault(record[name], record[name])
        for name, column in self.values.items():
            column.append(record[name])
        self.used.append(True)

    @property
    def n_used(self) -> int:
        return sum(self.used)

    def latest_date(self) -> date:
        """The latest filing or closing date of the rows used."""
        dates = (
            d
            for i, used in enumerate(self.used)
            if used
            for d in (self.values["filed"][i], self.values["closed"][i])
            if d is not None
        )
        latest: date = max(dates)
        return latest

    def frame(self) -> pd.DataFrame:
        """The rows used, one column per field but the content digest."""
        used = self.used
        return pd.DataFrame(
            {
                name: [v for v, u in zip(column, used, strict=True) if u]
                for name, column in self.values.items()
                if name not in ("content", "steps")
            }
        )


# ---------------------------------------------------------------- the log


class _Log:
    """The cleaning report being written."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, str, str, str, str]] = []
        self.dropped_rows = 0

    def add(self, row: int, case_no: str, field: str, action: str, reason: str) -> None:
        self.entries.append((row, case_no, field, action, reason))
        if action == "dropped":
            self.dropped_rows += 1

    def frame(self) -> pd.DataFrame:
        return (
            pd.DataFrame(self.entries, columns=CLEANING_COLUMNS)
            .sort_values("row", kind="stable")
            .reset_index(drop=True)
        )


def _first_reasons(log: _Log) -> str:
    reasons = pd.Series([e[4] for e in log.entries if e[3] == "dropped"]).value_counts().head(3)
    return "".join(f"; {n} × {reason}" for reason, n in reasons.items())


# ---------------------------------------------------------------- one row


def _cell(cells: list[Any], columns: dict[str, int], name: str) -> Any:
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def _content_digest(cells: list[Any]) -> bytes:
    """A row's cells, stripped, as a digest: two rows of a case number are identical repeats
    when their digests are equal (128 bits: a chance collision is out of the question)."""
    content = [str(c).strip() for c in cells]
    return hashlib.blake2b(repr(content).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _parse_row(
    cells: list[Any], row_no: int, columns: dict[str, int], units: dict[str, float], log: _Log
) -> dict[str, Any] | None:
    """One (non-blank) row as a dict of clean values, or None if dropped."""
    raw_no = _cell(cells, columns, "case_no")
    case_no = "" if p.is_blank(raw_no) else str(raw_no).strip()
    case_type = _case_type(cells, columns, row_no, case_no, log)
    if case_type is None:
        return None
    filed, problem = p.parse_date(_cell(cells, columns, "filed"))
    if filed is None:
        log.add(row_no, case_no, "filed", "dropped", problem or "no filing date (立案日期)")
        return None
    record: dict[str, Any] = {
        "row": row_no,
        "case_no": case_no,
        "key": p.normalise(case_no),
        "case_type": case_type,
        "filed": filed,
        "content": _content_digest(cells),
    }
    record.update(_closing(cells, columns, record, log))
    record.update(_amounts(cells, columns, units, record, log))
    team = _cell(cells, columns, "team")
    record["team"] = "" if p.is_blank(team) else str(team).strip()
    record["track"] = p.track_of_team(team)
    handler = _cell(cells, columns, "handler")
    record["handler"] = "" if p.is_blank(handler) else str(handler).strip()
    record["synthetic"] = not p.is_blank(_cell(cells, columns, "synthetic"))
    origin = _cell(cells, columns, "origin")
    record["origin"] = "" if p.is_blank(origin) else p.normalise(str(origin).strip())
    return record


def _case_type(cells: list[Any], columns: dict[str, int], row_no: int, case_no: str, log: _Log) -> str | None:
    """The case type from the case number's kind (执/执恢/执保), else from 案件类型."""
    if not case_no:
        log.add(row_no, "", "case_no", "dropped", "no case number (案号)")
        return None
    number, problem = p.parse_case_number(case_no)
    from_column, column_problem = p.parse_case_type(_cell(cells, columns, "case_type"))
    if number is not None and not problem:
        by_number = p.CASE_KINDS[number.kind]
        if from_column is not None and from_column != by_number:
            log.add(
                row_no,
                case_no,
                "case_type",
                "repaired",
                f"案件类型 says {from_column.value} but the case number says {by_number.value}; "
                "the case number is used",
            )
        return by_number.value
    if number is not None:  # a case number of another kind (执异, 民初 …)
        log.add(row_no, case_no, "case_no", "dropped", problem)
        return None
    if from_column is not None:
        log.add(row_no, case_no, "case_no", "repaired", f"{problem}; the type is taken from 案件类型")
        return from_column.value
    log.add(
        row_no,
        case_no,
        "case_no",
        "dropped",
        f"{problem}, and no readable 案件类型 gives the type" + (f" ({column_problem})" if column_problem else ""),
    )
    return None


def _closing(cells: list[Any], columns: dict[str, int], record: dict[str, Any], log: _Log) -> dict[str, Any]:
    """Closing date, outcome and status (closed, open or closed on an unknown date)."""
    row_no, case_no, filed = record["row"], record["case_no"], record["filed"]
    raw_closed = _cell(cells, columns, "closed")
    closed, problem = p.parse_date(raw_closed)
    outcome, note, outcome_problem = p.parse_outcome(_cell(cells, columns, "outcome"))
    has_outcome = outcome is not None or bool(outcome_problem)
    status = "closed" if closed is not None else "open"
    if problem:
        status = "closed_undated"
        log.add(
            row_no, case_no, "closed", "partly used", f"{problem}: closed on an unknown date, left out of durations"
        )
    elif closed is not None and closed < filed:
        status, closed = "closed_undated", None
        log.add(
            row_no,
            case_no,
            "closed",
            "repaired",
            f"closing date {raw_closed} is before the filing date "
            f"{filed}: closing date discarded, left out of durations",
        )
    elif closed is None and has_outcome:
        status = "closed_undated"
        log.add(
            row_no,
            case_no,
            "closed",
            "partly used",
            "an outcome but no closing date: closed on an unknown date, left out of durations",
        )
    if outcome_problem:
        log.add(row_no, case_no, "outcome", "partly used", f"{outcome_problem}: left out of outcome shares")
    elif note:
        log.add(row_no, case_no, "outcome", "repaired", note)
    elif status != "open" and outcome is None:
        log.add(
            row_no,
            case_no,
            "outcome",
            "partly used",
            "closed without an outcome (结案方式): left out of outcome shares",
        )
    return {"closed": closed, "status": status, "outcome": outcome.value if outcome else ""}


def _amounts(
    cells: list[Any], columns: dict[str, int], units: dict[str, float], record: dict[str, Any], log: _Log
) -> dict[str, Any]:
    row_no, case_no = record["row"], record["case_no"]
    values: dict[str, Any] = {}
    for name, column in (("claim", "claim_cny"), ("recovered", "recovered_cny")):
        amount, problem = p.parse_amount(_cell(cells, columns, name), units.get(name, 1.0))
        values[column] = np.nan if amount is None else amount
        use = "amount fits and the recovery rate" if name == "claim" else "the recovery rate"
        if problem:
            log.add(row_no, case_no, name, "partly used", f"{problem}: left out of {use}")
        elif amount is None and name in columns and (name == "claim" or record["status"] == "closed"):
            label = "申请执行标的" if name == "claim" else "实际到位金额"
            log.add(row_no, case_no, name, "partly used", f"no {label}: left out of {use}")
    return values


# ---------------------------------------------------------------- across rows


DUPLICATE_RULE = "closed beats open, then the later row of the file wins"
"""Which row of a case number given more than once is kept (a re-export appends the newer state)."""


def _drop_duplicates(kept: _Kept, log: _Log) -> None:
    """Keep one row per case number by :data:`DUPLICATE_RULE`; list the others with what differs.

    A case closed in one row and open in another was closed (an export taken while it was
    open, appended to a later one); among rows equally closed or open, the later row is the
    later state. Identical repeats are reported as such.
    """
    first: dict[str, int] = {}
    groups: dict[str, list[int]] = {}  # only the case numbers given more than once
    for i, key in enumerate(kept.values["key"]):
        if key in first:
            groups.setdefault(key, [first[key]]).append(i)
        else:
            first[key] = i
    values = kept.values
    rows, case_nos, statuses, contents = values["row"], values["case_no"], values["status"], values["content"]
    for group in groups.values():
        distinct: list[tuple[bytes, int]] = []
        for i in group:
            repeated = next((j for c, j in distinct if c == contents[i]), None)
            if repeated is None:
                distinct.append((contents[i], i))
            else:
                kept.used[i] = False
                log.add(
                    rows[i],
                    case_nos[i],
                    "case_no",
                    "dropped",
                    f"duplicate case number (identical to row {rows[repeated]})",
                )
        winner = max((i for _, i in distinct), key=lambda i: (statuses[i] != "open", rows[i]))
        for _, i in distinct:
            if i == winner:
                continue
            kept.used[i] = False
            rule = "closed beats open" if statuses[i] == "open" else "the later row wins"
            log.add(
                rows[i],
                case_nos[i],
                "case_no",
                "dropped",
                f"duplicate case number (conflicts with row {rows[winner]}, which is kept: {rule})",
            )


def _censor(kept: _Kept, extraction: date, log: _Log) -> None:
    """Apply the extraction date: later filings are dropped, later closings count as open."""
    values = kept.values
    for i, used in enumerate(kept.used):
        if not used:
            continue
        row, case_no, filed, closed = values["row"][i], values["case_no"][i], values["filed"][i], values["closed"][i]
        if filed > extraction:
            kept.used[i] = False
            log.add(row, case_no, "filed", "dropped", f"filed {filed} after the extraction date {extraction}")
        elif closed is not None and closed > extraction:
            log.add(
                row,
                case_no,
                "closed",
                "repaired",
                f"closed {closed} after the extraction date {extraction}: counted as open",
            )
            values["closed"][i], values["status"][i], values["outcome"][i] = None, "open", ""


def _frame(kept: _Kept, extraction: date) -> pd.DataFrame:
    cases = kept.frame()
    own = set(cases["key"])
    # A 执恢 case whose 原案号 is a case of these records resumes one of their 终本 cases.
    cases["resumes_own"] = cases["case_type"].eq("resumed") & cases["origin"].isin(own) & cases["origin"].ne("")
    cases = cases.drop(columns=["key"])
    cases["filed"] = pd.to_datetime(cases["filed"])
    cases["closed"] = pd.to_datetime(cases["closed"])
    end = pd.Timestamp(extraction)
    closed_days = (cases["closed"] - cases["filed"]).dt.days.astype(float).clip(lower=0.5)
    open_days = (end - cases["filed"]).dt.days.astype(float) + 0.5
    cases["event"] = cases["status"].eq("closed")
    cases["follow_days"] = np.where(cases["event"], closed_days, open_days)
    cases.loc[cases["status"] == "closed_undated", "follow_days"] = np.nan
    cases["behaviour"] = cases["claim_cny"].eq(0)
    order = [
        "row",
        "case_no",
        "case_type",
        "track",
        "team",
        "handler",
        "filed",
        "closed",
        "status",
        "outcome",
        "claim_cny",
        "recovered_cny",
        "behaviour",
        "follow_days",
        "event",
        "origin",
        "resumes_own",
        "synthetic",
    ]
    return cases[order].reset_index(drop=True)


def _resumption_notes(cases: pd.DataFrame, linked: bool) -> list[str]:
    resumed = int(cases["case_type"].eq("resumed").sum())
    if not resumed:
        return []
    if not linked:
        return [
            f"{resumed} 执恢 case(s) and no 原案号 column: those resuming a 终本 case of these records cannot "
            "be told from outside filings, so the filing rate and the 执恢 share include them"
        ]
    own = int(cases["resumes_own"].sum())
    return [
        f"{own} of {resumed} 执恢 case(s) resume a 终本 case of these records (原案号): the model makes such "
        "cases itself, so they are left out of the filing rate and the case mix"
    ]


def _empty_column_notes(header: list[str], columns: dict[str, int], filled: set[int], n_rows: int) -> list[str]:
    notes = []
    for index, name in enumerate(header):
        if n_rows and index not in filled:
            used = "; its field counts as missing in every row" if index in columns.values() else ""
            notes.append(f"column {name or f'#{index + 1}'!r} is empty in every row{used}")
    return notes


def _team_notes(cases: pd.DataFrame) -> list[str]:
    unmatched = sorted(set(cases.loc[(cases["track"] == "") & (cases["team"] != ""), "team"]))
    if not unmatched:
        return []
    shown = ", ".join(unmatched[:8]) + (" …" if len(unmatched) > 8 else "")
    return [f"team names not matched to a track (快执/精执/三统一): {shown}; durations by track leave them out"]


def _is_synthetic(comments: list[str], cases: pd.DataFrame) -> bool:
    in_comments = any("synthetic" in c.lower() or "合成" in c for c in comments)
    return in_comments or bool(cases["synthetic"].any())
