"""Conservation and event order on every scenario shipped in ``scenarios/`` (short runs).

Nothing is lost (DOMAIN.md §4): every filing (and every case of a starting backlog) becomes a
case that is either closed with an outcome or open in a known stage, and the work still
waiting when the run ends is in the unfinished table. Time runs forward within a case, every
piece of work ends when the calendar says its effort ends, and nobody works on two things at once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cases import generate_cases, with_backlog
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.model import RunResult, build_calendar, run_replication
from sim.streams import Streams
from tests.conftest import SCENARIOS

KNOWN_STAGES = ("intake", "filed", "fast_track:", "complex_track:", "asset_disposal:", "oversight:")
AFTER_CLOSING = {
    # The file goes to the records centre and is archived after closing; scans of earlier
    # papers may still be running. Objections run beside the case (执行程序解释 art. 9).
    # A 终本 case is re-queried and resumes as a new 执恢 case: its parent gets a mark.
    # Its file is checked and the request reviewed first (终本核查、恢复执行审查, on the
    # parent, after its closing); a mix's 执恢 is reviewed beside its path (its filing
    # time is data, sim.flow.resumption), and a refused request gets a mark.
    "scan",
    "archive",
    "archived",
    "objection_docketing",
    "objection_hearing",
    "objection_ruled",
    "reconsideration",
    "resumed",
    "zhongben_check",
    "resume_review",
    "resume_refused",
}
EPS = 1e-9


def _short(path: Path) -> Scenario:
    return with_overrides(
        load_scenario(path), {"run.warmup_days": 20, "run.horizon_days": 110, "run.cooldown_days": 30}
    )


@pytest.fixture(scope="module", params=sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def shipped(request: pytest.FixtureRequest) -> tuple[Scenario, RunResult]:
    scenario = _short(request.param)
    return scenario, run_replication(scenario, 0)


@pytest.mark.validation
def test_every_filing_is_closed_or_open_in_a_known_stage(shipped: tuple[Scenario, RunResult]) -> None:
    scenario, result = shipped
    cases, end = result.cases, result.meta["end_days"]
    calendar, streams = build_calendar(scenario), Streams(scenario.run.seed, 0)
    book = with_backlog(generate_cases(scenario, calendar, streams), scenario, calendar, streams)
    # Every filing and every case of the starting backlog ([initial_backlog]: filed before time 0).
    assert (cases.parent_id < 0).sum() == book.n_filed + len(book.backlog)
    assert (cases.arrived < 0).sum() == len(book.backlog)
    assert cases.case_id.is_unique
    closed = cases.outcome != ""
    assert ((cases.stage == "closed") == closed).all()
    assert (cases.closed.notna() == closed).all()
    assert ((cases.closed[closed] >= cases.arrived[closed] - EPS) & (cases.closed[closed] <= end + EPS)).all()
    assert cases.stage[~closed].map(lambda s: s.startswith(KNOWN_STAGES)).all(), cases.stage[~closed].unique()
    resumed = cases[cases.parent_id >= 0]
    parents = cases.set_index("case_id").loc[resumed.parent_id]
    assert (parents.outcome == "zhongben").all()
    assert (resumed.arrived.to_numpy() > parents.closed.to_numpy()).all()


@pytest.mark.validation
def test_unfinished_work_belongs_to_known_work(shipped: tuple[Scenario, RunResult]) -> None:
    """What the run left waiting or under way: open cases' work, or closing-time chores."""
    _, result = shipped
    waiting, cases = result.unfinished, result.cases.set_index("case_id")
    end = result.meta["end_days"]
    assert waiting.end.isna().all()
    assert (waiting.queued <= end + EPS).all()
    begun = waiting.start.notna()
    assert (waiting.start[begun] >= waiting.queued[begun] - EPS).all()
    own = waiting[waiting.case_id >= 0]
    assert own.case_id.isin(cases.index).all()
    of_closed = own[cases.loc[own.case_id, "outcome"].to_numpy() != ""]
    assert set(of_closed.step) <= AFTER_CLOSING, set(of_closed.step)
    # An open case waits for at most one piece of its own main-path work at a time.
    main = own[~own.step.isin(AFTER_CLOSING)]
    assert not main.case_id.duplicated().any()


@pytest.mark.validation
def test_events_run_forward_within_each_case(shipped: tuple[Scenario, RunResult]) -> None:
    _, result = shipped
    steps, cases, end = result.steps, result.cases.set_index("case_id"), result.meta["end_days"]
    assert ((steps.queued <= steps.start + EPS) & (steps.start <= steps.end + EPS)).all()
    assert (steps.end <= end + EPS).all()
    own = steps[steps.case_id >= 0]
    assert (own.queued.to_numpy() >= cases.loc[own.case_id, "arrived"].to_numpy() - EPS).all()
    marks = steps[steps.kind == "mark"]
    assert (marks.start == marks.end).all()
    # The first thing in every case is its receipt at filing, at the filing time; a case of the
    # starting backlog, filed before the run, is received at time 0.
    first = own.sort_values(["case_id", "queued", "end"], kind="stable").groupby("case_id").head(1)
    assert (first.step == "received").all()
    np.testing.assert_allclose(first.queued, cases.loc[first.case_id, "arrived"].clip(lower=0.0), rtol=0, atol=EPS)
    # One closing mark per closed case, at its closing time, and nothing of its path after it.
    closes = own[own.step == "closed"]
    assert closes.case_id.is_unique
    closed = cases[cases.outcome != ""]
    assert set(closes.case_id) == set(closed.index)
    np.testing.assert_allclose(closes.end, closed.loc[closes.case_id, "closed"], rtol=0, atol=EPS)
    path = own[(own.step != "closed") & ~own.step.isin(AFTER_CLOSING)]
    closing = path.case_id.map(closes.set_index("case_id").end)
    late = path[path.end > closing + EPS]
    assert late.empty, late[["case_id", "step", "end"]].head()


@pytest.mark.validation
def test_work_ends_when_the_calendar_says(shipped: tuple[Scenario, RunResult]) -> None:
    scenario, result = shipped
    calendar = build_calendar(scenario)
    tasks = result.steps[result.steps.kind == "task"]
    assert (tasks.effort_hours > 0).all()
    expected = [calendar.finish_time(s, h) for s, h in zip(tasks.start, tasks.effort_hours, strict=True)]
    np.testing.assert_allclose(tasks.end, expected, rtol=0, atol=EPS)


@pytest.mark.validation
def test_nobody_works_on_two_things_at_once(shipped: tuple[Scenario, RunResult]) -> None:
    _, result = shipped
    end = result.meta["end_days"]
    under_way = result.unfinished[result.unfinished.start.notna()]
    work = pd.concat([result.steps[result.steps.kind == "task"], under_way])
    work = work.assign(end=work.end.fillna(end), person=work.staff.str.split("+")).explode("person")
    assert work.person.ne("").all()
    work = work.sort_values(["person", "start", "end"], kind="stable")
    previous_end = work.groupby("person").end.shift()
    overlap = work[work.start < previous_end - EPS]
    assert overlap.empty, overlap[["person", "case_id", "step", "start", "end"]].head()
    # Staff named in the log exist in the staff table.
    assert set(work.person) <= set(result.staff.name)


@pytest.mark.validation
def test_deadline_clocks_run_forward(shipped: tuple[Scenario, RunResult]) -> None:
    _, result = shipped
    slas = result.slas
    assert (slas.due >= slas.start - EPS).all()
    ended = slas.end.notna()
    assert (slas.end[ended] >= slas.start[ended] - EPS).all()
    assert not slas.duplicated(["case_id", "sla", "occurrence"]).any()
