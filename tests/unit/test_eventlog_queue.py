"""The event log's ``queue_at_request``: the work waiting at a team's desk when a task asked for its people.

A ticket machine at a counter: the number on the screen when you take your ticket says how
many are ahead of you. The log itself tells the same story after the fact: a task of a team
was waiting at the moment another asked if it had asked before and got its people after.
Tasks asking or granted at the very same instant are the only ones the log cannot place, so
the recorded count must lie between the count without them and the count with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.eventlog import STEP_COLUMNS, STEP_DTYPES, EventLog
from sim.model import RunResult, run_replication


@pytest.fixture(scope="module")
def run(baseline: Scenario) -> RunResult:
    """Sixty days of the baseline from an empty court: queues build up at the front end."""
    scenario = with_overrides(baseline, {"run.warmup_days": 0, "run.horizon_days": 60, "run.cooldown_days": 0})
    return run_replication(scenario, 0, 7)


def _tasks(run: RunResult) -> pd.DataFrame:
    """Finished and unfinished work of the run (unfinished work waiting has no start: +inf)."""
    steps = pd.concat([run.steps, run.unfinished], ignore_index=True)
    tasks = steps.loc[steps["kind"] == "task"].reset_index(drop=True)
    tasks["start"] = tasks["start"].fillna(np.inf)
    return tasks


def _bounds(team: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each task of one team: how many others surely waited when it asked, and how many may have."""
    queued, start = team["queued"].to_numpy(), team["start"].to_numpy()
    at = queued[:, None]
    surely = (queued[None, :] < at) & (start[None, :] > at)
    maybe = (queued[None, :] <= at) & (start[None, :] >= at)
    np.fill_diagonal(maybe, False)  # its own request is not counted
    return surely.sum(axis=1), maybe.sum(axis=1)


def test_the_column_is_in_the_schema_as_a_float() -> None:
    assert STEP_COLUMNS[-1] == "queue_at_request"
    assert STEP_DTYPES["queue_at_request"] == "float64"


def test_waits_and_marks_ask_for_nobody(run: RunResult) -> None:
    others = run.steps.loc[run.steps["kind"] != "task", "queue_at_request"]
    assert len(others) > 0
    assert others.isna().all()


def test_every_task_has_a_whole_non_negative_count(run: RunResult) -> None:
    counts = _tasks(run)["queue_at_request"].to_numpy()
    assert not np.isnan(counts).any()
    assert (counts >= 0).all()
    assert (counts == np.round(counts)).all()


def test_the_count_agrees_with_the_log_at_every_desk(run: RunResult) -> None:
    tasks = _tasks(run)
    assert tasks["queue_at_request"].max() > 10  # a queue built up: the check has something to check
    for team, group in tasks.groupby("team"):
        surely, maybe = _bounds(group)
        recorded = group["queue_at_request"].to_numpy()
        wrong = np.flatnonzero((recorded < surely) | (recorded > maybe))
        assert wrong.size == 0, (team, group.iloc[wrong[:5]][["step", "queued", "start", "queue_at_request"]])


def test_unfinished_work_carries_its_count(run: RunResult) -> None:
    waiting = run.unfinished.loc[run.unfinished["start"].isna()]
    assert len(waiting) > 0
    assert (waiting["queue_at_request"] >= 0).all()


def test_a_hand_written_step_has_no_count_unless_given() -> None:
    log = EventLog()
    log.step(1, "scan", "task", "records", "", "clerk", "records/clerk/1", 0.0, 0.5, 0.6, 1.0)
    log.step(2, "scan", "task", "records", "", "clerk", "records/clerk/1", 0.1, 0.6, 0.7, 1.0, queue_at_request=1)
    log.mark(1, "received", "records", 0.0)
    assert log.steps_frame()["queue_at_request"].tolist()[1] == 1.0
    assert np.isnan(log.steps_frame()["queue_at_request"].to_numpy()[[0, 2]]).all()
