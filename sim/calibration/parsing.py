"""Reading one cell of a court's case export: dates, amounts, case numbers, outcomes.

Like a registry clerk copying a handwritten docket into the system, each parser
takes what the export says in any of its usual spellings and returns either a
clean value or a short reason why it cannot. Nothing here guesses: an ambiguous
date such as ``5/6/2023`` is unreadable, not May or June.

Every parser returns ``(value, problem)``: ``problem`` is ``""`` when the cell was
read as is, else a reason for the cleaning report. A missing (empty) cell gives
``(None, "")``; deciding whether a missing value matters is the cleaner's job.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sim.vocab import CaseType, Outcome

__all__ = [
    "CASE_KINDS",
    "CASE_TYPE_LABELS",
    "MAX_AMOUNT_CNY",
    "OUTCOME_LABELS",
    "CaseNumber",
    "is_blank",
    "normalise",
    "parse_amount",
    "parse_case_number",
    "parse_case_type",
    "parse_date",
    "parse_outcome",
    "track_of_team",
]

_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (it counts 1900 as a leap year, so not 1900-01-01)
_SERIAL_RANGE = (20_000, 80_000)  # Excel serials of 1954 to 2119: anything else is not a date
_YEAR_RANGE = (1990, 2100)
_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}[:时]\d{1,2}(?:[:分]\d{1,2}(?:\.\d+)?秒?)?)?$"
)
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL_RE = re.compile(r"^\d{5}(?:\.\d+)?$")
_UNITS = {"亿元": 1e8, "亿": 1e8, "万元": 1e4, "万": 1e4, "千元": 1e3, "元": 1.0}
_CASE_NO_RE = re.compile(r"^\((\d{4})\)([^\d()]*\d*)([^\d()]+?)(\d+)号?$")

CASE_KINDS: dict[str, CaseType] = {
    "执": CaseType.FIRST,
    "执恢": CaseType.RESUMED,
    "执保": CaseType.PRESERVATION,
}
"""Case-number kind (the characters before the sequence number) → case type."""

_OTHER_ENFORCEMENT_KINDS = {
    "执异": "an objection (执行异议), not an implementation case",
    "执复": "a reconsideration (执行复议), not an implementation case",
    "执监": "a supervision case (执行监督), not an implementation case",
    "执协": "a coordination case (执行协调), not an implementation case",
    "执他": "a miscellaneous enforcement matter (执他), not an implementation case",
    "执请": "a request for instructions (执行请示), not an implementation case",
    "执配": "a distribution case (执行分配), not an implementation case",
}

CASE_TYPE_LABELS: dict[str, CaseType] = {
    **dict.fromkeys(("首执", "首次执行", "首次执行案件", "执行实施", "执行", "first"), CaseType.FIRST),
    **dict.fromkeys(("执恢", "恢复执行", "恢复执行案件", "resumed"), CaseType.RESUMED),
    **dict.fromkeys(("执保", "财产保全", "保全", "保全执行", "财产保全执行", "preservation"), CaseType.PRESERVATION),
}
"""Values of the optional 案件类型 column (after :func:`normalise`) → case type."""

_SETTLED = "和解 read as 执行完毕 (a settlement performed in full; 法发〔2014〕26号)"
_WITHDRAWN_APPLICATION = "a withdrawn application closes as 终结执行 (法发〔2014〕26号)"
_OUTCOME_SPELLINGS: tuple[tuple[Outcome, str, tuple[str, ...]], ...] = (
    (
        Outcome.COMPLETED,
        "",
        ("执行完毕", "履行完毕", "自动履行完毕", "自动履行", "全部执行完毕", "执行完结", "completed"),
    ),
    (Outcome.COMPLETED, "", ("保全完毕", "保全执行完毕")),  # a 执保 case whose measures are done
    (Outcome.COMPLETED, _SETTLED, ("和解", "执行和解", "和解履行完毕", "达成和解", "和解结案")),
    (Outcome.ZHONGBEN, "", ("终结本次执行程序", "终结本次执行", "终本", "zhongben")),
    (Outcome.TERMINATED, "", ("终结执行", "终结", "terminated")),
    (Outcome.TERMINATED, _WITHDRAWN_APPLICATION, ("撤回申请", "撤回执行申请", "申请撤回", "准予撤回", "撤回")),
    (Outcome.NOT_ENFORCED, "", ("不予执行", "not_enforced")),
    (Outcome.REJECTED, "", ("驳回申请", "驳回执行申请", "驳回", "rejected")),
    (Outcome.WITHDRAWN, "", ("销案", "withdrawn")),
)
OUTCOME_LABELS: dict[str, tuple[Outcome, str]] = {
    label: (outcome, note) for outcome, note, labels in _OUTCOME_SPELLINGS for label in labels
}
"""结案方式 labels (after :func:`normalise`) → (outcome, note for the cleaning report).

A label with a note is read as the outcome shown and listed as *repaired* so that
the reading is visible. The six closing modes are those of 法发〔2014〕26号; the
others are spellings seen in exports.
"""


def normalise(text: str) -> str:
    """NFKC-fold (full-width digits and brackets to ASCII), drop spaces, lower-case Latin."""
    folded = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", folded).lower()


_CACHED_CELLS = 1 << 16
"""Distinct cell texts remembered per parser. Exports repeat their dates, outcomes, teams
and amounts across rows: reading each distinct text once made cleaning about twice as fast
(bench/bench_calibration_scale.py). The parsers are pure functions of the text, so a
remembered answer is the answer."""

_BLANKS = frozenset(("", "-", "—", "/", "无", "nan", "none", "null", "n/a"))


@functools.lru_cache(maxsize=_CACHED_CELLS)
def _blank_text(text: str) -> bool:
    return normalise(text) in _BLANKS


def is_blank(value: Any) -> bool:
    """Whether a cell is empty: None, NaN, or only spaces (also ``-``, ``—``, ``/``, ``无``)."""
    if value is None:
        return True
    if type(value) is str:
        return _blank_text(value)
    try:
        if value != value:  # NaN, NaT and pandas NA are not equal to themselves
            return True
    except (TypeError, ValueError):  # pandas NA refuses comparison
        return True
    if isinstance(value, str):
        return normalise(value) in _BLANKS
    return False


# ---------------------------------------------------------------- dates


def parse_date(value: Any) -> tuple[date | None, str]:
    """A calendar date from a cell.

    Accepts ``2022-05-25``, ``2022/5/25``, ``2022.5.25``, ``2022年5月25日`` (with an
    optional clock time), ``20220525``, Excel serial numbers (days since 1899-12-30,
    as a number or digits) and date/datetime objects from a spreadsheet.
    """
    if type(value) is str:
        return _date_text(value)
    return _parse_date(value)


@functools.lru_cache(maxsize=_CACHED_CELLS)
def _date_text(value: str) -> tuple[date | None, str]:
    return _parse_date(value)


def _parse_date(value: Any) -> tuple[date | None, str]:
    if is_blank(value):
        return None, ""
    if isinstance(value, datetime):
        return _plausible(value.date())
    if isinstance(value, date):
        return _plausible(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_number(float(value), str(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if match := _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text):
        return _from_parts(*(int(g) for g in match.groups()[:3]), text=text)
    if _SERIAL_RE.match(text):
        return _from_number(float(text), text)
    return None, f"unreadable date {text!r} (expected e.g. 2022-05-25, 2022/5/25 or 2022年5月25日)"


def _from_number(number: float, text: str) -> tuple[date | None, str]:
    if 19_000_101 <= number <= 21_001_231 and number == int(number):
        return _from_parts(int(number) // 10_000, int(number) // 100 % 100, int(number) % 100, text=text)
    if _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return _plausible(_EXCEL_EPOCH + timedelta(days=int(number)))
    return None, f"unreadable date {text!r} (a number that is not an Excel date serial)"


def _from_parts(year: int, month: int, day: int, *, text: str) -> tuple[date | None, str]:
    try:
        return _plausible(date(year, month, day))
    except ValueError:
        return None, f"impossible date {text!r}"


def _plausible(d: date) -> tuple[date | None, str]:
    if not _YEAR_RANGE[0] <= d.year <= _YEAR_RANGE[1]:
        return None, f"implausible date {d.isoformat()} (year outside {_YEAR_RANGE[0]}–{_YEAR_RANGE[1]})"
    return d, ""


# ---------------------------------------------------------------- amounts


MAX_AMOUNT_CNY = 1e13
"""The largest amount read from records (ten trillion 元): the scenario refuses claim
distributions that average more (``config.schema``), so a larger cell, a typing slip or
``1e308``, would only make the fitted scenario invalid."""


def parse_amount(value: Any, unit_cny: float = 1.0) -> tuple[float | None, str]:
    """An amount in yuan from a cell such as ``12,345.6``, ``12345元``, ``1.2万元`` or ``¥3,000``.

    Parameters
    ----------
    value
        The cell.
    unit_cny
        Yuan per unit of a bare number (1e4 when the header says 万元).

    Returns
    -------
    (float | None, str)
        The amount in yuan (>= 0), or None and the reason.
    """
    if type(value) is str:
        return _amount_text(value, unit_cny)
    return _parse_amount(value, unit_cny)


@functools.lru_cache(maxsize=_CACHED_CELLS)
def _amount_text(value: str, unit_cny: float) -> tuple[float | None, str]:
    return _parse_amount(value, unit_cny)


def _parse_amount(value: Any, unit_cny: float) -> tuple[float | None, str]:
    if is_blank(value):
        return None, ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = float(value) * unit_cny
    else:
        text = normalise(str(value))
        for prefix in ("¥", "rmb", "人民币", "cny"):
            text = text.removeprefix(prefix)
        text = text.replace(",", "").replace("，", "")
        unit = unit_cny
        for suffix, factor in _UNITS.items():
            if text.endswith(suffix):
                text, unit = text.removesuffix(suffix), factor
                break
        try:
            amount = float(text) * unit
        except ValueError:
            return None, f"unreadable amount {str(value).strip()!r}"
    if not math.isfinite(amount) or amount < 0:
        return None, f"invalid amount {value!r} (must be a finite number >= 0)"
    if amount > MAX_AMOUNT_CNY:
        return (
            None,
            f"implausible amount {value!r} (above {MAX_AMOUNT_CNY:.0e} 元, the most a scenario's amounts may average)",
        )
    return amount, ""


# ---------------------------------------------------------------- case numbers and labels


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """A parsed 案号 such as （2023）豫1381执恢12号."""

    year: int
    court: str  # e.g. 豫1381
    kind: str  # e.g. 执, 执恢, 执保
    seq: int


def parse_case_number(value: Any) -> tuple[CaseNumber | None, str]:
    """The parts of a case number, or the reason it is not an implementation case number."""
    if is_blank(value):
        return None, ""
    text = normalise(str(value)).replace("〔", "(").replace("〕", ")").replace("[", "(").replace("]", ")")
    match = _CASE_NO_RE.match(text)
    if not match:
        return None, f"case number {str(value).strip()!r} is not in the form （2023）豫1381执123号"
    year, court, kind, seq = match.groups()
    number = CaseNumber(int(year), court, kind, int(seq))
    if kind in CASE_KINDS:
        return number, ""
    reason = _OTHER_ENFORCEMENT_KINDS.get(kind, f"not an enforcement case number (kind {kind!r})")
    return number, reason


def parse_case_type(value: Any) -> tuple[CaseType | None, str]:
    """A case type from the optional 案件类型 column."""
    if type(value) is str:
        return _case_type_text(value)
    return _parse_case_type(value)


@functools.lru_cache(maxsize=_CACHED_CELLS)
def _case_type_text(value: str) -> tuple[CaseType | None, str]:
    return _parse_case_type(value)


def _parse_case_type(value: Any) -> tuple[CaseType | None, str]:
    if is_blank(value):
        return None, ""
    label = normalise(str(value))
    if label in CASE_TYPE_LABELS:
        return CASE_TYPE_LABELS[label], ""
    return None, f"unknown case type {str(value).strip()!r}"


def parse_outcome(value: Any) -> tuple[Outcome | None, str, str]:
    """An outcome from 结案方式: ``(outcome, note, problem)``.

    ``note`` explains a reading that is not literal (e.g. 和解 → 执行完毕); ``problem``
    says why the label could not be read.
    """
    if type(value) is str:
        return _outcome_text(value)
    return _parse_outcome(value)


@functools.lru_cache(maxsize=_CACHED_CELLS)
def _outcome_text(value: str) -> tuple[Outcome | None, str, str]:
    return _parse_outcome(value)


def _parse_outcome(value: Any) -> tuple[Outcome | None, str, str]:
    if is_blank(value):
        return None, "", ""
    label = normalise(str(value))
    if label in OUTCOME_LABELS:
        outcome, note = OUTCOME_LABELS[label]
        return outcome, note, ""
    return None, "", f"unknown outcome {str(value).strip()!r}"


_TRACK_PATTERNS = (
    ("fast", ("快执", "速执", "简案", "fast")),
    ("standard", ("精执", "执行二", "执行三", "执行四", "执行五", "执行六", "繁案", "standard", "complex")),
    ("oversight", ("三统一", "保全", "oversight")),
    ("none", ("前置", "指挥中心", "intake")),
)


def track_of_team(value: Any) -> str:
    """The track a 承办部门/团队 name points to (fast, standard, oversight, none), or ``""``."""
    if type(value) is str:
        return _track_text(value)
    return _track_of_team(value)


@functools.lru_cache(maxsize=_CACHED_CELLS)
def _track_text(value: str) -> str:
    return _track_of_team(value)


def _track_of_team(value: Any) -> str:
    if is_blank(value):
        return ""
    text = normalise(str(value))
    for track, patterns in _TRACK_PATTERNS:
        if any(p in text for p in patterns):
            return track
    return ""
