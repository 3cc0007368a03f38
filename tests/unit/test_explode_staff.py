"""explode_staff (sim.metrics._common): one row per task and person, in the log's order.

The utilisation KPIs add up each person's held hours from these rows, so a person dropped,
doubled or given another team's role would move every utilisation figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.eventlog import STEP_COLUMNS, STEP_DTYPES
from sim.metrics._common import explode_staff

NAN = np.nan


def _steps(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    """Steps from rows that leave out the trailing ``queue_at_request`` (NaN: it is not read here)."""
    width = len(STEP_COLUMNS)
    padded = [row + (NAN,) * (width - len(row)) for row in rows]
    return pd.DataFrame(padded, columns=list(STEP_COLUMNS)).astype(STEP_DTYPES)


STAFF = pd.DataFrame(
    {
        "team": ["fast_track", "fast_track", "complex_track"],
        "unit": ["", "", "执行二团队"],
        "role": ["officer", "clerk", "officer"],
        "name": ["fast_track/officer/1", "fast_track/clerk/1", "complex_track/执行二团队/officer/3"],
        "joined": [0, 0, 0],
        "left": [NAN, NAN, NAN],
    }
).astype({"team": "str", "unit": "str", "role": "str", "name": "str"})


def test_each_person_of_each_task_is_a_row_with_their_own_team_and_role() -> None:
    steps = _steps(
        [
            (1, "notice", "task", "fast_track", "", "officer+clerk", "fast_track/officer/1+fast_track/clerk/1",
             0.0, 0.5, 1.0, 2.0, False),
            (1, "received", "mark", "intake", "", "", "", 0.0, 0.0, 0.0, 0.0, False),
            (2, "post", "wait", "fast_track", "", "", "", 1.0, 1.0, 3.0, 0.0, False),
            (2, "hearing", "task", "fast_track", "", "officer", "complex_track/执行二团队/officer/3",
             1.0, 2.0, 2.5, 4.0, False),
            (3, "nobody", "task", "fast_track", "", "", "", 2.0, 2.0, 2.0, 0.0, False),
            (3, "lent", "task", "records", "", "clerk", "records/clerk/7", 3.0, 3.5, 4.0, 1.0, False),
        ]
    )  # fmt: skip
    found = explode_staff(steps, STAFF)
    expected = pd.DataFrame(
        {
            "case_id": [1, 1, 2, 3],
            "step": ["notice", "notice", "hearing", "lent"],
            "queued": [0.0, 0.0, 1.0, 3.0],
            "start": [0.5, 0.5, 2.0, 3.5],
            "end": [1.0, 1.0, 2.5, 4.0],
            "effort_hours": [2.0, 2.0, 4.0, 1.0],
            "name": ["fast_track/officer/1", "fast_track/clerk/1", "complex_track/执行二团队/officer/3",
                     "records/clerk/7"],
            # the officer of the standard track at a fast-track desk keeps his own team; a name
            # missing from the staff table is read from the name itself
            "team": ["fast_track", "fast_track", "complex_track", "records"],
            "role": ["officer", "clerk", "officer", "clerk"],
        }
    ).astype({"step": "str", "name": "str", "team": "str", "role": "str"})  # fmt: skip
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
    # Asked for fewer task columns (utilisation takes three): the same rows, those columns only.
    lean = explode_staff(steps, STAFF, columns=("start", "end", "effort_hours"))
    kept = ["start", "end", "effort_hours", "name", "team", "role"]
    pd.testing.assert_frame_equal(lean, expected[kept], check_exact=True)


def test_no_tasks_give_an_empty_table_with_the_columns() -> None:
    steps = _steps([(1, "received", "mark", "intake", "", "", "", 0.0, 0.0, 0.0, 0.0, False)])
    found = explode_staff(steps, STAFF)
    assert found.empty
    assert list(found.columns) == ["case_id", "step", "queued", "start", "end", "effort_hours", "name", "team", "role"]
