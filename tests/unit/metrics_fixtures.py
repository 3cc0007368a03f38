"""Hand-built inputs shared by the metrics tests: a scenario, its calendar, case rows."""

from __future__ import annotations

import math
from datetime import date
from functools import cache
from pathlib import Path

from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.eventlog import CaseRecord
from sim.workcalendar import WorkCalendar

ROOT = Path(__file__).resolve().parents[2]
NAN = math.nan
WARMUP_DAYS, HORIZON_DAYS = 10.0, 100.0


@cache
def scenario() -> Scenario:
    """The baseline from 2024-09-01: warm-up 10 days, horizon 100, cool-down 150."""
    base = load_scenario(ROOT / "scenarios" / "dengzhou_2022.toml")
    return with_overrides(
        base,
        {
            "run.start_date": "2024-09-01",
            "run.warmup_days": 10,
            "run.horizon_days": 100,
            "run.cooldown_days": 150,
        },
    )


@cache
def calendar() -> WorkCalendar:
    return WorkCalendar(date(2024, 9, 1), horizon_days=400)


def case_record(
    case_id: int,
    arrived: float,
    closed: float = NAN,
    outcome: str = "",
    *,
    case_type: str = "first",
    track: str = "standard",
    team: str = "complex_track",
    claim: float = 0.0,
    recovered: float = 0.0,
    has_property: bool = False,
    excluded: float = 0.0,
    behaviour: bool = False,
    counted: bool | None = None,
    simple_by_rules: bool = False,
) -> CaseRecord:
    """One case row; ``counted`` defaults to "filed in [10, 100)", the scenario's window."""
    return CaseRecord(
        case_id=case_id,
        parent_id=-1,
        case_type=case_type,
        behaviour=behaviour,
        track=track,
        team=team,
        unit="",
        handler="",
        labels="",
        related_group=case_id,
        arrived=arrived,
        closed=closed,
        outcome=outcome,
        stage="closed" if outcome else "open",
        claim_cny=claim,
        frozen_cny=0.0,
        recovered_cny=recovered,
        has_property=has_property,
        excluded_days=excluded,
        counted=WARMUP_DAYS <= arrived < HORIZON_DAYS if counted is None else counted,
        simple_by_rules=simple_by_rules,
    )
