"""The court's open cases at a moment, by stage and age: a starting backlog read off a run.

``[initial_backlog]`` seeds a run with the open cases of a court (sim.flow.backlog). A
run of the model can say what that docket looks like at any day: which of the stages
of :class:`~sim.vocab.BacklogStage` each open case waits at, and how long ago it was
filed. :func:`backlog_at` computes it from the run's tables, so a scenario can start
where another's warm-up ends (bench/backlog_vs_warmup.py), and a test can check that
the seeded cases stand where they were put.

A case open at ``t`` (``arrived <= t < closed``) stands at:

- ``preservation`` if it is a 执保 case;
- ``intake`` until its triage mark (``triaged_fast`` / ``triaged_standard``), and
  ``intake_triage`` among those once its standard documents were done (the online
  inquiry out or answered) or its 执恢 review or triage was asked for; a case seeded past
  triage has no such mark and is triaged from the start;
- ``*_zhongben_floor`` once it waits for the 3-month floor of 终本 (the
  ``zhongben_floor`` wait) or its 终本 interview was asked for;
- ``disposal`` once its file was referred for disposal (``disposal_referral``), priced
  (``price_file``) or received by the asset disposal team, whichever track;
- ``fast_investigation`` / ``standard_investigation`` once its investigation was asked for;
- else ``fast_track`` or ``standard_track`` by its track (the case table's ``track``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.vocab import BacklogStage, CaseType, Milestone, Task, Team, Track

__all__ = ["FLOOR_WAIT", "backlog_at", "backlog_counts"]

FLOOR_WAIT = "zhongben_floor"
"""The event log's name of the wait for the 3-month floor of 终本 (sim.flow.handling.zhongben)."""


def backlog_at(steps: pd.DataFrame, cases: pd.DataFrame, at: float) -> pd.DataFrame:
    """The cases open at ``at`` (sim days): ``case_id``, ``stage`` (a BacklogStage id) and ``age_days``.

    Only steps asked for before ``at`` (``queued < at``; marks and waits at their start) are read.
    A wait is logged when it ends, so one still running at the end of the log is not seen:
    read a run that goes on well past ``at``.
    """
    arrived, closed = cases["arrived"].to_numpy(float), cases["closed"].to_numpy(float)
    open_now = (arrived <= at) & ~(closed <= at)
    frame = cases.loc[open_now, ["case_id", "case_type", "track", "arrived"]]
    mine = steps.loc[steps["case_id"].isin(frame["case_id"]), ["case_id", "step", "team", "queued"]]
    seen = mine.loc[mine["queued"].to_numpy(float) < at]
    documents = set(
        steps.loc[
            steps["case_id"].isin(frame["case_id"])
            & (steps["step"] == Task.STANDARD_DOCUMENTS.value)
            & (steps["end"].to_numpy(float) < at),
            "case_id",
        ].tolist()
    )

    def having(*names: str, ever: bool = False) -> set[int]:
        rows = mine if ever else seen
        return set(rows.loc[rows["step"].isin(names), "case_id"].tolist())

    triage_marks = (Milestone.TRIAGED_FAST.value, Milestone.TRIAGED_STANDARD.value)
    on_track = frame["track"].isin((Track.FAST.value, Track.STANDARD.value)).to_numpy()
    never_triaged = set(frame.loc[on_track, "case_id"].tolist()) - having(*triage_marks, ever=True)
    triaged = having(*triage_marks) | never_triaged
    sorting = having(Task.RESUME_REVIEW.value, Task.TRIAGE.value)
    fast = set(frame.loc[frame["track"].to_numpy() == Track.FAST.value, "case_id"].tolist())
    floor = having(FLOOR_WAIT, Task.ZHONGBEN_INTERVIEW.value)
    disposal = having(Task.DISPOSAL_REFERRAL.value, Task.PRICE_FILE.value) | set(
        seen.loc[(seen["step"] == Milestone.RECEIVED.value) & (seen["team"] == Team.ASSET_DISPOSAL.value), "case_id"]
    )
    investigated = having(Task.FIELD_INVESTIGATION.value)
    stages = []
    for case_id, case_type in zip(frame["case_id"].tolist(), frame["case_type"].tolist(), strict=True):
        is_fast = case_id in fast
        if case_type == CaseType.PRESERVATION.value:
            stage = BacklogStage.PRESERVATION
        elif case_id not in triaged:
            waiting = case_id in documents or case_id in sorting
            stage = BacklogStage.INTAKE_TRIAGE if waiting else BacklogStage.INTAKE
        elif case_id in floor:
            stage = BacklogStage.FAST_ZHONGBEN_FLOOR if is_fast else BacklogStage.STANDARD_ZHONGBEN_FLOOR
        elif case_id in disposal:
            stage = BacklogStage.DISPOSAL
        elif case_id in investigated:
            stage = BacklogStage.FAST_INVESTIGATION if is_fast else BacklogStage.STANDARD_INVESTIGATION
        else:
            stage = BacklogStage.FAST_TRACK if is_fast else BacklogStage.STANDARD_TRACK
        stages.append(stage.value)
    return pd.DataFrame(
        {
            "case_id": frame["case_id"].to_numpy(),
            "stage": pd.Series(stages, dtype=object).to_numpy(),
            "age_days": at - frame["arrived"].to_numpy(float),
        }
    )


def backlog_counts(backlog: pd.DataFrame, age_bands_days: list[float] | tuple[float, ...]) -> dict[str, list[int]]:
    """Counts per stage and age band ``[edge_i, edge_i+1)`` of a :func:`backlog_at` frame.

    Every stage is listed (zeros included), in the vocabulary's order; a case older than
    the last edge is counted in the last band, so no open case is lost.
    """
    edges = np.asarray(age_bands_days, dtype=float)
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"age_bands_days must be at least two strictly increasing edges, got {list(edges)}")
    band = np.clip(np.searchsorted(edges, backlog["age_days"].to_numpy(float), side="right") - 1, 0, edges.size - 2)
    counts: dict[str, list[int]] = {}
    stage_of = backlog["stage"].to_numpy()
    for stage in BacklogStage:
        mine = band[stage_of == stage.value]
        counts[stage.value] = np.bincount(mine, minlength=edges.size - 1).astype(int).tolist()
    return counts
