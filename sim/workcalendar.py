"""The court's working calendar: when staff work and when legal periods end.

Like the wall calendar in a court registry with the holidays circled, this module
knows which dates are working days (the State Council's holiday and make-up
working day (调休) tables via ``chinesecalendar``), the daily working window, and
the Civil Procedure Law's rule for counting periods.

Simulation time is a float number of days since midnight of ``start_date``:
``t = 0.0`` is 00:00 of ``start_date``, ``t = 1.5`` is noon of the next day.

Everything the hot path needs is precomputed as plain Python lists over a span
of days (a year before ``start_date`` to six years after the horizon) so that
:meth:`WorkCalendar.finish_time` is O(1) arithmetic and list indexing. Asking
about a time outside the span rebuilds a larger span instead of failing.
"""

from __future__ import annotations

import logging
import math
import operator
import threading
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from typing import Literal

import chinese_calendar  # ships no type information: pyproject.toml [tool.mypy] overrides

__all__ = ["MARGIN_YEARS", "Basis", "Mode", "WorkCalendar", "allowed_start_dates", "official_calendar_covers"]

logger = logging.getLogger(__name__)

Mode = Literal["official", "continuous"]
Basis = Literal["days", "working_days", "months"]

# Hours closer than this to a window edge count as on it: float noise in t (days,
# ~1e-13 at t ~ 3000) must not move a finish from 16:30 to next morning.
_EPS_HOURS = 1e-9
_LOOKBACK_DAYS = 366  # lets queries about the year before start_date stay in the span
_MARGIN_DAYS = 6 * 366  # deadlines of cases open at the horizon end within the span
_MAX_SPAN_DAYS = 200 * 366  # a bigger span means a runaway time, not a simulation
MARGIN_YEARS = 6
"""Years after the run the calendar covers from the start, for the legal periods of open cases."""
assert _MARGIN_DAYS == MARGIN_YEARS * 366


def allowed_start_dates(horizon_days: float) -> tuple[date, date]:
    """The first and last ``start_date`` whose calendar fits in the dates Python can hold
    (up to 9999-12-31): the run of ``horizon_days`` and :data:`MARGIN_YEARS` after it, for
    the due dates of cases still open. A start near 9999-12-31 made those due dates
    overflow (``OverflowError``) in the middle of a run. (Early starts are clamped: the
    year before the start is only looked at, never needed.)"""
    return date.min, date.max - timedelta(math.ceil(horizon_days) + _MARGIN_DAYS + 1)


_WARNED: set[tuple[int, ...]] = set()
"""The sets of uncovered years this process has warned about: once each.

A replication builds its calendar twice (the model's and the KPIs'), every replication
builds its own, and a sweep builds one per scenario, so "once per calendar" printed the
same paragraph two to hundreds of times in one run (issue 18 item 15). The warning is
about the years, not about one calendar object: it is said once per process per set of
uncovered years (a later calendar reaching further years says so again). Sharing one
calendar per scenario instead was not chosen: a calendar grows its span on demand, so it
is not immutable, and reusing it across runs (or threads of the Python API) would make a
cache of mutable state; the warning is the only thing that was repeated. Worker processes
are forked from the parent, which builds a calendar before it starts them, so they
inherit this set and stay quiet too.
"""
_WARNED_LOCK = threading.Lock()


@cache
def _official_year(year: int) -> tuple[bool, ...] | None:
    """Working-day flags of every day of ``year`` per chinesecalendar, or None.

    None means the library has no data for the year. Coverage is detected by the
    library's own refusal (``NotImplementedError``) rather than by reading its
    internal tables, so a newer release with more years just works.
    """
    first = date(year, 1, 1)
    try:
        chinese_calendar.is_workday(first)
    except NotImplementedError:
        return None
    n_days = (date(year + 1, 1, 1) - first).days
    return tuple(bool(chinese_calendar.is_workday(first + timedelta(i))) for i in range(n_days))


def official_calendar_covers(year: int) -> bool:
    """Whether the official holiday tables (chinesecalendar) cover ``year``."""
    return _official_year(year) is not None


class WorkCalendar:
    """Working days, working hours and legal due dates for one simulation.

    Parameters
    ----------
    start_date
        Calendar date of simulation time 0.0 (its midnight).
    horizon_days
        Simulated length in days; sizes the precomputed span (it grows on demand).
    mode
        ``"official"``: Chinese official working days. ``"continuous"``: every day
        is a working day and staff work 24 hours a day (textbook queues for
        validation); ``hours_per_day``, ``day_start_hour``, holidays, make-up
        days and closures are then ignored (forced to 24 h from 00:00) so that a
        scenario can switch mode without editing its staffing hours.
    hours_per_day
        Length of the single daily working window, in hours, ``0 < h <= 24``.
    day_start_hour
        Clock time at which the window opens, in hours (8.5 = 08:30).
    extra_holidays
        The scenario's own rest days. They apply in every year; they are the only
        holidays in years chinesecalendar does not cover (weekends plus this list).
        Local holidays of an autonomous region belong here too.
    extra_workdays
        Days forced to be working days (e.g. make-up days of uncovered years).
    closures
        Court closure days: never working days; they win over everything else.
    coverage_warning
        Log the one warning about years without official data (a CLI that reports
        coverage itself turns it off).

    Raises
    ------
    ValueError
        If the working window is invalid or a date is both an extra holiday and
        an extra working day.
    """

    def __init__(
        self,
        start_date: date,
        *,
        horizon_days: float,
        mode: Mode = "official",
        hours_per_day: float = 8.0,
        day_start_hour: float = 8.5,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        closures: Iterable[date] = (),
        coverage_warning: bool = True,
    ) -> None:
        if mode not in ("official", "continuous"):
            raise ValueError(f"mode must be 'official' or 'continuous', got {mode!r}")
        if not (math.isfinite(horizon_days) and horizon_days >= 0):
            raise ValueError(f"horizon_days must be a finite number >= 0, got {horizon_days!r}")
        if mode == "continuous":
            hours_per_day, day_start_hour = 24.0, 0.0
        _check_window(hours_per_day, day_start_hour)
        self._start_date = start_date
        self._mode: Mode = mode
        self._hours = float(hours_per_day)
        self._open_h = float(day_start_hour)
        self._close_h = self._open_h + self._hours
        self._holidays = frozenset(extra_holidays)
        self._workdays = frozenset(extra_workdays)
        self._closures = frozenset(closures)
        both = sorted(self._holidays & self._workdays)
        if both:
            raise ValueError(f"extra_holidays and extra_workdays both contain {both[0]}")
        self._continuous = mode == "continuous"
        self._warned = not coverage_warning or self._continuous
        self._build(-_LOOKBACK_DAYS, math.ceil(horizon_days) + _MARGIN_DAYS + 1)
        self._warn_for_horizon(horizon_days)

    # -- attributes ----------------------------------------------------------

    @property
    def start_date(self) -> date:
        """Calendar date of simulation time 0.0."""
        return self._start_date

    @property
    def mode(self) -> Mode:
        """``"official"`` or ``"continuous"``."""
        return self._mode

    @property
    def hours_per_day(self) -> float:
        """Length of the daily working window, hours."""
        return self._hours

    @property
    def day_start_hour(self) -> float:
        """Clock time the working window opens, hours after midnight."""
        return self._open_h

    @property
    def uncovered_years(self) -> tuple[int, ...]:
        """Years in the precomputed span without official data (fallback used)."""
        return self._uncovered

    # -- building the span ---------------------------------------------------

    def _is_working(self, d: date, official: tuple[bool, ...] | None) -> bool:
        if self._continuous:
            return True
        if d in self._closures:
            return False
        if d in self._workdays:
            return True
        if d in self._holidays:
            return False
        if official is None:  # fallback: Monday to Friday
            return d.weekday() < 5
        return official[d.timetuple().tm_yday - 1]

    def _build(self, lo: int, hi: int) -> None:
        """Precompute day flags for day offsets ``lo <= k < hi`` from start_date."""
        # Clamp to representable dates: a start in year 9999 is odd but must not crash.
        origin = self._start_date.toordinal()
        lo = max(lo, date.min.toordinal() - origin)
        hi = min(hi, date.max.toordinal() - origin + 1)
        if hi - lo > _MAX_SPAN_DAYS:
            raise ValueError(
                f"time out of range: the calendar spans at most {_MAX_SPAN_DAYS} days "
                f"around start_date {self._start_date} (asked for day offsets {lo}..{hi})"
            )
        first = self._start_date + timedelta(lo)
        work: list[bool] = []
        fallback: list[bool] = []
        uncovered: set[int] = set()
        for i in range(hi - lo):
            d = first + timedelta(i)
            official = None if self._continuous else _official_year(d.year)
            missing = official is None and not self._continuous
            if missing:
                uncovered.add(d.year)
            work.append(self._is_working(d, official))
            fallback.append(missing)
        cum = [0]
        for w in work:
            cum.append(cum[-1] + w)
        self._lo, self._hi = lo, hi
        self._work, self._fallback, self._cum = work, fallback, cum
        self._wday = [i for i, w in enumerate(work) if w]
        self._uncovered = tuple(sorted(uncovered))

    def _extend_to(self, k: int) -> None:
        """Grow the span (at least doubling it) so that day offset ``k`` is inside."""
        lo, hi = self._lo, self._hi
        # Doubling keeps extensions rare; the cap keeps a reachable day reachable.
        if k < lo:
            lo = min(k, max(min(k - _LOOKBACK_DAYS, lo - (hi - lo)), hi - _MAX_SPAN_DAYS))
        if k >= hi:
            hi = max(k + 1, min(max(k + _MARGIN_DAYS + 1, hi + (hi - lo)), lo + _MAX_SPAN_DAYS))
        logger.debug("extending working calendar span to day offsets %d..%d", lo, hi)
        self._build(lo, hi)
        if not self._lo <= k < self._hi:  # clamped: callers looping on growth must stop
            raise ValueError(f"day {k} after start_date {self._start_date} is not a valid date")

    def _index(self, k: int) -> int:
        """Span index of day offset ``k``, growing the span if needed."""
        if not self._lo <= k < self._hi:
            self._extend_to(k)
        i = k - self._lo
        if self._fallback[i] and not self._warned:
            self._warn(self._start_date + timedelta(k))
        return i

    def _warn_for_horizon(self, horizon_days: float) -> None:
        last = min(self._start_date.toordinal() + math.ceil(horizon_days), date.max.toordinal())
        years = [y for y in self._uncovered if self._start_date.year <= y <= date.fromordinal(last).year]
        if years and not self._warned:
            self._warn(date(years[0], 1, 1))

    def _warn(self, asked: date) -> None:
        self._warned = True  # one warning per calendar: the rest would only repeat it
        with _WARNED_LOCK:
            if self._uncovered in _WARNED:  # another calendar of this process said it already
                return
            _WARNED.add(self._uncovered)
        logger.warning(
            "The official working calendar (chinesecalendar) has no data for year(s) %s "
            "(first needed for %s); for these years working days fall back to Monday-Friday "
            "minus the scenario's own holiday list (extra_holidays) and closures, plus "
            "extra_workdays. Check that the list holds that year's holidays and 调休 days.",
            ", ".join(str(y) for y in self._uncovered),
            asked.isoformat(),
        )

    # -- dates ---------------------------------------------------------------

    def _offset(self, d: date) -> int:
        return (d - self._start_date).days

    def _date(self, i: int) -> date:
        return self._start_date + timedelta(i + self._lo)

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day (official tables, 调休, closures applied)."""
        i = self._index(self._offset(d))  # first: growing the span replaces self._work
        return self._work[i]

    def date_of(self, t: float) -> date:
        """Calendar date containing simulation time ``t`` (days)."""
        return self._start_date + timedelta(math.floor(t))

    def time_of(self, d: date) -> float:
        """Simulation time (days) of the midnight starting ``d``; negative before start."""
        return float(self._offset(d))

    def _next_working_index(self, i: int) -> int:
        """Span index of the first working day at or after span index ``i``."""
        j = self._cum[i]  # working days before i = position of the next one in _wday
        while j >= len(self._wday):
            self._extend_to(self._hi)  # forward only: span indices stay valid
            j = self._cum[i]
        return self._wday[j]

    def working_days_between(self, d0: date, d1: date) -> int:
        """Number of working days in ``(d0, d1]``; negative if ``d1 < d0``.

        The start day is excluded, as in legal counting (CPL art. 85).
        """
        i0 = self._index(self._offset(d0))
        i1 = self._index(self._offset(d1))
        i0 = self._index(self._offset(d0))  # the second call may have moved the span
        return self._cum[i1 + 1] - self._cum[i0 + 1]

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day strictly after ``d`` (before it if ``n < 0``).

        ``n == 0`` returns ``d`` itself, working day or not.
        """
        if n == 0:
            return d
        k = self._offset(d)
        while True:
            i = self._index(k)
            # Position in _wday of the wanted day: _cum[i] working days lie before d.
            j = self._cum[i + 1] + n - 1 if n > 0 else self._cum[i] + n
            if 0 <= j < len(self._wday):
                break
            self._extend_to(self._lo - 1 if j < 0 else self._hi)
        self._index(self._wday[j] + self._lo)  # may log the coverage warning
        return self._date(self._wday[j])

    def due_date(self, start: date, n: int, basis: Basis) -> date:
        """Last day of a period of ``n`` days, working days or months starting on ``start``.

        Civil Procedure Law (2021 and 2023) art. 85: the starting day is not
        counted; if the last day is a rest day (法定休假日, which includes weekend
        rest days), the period ends on the first working day after it. A make-up
        working day (调休) is a working day and does not roll.

        Parameters
        ----------
        start
            The day of the event that starts the period (not counted).
        n
            Length of the period, ``n >= 0``. ``n == 0`` gives ``start`` for
            ``"working_days"`` and ``start`` rolled to a working day for ``"days"``.
        basis
            ``"days"``: calendar days, rolled forward if the last one is a rest
            day. ``"working_days"`` (N 工作日): the n-th working day after start.
            ``"months"``: the same day ``n`` months later (the last day of a shorter
            month: :func:`add_months`), rolled forward if a rest day.

        This is the one rule of the model's deadline clocks and of the metrics that
        check them (:mod:`sim.flow.clocks`, :mod:`sim.metrics.sla`).
        """
        try:  # any integer type (numpy's too), but not a float or a bool
            count = -1 if isinstance(n, bool) else operator.index(n)
        except TypeError:
            count = -1
        if count < 0:
            raise ValueError(f"n must be an integer >= 0, got {n!r}")
        n = count
        if basis == "working_days":
            return self.add_working_days(start, n)
        if basis == "months":
            return self.due_date(add_months(start, n), 0, "days")
        if basis != "days":
            raise ValueError(f"basis must be 'days', 'working_days' or 'months', got {basis!r}")
        i = self._index(self._offset(start) + n)
        j = self._next_working_index(i)
        self._index(j + self._lo)
        return self._date(j)

    def due_time(self, start_t: float, n: int, basis: Basis) -> float:
        """Simulation time (days) at which the period ends: midnight after its last day."""
        return self.time_of(self.due_date(self.date_of(start_t), n, basis)) + 1.0

    # -- working time --------------------------------------------------------

    def _worked(self, t: float) -> float:
        """W(t): working hours from the span's start to ``t``; the span must hold t."""
        k = math.floor(t)
        i = self._index(k)
        x = 0.0
        if self._work[i]:
            x = (t - k) * 24.0 - self._open_h
            x = 0.0 if x < 0.0 else (self._hours if x > self._hours else x)
        return self._hours * self._cum[i] + x

    def working_hours_between(self, t0: float, t1: float) -> float:
        """Working hours in ``[t0, t1]`` (negative if ``t1 < t0``), times in days."""
        if self._continuous:
            return (t1 - t0) * 24.0
        self._index(math.floor(t0))
        self._index(math.floor(t1))  # both in the span before W is read: W's origin is fixed
        return self._worked(t1) - self._worked(t0)

    def is_working_time(self, t: float) -> bool:
        """Whether ``t`` (days) lies in a working window; its end counts as inside."""
        if self._continuous:
            return True
        k = math.floor(t)
        i = self._index(k)
        h = (t - k) * 24.0
        if self._work[i] and self._open_h - _EPS_HOURS <= h <= self._close_h + _EPS_HOURS:
            return True
        # A window ending at 24:00 ends at the next day's midnight.
        if not (h <= _EPS_HOURS and self._close_h >= 24.0):
            return False
        before = self._index(k - 1)  # first: growing the span replaces self._work
        return self._work[before]

    def next_working_time(self, t: float) -> float:
        """Earliest time ``t' >= t`` (days) inside a working window."""
        if self.is_working_time(t):
            return t
        k = math.floor(t)
        i = self._index(k)
        if self._work[i] and (t - k) * 24.0 < self._open_h:
            return k + self._open_h / 24.0
        return self._next_working_index(i + 1) + self._lo + self._open_h / 24.0

    def finish_time(self, start: float, effort_hours: float) -> float:
        """When ``effort_hours`` of work begun at ``start`` (days) are done.

        Work is done only inside working windows of working days; work begun
        outside one waits for the next opening. With W(t) the working hours up to
        t, the answer is ``min{t >= start : W(t) >= W(start) + effort_hours}``,
        so work ending exactly at closing time returns the closing time.
        ``effort_hours == 0`` returns ``start`` unchanged.
        """
        if not effort_hours > 0.0:
            if effort_hours == 0.0:
                return start
            raise ValueError(f"effort_hours must be >= 0, got {effort_hours!r}")
        if self._continuous:
            return start + effort_hours / 24.0
        if effort_hours == math.inf:
            raise ValueError("effort_hours must be finite")
        hours = self._hours
        # W(start) inlined from _worked: this method is the simulation's hot path.
        k = math.floor(start)
        i = k - self._lo
        if not 0 <= i < len(self._work):
            i = self._index(k)
        x = 0.0
        if self._work[i]:
            x = (start - k) * 24.0 - self._open_h
            x = 0.0 if x < 0.0 else (hours if x > hours else x)
        target = hours * self._cum[i] + x + effort_hours
        q = math.floor(target / hours)  # whole windows before the one where work ends
        r = target - q * hours
        if r >= hours - _EPS_HOURS:  # division rounding: a full window left means the next one
            q, r = q + 1, r - hours
        wday = self._wday
        if r <= _EPS_HOURS and q >= 1:  # ends at a closing time
            while q - 1 >= len(wday):
                self._extend_to(self._hi)
                wday = self._wday
            t = wday[q - 1] + self._lo + self._close_h / 24.0
            if t >= start:
                return self._checked(t, wday[q - 1])
        while q >= len(wday):
            self._extend_to(self._hi)
            wday = self._wday
        t = wday[q] + self._lo + (self._open_h + max(r, 0.0)) / 24.0
        return self._checked(t if t >= start else start, wday[q])

    def _checked(self, t: float, i: int) -> float:
        if self._fallback[i] and not self._warned:
            self._warn(self._date(i))
        return t


def _check_window(hours_per_day: float, day_start_hour: float) -> None:
    if not (math.isfinite(hours_per_day) and 0.0 < hours_per_day <= 24.0):
        raise ValueError(f"hours_per_day must be in (0, 24], got {hours_per_day!r}")
    if not (math.isfinite(day_start_hour) and day_start_hour >= 0.0):
        raise ValueError(f"day_start_hour must be >= 0, got {day_start_hour!r}")
    if day_start_hour + hours_per_day > 24.0:
        raise ValueError(
            f"day_start_hour + hours_per_day must be <= 24 (the window fits in one day), "
            f"got day_start_hour={day_start_hour!r} + hours_per_day={hours_per_day!r}"
        )


def add_months(d: date, months: int) -> date:
    """``d`` plus whole calendar months; a day past the month's end clamps to its last day.

    Periods in months (the 6-month limit, the 3 months before 终本) end on the same day of
    the later month, or on its last day when it is shorter (8-31 + 6 months → 2-28/29).
    """
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")
