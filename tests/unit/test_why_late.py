"""Why late: each clock's time split into effort, queueing, outside waits and the floor.

Hand-built event logs with known answers. The scenario's log ends at day 250
(horizon 100 + cool-down 150); due times are written into the clocks directly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.eventlog import EventLog, cases_frame
from sim.metrics.why_late import WHY_LATE_COLUMNS, clock_parts, detail_label, why_late
from tests.unit.metrics_fixtures import NAN, calendar, case_record, scenario

FAST = {"case_type": "first", "track": "fast", "team": "fast_track"}


def _task(log: EventLog, case: int, step: str, team: str, roles: str, queued: float, start: float, end: float) -> None:
    log.step(case, step, "task", team, "", roles, f"{team}/{roles}/1", queued, start, end, 8.0)


def _wait(log: EventLog, case: int, step: str, start: float, end: float, excluded: bool = False) -> None:
    log.step(case, step, "wait", "", "", "", "", start, start, end, 0.0, excluded)


def _fast_log() -> tuple[EventLog, list]:
    """Four simple cases' 45-day clocks: late by the floor, on time, late by a queue, late by neither alone."""
    log = EventLog()
    # Case 1: 6 days of queues, 2 of effort, 10 of service, 75 of the 终本 floor: 93 days, due after 45.
    log.sla_start(1, "fast_close", 20.0, 65.0)
    _task(log, 1, "serve_documents", "fast_track", "officer", 20.0, 25.0, 26.0)
    _wait(log, 1, "service", 26.0, 36.0)
    _wait(log, 1, "zhongben_floor", 36.0, 111.0)
    _task(log, 1, "closing", "fast_track", "clerk", 111.0, 112.0, 113.0)
    log.mark(1, "closed", "fast_track", 113.0)
    log.sla_end(1, "fast_close", 113.0)
    # Case 2: on time (20 days).
    log.sla_start(2, "fast_close", 20.0, 65.0)
    _task(log, 2, "serve_documents", "fast_track", "officer", 20.0, 22.0, 23.0)
    _wait(log, 2, "service", 23.0, 40.0)
    log.sla_end(2, "fast_close", 40.0)
    # Case 3: 50 days in the officers' queue, 20 days late.
    log.sla_start(3, "fast_close", 30.0, 75.0)
    _task(log, 3, "serve_documents", "fast_track", "officer", 30.0, 80.0, 81.0)
    _wait(log, 3, "service", 81.0, 95.0)
    log.sla_end(3, "fast_close", 95.0)
    # Case 4: 20 days late; 12 of queue and 18 of service: neither alone explains it.
    log.sla_start(4, "fast_close", 30.0, 40.0)
    _task(log, 4, "serve_documents", "fast_track", "clerk+officer", 30.0, 42.0, 42.0)
    _wait(log, 4, "service", 42.0, 60.0)
    log.sla_end(4, "fast_close", 60.0)
    cases = [
        case_record(1, 20.0, 113.0, "zhongben", **FAST),
        case_record(2, 20.0, 40.0, "completed", **FAST),
        case_record(3, 30.0, 95.0, "completed", **FAST),
        case_record(4, 30.0, 60.0, "completed", **FAST),
    ]
    return log, cases


def _table(log: EventLog, cases: list) -> tuple:
    return log.steps_frame(), log.slas_frame(), cases_frame(cases)


def _row(table, sla: str, part: str, detail: str = ""):
    rows = table.loc[(table["sla"] == sla) & (table["part"] == part) & (table["detail"] == detail)]
    assert len(rows) == 1, f"expected one row for {sla}/{part}/{detail!r}, got {len(rows)}"
    return rows.iloc[0]


def test_parts_add_up_to_each_clock_and_split_as_built() -> None:
    steps, slas, cases = _table(*_fast_log())
    clocks, parts = clock_parts(steps, slas, cases, scenario(), calendar(), deadlines=["fast_close"])
    totals = parts.groupby("clock")["days"].sum()
    np.testing.assert_allclose(totals.reindex(clocks["clock"]).to_numpy(), clocks["elapsed_days"].to_numpy())
    one = clocks.loc[clocks["case_id"] == 1, "clock"].item()
    got = parts.loc[parts["clock"] == one].groupby("part")["days"].sum().to_dict()
    assert got == pytest.approx({"queue": 6.0, "effort": 2.0, "outside": 10.0, "floor": 75.0})
    assert clocks.set_index("case_id")["lateness_days"].to_dict() == pytest.approx(
        {1: 48.0, 2: -25.0, 3: 20.0, 4: 20.0}
    )


def test_shares_follow_the_stated_rule() -> None:
    table = why_late(*_table(*_fast_log()), scenario(), calendar())
    assert tuple(table.columns) == WHY_LATE_COLUMNS
    floor, queue, outside = (_row(table, "fast_close", p) for p in ("floor", "queue", "outside"))
    assert (floor.n_clocks, floor.n_late, floor.late_share) == (4, 3, 0.75)
    assert floor.mean_lateness_days == pytest.approx(88 / 3)
    # Removing one part alone puts case 1 on time by the floor, case 3 by its queue; case 4 by none.
    assert floor.explains_share == pytest.approx(1 / 3)
    assert queue.explains_share == pytest.approx(1 / 3)
    assert outside.explains_share == pytest.approx(0.0)
    assert _row(table, "fast_close", "none").explains_share == pytest.approx(1 / 3)
    # The largest part of each late clock: the floor (1), the queue (3), the service (4).
    mains = table.loc[(table["sla"] == "fast_close") & (table["detail"] == "")].set_index("part")["main_share"]
    assert mains[["floor", "queue", "outside"]].to_list() == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert mains.drop("none").sum() == pytest.approx(1.0)
    assert queue.mean_days_late == pytest.approx((6 + 50 + 12) / 3)
    assert queue.mean_days_on_time == pytest.approx(2.0)


def test_queues_are_split_by_team_and_roles() -> None:
    table = why_late(*_table(*_fast_log()), scenario(), calendar())
    officer = _row(table, "fast_close", "queue", "fast_track:officer")
    assert (officer.team, officer.role) == ("fast_track", "officer")
    assert officer.mean_days_late == pytest.approx((5 + 50) / 3)
    assert officer.explains_share == pytest.approx(1 / 3)
    both = _row(table, "fast_close", "queue", "fast_track:clerk+officer")
    assert both.mean_days_late == pytest.approx(12 / 3)
    service = _row(table, "fast_close", "outside", "service")
    assert service.mean_days_late == pytest.approx((10 + 14 + 18) / 3)
    assert detail_label("queue", "fast_track:clerk+officer")[0] == "快执团队·书记员+执行员"


def test_work_beside_the_case_counts_only_for_its_own_deadline() -> None:
    log, cases = _fast_log()
    # Case 3's papers are scanned while it waits for an officer: the scan is not on its path.
    log.sla_start(3, "scan", 35.0, 36.0)
    _task(log, 3, "scan", "records", "clerk", 35.0, 36.0, 37.0)
    log.sla_end(3, "scan", 37.0)
    table = why_late(*_table(log, cases), scenario(), calendar())
    assert _row(table, "fast_close", "queue").mean_days_late == pytest.approx((6 + 50 + 12) / 3)
    assert "records" not in set(table.loc[table["sla"] == "fast_close", "team"])
    scan = table.loc[table["sla"] == "scan"].set_index(["part", "detail"])
    assert scan.loc[("queue", "records:clerk"), "mean_days_late"] == pytest.approx(1.0)
    assert scan.loc[("effort", "records"), "mean_days_late"] == pytest.approx(1.0)
    assert scan.loc[("queue", ""), "explains_share"] == 1.0
    assert ("queue", "fast_track:officer") not in scan.index


def test_time_with_no_step_logged_is_other() -> None:
    log, cases = _fast_log()
    log.sla_start(2, "records_handover", 23.0, 23.5)
    log.sla_end(2, "records_handover", 24.375)
    table = why_late(*_table(log, cases), scenario(), calendar())
    other = _row(table, "records_handover", "other")
    assert other.mean_days_late == pytest.approx(1.375)
    assert other.explains_share == 1.0


def test_overdue_clocks_are_late_to_the_end_of_the_log_and_moot_ones_left_out() -> None:
    log, cases = _fast_log()
    log.sla_start(5, "fast_close", 50.0, 95.0)  # still running at the end (day 250)
    _wait(log, 5, "service", 50.0, 70.0)
    log.sla_start(2, "investigation", 25.0, 60.0)  # never ended: the case closed first
    cases = [*cases, case_record(5, 50.0, NAN, "", **FAST)]
    steps, slas, frame = _table(log, cases)
    clocks, parts = clock_parts(steps, slas, frame, scenario(), calendar())
    five = clocks.loc[(clocks["case_id"] == 5) & (clocks["sla"] == "fast_close")].iloc[0]
    assert five.censored and five.late and five.end == 250.0
    assert parts.loc[parts["clock"] == five.clock].set_index("part")["days"].to_dict() == pytest.approx(
        {"outside": 20.0, "other": 180.0}
    )
    assert "investigation" not in set(clocks["sla"])


def test_work_open_at_the_end_of_the_log_is_queue_and_effort_not_other() -> None:
    """The run's unfinished table: a task still queued, one under way (issue 14; the merged
    baseline's censored 45-day clocks put 120 days of queueing a clock into "other")."""
    log, cases = _fast_log()
    log.sla_start(5, "fast_close", 50.0, 95.0)  # still running at the end (day 250)
    _wait(log, 5, "service", 50.0, 70.0)
    log.sla_start(6, "fast_close", 90.0, 135.0)
    cases = [*cases, case_record(5, 50.0, NAN, "", **FAST), case_record(6, 90.0, NAN, "", **FAST)]
    open_log = EventLog()
    open_log.step(5, "debtor_interview", "task", "fast_track", "", "clerk+officer", "", 70.0, NAN, NAN, 1.0)
    open_log.step(6, "field_investigation", "task", "fast_track", "", "officer", "o/1", 90.0, 240.0, NAN, 99.0)
    open_log.step(6, "closing", "task", "fast_track", "", "clerk", "", 260.0, NAN, NAN, 1.0)  # after the log: none
    steps, slas, frame = _table(log, cases)
    unfinished = open_log.steps_frame()
    clocks, parts = clock_parts(steps, slas, frame, scenario(), calendar(), unfinished=unfinished)
    fast = clocks.loc[clocks["sla"] == "fast_close", ["clock", "case_id"]]
    days = parts.merge(fast, on="clock").groupby(["case_id", "part"])["days"].sum()
    assert days[5].to_dict() == pytest.approx({"outside": 20.0, "queue": 180.0})
    assert days[6].to_dict() == pytest.approx({"queue": 150.0, "effort": 10.0})
    table = why_late(steps, slas, frame, scenario(), calendar(), unfinished=unfinished)
    queue = _row(table, "fast_close", "queue", "fast_track:clerk+officer")  # case 5 alone explained by it
    assert queue.explains_share == pytest.approx(1 / queue.n_late)
    assert "other" not in set(table.loc[table["sla"] == "fast_close", "part"])  # no time left unlogged
    without = why_late(steps, slas, frame, scenario(), calendar())  # as before: the open work's days are "other"
    assert _row(without, "fast_close", "other").main_share > 0


def test_excluded_periods_never_explain_the_six_month_limit() -> None:
    log = EventLog()
    log.sla_start(7, "execution_limit", 20.0, 200.0)
    _task(log, 7, "field_investigation", "complex_track", "officer", 20.0, 100.0, 100.0)
    _wait(log, 7, "auction_1", 100.0, 130.0, excluded=True)
    _wait(log, 7, "service", 130.0, 250.0)
    log.sla_end(7, "execution_limit", 250.0)
    cases = [case_record(7, 20.0, 250.0, "completed", excluded=30.0)]
    table = why_late(*_table(log, cases), scenario(), calendar(), deadlines=["execution_limit"])
    assert _row(table, "execution_limit", "queue").mean_lateness_days == pytest.approx(20.0)  # 250 − (200 + 30)
    assert _row(table, "execution_limit", "excluded").explains_share == 0.0
    assert _row(table, "execution_limit", "excluded", "auction_1").mean_days_late == pytest.approx(30.0)
    assert _row(table, "execution_limit", "queue").explains_share == 1.0
    assert _row(table, "execution_limit", "outside").explains_share == 1.0


def test_overlapping_steps_are_made_disjoint_by_priority() -> None:
    log = EventLog()
    log.sla_start(8, "investigation", 10.0, 12.0)
    _wait(log, 8, "registry_answers", 10.0, 20.0)
    _task(log, 8, "field_investigation", "complex_track", "officer", 15.0, 25.0, 25.0)
    log.sla_end(8, "investigation", 25.0)
    cases = [case_record(8, 10.0, 30.0, "completed")]
    _, parts = clock_parts(*_table(log, cases), scenario(), calendar(), deadlines=["investigation"])
    assert parts.groupby("part")["days"].sum().to_dict() == pytest.approx({"outside": 10.0, "queue": 5.0})


def test_nothing_late_gives_undefined_shares_and_bad_names_are_refused() -> None:
    log, cases = _fast_log()
    table = why_late(*_table(log, cases[1:2]), scenario(), calendar())
    assert (table["n_late"] == 0).all() and table["explains_share"].isna().all()
    with pytest.raises(ValueError, match="fast_clsoe"):
        why_late(*_table(log, cases), scenario(), calendar(), deadlines=["fast_clsoe"])
    assert math.isnan(_row(table, "fast_close", "none").explains_share)


def test_hand_off_waits_are_their_own_part_not_outside() -> None:
    log, cases = _fast_log()
    # Case 3 waits 25 days in the fast-track team's in-tray before its queue: a hand-off, not an outside party.
    log.sla_start(5, "fast_close", 30.0, 75.0)
    _wait(log, 5, "handoff_wait", 30.0, 55.0)
    _wait(log, 5, "paper_transfer", 55.0, 60.0)
    _task(log, 5, "serve_documents", "fast_track", "officer", 60.0, 61.0, 62.0)
    _wait(log, 5, "service", 62.0, 100.0)
    log.sla_end(5, "fast_close", 100.0)
    cases.append(case_record(5, 30.0, 100.0, "completed", **FAST))
    steps, slas, frame = _table(log, cases)
    clocks, parts = clock_parts(steps, slas, frame, scenario(), calendar(), deadlines=["fast_close"])
    five = clocks.loc[clocks["case_id"] == 5, "clock"].item()
    got = parts.loc[parts["clock"] == five].groupby("part")["days"].sum().to_dict()
    assert got == pytest.approx({"handoff": 30.0, "queue": 1.0, "effort": 1.0, "outside": 38.0})
    table = why_late(steps, slas, frame, scenario(), calendar())
    handoff = _row(table, "fast_close", "handoff")
    # Late by 25 days: the 30 days of hand-off alone explain it, the 38 of service too.
    assert handoff.explains_share == pytest.approx(1 / 4)
    assert _row(table, "fast_close", "handoff", "handoff_wait").mean_days_late == pytest.approx(25 / 4)
    assert detail_label("handoff", "handoff_wait")[0] == "收件待办（交接）"
    assert "handoff_wait" not in set(table.loc[table["part"] == "outside", "detail"])
