"""人均结案 with named denominators, and the would-be simple KPIs, on hand-built runs.

Calendar and window as in ``test_metrics_kpis``: day 0 is Sunday 2024-09-01, the counting
window is [10, 100), the log ends at day 250.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from sim.eventlog import CaseRecord, EventLog
from sim.metrics import KPIS
from sim.metrics.sla import due_times
from sim.vocab import Deadline
from tests.unit.metrics_fixtures import calendar, scenario
from tests.unit.test_metrics_kpis import case, run, values

# ---------------------------------------------------------------- per head


def staff(*rows: tuple[str, str, float]) -> pd.DataFrame:
    """``(team, role, left)`` rows (left NaN: still there); names as the model's log writes them."""
    frame = [(t, "", r, f"{t}/{r}/{i}", float("-inf"), left) for i, (t, r, left) in enumerate(rows, start=1)]
    return pd.DataFrame(frame, columns=["team", "unit", "role", "name", "joined", "left"])


def per_head_run() -> Any:
    nan = float("nan")
    cases = [
        case(1, 5, 20, "completed", team="fast_track"),  # filed in the warm-up, closed in the window
        case(2, 20, 60, "zhongben"),
        case(3, 30, 70, "completed", case_type="resumed"),
        case(4, 40, 80, "completed", case_type="preservation", track="oversight", team="oversight"),
        case(5, 50, 120, "completed"),  # closed after the horizon: not a closure of the window
        case(6, 60),  # open
        case(7, 95, track="none", team=""),  # still at intake at the horizon
    ]
    log = EventLog()
    for c in cases:
        log.mark(c.case_id, "received", "intake", c.arrived)
        if c.team:
            log.mark(c.case_id, "received", c.team, c.arrived + 1)
    # 30 officer hours inside the window: a first contact at intake and an interview in the standard team.
    log.step(2, "first_contact", "task", "intake", "", "officer", "intake/officer/1", 23.4, 23.4, 23.45, 10.0)
    log.step(
        2,
        "debtor_interview",
        "task",
        "complex_track",
        "",
        "officer+clerk",
        "complex_track/officer/3+x",
        36.4,
        36.4,
        36.45,
        20.0,
    )
    people = staff(
        ("intake", "officer", nan),
        ("fast_track", "officer", nan),
        ("complex_track", "officer", nan),
        ("complex_track", "officer", 55.0),  # leaves half-way through the window (pro rata)
        ("complex_track", "judge", nan),
        ("fast_track", "judge", nan),
        ("complex_track", "clerk", nan),
        ("complex_track", "bailiff", nan),
    )
    return run(cases, log, people)


def test_every_per_head_kpi_names_its_denominator() -> None:
    v = values(per_head_run())
    cal = calendar()
    share = cal.working_hours_between(10, 55) / cal.working_hours_between(10, 100)  # the leaver's share
    officers, handlers, judges = 3 + share, 2 + share, 2.0
    everyone = officers + judges + 2  # and a clerk and a bailiff
    year = 365 / 90
    # 执行实施 closures in [10, 100): cases 1, 2, 3 (执恢) and 4 (执保), whoever closed them.
    assert v["closed_per_judge"] == pytest.approx(4 * year / judges)
    assert v["closed_per_court_officer"] == pytest.approx(4 * year / officers)
    assert v["closed_first_per_court_officer"] == pytest.approx(2 * year / officers)  # 执恢 and 执保 left out
    assert v["closed_per_staff"] == pytest.approx(4 * year / everyone)
    # The handling teams' own closures (1, 2, 3) over their officers.
    assert v["closed_per_officer"] == pytest.approx(3 * year / handlers)
    assert v["handling_officers"] == pytest.approx(handlers)
    assert v["officer_hours_per_closed"] == pytest.approx(30.0 / 4)
    # Open at day 100 after reaching a handling team: 5 and 6; anywhere (intake too): 5, 6, 7.
    assert v["open_per_handler"] == pytest.approx(2 / handlers)
    assert v["open_per_court_officer"] == pytest.approx(3 / officers)


def test_per_head_labels_say_per_whom() -> None:
    for kpi, who in (
        ("closed_per_judge", "员额法官"),
        ("closed_per_court_officer", "全院执行员"),
        ("closed_per_officer", "承办执行员"),
        ("closed_per_staff", "全体执行人员"),
        ("open_per_handler", "承办执行员"),
    ):
        assert who in KPIS[kpi].zh, kpi
    assert "handling officer" in KPIS["closed_per_officer"].en
    assert "15" in KPIS["closed_per_officer"].definition  # the plan's denominator, stated


def test_no_staff_gives_nan_not_a_division_error() -> None:
    v = values(run([case(1, 20, 30, "completed")]))
    for kpi in ("closed_per_judge", "closed_per_court_officer", "closed_per_staff", "open_per_court_officer"):
        assert v[kpi] != v[kpi], kpi  # NaN


# ---------------------------------------------------------------- would-be simple cases


def triaged(c: CaseRecord, log: EventLog, fast: bool = False) -> CaseRecord:
    log.mark(c.case_id, "triaged_fast" if fast else "triaged_standard", "intake", c.arrived + 2)
    return c


def test_would_be_simple_kpis_count_the_cases_the_rules_call_simple_whatever_the_routing() -> None:
    log = EventLog()
    due = due_times(pd.Series([20.5]), scenario().deadlines[Deadline.FAST_CLOSE], calendar())[0]
    cases = [
        # Before the reform: every case on the standard track, two of them simple by the rules.
        triaged(case(1, 20.5, due - 0.01, "completed", simple_by_rules=True), log),  # on the 45th day: in time
        triaged(case(2, 20.5, due + 0.01, "completed", simple_by_rules=True), log),  # a moment late
        triaged(case(3, 20.5, simple_by_rules=True), log),  # open: not within 45 days
        triaged(case(4, 30, 90, "zhongben"), log),  # standard by the rules
        triaged(case(5, 30, 130, "completed", case_type="resumed"), log),
        case(6, 30, 31, "rejected"),  # closed at filing: never triaged, in neither population
        case(7, 30, 50, "completed", case_type="preservation", simple_by_rules=True),  # 执保: not counted
    ]
    v = values(run(cases, log))
    assert v["simple_rules_share"] == pytest.approx(3 / 5)
    assert v["simple_rules_45_rate"] == pytest.approx(1 / 3)
    closed_simple = [due - 0.01 - 20.5, due + 0.01 - 20.5]
    assert v["mean_days_simple_rules"] == pytest.approx(sum(closed_simple) / 2)
    assert v["mean_days_standard_rules"] == pytest.approx((60 + 100) / 2)
    assert v["fast45_rate"] != v["fast45_rate"]  # no fast track: NaN, while the rules' rate is defined


def test_without_triage_the_would_be_simple_kpis_are_undefined() -> None:
    v = values(run([case(1, 20, 30, "completed", simple_by_rules=True)]))  # no triaged mark
    assert v["simple_rules_share"] != v["simple_rules_share"]
    assert v["simple_rules_45_rate"] != v["simple_rules_45_rate"]
