"""Little's law (L = λW) on the baseline's own outputs, desk by desk and for open cases.

``L`` is measured from the running model itself: the test watches each team's desk
(how many pieces of work wait for its people) and the court's open cases while the
simulation runs, without changing what it does. ``λ`` and ``W`` come from the outputs
alone: the event log (when each piece of work was asked for and when it began) and the
case table (filing and closing). Over a window [warm-up, horizon) the law holds up to
the work straddling the window's two edges, which the test computes exactly:

    ∫ N(t) dt  =  Σ_{arrived in window} W_i  −  (their waiting beyond the horizon)
                                             +  (waiting inside the window of earlier arrivals)

so a log that misses, duplicates or misdates a single wait breaks the equality.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim.model
from sim.config.schema import Scenario
from sim.flow.context import FlowContext
from sim.flow.docket import Docket
from sim.model import RunResult, run_replication
from sim.staffing import TeamDesk

Trace = dict[str, list[tuple[float, int]]]


def _time_average(trace: list[tuple[float, int]], lo: float, hi: float) -> float:
    """Integral over [lo, hi) of a step function given as (time, value after time) points."""
    times = np.array([t for t, _ in trace] + [hi])
    values = np.array([v for _, v in trace], dtype=float)
    left, right = np.clip(times[:-1], lo, hi), np.clip(times[1:], lo, hi)
    return float((values * (right - left)).sum())


def _intervals_integral(start: np.ndarray, stop: np.ndarray, lo: float, hi: float) -> float:
    return float((np.clip(stop, lo, hi) - np.clip(start, lo, hi)).sum())


def _little_parts(start: np.ndarray, stop: np.ndarray, lo: float, hi: float) -> tuple[float, float, float]:
    """(Σ W of arrivals in [lo, hi), their time beyond hi, earlier arrivals' time inside)."""
    inside = (start >= lo) & (start < hi)
    total = float((stop[inside] - start[inside]).sum())
    beyond = float((np.maximum(stop[inside], hi) - hi).sum())
    before = start < lo
    carried = float((np.clip(stop[before], lo, hi) - lo).sum())
    return total, beyond, carried


def traced_run(scenario: Scenario) -> tuple[RunResult, Trace]:
    """Replication 0 of ``scenario`` with the desks' queues and the open cases traced live."""
    trace: Trace = defaultdict(list)
    patches = pytest.MonkeyPatch()

    def desk_probe(method: Callable[..., Any]) -> Callable[..., Any]:
        def probed(desk: TeamDesk, *args: Any, **kwargs: Any) -> Any:
            out = method(desk, *args, **kwargs)
            trace[desk.team.value].append((desk.env.now, desk.queue_length()))
            return out

        return probed

    start, close = sim.model._start, Docket.close

    def start_probe(ctx: FlowContext, case: Any) -> None:
        start(ctx, case)
        trace["open cases"].append((ctx.env.now, len(ctx.docket.open)))

    def close_probe(docket: Docket, case: Any, outcome: Any) -> None:
        close(docket, case, outcome)
        trace["open cases"].append((case.closed, len(docket.open)))  # closed now

    for name in ("request", "release", "dispatch"):
        patches.setattr(TeamDesk, name, desk_probe(getattr(TeamDesk, name)))
    patches.setattr(sim.model, "_start", start_probe)
    patches.setattr(Docket, "close", close_probe)
    try:
        result = run_replication(scenario, 0)
    finally:
        patches.undo()
    return result, dict(trace)


@pytest.fixture(scope="module")
def watched(short: Scenario) -> tuple[RunResult, Trace, Scenario]:
    """One short baseline replication, traced."""
    return (*traced_run(short), short)


def _waits(result: RunResult, team: str) -> tuple[np.ndarray, np.ndarray]:
    """(asked for, began) of every piece of work for ``team``'s people; still waiting: the end."""
    end = result.meta["end_days"]
    rows = pd.concat([result.steps[result.steps.kind == "task"], result.unfinished])
    rows = rows[rows.team == team]
    return rows.queued.to_numpy(float), rows.start.fillna(end).to_numpy(float)


@pytest.mark.validation
@pytest.mark.parametrize(
    "team", ["intake", "fast_track", "complex_track", "asset_disposal", "records", "oversight", "review"]
)
def test_littles_law_at_each_desk(watched: tuple[RunResult, Trace, Scenario], team: str) -> None:
    result, trace, scenario = watched
    lo, hi = scenario.run.warmup_days, scenario.run.horizon_days
    asked, began = _waits(result, team)
    area_live = _time_average(trace[team], lo, hi)
    area_log = _intervals_integral(asked, began, lo, hi)
    assert area_live == pytest.approx(area_log, rel=1e-9, abs=1e-9), "the log's waits are not the desk's"
    total, beyond, carried = _little_parts(asked, began, lo, hi)
    assert area_live == pytest.approx(total - beyond + carried, rel=1e-9, abs=1e-9)
    # L = λW up to the edges: λW = total / T, L = area / T.
    assert abs(area_live - total) <= beyond + carried + 1e-9


@pytest.mark.validation
def test_littles_law_for_open_cases(watched: tuple[RunResult, Trace, Scenario]) -> None:
    result, trace, scenario = watched
    lo, hi = scenario.run.warmup_days, scenario.run.horizon_days
    cases = result.cases
    filed, closed = cases.arrived.to_numpy(float), cases.closed.fillna(result.meta["end_days"]).to_numpy(float)
    area_live = _time_average(trace["open cases"], lo, hi)
    assert area_live == pytest.approx(_intervals_integral(filed, closed, lo, hi), rel=1e-9)
    total, beyond, carried = _little_parts(filed, closed, lo, hi)
    assert area_live == pytest.approx(total - beyond + carried, rel=1e-9)
    # The baseline's open cases: L is large (hundreds), and λW misses it by the edges only.
    assert area_live / (hi - lo) > 100
