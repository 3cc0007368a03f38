"""Before simulating: is the load absurd for the staffing? (issue 18 item 12)

The scenario file allows up to a million filings a year. The baseline's 73 staff carry
6,500; at a million, a year's run simulates a million cases that mostly wait at intake,
takes many minutes and gigabytes, and the rates over closed cases come out undefined.
This module says so before the run, with the figures behind it.

How: a *pilot*, one replication of the scenario's own rules and staffing over
:data:`PILOT_DAYS` days from an empty court, at a load the staff can carry (the
baseline's filings per head, :data:`PILOT_CASES_PER_HEAD`), gives the work each case asks
of every team × role (:func:`sim.metrics.effort.team_load`: the effort model's hours) and
the CPU seconds and event-log memory a case costs. Case work grows in proportion to the
filings, so at the scenario's load a team × role is asked for ``load × filings ÷ pilot
filings`` of its working hours (as :func:`sim.experiments.load_search.analytic_capacity`
scales utilisation). The pilot's window is short, so later steps of its cases are not
counted yet: the load is a lower bound. The teams of the side streams (oversight,
review), whose work does not grow with filings, are left out.

The pilot runs only when the filings per head exceed :data:`PILOT_TRIGGER_PER_HEAD`
(twice the baseline's); ordinary scenarios cost nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.metrics import run_view
from sim.metrics.effort import team_load
from sim.model import build_calendar, run_replication
from sim.vocab import Team

__all__ = ["PILOT_CASES_PER_HEAD", "PILOT_DAYS", "PILOT_TRIGGER_PER_HEAD", "LoadForecast", "forecast_load"]

PILOT_DAYS = 60.0
PILOT_CASES_PER_HEAD = 6500 / 73
"""The baseline's filings a year per head of staff (scenarios/dengzhou_2022.toml: 6,500, 73)."""
PILOT_TRIGGER_PER_HEAD = 2 * PILOT_CASES_PER_HEAD
"""Filings a year per head above which the pilot runs (the baseline's busiest post, intake's
officers, is asked for about 0.77 of their hours in the pilot: twice the load is past 1)."""


@dataclass(frozen=True)
class LoadForecast:
    """The pilot's answer for one scenario."""

    team: str
    role: str
    load: float  # the busiest case-driven post's work asked for ÷ its hours, at the scenario's load (lower bound)
    cases: float  # cases a replication simulates (filings over warm-up + horizon + cool-down)
    cpu_seconds: float  # CPU seconds of a replication at the pilot's cost per case (cases that only wait cost less)
    log_mb: float  # memory of the event log's tables of a replication, at the pilot's per case

    @property
    def overloaded(self) -> bool:
        """The staffing cannot carry the work: queues grow without bound."""
        return self.load >= 1.0

    def warning(self, name: str, reps: int) -> str:
        """Two lines, Chinese then English."""
        minutes = self.cpu_seconds * reps / 60
        return (
            f"警告：{name} 的收案量远超人员承受能力：{self.team} {self.role} 需要至少 {self.load:,.1f} 倍的"
            f"工作时间；积案将无限增长，按已结案件计算的比率可能缺失。每次重复约模拟 {self.cases:,.0f} 件案件，"
            f"{reps} 次至多约需 {minutes:,.1f} 分钟 CPU、事件日志约 {self.log_mb:,.0f} MB/次。\n"
            f"WARNING: {name}: the load is far beyond the staffing: {self.team} {self.role}s are asked for at "
            f"least {self.load:,.1f}× their working hours, so the backlog grows without bound and rates over "
            f"closed cases may be missing. Each replication simulates about {self.cases:,.0f} cases: up to "
            f"about {minutes:,.1f} CPU minutes for {reps} replication(s), and the event log alone about "
            f"{self.log_mb:,.0f} MB per replication (a pilot of {PILOT_DAYS:g} days at the staff's load; "
            "lower the filings, add staff, or shorten run.horizon_days)."
        )


def forecast_load(scenario: Scenario) -> LoadForecast | None:
    """The pilot's forecast, or ``None`` when the filings per head are ordinary (no pilot run)."""
    heads = _headcount(scenario)
    filings = scenario.arrivals.cases_per_year
    if heads == 0 or filings <= PILOT_TRIGGER_PER_HEAD * heads:
        return None
    pilot_filings = PILOT_CASES_PER_HEAD * heads
    pilot = with_overrides(
        scenario,
        {
            "arrivals.cases_per_year": pilot_filings,
            "run.warmup_days": 0,
            "run.horizon_days": PILOT_DAYS,
            "run.cooldown_days": 0,
        },
    )
    started = time.process_time()
    result = run_replication(pilot, 0)
    cpu = time.process_time() - started
    load = team_load(run_view(result, pilot, build_calendar(pilot)), result.unfinished)
    org = scenario.organisation
    side = {org.team_for(Team.OVERSIGHT).value, org.team_for(Team.REVIEW).value}
    load = load[~load["team"].isin(side) & load["load"].notna()]
    if load.empty or not len(result.cases):
        return None
    busiest = load.sort_values("load", ascending=False, kind="stable").iloc[0]
    scale = filings / pilot_filings
    n_pilot = len(result.cases)
    log_bytes = sum(
        int(frame.memory_usage(deep=True).sum())
        for frame in (result.steps, result.slas, result.cases, result.unfinished)
    )
    run = scenario.run
    cases = filings * (run.warmup_days + run.horizon_days + run.cooldown_days) / 365.0
    return LoadForecast(
        team=str(busiest["team"]),
        role=str(busiest["role"]),
        load=float(busiest["load"]) * scale,
        cases=cases,
        cpu_seconds=cpu / n_pilot * cases,
        log_mb=log_bytes / n_pilot * cases / 1e6,
    )


def _headcount(scenario: Scenario) -> int:
    total = 0
    for team in Team:
        staff = getattr(scenario.staffing, team.value, None)
        if staff is not None:
            total += staff.judges + staff.officers + staff.clerks + staff.bailiffs
    return total
