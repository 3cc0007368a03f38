"""A run that starts from the court's open cases (``[initial_backlog]``, issue 19; issue 15 goal 1).

Checked: validation names the field and the allowed values; every seeded case stands at its
stage at time 0 (read back by :func:`sim.metrics.backlog.backlog_at`), was filed in the past
within its age band on a working day, and its clocks run from that filing; the filed cases'
draws are those of the run without a backlog (common random numbers), the backlog's own
draws do not depend on the filed cases; a scenario without a backlog gets its book back
unchanged; backlog cases resume after 终本 into rows of their own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.cases import CaseBook, generate_cases, resumed_case, with_backlog
from sim.config.errors import ScenarioError
from sim.config.load import parse_scenario, scenario_hash
from sim.config.schema import Scenario
from sim.metrics.backlog import backlog_at, backlog_counts
from sim.model import build_calendar, run_replication
from sim.streams import Streams
from sim.vocab import Deadline, Decision

BANDS = [0, 30, 90, 400]
COUNTS = {
    "intake": [6, 0, 0],
    "intake_triage": [3, 1, 0],
    "fast_track": [4, 5, 1],
    "fast_investigation": [1, 3, 1],
    "fast_zhongben_floor": [0, 6, 2],
    "standard_track": [4, 5, 2],
    "standard_investigation": [2, 5, 2],
    "disposal": [1, 2, 2],
    "standard_zhongben_floor": [0, 5, 5],
    "preservation": [2, 0, 0],
}


def _with(baseline: Scenario, backlog: dict[str, Any] | None, **run: Any) -> Scenario:
    data = baseline.model_dump(mode="json")
    data["run"].update({"warmup_days": 0, "horizon_days": 40, "cooldown_days": 10, **run})
    if backlog is not None:
        data["initial_backlog"] = backlog
    return parse_scenario(data, "test")


def _refused(baseline: Scenario, backlog: dict[str, Any], *words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        _with(baseline, backlog)
    text = str(caught.value)
    for word in words:
        assert word in text, text


def test_validation_names_the_field(baseline: Scenario) -> None:
    _refused(baseline, {"age_bands_days": BANDS, "counts": {"triage": [1, 0, 0]}}, "initial_backlog.counts", "intake")
    _refused(baseline, {"age_bands_days": BANDS, "counts": {"intake": [-1, 0, 0]}}, "counts.intake", "0")
    _refused(baseline, {"age_bands_days": BANDS, "counts": {"intake": [1, 0]}}, "counts.intake has 2 counts", "3 age")
    _refused(baseline, {"age_bands_days": [0, 30, 9999], "counts": {}}, "age_bands_days", "3653")
    _refused(baseline, {"age_bands_days": [0, 30, 30], "counts": {}}, "age_bands_days", "increase strictly")
    _refused(baseline, {"age_bands_days": [-5, 30], "counts": {}}, "age_bands_days", "0")
    with pytest.raises(ScenarioError, match="before year 1"):  # the oldest filing must be a date
        _with(baseline, {"age_bands_days": [0, 3000], "counts": {"intake": [1]}}, start_date="0005-01-01")


def test_a_scenario_without_a_backlog_keeps_its_hash_and_its_book(baseline: Scenario) -> None:
    plain = _with(baseline, None)
    empty = _with(baseline, {"age_bands_days": BANDS, "counts": {}})
    assert scenario_hash(plain) != scenario_hash(empty)
    assert "initial_backlog" not in plain.model_dump(exclude_none=True)
    calendar = build_calendar(plain)
    book = generate_cases(plain, calendar, Streams(7, 0))
    assert with_backlog(book, plain, calendar, Streams(7, 0)) is book


def _book(scenario: Scenario) -> CaseBook:
    calendar = build_calendar(scenario)
    streams = Streams(7, 0)
    return with_backlog(generate_cases(scenario, calendar, streams), scenario, calendar, streams)


def test_backlog_cases_are_common_random_numbers(baseline: Scenario) -> None:
    spec = {"age_bands_days": BANDS, "counts": COUNTS}
    plain, seeded = _book(_with(baseline, None)), _book(_with(baseline, spec))
    n = plain.n_filed
    for d in Decision:  # the filed cases and their resumptions draw exactly what they drew without a backlog
        assert np.array_equal(seeded.decisions[d][: 2 * n], plain.decisions[d])
    assert seeded.decisions[Decision.FILING].shape[0] == 2 * n + 2 * sum(map(sum, COUNTS.values()))
    # The backlog's own draws do not move when the filed cases do (another load, another n).
    busier = _book(_with(baseline, spec, horizon_days=80))
    assert busier.n_filed != n
    for (a, stage_a), (b, stage_b) in zip(seeded.backlog, busier.backlog, strict=True):
        assert (stage_a, a.arrived, a.claim_cny, a.case_type) == (stage_b, b.arrived, b.claim_cny, b.case_type)
        assert seeded.u(Decision.PROPERTY, a) == busier.u(Decision.PROPERTY, b)


def test_backlog_cases_resume_into_rows_of_their_own(baseline: Scenario) -> None:
    book = _book(_with(baseline, {"age_bands_days": BANDS, "counts": COUNTS}))
    n, b = book.n_filed, len(book.backlog)
    rows = {resumed_case(book, case, 0.0).row for case, _ in book.backlog}
    assert rows == set(range(2 * n + b, 2 * n + 2 * b))
    assert all(book.can_resume(case) for case, _ in book.backlog)
    assert not any(book.can_resume(resumed_case(book, case, 0.0)) for case, _ in book.backlog)


def test_seeded_cases_stand_at_their_stage_with_their_past(baseline: Scenario) -> None:
    # Long enough for every floor to pass: a wait still running at the end of the log is not logged.
    scenario = _with(baseline, {"age_bands_days": BANDS, "counts": COUNTS}, cooldown_days=60)
    result = run_replication(scenario, 0, seed=7)
    cases, slas = result.cases, result.slas
    seeded = cases.loc[cases["arrived"] < 0]
    assert len(seeded) == sum(map(sum, COUNTS.values()))
    assert not seeded["counted"].any()  # filed before the counted window
    # Read back at the start: every case where it was put, in its age band.
    assert backlog_counts(backlog_at(result.steps, cases, 1e-9), BANDS) == COUNTS
    calendar = build_calendar(scenario)
    assert all(calendar.is_working_day(calendar.date_of(t)) for t in seeded["arrived"])
    # The 6-month limit runs from the real filing, so an old case is already past it.
    limit = slas.loc[(slas["sla"] == Deadline.EXECUTION_LIMIT.value) & slas["case_id"].isin(seeded["case_id"])]
    assert len(limit) == len(seeded)
    start = limit.set_index("case_id")["start"]
    assert np.allclose(start.sort_index(), seeded.set_index("case_id")["arrived"].sort_index())
    old = seeded.loc[seeded["arrived"] < -200, "case_id"]
    assert (limit.set_index("case_id").loc[old, "due"] < 0).all()
    # Cases waiting for the 终本 floor close as 终本 once it has passed.
    floor = seeded.loc[seeded["arrived"] < -120]
    assert (floor.loc[floor["track"] != "oversight", "outcome"].isin(["zhongben", "completed", "terminated", ""])).all()
