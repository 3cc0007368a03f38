"""The court's open cases at the extraction date, as a scenario's ``[initial_backlog]``.

An export of the 审判管理系统 lists every case with its filing date and, for a closed
case, its closing date; a case without one is still open on the extraction date.
Those open cases, by stage and age, are where a run of the court from that date
starts (``courtsim calibrate --backlog``): the run then needs no warm-up from an
empty court.

The stage comes from what the export says of the case: its track (繁简分流: ``fast``
or ``standard``) or, for a 执保 case, ``preservation``; a case not yet triaged (no
track) waits at ``intake``. An export with no finer state puts a case on its
track's first stage (``fast_track``, ``standard_track``): the model then takes it
through service again, which is the common case for open cases and the cautious
one for the others. Where the export has the case's current step (节点), edit the
counts by hand into the finer stages (``standard_investigation``, ``disposal``,
``*_zhongben_floor``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from sim.calibration.records import CaseRecords
from sim.config.schema import MAX_BACKLOG_AGE_DAYS
from sim.vocab import BacklogStage, CaseType, Track

__all__ = ["DEFAULT_BANDS", "backlog_from_records", "backlog_run"]

DEFAULT_BANDS = (0, 30, 91, 182, 365, 730, MAX_BACKLOG_AGE_DAYS)
"""Age bands (days since 立案) of a calibrated backlog: one, three and six months, one, two and ten years."""

_STAGE_OF_TRACK = {Track.FAST.value: BacklogStage.FAST_TRACK, Track.STANDARD.value: BacklogStage.STANDARD_TRACK}


def backlog_from_records(records: CaseRecords, bands: tuple[float, ...] = DEFAULT_BANDS) -> dict[str, Any]:
    """``[initial_backlog]`` of the records' open cases on the day after the extraction date.

    Returns the section as a dict (``age_bands_days``, ``counts``, ``source``); a case older
    than the last band edge is left out and said so in the source.
    """
    cases = records.cases
    open_cases = cases.loc[cases["status"] == "open"]
    start = records.extraction_date + timedelta(days=1)
    # Age at the run's start (the midnight after the extraction day), filed at midday.
    ages = np.array([(start - d.date()).days - 0.5 for d in open_cases["filed"]], dtype=float)
    edges = np.asarray(bands, dtype=float)
    stages = [
        BacklogStage.PRESERVATION
        if case_type == CaseType.PRESERVATION.value
        else _STAGE_OF_TRACK.get(str(track), BacklogStage.INTAKE)
        for case_type, track in zip(open_cases["case_type"], open_cases["track"], strict=True)
    ]
    inside = (ages >= edges[0]) & (ages < edges[-1])
    band = np.searchsorted(edges, ages, side="right") - 1
    counts = {stage.value: [0] * (edges.size - 1) for stage in BacklogStage}
    for stage, b, keep in zip(stages, band, inside, strict=True):
        if keep:
            counts[stage.value][int(b)] += 1
    dropped = int((~inside).sum())
    note = f"; {dropped} open cases older than {edges[-1]:g} days left out" if dropped else ""
    synthetic = "; SYNTHETIC records (合成数据)" if records.synthetic else ""
    return {
        "age_bands_days": [float(e) for e in edges],
        "source": f"open cases of {records.source} on {records.extraction_date.isoformat()} "
        f"(n={int(inside.sum())}), stage from the track{note}{synthetic}",
        "counts": {stage: row for stage, row in counts.items() if any(row)},
    }


def backlog_run(records: CaseRecords, base_horizon: float, base_warmup: float, cooldown: float) -> dict[str, Any]:
    """``[run]`` of a scenario started from the open cases: from the day after the extraction, no warm-up.

    The counted period keeps the base's length (its horizon minus its warm-up).
    """
    return {
        "start_date": records.extraction_date + timedelta(days=1),
        "warmup_days": 0.0,
        "horizon_days": float(base_horizon - base_warmup),
        "cooldown_days": float(cooldown),
        "source": f"started the day after the extraction of {records.source} from its open cases "
        "([initial_backlog]); no warm-up",
    }
