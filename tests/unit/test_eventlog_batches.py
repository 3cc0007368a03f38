"""The step log moves full batches of tuples into columns as the run goes; the frame is the same."""

from __future__ import annotations

import math

import pandas as pd

from sim.eventlog import STEP_COLUMNS, EventLog


def _fill(log: EventLog, rows: int, compact: bool) -> None:
    for i in range(rows):
        if i % 3 == 0:
            log.mark(i, "received", "front_end", i * 0.5)
        else:
            log.append_step(
                (i, "triage", "task", "front_end", "u1", "officer", f"officer {i % 4}", i, i + 0.25, i + 1.0, 2.5,
                 i % 2 == 0, float(i % 5))
            )  # fmt: skip
        if compact:
            log.compact()


def test_a_compacted_log_gives_the_same_frame_row_for_row() -> None:
    plain, batched = EventLog(), EventLog(batch_rows=4)
    _fill(plain, 23, compact=False)
    _fill(batched, 23, compact=True)
    assert len(batched._batches) == 5 and len(batched._steps) == 3  # 5 batches of 4, 3 rows still tuples
    assert len(batched) == len(plain) == 23
    frame = batched.steps_frame()
    pd.testing.assert_frame_equal(frame, plain.steps_frame(), check_exact=True)
    assert list(frame.columns) == list(STEP_COLUMNS) and frame["case_id"].tolist() == list(range(23))
    assert math.isnan(frame["queue_at_request"].iloc[0]) and frame["staff"].iloc[1] == "officer 1"


def test_a_log_compacted_to_the_last_row_and_an_empty_log_still_give_their_frames() -> None:
    exact = EventLog(batch_rows=5)
    _fill(exact, 10, compact=True)
    assert len(exact._steps) == 0 and len(exact.steps_frame()) == 10
    empty = EventLog(batch_rows=5).steps_frame()
    assert list(empty.columns) == list(STEP_COLUMNS) and len(empty) == 0
    exact.clear()
    assert len(exact) == 0 and len(exact.steps_frame()) == 0
