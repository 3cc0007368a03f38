"""The working calendar: official days, working hours and CPL art. 85 day counting.

Known dates come from chinesecalendar 1.11.0 and were checked against the State
Council's yearly holiday notices (国务院办公厅关于××年部分节假日安排的通知).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import cache

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim import workcalendar
from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.experiments.running import replicate
from sim.workcalendar import WorkCalendar, official_calendar_covers


@cache
def cal(name: str = "official") -> WorkCalendar:
    """Calendars shared by the tests (built once: Hypothesis calls tests many times)."""
    if name == "official":
        return WorkCalendar(date(2024, 1, 1), horizon_days=730)
    if name == "full_day":  # windows of adjacent working days touch at midnight
        return WorkCalendar(date(2024, 1, 1), horizon_days=730, hours_per_day=24, day_start_hour=0)
    if name == "closures":
        return WorkCalendar(
            date(2024, 1, 1),
            horizon_days=730,
            hours_per_day=7.5,
            day_start_hour=9,
            closures=[date(2024, 3, 4), date(2024, 9, 29)],
            extra_holidays=[date(2024, 7, 1)],
        )
    if name == "odd_window":  # 20 minutes from 23:06: hours not exact in binary
        return WorkCalendar(date(2024, 1, 1), horizon_days=730, hours_per_day=1 / 3, day_start_hour=23.1)
    return WorkCalendar(date(2024, 1, 1), horizon_days=730, mode="continuous")


def at(d: date, hour: float, c: WorkCalendar | None = None) -> float:
    """Simulation time of clock ``hour`` on ``d``."""
    return (c or cal()).time_of(d) + hour / 24


# -- official days ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 10, 12), True),  # Saturday, make-up day for National Day 2024
        (date(2024, 2, 4), True),  # Sunday, make-up day for Spring Festival 2024
        (date(2024, 9, 28), False),  # ordinary Saturday
        (date(2024, 9, 29), True),  # Sunday, make-up day for National Day 2024
        (date(2024, 10, 7), False),  # Monday inside National Day 10-01..10-07
        (date(2025, 1, 26), True),  # Sunday, make-up day for Spring Festival 2025
        (date(2025, 2, 8), True),  # Saturday, make-up day for Spring Festival 2025
        (date(2025, 10, 8), False),  # Wednesday, National Day + Mid-Autumn 10-01..10-08
        (date(2025, 10, 11), True),  # Saturday make-up day
        (date(2026, 10, 1), False),  # National Day 2026
        (date(2026, 1, 4), True),  # Sunday make-up day after New Year 2026
        (date(2026, 2, 23), False),  # Monday, last day of Spring Festival 2026 (02-15..02-23)
        (date(2026, 2, 28), True),  # Saturday make-up day
        (date(2023, 1, 29), True),  # Sunday make-up day after Spring Festival 2023
        (date(2023, 6, 23), False),  # Friday, Dragon Boat 2023 (06-22..06-24)
        (date(2023, 10, 8), True),  # Sunday make-up day after National Day 2023
        (date(2022, 10, 9), True),  # Sunday make-up day after National Day 2022
        (date(2022, 4, 4), False),  # Monday, Qingming 2022
    ],
)
def test_official_working_days(day: date, working: bool) -> None:
    assert cal().is_working_day(day) is working


def test_spring_festival_2025_is_eight_rest_days() -> None:
    days = [date(2025, 1, 28) + timedelta(i) for i in range(8)]
    assert [cal().is_working_day(d) for d in days] == [False] * 8
    assert cal().is_working_day(date(2025, 2, 5))


def test_coverage_of_the_official_tables() -> None:
    assert official_calendar_covers(2024)
    assert official_calendar_covers(2026)
    assert not official_calendar_covers(2031)
    assert cal().uncovered_years == tuple(range(2027, 2033))  # span reaches 6 years past horizon


# -- legal day counting (CPL art. 85) --------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "basis", "due"),
    [
        # The 10th day (10-06) is in the National Day holiday: ends the next working day.
        (date(2024, 9, 26), 10, "days", date(2024, 10, 8)),
        # Saturday 09-28 rests; Sunday 09-29 is a make-up working day.
        (date(2024, 9, 27), 1, "working_days", date(2024, 9, 29)),
        # The first day is not counted: 15 days from 09-20 end on 10-05 -> rolled to 10-08.
        (date(2024, 9, 20), 15, "days", date(2024, 10, 8)),
        # Last day is a make-up Sunday: a working day, no roll.
        (date(2024, 9, 19), 10, "days", date(2024, 9, 29)),
        # Rolls onto a make-up Saturday, not past it (2023-10-07).
        (date(2023, 9, 28), 3, "days", date(2023, 10, 7)),
        # Saturday, Sunday and Dragon Boat Monday 2024-06-10 all roll.
        (date(2024, 6, 7), 1, "days", date(2024, 6, 11)),
        # Spring Festival 2025: 01-30 rolls to 02-05.
        (date(2025, 1, 20), 10, "days", date(2025, 2, 5)),
        (date(2024, 9, 30), 1, "working_days", date(2024, 10, 8)),
        (date(2024, 9, 30), 0, "working_days", date(2024, 9, 30)),
        (date(2024, 10, 3), 0, "days", date(2024, 10, 8)),  # n == 0 still rolls
        (date(2024, 3, 1), 7, "days", date(2024, 3, 8)),  # ordinary Friday, no roll
    ],
)
def test_due_date_known_answers(start: date, n: int, basis: str, due: date) -> None:
    assert cal().due_date(start, n, basis) == due  # type: ignore[arg-type]


def test_working_days_between_excludes_start_and_includes_end() -> None:
    assert cal().working_days_between(date(2024, 9, 30), date(2024, 10, 8)) == 1
    assert cal().working_days_between(date(2024, 9, 27), date(2024, 9, 29)) == 1
    assert cal().working_days_between(date(2024, 3, 4), date(2024, 3, 4)) == 0
    assert cal().working_days_between(date(2024, 3, 8), date(2024, 3, 4)) == -4


def test_add_working_days_backwards() -> None:
    assert cal().add_working_days(date(2024, 10, 8), -1) == date(2024, 9, 30)
    assert cal().add_working_days(date(2024, 9, 30), -1) == date(2024, 9, 29)


def test_due_time_is_midnight_after_the_due_day() -> None:
    c = cal()
    t = at(date(2024, 9, 26), 15.0)
    assert c.due_time(t, 10, "days") == c.time_of(date(2024, 10, 8)) + 1.0


def test_closures_and_extra_holidays_roll_deadlines() -> None:
    c = cal("closures")
    assert not c.is_working_day(date(2024, 3, 4))  # closure on a Monday
    assert not c.is_working_day(date(2024, 9, 29))  # closure wins over a make-up day
    assert not c.is_working_day(date(2024, 7, 1))  # scenario holiday in a covered year
    assert c.due_date(date(2024, 3, 1), 3, "days") == date(2024, 3, 5)


def test_extra_workday_makes_a_saturday_working() -> None:
    c = WorkCalendar(date(2024, 1, 1), horizon_days=30, extra_workdays=[date(2024, 1, 6)])
    assert c.is_working_day(date(2024, 1, 6))
    assert c.due_date(date(2024, 1, 5), 1, "days") == date(2024, 1, 6)


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda c: c.due_date(date(2024, 1, 1), -1, "days"), "n"),
        (lambda c: c.due_date(date(2024, 1, 1), 1, "weeks"), "basis"),
        (lambda c: c.finish_time(0.0, -1.0), "effort_hours"),
        (lambda c: c.finish_time(0.0, float("nan")), "effort_hours"),
        (lambda c: c.finish_time(0.0, float("inf")), "effort_hours"),
    ],
)
def test_bad_arguments_raise_value_error(call, word: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=word):
        call(cal())


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"hours_per_day": 0}, "hours_per_day"),
        ({"hours_per_day": 25}, "hours_per_day"),
        ({"day_start_hour": -1}, "day_start_hour"),
        ({"day_start_hour": 20, "hours_per_day": 8}, "day_start_hour"),
        ({"extra_holidays": [date(2024, 1, 6)], "extra_workdays": [date(2024, 1, 6)]}, "extra"),
    ],
)
def test_invalid_calendar_settings(kwargs: dict[str, object], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        WorkCalendar(date(2024, 1, 1), horizon_days=10, **kwargs)  # type: ignore[arg-type]


# -- working time ----------------------------------------------------------


def test_finish_at_closing_time_is_not_next_morning() -> None:
    c = cal()
    friday = date(2024, 9, 27)
    assert c.finish_time(c.time_of(friday), 8.0) == pytest.approx(at(friday, 16.5))
    assert c.is_working_time(c.finish_time(c.time_of(friday), 8.0))


def test_work_carries_over_rest_days_and_make_up_days() -> None:
    c = cal()
    # Friday 16:00 + 1 h: half an hour Friday, the rest on make-up Sunday 09-29 08:30.
    assert c.finish_time(at(date(2024, 9, 27), 16.0), 1.0) == pytest.approx(at(date(2024, 9, 29), 9.0))
    # Monday 09-30 16:00 + 1 h: National Day holiday intervenes until Tuesday 10-08.
    assert c.finish_time(at(date(2024, 9, 30), 16.0), 1.0) == pytest.approx(at(date(2024, 10, 8), 9.0))


def test_work_started_after_hours_waits_for_the_next_opening() -> None:
    c = cal()
    assert c.finish_time(at(date(2024, 9, 27), 20.0), 2.0) == pytest.approx(at(date(2024, 9, 29), 10.5))
    assert c.next_working_time(at(date(2024, 9, 27), 20.0)) == pytest.approx(at(date(2024, 9, 29), 8.5))
    assert c.next_working_time(at(date(2024, 9, 27), 6.0)) == pytest.approx(at(date(2024, 9, 27), 8.5))
    assert c.next_working_time(at(date(2024, 9, 27), 10.0)) == at(date(2024, 9, 27), 10.0)


def test_zero_effort_returns_start_unchanged() -> None:
    assert cal().finish_time(at(date(2024, 9, 28), 3.3), 0.0) == at(date(2024, 9, 28), 3.3)


def test_working_time_window_edges() -> None:
    c = cal()
    friday = date(2024, 9, 27)
    assert c.is_working_time(at(friday, 8.5))
    assert c.is_working_time(at(friday, 16.5))
    assert not c.is_working_time(at(friday, 8.4))
    assert not c.is_working_time(at(friday, 16.6))
    assert not c.is_working_time(at(date(2024, 9, 28), 10.0))
    assert c.working_hours_between(at(friday, 0.0), at(date(2024, 9, 30), 0.0)) == pytest.approx(16.0)


def test_span_grows_instead_of_failing() -> None:
    c = WorkCalendar(date(2024, 1, 1), horizon_days=10)
    assert not c.is_working_day(date(2020, 1, 1))  # New Year, before the lookback year
    assert c.time_of(date(2020, 1, 1)) < 0
    done = c.finish_time(0.0, 8.0 * 3000)  # about twelve years of work
    assert c.working_hours_between(0.0, done) == pytest.approx(8.0 * 3000)
    assert c.date_of(done).year >= 2035


def test_continuous_mode_is_24_7_and_never_rolls() -> None:
    c = WorkCalendar(date(2024, 1, 1), horizon_days=10, mode="continuous", hours_per_day=8)
    assert (c.hours_per_day, c.day_start_hour) == (24.0, 0.0)
    assert c.finish_time(0.25, 6.0) == 0.5
    assert c.is_working_day(date(2024, 10, 1))
    assert c.due_date(date(2024, 9, 26), 10, "days") == date(2024, 10, 6)
    assert c.uncovered_years == ()


# -- years without official data -------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_coverage_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: nothing warned yet (the warning is said
    once per process per set of uncovered years)."""
    monkeypatch.setattr(workcalendar, "_WARNED", set())


def test_uncovered_year_uses_weekends_and_scenario_holidays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="sim.workcalendar"):
        c = WorkCalendar(date(2031, 1, 1), horizon_days=365, extra_holidays=[date(2031, 1, 1)])
        assert not c.is_working_day(date(2031, 1, 1))  # scenario holiday, a Wednesday
        assert c.is_working_day(date(2031, 1, 2))
        assert not c.is_working_day(date(2031, 1, 4))  # Saturday
        assert c.due_date(date(2031, 1, 2), 1, "days") == date(2031, 1, 3)
        assert c.finish_time(0.0, 8.0) == pytest.approx(1 + 16.5 / 24)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2031" in warnings[0].getMessage()
    assert 2031 in c.uncovered_years


def test_covered_horizon_warns_once_only_when_a_query_leaves_coverage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="sim.workcalendar"):
        c = WorkCalendar(date(2024, 1, 1), horizon_days=365)
        c.due_date(date(2024, 5, 6), 30, "days")
        assert caplog.records == []
        c.due_date(date(2026, 12, 1), 60, "days")  # due in 2027
        assert len(caplog.records) == 1
        assert "2027" in caplog.records[0].getMessage()
        c.finish_time(c.time_of(date(2027, 3, 1)), 5.0)
        c.is_working_day(date(2028, 1, 3))
        assert len(caplog.records) == 1
        # Another calendar over the same years says nothing new: once per process, not per
        # calendar (a replication builds two; issue 18 item 15) ...
        WorkCalendar(date(2024, 1, 1), horizon_days=365).finish_time(c.time_of(date(2027, 3, 1)), 5)
        assert len(caplog.records) == 1
        # ... but one reaching other years does, and the simulation's hot path warns too.
        WorkCalendar(date(2024, 1, 1), horizon_days=3650).finish_time(c.time_of(date(2038, 3, 1)), 5)
        assert len(caplog.records) == 2
        assert "2038" in caplog.records[1].getMessage()


def test_a_run_past_the_official_data_warns_once(short: Scenario, caplog: pytest.LogCaptureFixture) -> None:
    """Two replications, each with the model's calendar and the KPIs': one warning, naming the years."""
    late = with_overrides(short, {"run.start_date": "2026-06-01"})
    with caplog.at_level(logging.WARNING, logger="sim.workcalendar"):
        for rep in range(2):
            replicate(late, rep, 7)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2027" in warnings[0]


# -- properties ------------------------------------------------------------

CALENDARS = st.sampled_from(["official", "full_day", "closures", "odd_window"])
EFFORT = st.one_of(
    st.floats(min_value=0.0, max_value=200.0),
    st.sampled_from([5e-324, 1e-12, 1 / 3, 7.5, 8.0, 16.0, 24.0]),
)
# Window edges are where float noise bites, so draw them often.
STARTS = st.one_of(
    st.floats(min_value=-300.0, max_value=800.0),
    st.builds(
        lambda k, h: k + h / 24,
        st.integers(-300, 800),
        st.sampled_from([0, 8.5, 9, 16.5, 23.1, 23.1 + 1 / 3]),
    ),
)


@settings(deadline=None)
@given(name=CALENDARS, s=STARTS, h=EFFORT)
@example(name="official", s=256.0, h=1e-9)  # exactly the snap tolerance
# Found by Hypothesis: W/hours rounds to q + 0.999..., which once pointed at a closing
# time before s and returned s, a midnight outside working time.
@example(name="odd_window", s=379.0, h=1e-323)
def test_finish_time_does_exactly_the_work(name: str, s: float, h: float) -> None:
    c = cal(name)
    f = c.finish_time(s, h)
    assert f >= s
    assert c.working_hours_between(s, f) == pytest.approx(h, abs=1e-6)
    if h > 0:
        assert c.is_working_time(f)


@settings(deadline=None)
@given(name=CALENDARS, s=STARTS, a=EFFORT, b=EFFORT)
def test_finish_time_is_monotone_and_additive(name: str, s: float, a: float, b: float) -> None:
    c = cal(name)
    lo, hi = sorted((a, b))
    assert c.finish_time(s, lo) <= c.finish_time(s, hi) + 1e-9
    assert c.finish_time(s, a) <= c.finish_time(s + abs(b) / 24, a) + 1e-9
    split, whole = c.finish_time(c.finish_time(s, a), b), c.finish_time(s, a + b)
    # Equal, except when float noise puts one at a closing time and the other at the next
    # opening (finish_time jumps there by design); then no work lies between the two.
    assert split == pytest.approx(whole, abs=1e-9) or c.working_hours_between(
        min(split, whole), max(split, whole)
    ) == pytest.approx(0.0, abs=1e-6)


@settings(deadline=None)
@given(s=st.floats(min_value=-300.0, max_value=800.0), h=EFFORT)
def test_continuous_finish_time_is_plain_arithmetic(s: float, h: float) -> None:
    assert cal("continuous").finish_time(s, h) == s + h / 24


DAYS = st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 6, 30))


@settings(deadline=None)
@given(name=CALENDARS, d=DAYS, n=st.integers(0, 150))
def test_due_date_in_days_is_a_working_day_not_before_the_nominal_day(name: str, d: date, n: int) -> None:
    c = cal(name)
    due = c.due_date(d, n, "days")
    assert due >= d + timedelta(n)
    assert c.is_working_day(due)
    # Only rest days lie between the nominal last day and the due day.
    assert c.working_days_between(d + timedelta(n), due) == (0 if due == d + timedelta(n) else 1)


@settings(deadline=None)
@given(name=CALENDARS, d=DAYS, n=st.integers(1, 150))
def test_due_date_in_working_days_counts_working_days(name: str, d: date, n: int) -> None:
    c = cal(name)
    due = c.due_date(d, n, "working_days")
    assert c.is_working_day(due)
    assert c.working_days_between(d, due) == n


def test_a_day_that_grows_the_span_is_read_from_the_grown_span() -> None:
    """``is_working_day`` used to index the old day table with the new span's index when the
    date lay outside the span (found seeding a backlog ten years old): 2021-11-27, a Saturday,
    came out a working day."""
    calendar = WorkCalendar(date(2023, 1, 2), horizon_days=40, mode="official")
    assert calendar.is_working_day(date(2021, 11, 27)) is False  # outside the year looked back on
    assert calendar.is_working_day(date(2021, 11, 29)) is True  # Monday
    assert calendar.is_working_day(date(2012, 10, 1)) is False  # National Day, further back still
