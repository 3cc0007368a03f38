"""Opening a case export (CSV or Excel) and finding its columns by their many names.

A court's case-management system exports one row per case, with Chinese headers
that differ a little from court to court (申请执行标的 or 执行标的, 承办部门 or 团队).
This module turns the file into a header and rows of raw cells, and maps each
header to one of the canonical fields below; it does not interpret the cells.

Header aliases (after NFKC folding, spaces removed, Latin lower-cased; a unit in
brackets such as ``申请执行标的（万元）`` is read as the column's unit):

========== =====================================================================
field      headers
========== =====================================================================
case_no    案号, 案件编号, 执行案号, case_no, case_number, caseno
filed      立案日期, 立案时间, 收案日期, 立案日, filed, filing_date, filed_on, date_filed
closed     结案日期, 结案时间, 结案日, closed, closing_date, closed_on, date_closed
outcome    结案方式, 结案方式名称, 结案类型, outcome, closing_mode
claim      申请执行标的, 执行标的, 申请执行标的额, 执行标的额, 申请执行金额, 标的额, 标的金额, claim, claim_cny
recovered  实际到位金额, 到位金额, 执行到位金额, 实际执行到位金额, 实际到位标的, recovered, recovered_cny
case_type  案件类型, 案件类别, 案件性质, case_type, type
team       承办部门, 承办团队, 团队, 承办庭室, 部门, team, department
handler    承办人, 承办法官, 承办执行员, handler, judge, officer
origin     原案号, 原执行案号, 恢复执行原案号, 原审案号, origin, origin_case_no, original_case_no
synthetic  synthetic, 合成数据
========== =====================================================================

``origin`` is the case number a 执恢 case resumes (its 终本 case). A 执恢 case resuming a
case of the same records is one the model makes itself, so it is kept out of the filing
rate and the case mix (:mod:`sim.calibration.fit`).

Dated steps (optional, any number of pairs): ``<delay>_requested`` and ``<delay>_answered``, where
``<delay>`` is an outside delay of the scenario's ``[delays]`` with or without its ``_days``
(``service_requested``, ``service_days_answered``), or in Chinese ``<名>_发出`` and ``<名>_回复``
(also 答复) with the delay's Chinese name (``送达_发出``, ``传统查控_回复``; ``sim.vocab.DELAY_ZH``).
The separator ``_`` may be ``-`` or left out. :func:`step_column` reads such a header;
:mod:`sim.calibration.steps` cleans and fits the dates.

Lines at the top of a CSV file that start with ``#`` are comments (the synthetic
example file says so there); ``extraction_date=YYYY-MM-DD`` in a comment gives
the extraction date.

Title rows above the header (``邓州市人民法院 2023年执行案件``, often a merged cell) are
detected: the header is the first of the top :data:`HEADER_SEARCH` rows that names both
required columns, and the rows above it are kept as ``title_rows`` (the cleaning report
lists them). ``header_row`` (``--header-row N``, the line or sheet row number) says
where the header is when detection cannot.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import logging
import re
import unicodedata
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.calibration.parsing import is_blank, normalise
from sim.vocab import DELAY_ZH, Delay

__all__ = [
    "CHUNK_ROWS",
    "FIELDS",
    "REQUIRED",
    "RawTable",
    "RecordsError",
    "TableStream",
    "map_columns",
    "open_table",
    "read_table",
    "step_column",
    "step_columns",
]

logger = logging.getLogger(__name__)

FIELDS: dict[str, tuple[str, ...]] = {
    "case_no": ("案号", "案件编号", "执行案号", "case_no", "case_number", "caseno"),
    "filed": ("立案日期", "立案时间", "收案日期", "立案日", "filed", "filing_date", "filed_on", "date_filed"),
    "closed": ("结案日期", "结案时间", "结案日", "closed", "closing_date", "closed_on", "date_closed"),
    "outcome": ("结案方式", "结案方式名称", "结案类型", "outcome", "closing_mode"),
    "claim": (
        "申请执行标的",
        "执行标的",
        "申请执行标的额",
        "执行标的额",
        "申请执行金额",
        "标的额",
        "标的金额",
        "claim",
        "claim_cny",
    ),
    "recovered": (
        "实际到位金额",
        "到位金额",
        "执行到位金额",
        "实际执行到位金额",
        "实际到位标的",
        "recovered",
        "recovered_cny",
    ),
    "case_type": ("案件类型", "案件类别", "案件性质", "case_type", "type"),
    "team": ("承办部门", "承办团队", "团队", "承办庭室", "部门", "team", "department"),
    "handler": ("承办人", "承办法官", "承办执行员", "handler", "judge", "officer"),
    "origin": ("原案号", "原执行案号", "恢复执行原案号", "原审案号", "origin", "origin_case_no", "original_case_no"),
    "synthetic": ("synthetic", "合成数据"),
}
"""Canonical field → accepted headers (see the module docstring)."""

STEP_SIDES: dict[str, str] = {
    "requested": "requested",
    "发出": "requested",
    "answered": "answered",
    "回复": "answered",
    "答复": "answered",
}
"""Suffix of a dated step's header → which date it is (see the module docstring)."""
_STEP_NAMES: dict[str, Delay] = {
    **{normalise(d.value): d for d in Delay},
    **{normalise(d.value.removesuffix("_days")): d for d in Delay},
    **{normalise(name): d for d, name in DELAY_ZH.items()},
}


def step_column(header: str) -> tuple[Delay, str] | None:
    """The delay and side (``requested`` or ``answered``) a dated step's header names, else None.

    >>> step_column("送达_发出")
    (<Delay.SERVICE_DAYS: 'service_days'>, 'requested')
    """
    key = normalise(unicodedata.normalize("NFKC", header))
    for suffix, side in STEP_SIDES.items():
        if key.endswith(suffix):
            name = key.removesuffix(suffix)
            name = name[:-1] if name.endswith(("_", "-")) else name
            delay = _STEP_NAMES.get(name)
            return None if delay is None else (delay, side)
    return None


def step_columns(header: list[str]) -> dict[tuple[Delay, str], int]:
    """(delay, side) → column index of every dated step's header (the first of repeats)."""
    found: dict[tuple[Delay, str], int] = {}
    for index, name in enumerate(header):
        key = step_column(name)
        if key is not None:
            found.setdefault(key, index)
    return found


REQUIRED = ("case_no", "filed")
HEADER_SEARCH = 10
"""How many rows (after comments and blank lines) are searched for the header."""
_ALIAS = {normalise(alias): name for name, aliases in FIELDS.items() for alias in aliases}
_UNIT_RE = re.compile(r"^(.*?)[(\[](元|万元|亿元|千元|cny|yuan)[)\]]$")
_UNIT_CNY = {"元": 1.0, "cny": 1.0, "yuan": 1.0, "千元": 1e3, "万元": 1e4, "亿元": 1e8}
_EXTRACTION_RE = re.compile(r"extraction_date\s*[=:]\s*(\d{4}-\d{2}-\d{2})")


class RecordsError(Exception):
    """A case export cannot be read at all; the message names the problem."""


CHUNK_ROWS = 50_000
"""Rows read and cleaned at a time (:meth:`TableStream.chunks`): a million-row export is
never held as raw cells all at once, and a line of progress can follow each chunk."""

_BLOCK_BYTES = 1 << 20  # the bytes of a CSV file are checked a block at a time


def _extraction_of(comments: list[str]) -> str | None:
    for line in comments:
        if match := _EXTRACTION_RE.search(line):
            return match.group(1)
    return None


Chunk = tuple[list[list[Any]], list[int]]
"""Some rows of a table (raw cells) and their row numbers in the file."""


@dataclass(frozen=True)
class RawTable:
    """A file's header, its data rows (raw cells) and where each row stands in the file."""

    source: Path
    header: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]  # line (CSV) or sheet row (xlsx), 1-based, header included
    comments: list[str] = field(default_factory=list)
    title_rows: list[str] = field(default_factory=list)  # rows above the header, as text

    def comment_extraction_date(self) -> str | None:
        """The ``extraction_date=`` given in a comment line, if any (ISO text)."""
        return _extraction_of(self.comments)

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        """The rows ``size`` at a time, as :meth:`TableStream.chunks` gives them."""
        for i in range(0, len(self.rows), size):
            yield self.rows[i : i + size], self.row_numbers[i : i + size]


@dataclass(frozen=True)
class TableStream:
    """A file's header and comments, and its data rows read from the file a chunk at a time.

    What :func:`open_table` returns: the rows are not in memory; :meth:`chunks` reads them
    (each call reads the file again from its header on).
    """

    source: Path
    header: list[str]
    body: Callable[[], Iterator[tuple[int, list[Any]]]]  # (row number, cells) of each data row
    comments: list[str] = field(default_factory=list)
    title_rows: list[str] = field(default_factory=list)

    def comment_extraction_date(self) -> str | None:
        """The ``extraction_date=`` given in a comment line, if any (ISO text)."""
        return _extraction_of(self.comments)

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        """The data rows, at most ``size`` at a time, with their row numbers."""
        if size < 1:
            raise ValueError(f"chunk size must be 1 or more, got {size}")
        rows: list[list[Any]] = []
        numbers: list[int] = []
        for number, cells in self.body():
            rows.append(cells)
            numbers.append(number)
            if len(rows) == size:
                yield rows, numbers
                rows, numbers = [], []
        if rows:
            yield rows, numbers


def read_table(path: str | Path, header_row: int | None = None) -> RawTable:
    """Read a CSV (UTF-8 or GB18030, comma, tab or semicolon) or an .xlsx file into memory.

    :func:`open_table` reads the same file a chunk at a time; this holds every row.
    """
    stream = open_table(path, header_row)
    rows: list[list[Any]] = []
    numbers: list[int] = []
    for chunk_rows, chunk_numbers in stream.chunks():
        rows += chunk_rows
        numbers += chunk_numbers
    return RawTable(stream.source, stream.header, rows, numbers, stream.comments, stream.title_rows)


def open_table(path: str | Path, header_row: int | None = None) -> TableStream:
    """Open a CSV (UTF-8 or GB18030, comma, tab or semicolon) or an .xlsx file.

    The header, comments and title rows are read at once; the data rows are read when
    :meth:`TableStream.chunks` asks for them. ``header_row``: the line (CSV) or sheet row
    (xlsx) of the header, 1-based; by default the header is found below any title rows
    (see the module docstring).

    Raises
    ------
    RecordsError
        If the file is missing, unreadable, of an unknown type, or has no header row
        (also, from :meth:`TableStream.chunks`, if it cannot be read further).
    """
    path = Path(path)
    if not path.is_file():
        raise RecordsError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if header_row is not None and header_row < 1:
        raise RecordsError(f"{path}: the header row must be 1 or more (got {header_row})")
    if suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(path, header_row)
    if suffix == ".xls":
        raise RecordsError(f"{path}: the old .xls format is not supported; save the sheet as .xlsx or CSV")
    if suffix not in (".csv", ".tsv", ".txt", ""):
        raise RecordsError(f"{path}: unknown file type {suffix!r}; expected .csv, .tsv, .txt or .xlsx")
    return _open_csv(path, header_row)


def _names_required(cells: list[Any]) -> bool:
    """Whether a row reads as a header: it names every required column."""
    fields = {_ALIAS.get(_header_key(str(c))[0]) for c in cells if not is_blank(c)}
    return all(f in fields for f in REQUIRED)


def _find_header(rows: list[list[Any]], numbers: list[int], header_row: int | None, path: Path) -> int:
    """The index in ``rows`` of the header: ``header_row`` if given, else the first that names the
    required columns among the first :data:`HEADER_SEARCH` (else the first row: map_columns then
    says what is missing)."""
    if header_row is not None:
        if header_row not in numbers:
            last = numbers[-1] if numbers else 0
            raise RecordsError(
                f"{path}: --header-row {header_row} is not a row of the table (rows {numbers[0] if numbers else 0}"
                f"–{last} after comments and blank lines)"
            )
        return numbers.index(header_row)
    for i, cells in enumerate(rows[:HEADER_SEARCH]):
        if _names_required(cells):
            return i
    return 0


def _title_text(cells: list[Any]) -> str:
    return " ".join(str(c).strip() for c in cells if not is_blank(c))


def _encoding(path: Path) -> str:
    """The text encoding of a CSV file, checked over the whole file a block at a time.

    The checks of the whole file read into memory, without holding it: empty, a zip
    (an Excel file named .csv), UTF-16 (Excel's "Unicode text"), NUL bytes (binary), and
    UTF-8 (with or without its byte-order mark) tried before GB18030.
    """
    decoders = {name: codecs.getincrementaldecoder(name)() for name in ("utf-8-sig", "gb18030")}
    failed: set[str] = set()
    has_text = False
    try:
        with path.open("rb") as file:
            first = True
            while block := file.read(_BLOCK_BYTES):
                if first:
                    if block[:4] == b"PK\x03\x04":
                        raise RecordsError(f"{path}: this is a zip/Excel file; give it the .xlsx extension")
                    if block[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
                        return "utf-16"
                    first = False
                has_text = has_text or bool(block.strip())
                if b"\x00" in block:
                    raise RecordsError(f"{path}: binary data (NUL bytes), not a text CSV file")
                for name in decoders.keys() - failed:
                    try:
                        decoders[name].decode(block)
                    except UnicodeDecodeError:
                        failed.add(name)
    except OSError as exc:
        raise RecordsError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    if not has_text:
        raise RecordsError(f"{path}: the file is empty")
    for name in ("utf-8-sig", "gb18030"):
        if name in failed:
            continue
        try:
            decoders[name].decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return name
    raise RecordsError(f"{path}: not text in UTF-8 or GB18030 (GBK); save it as UTF-8 CSV")


def _text_lines(path: Path, encoding: str) -> Generator[str, None, None]:
    """The file's lines, their ends kept; a line ends at ``\\n``, ``\\r\\n`` or a lone ``\\r``
    (old Mac and some exports end lines with CR only)."""
    try:
        with path.open(encoding=encoding, newline="") as file:
            yield from file
    except OSError as exc:
        raise RecordsError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc


def _open_csv(path: Path, header_row: int | None = None) -> TableStream:
    encoding = _encoding(path)
    comments: list[str] = []
    lines = _text_lines(path, encoding)
    top: list[tuple[int, str]] = []  # the candidate header lines: (index, line)
    between: dict[int, str] = {}  # every line from the first candidate on, up to the last read
    skipped = 0
    in_comments = True
    for i, line in enumerate(lines):
        if header_row is not None and i + 1 > header_row:
            break
        if in_comments and (line.lstrip().startswith("#") or not line.strip()):
            if line.strip():
                comments.append(line.strip().lstrip("#").strip())
            skipped = i + 1
            continue
        in_comments = False
        between[i] = line
        if header_row is not None:
            if i + 1 == header_row:
                top = [(i, line)]
                break
        elif line.strip():
            top.append((i, line))
            if len(top) == HEADER_SEARCH:
                break
    lines.close()
    if not between:
        raise RecordsError(f"{path}: no header row (only comments or blank lines)")
    if header_row is not None and (not top or header_row <= skipped):
        raise RecordsError(
            f"{path}: --header-row {header_row} is not a row of the table (a comment, blank or past the end)"
        )
    # The header (not a title row above it) tells the delimiter: try each of the top rows.
    start = top[0][0]
    for i, line in top:
        delimiter = max((",", "\t", ";"), key=line.count)
        if header_row is not None or _names_required(next(csv.reader([line], delimiter=delimiter), [])):
            start = i
            break
    titles = [line.strip() for i, line in between.items() if i < start and line.strip()]
    delimiter = max((",", "\t", ";"), key=between[start].count)
    _check_quotes_closed(path, _lines_from(path, encoding, start), delimiter)
    reader = csv.reader(_lines_from(path, encoding, start), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader)]
    except (csv.Error, StopIteration) as exc:
        raise RecordsError(f"{path}: not a readable CSV file near line {start + reader.line_num}: {exc}") from exc

    def body() -> Iterator[tuple[int, list[Any]]]:
        reader = csv.reader(_lines_from(path, encoding, start), delimiter=delimiter)
        try:
            next(reader)  # the header (which may span lines, in quotes)
            for row in reader:
                yield start + reader.line_num, row
        except csv.Error as exc:
            raise RecordsError(f"{path}: not a readable CSV file near line {start + reader.line_num}: {exc}") from exc

    return TableStream(path, header, body, comments, titles)


def _lines_from(path: Path, encoding: str, start: int) -> Iterator[str]:
    """The file's lines from line index ``start`` (0-based) on."""
    return itertools.islice(_text_lines(path, encoding), start, None)


def _check_quotes_closed(path: Path, lines: Iterator[str], delimiter: str) -> None:
    """Refuse a file that ends inside a quoted field: it was cut short (a copy or an export
    interrupted), and the lenient reader would quietly take its last row as it stands.

    Only this one error of strict CSV is fatal; a stray quote inside a field (``"x"y``) is
    left to the lenient reader, which keeps the row, as the cleaning report then shows.
    The strict reading streams over the file (one row at a time).
    """
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        if "end of data" in str(exc):
            raise RecordsError(
                f"{path}: the file ends inside a quoted field (unterminated quote): it looks cut "
                "short; export or copy it again"
            ) from None


def _sheet_rows(path: Path) -> Generator[list[Any], None, None]:
    """The first sheet's rows as lists of values, read lazily (openpyxl's read-only mode)."""
    try:
        import openpyxl  # optional: only .xlsx needs it
    except ImportError:
        raise RecordsError(
            f"{path}: reading .xlsx needs the openpyxl package: pip install openpyxl (or save the sheet as CSV)"
        ) from None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged files; all mean "unreadable"
        raise RecordsError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    for warning in caught:
        logger.info("openpyxl: %s", warning.message)
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    except Exception as exc:  # a sheet damaged past its start is unreadable too
        raise RecordsError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    finally:
        book.close()


def _open_xlsx(path: Path, header_row: int | None = None) -> TableStream:
    comments: list[str] = []
    candidates: list[list[Any]] = []  # the non-blank rows from the first that is not a comment
    numbers: list[int] = []  # their sheet rows
    in_comments = True
    rows = _sheet_rows(path)
    for i, row in enumerate(rows):
        if in_comments and (_blank_row(row) or str(row[0] or "").startswith("#")):
            if not _blank_row(row):
                comments.append(str(row[0]).lstrip("#").strip())
            continue
        in_comments = False
        if _blank_row(row):
            continue
        candidates.append(row)
        numbers.append(i + 1)
        if (header_row is None and len(candidates) == HEADER_SEARCH) or (
            header_row is not None and i + 1 >= header_row
        ):
            break
    rows.close()
    if not candidates:
        raise RecordsError(f"{path}: the first sheet has no header row")
    at = _find_header(candidates, numbers, header_row, path)
    titles = [_title_text(cells) for cells in candidates[:at]]
    start = numbers[at] - 1  # index of the header in the sheet
    header = ["" if v is None else str(v).strip() for v in candidates[at]]

    def body() -> Iterator[tuple[int, list[Any]]]:
        yield from enumerate(itertools.islice(_sheet_rows(path), start + 1, None), start + 2)

    return TableStream(path, header, body, comments, titles)


def _blank_row(row: list[Any]) -> bool:
    return all(is_blank(v) for v in row)


def map_columns(table: RawTable | TableStream) -> tuple[dict[str, int], dict[str, float], list[str]]:
    """Find each canonical field's column.

    Returns
    -------
    (dict, dict, list)
        Field → column index; field → yuan per unit for amount columns with a unit in
        their header; notes about ignored or duplicated columns.

    Raises
    ------
    RecordsError
        If a required column (案号, 立案日期) is missing.
    """
    columns: dict[str, int] = {}
    units: dict[str, float] = {}
    notes: list[str] = []
    for index, name in enumerate(table.header):
        key, unit = _header_key(name)
        fld = _ALIAS.get(key)
        if fld is None:
            if name and step_column(name) is None:  # a dated step is read by sim.calibration.steps
                notes.append(f"column {name!r} is not used (not a known header)")
            continue
        if fld in columns:
            notes.append(f"column {name!r} is not used: {table.header[columns[fld]]!r} already gives {fld}")
            continue
        columns[fld] = index
        if unit is not None:
            units[fld] = unit
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        wanted = "; ".join(f"{f}: one of {', '.join(FIELDS[f])}" for f in missing)
        found = ", ".join(repr(h) for h in table.header) or "none"
        raise RecordsError(f"{table.source}: required column missing ({wanted}); columns found: {found}")
    return columns, units, notes


def _header_key(name: str) -> tuple[str, float | None]:
    key = normalise(unicodedata.normalize("NFKC", name)).replace("（", "(").replace("）", ")")
    if match := _UNIT_RE.match(key):
        return match.group(1), _UNIT_CNY[match.group(2)]
    return key, None
