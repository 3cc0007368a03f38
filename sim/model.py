"""The court in motion: one replication of a scenario, from empty court to result tables.

This is the one place that wires everything together: the calendar, the staff,
the cases drawn beforehand, each case's path through the teams, the side
streams and the staffing changes. It reads no files and computes no KPIs; it
returns the event log and the case table, from which :mod:`sim.metrics` computes
everything.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim.cases import Case, CaseBook, generate_cases, with_backlog
from sim.config.schema import Scenario
from sim.distributions import build
from sim.eventlog import STEP_COLUMNS, STEP_DTYPES, CaseRecord, EventLog, cases_frame
from sim.flow import records, resumption
from sim.flow.backlog import seed_backlog
from sim.flow.complex_track import complex_track
from sim.flow.context import FlowContext, Step
from sim.flow.fast_track import fast_track
from sim.flow.intake import intake
from sim.flow.oversight import platform_duty, preservation, recurring_reports, side_stream
from sim.staffing import StaffOffice
from sim.streams import Streams
from sim.vocab import CaseType, Task, Team, Track
from sim.workcalendar import WorkCalendar

__all__ = ["RunResult", "build_calendar", "run_replication"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What one replication produced: the three tables and how it was made."""

    steps: pd.DataFrame
    slas: pd.DataFrame
    cases: pd.DataFrame
    staff: pd.DataFrame  # team, unit, role, name, joined, left (sim days; NaN = still there)
    meta: dict[str, Any] = field(default_factory=dict)
    unfinished: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Work still waiting (start NaN) or under way when the run ended; step columns, end NaN."""


def build_calendar(scenario: Scenario) -> WorkCalendar:
    """The working calendar of ``scenario`` over its whole run."""
    spec, run = scenario.calendar, scenario.run
    return WorkCalendar(
        run.start_date,
        horizon_days=run.horizon_days + run.cooldown_days,
        mode=spec.mode,
        hours_per_day=spec.hours_per_day,
        day_start_hour=spec.day_start_hour,
        extra_holidays=spec.extra_holidays,
        extra_workdays=spec.extra_workdays,
        closures=spec.closures,
    )


def run_replication(scenario: Scenario, replication: int = 0, seed: int | None = None) -> RunResult:
    """Simulate replication ``replication`` of ``scenario`` with base seed ``seed``.

    Replication ``r`` with the same seed draws the same cases in every scenario
    (common random numbers), so scenarios can be compared pair by pair.
    """
    seed = scenario.run.seed if seed is None else seed
    with _cyclic_gc_paused():
        return _replicate(scenario, replication, seed)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one replication, then restore it.

    A replication keeps everything it allocates (the log's tuples, the cases, the
    deadline clocks) until it ends, so every collection during the run walks an
    ever larger heap and frees nothing: it took a fifth of a baseline year and
    nearly half of a 3× load run (bench/RESULTS.md). The run makes no cyclic
    garbage while it runs (peak memory is the same with the collector on), so
    pausing costs no memory; the graph of the finished run is collected as usual
    afterwards. Reference counting, which frees almost everything, is untouched.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _replicate(scenario: Scenario, replication: int, seed: int) -> RunResult:
    wall = time.perf_counter()
    streams = Streams(seed, replication)
    env = simpy.Environment()
    calendar = build_calendar(scenario)
    book = with_backlog(generate_cases(scenario, calendar, streams), scenario, calendar, streams)
    office = StaffOffice(env, scenario)
    log = EventLog()
    ctx = FlowContext(env, scenario, calendar, office, book, log, start_case=lambda case: None, streams=streams)
    ctx.start_case = lambda case: _start(ctx, case)
    end = scenario.run.horizon_days + scenario.run.cooldown_days
    seed_backlog(ctx)  # the court's open cases at the start ([initial_backlog]), if the scenario has any
    env.process(_arrivals(ctx, book))
    _start_side_streams(ctx, streams, end)
    _schedule_staffing_changes(ctx)
    env.run(until=end)
    book.release_draws()  # the run is over: its largest arrays go before the tables are built
    result = RunResult(
        steps=log.steps_frame(),
        slas=log.slas_frame(),
        cases=cases_frame(_case_records(ctx, scenario)),
        staff=_staff_frame(ctx),
        unfinished=_unfinished_frame(ctx),
        meta={
            "scenario": scenario.name,
            "seed": seed,
            "replication": replication,
            "start_date": scenario.run.start_date.isoformat(),
            "warmup_days": scenario.run.warmup_days,
            "horizon_days": scenario.run.horizon_days,
            "end_days": end,
            "hours_per_day": calendar.hours_per_day,
            "wall_seconds": time.perf_counter() - wall,
            "uncovered_years": list(calendar.uncovered_years),
        },
    )
    logger.info(
        "replication %d of %s: %d steps in %.2f s", replication, scenario.name, len(log), result.meta["wall_seconds"]
    )
    # The tables own the data now. Dropping the log's rows frees them by reference
    # counting at once, rather than leaving them to the cyclic collector (the run's
    # processes, cases and context refer to each other and wait for it).
    log.clear()
    return result


def _arrivals(ctx: FlowContext, book: CaseBook) -> Step:
    for case in book.cases:
        yield ctx.env.timeout(max(case.arrived - ctx.env.now, 0.0))
        if ctx.docket.replaced(case):  # a 执恢 of the mix that one of the run's own stands in for
            continue
        _start(ctx, case)
        ctx.log.compact()  # the step log in columns, a batch at a time (a length check mostly)
        if case.case_type is CaseType.RESUMED:
            # The mix's 执恢 filing times are data, taken after the front end's check and review
            # of the request: the work is asked for now and does not hold the filing back. Started
            # after the case, so that where a handler takes the case at filing (before the reform)
            # the handler does it.
            ctx.env.process(resumption.review(ctx, case, refusable=False))


def _start(ctx: FlowContext, case: Case) -> None:
    ctx.docket.file(case)
    ctx.env.process(_case_path(ctx, case))


def _case_path(ctx: FlowContext, case: Case) -> Step:
    """One case from filing to closure: intake, then the team triage chose."""
    intake_team = ctx.scenario.organisation.team_for(Team.INTAKE)
    if intake_team in (Team.FAST_TRACK, Team.COMPLEX_TRACK):
        # Before the reform one officer took the case from filing to closure. Cases were
        # not yet grouped by debtor at filing (the related-case rule is the 2022 plan's,
        # 方案 三(一)1), so the assignment rule alone picks the officer.
        case.team = intake_team
        ctx.office.take_case(case, intake_team, related=False)
    track = yield from intake(ctx, case)
    if track is Track.NONE:
        yield from records.archive(ctx, case)
    elif track is Track.OVERSIGHT:
        yield from preservation(ctx, case)
    elif track is Track.FAST:
        yield from fast_track(ctx, case)
    else:
        yield from complex_track(ctx, case)


def _start_side_streams(ctx: FlowContext, streams: Streams, end: float) -> None:
    side, tasks = ctx.scenario.side_streams, ctx.scenario.tasks
    team_of = ctx.scenario.organisation.team_for
    for task, per_year, team, delay in (
        (Task.COMMISSIONED, side.commissioned_per_year, Team.OVERSIGHT, ctx.scenario.delays.commissioned_days),
        (Task.PETITION, side.petitions_per_year, Team.OVERSIGHT, None),
        (Task.OBJECTION_HEARING, side.supervision_per_year, Team.REVIEW, None),  # 执行监督、请示、督办
        (Task.FILE_LENDING, side.lending_per_year if records.has_centre(ctx) else 0.0, Team.RECORDS, None),
        (Task.DATA_REPORT, side.data_requests_per_year, Team.OVERSIGHT, None),
    ):
        times = _poisson_times(streams.get(f"side.{task.value}.times"), per_year, end)
        hours = build(tasks[task].hours).ppf(streams.get(f"side.{task.value}.hours").random(times.size))
        external = (
            None if delay is None else build(delay).ppf(streams.get(f"side.{task.value}.delay").random(times.size))
        )
        ctx.env.process(side_stream(ctx, task, team_of(team), times, hours, external))
    ctx.env.process(recurring_reports(ctx, streams.get("side.reports")))
    ctx.env.process(platform_duty(ctx, streams.get("side.platform_duty")))
    ctx.env.process(records.monitoring(ctx, streams.get("side.node_monitoring")))
    ctx.env.process(records.reports(ctx, streams.get("side.records_report")))


def _poisson_times(rng: np.random.Generator, per_year: float, end: float) -> np.ndarray:
    """Arrival times of a Poisson stream of ``per_year`` items, moved into working hours later by staff."""
    count = int(rng.poisson(per_year * end / 365.0)) if per_year > 0 else 0
    return np.sort(rng.random(count) * end)


def _schedule_staffing_changes(ctx: FlowContext) -> None:
    for change in ctx.scenario.staffing_changes:
        ctx.env.process(_apply_change(ctx, change))


def _apply_change(ctx: FlowContext, change: Any) -> Step:
    at = ctx.calendar.time_of(change.date)
    yield ctx.env.timeout(max(at - ctx.env.now, 0.0))
    unit = change.unit or ""
    if change.delta > 0:
        ctx.office.add(change.team, unit, change.role, change.delta)
        return
    leaving = ctx.office.remove(change.team, unit, change.role, -change.delta)
    # A leaving handler's open cases pass to colleagues (by the assignment rule).
    for case in list(ctx.docket.open.values()):
        if case.handler in leaving and case.team is not None:
            ctx.office.hand_on(case, case.team)
    ctx.office.desks[change.team].dispatch()


def _case_records(ctx: FlowContext, scenario: Scenario) -> list[CaseRecord]:
    warmup, horizon = scenario.run.warmup_days, scenario.run.horizon_days
    everyone = sorted([*ctx.docket.closed, *ctx.docket.open.values()], key=lambda c: c.id)
    return [
        CaseRecord(
            case_id=c.id,
            parent_id=c.parent_id,
            case_type=c.case_type.value,
            behaviour=c.behaviour,
            track=c.track.value,
            team=c.team.value if c.team else "",
            unit=c.unit,
            handler=c.handler.name if c.handler else "",
            labels="special" if c.labelled else "",
            related_group=c.related_group,
            arrived=c.arrived,
            closed=c.closed,
            outcome=c.outcome.value if c.outcome else "",
            stage=c.stage,
            claim_cny=c.claim_cny,
            frozen_cny=c.frozen_cny,
            recovered_cny=c.recovered_cny,
            fee_cny=c.fee_paid_cny,
            has_property=c.has_property,
            excluded_days=c.excluded_days,
            counted=warmup <= c.arrived < horizon,
            simple_by_rules=c.simple_by_rules,
        )
        for c in everyone
    ]


def _unfinished_frame(ctx: FlowContext) -> pd.DataFrame:
    rows = [
        (
            w.case_id,
            w.task,
            "task",
            w.plan.team,
            w.plan.unit,
            w.plan.roles,
            w.staff,
            w.queued,
            w.start,
            np.nan,
            w.hours,
            False,
            w.queue_at_request,
        )
        for w in ctx.desks.active
    ]
    return pd.DataFrame(rows, columns=list(STEP_COLUMNS)).astype(STEP_DTYPES)


def _staff_frame(ctx: FlowContext) -> pd.DataFrame:
    rows = [(m.team.value, m.unit, m.role.value, m.name, m.joined, m.left) for m in ctx.office.members]
    return pd.DataFrame(rows, columns=["team", "unit", "role", "name", "joined", "left"])
