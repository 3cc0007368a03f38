"""The reform's mechanisms: each does what its group says, only where the organisation lets it,
and switches off on its own.

Short stories on the event log of a few months of the baseline: a specialist's hours are
the generalist's times the multiplier (the same cases, common random numbers); a case
handed to another team waits, is read by its new handler and is sometimes sent back; the
e-file spares the paper's trip; the online inquiries of a day go out together.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from sim.config.errors import ScenarioError
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.flow.mechanisms import effort_factors
from sim.model import RunResult, run_replication
from sim.vocab import Mechanism, Task, Team
from tests.conftest import SCENARIOS

OFF = {f"reform.{m.value}.enabled": False for m in Mechanism}


@pytest.fixture(scope="module")
def months(baseline: Scenario) -> Scenario:
    """Three months of the baseline from an empty court (no warm-up, no cool-down)."""
    return with_overrides(baseline, {"run.warmup_days": 0, "run.horizon_days": 60, "run.cooldown_days": 30})


@pytest.fixture(scope="module")
def pre_reform() -> Scenario:
    return load_scenario(SCENARIOS / "pre_reform.toml")


def _run(scenario: Scenario, overrides: dict[str, Any] | None = None) -> RunResult:
    return run_replication(with_overrides(scenario, overrides or {}), 0)


def _tasks(result: RunResult, step: str) -> pd.DataFrame:
    steps = result.steps
    return steps[(steps.kind == "task") & (steps.step == step)]


# ---------------------------------------------------------------- what pre_reform and the baseline say


def test_pre_reform_states_the_old_court(pre_reform: Scenario, baseline: Scenario) -> None:
    assert baseline.reform.enabled() == tuple(Mechanism)
    # Hand-offs cost the same in both courts; the rest are the reform's.
    assert pre_reform.reform.enabled() == (Mechanism.HANDOFF,)
    # Switching one mechanism is one key: the same override names every group.
    for mechanism in Mechanism:
        assert hasattr(pre_reform.reform[mechanism], "enabled")


def test_a_file_without_reform_has_every_mechanism_off(baseline: Scenario) -> None:
    data = baseline.model_dump(mode="json")
    del data["reform"]
    assert Scenario.model_validate(data).reform.enabled() == ()


# ---------------------------------------------------------------- specialisation and batching


def test_effort_factors_apply_to_specialists_only(baseline: Scenario, pre_reform: Scenario) -> None:
    factors = effort_factors(baseline)
    assert factors[(Task.FIRST_CONTACT, Team.INTAKE)] == pytest.approx(0.85)
    assert factors[(Task.STANDARD_DOCUMENTS, Team.INTAKE)] == pytest.approx(0.85 * 0.6)  # skill × batch
    assert factors[(Task.FIELD_INVESTIGATION, Team.COMPLEX_TRACK)] == pytest.approx(0.90)
    assert (Task.READ_FILE, Team.FAST_TRACK) not in factors  # nobody is a specialist at re-reading
    assert (Task.OBJECTION_HEARING, Team.REVIEW) not in factors  # a team the reform left as it was
    # The pre-reform unit files, handles, sells and keeps the file: a generalist, whatever the switch says.
    switched_on = with_overrides(
        pre_reform, {"reform.specialisation.enabled": True, "reform.centralised_intake.enabled": True}
    )
    assert not any(team is Team.COMPLEX_TRACK for _, team in effort_factors(switched_on))
    assert effort_factors(with_overrides(baseline, OFF)) == {}


def test_specialists_work_the_multiplier_faster_on_the_same_cases(months: Scenario) -> None:
    on = _tasks(_run(months, {"reform.specialisation.enabled": True}), "debtor_interview")
    off = _tasks(_run(months, {"reform.specialisation.enabled": False}), "debtor_interview")
    both = on.merge(off, on="case_id", suffixes=("_on", "_off"))  # one interview per case
    assert len(both) > 200
    factor = both.team_on.map({"fast_track": 0.85, "complex_track": 0.90})
    assert both.effort_hours_on.to_numpy() == pytest.approx((factor * both.effort_hours_off).to_numpy(), rel=1e-12)


def test_centralised_intake_batches_the_days_inquiries(months: Scenario) -> None:
    steps = _run(months).steps
    inquiries = steps[steps.step == "online_inquiry"]
    hour = (inquiries.start % 1.0) * 24.0
    assert len(inquiries) > 500
    assert hour.to_numpy() == pytest.approx(16.0, abs=1e-6)  # all sent at the batch hour
    assert (steps.step == "inquiry_batch").any()
    unbatched = _run(months, {"reform.centralised_intake.enabled": False}).steps
    assert not (unbatched.step == "inquiry_batch").any()
    spread = (unbatched[unbatched.step == "online_inquiry"].start % 1.0) * 24.0
    assert spread.nunique() > 100  # each as its documents are done


# ---------------------------------------------------------------- a change of hands


def test_a_handed_over_case_waits_then_its_new_handler_reads_it(months: Scenario) -> None:
    result = _run(months)
    steps = result.steps
    received = steps[(steps.step == "received") & steps.team.isin(["fast_track", "complex_track"])]
    reads = _tasks(result, "read_file")
    handlers = result.cases.set_index("case_id").handler
    first_reads = reads[reads.team.isin(["fast_track", "complex_track"])].groupby("case_id").first()
    assert set(received.case_id) - set(first_reads.index) <= _still_waiting(result, received)
    # The reader is the case's handler (承办人), and the in-tray wait came first.
    assert (first_reads.staff == handlers.loc[first_reads.index]).all()
    waits = steps[steps.step == "handoff_wait"].groupby("case_id").start.min()
    common = waits.index.intersection(first_reads.index)
    assert len(common) > 300
    assert (waits.loc[common] <= first_reads.loc[common, "queued"] + 1e-12).all()


def _still_waiting(result: RunResult, received: pd.DataFrame) -> set[int]:
    """Cases whose reading is not done when the run ends: the reading waits for the handler
    (unfinished work), or the in-tray wait is still running (a wait is logged when it ends;
    it lasts at most 2 working days, so the case came in the last 5 days)."""
    steps, unfinished = result.steps, result.unfinished
    queued = set(unfinished[unfinished.step == "read_file"].case_id)
    waited = set(steps[steps.step == "handoff_wait"].case_id)
    recent = received[received.end > steps.end.max() - 5.0]
    return queued | (set(recent.case_id) - waited)


def test_the_old_court_hands_over_only_preservation_cases(pre_reform: Scenario) -> None:
    short = with_overrides(pre_reform, {"run.warmup_days": 0, "run.horizon_days": 60, "run.cooldown_days": 30})
    result = _run(short)
    readers = _tasks(result, "read_file").team.unique()
    assert list(readers) == ["oversight"]  # 执保 cases go from the filing unit to the "三统一" team
    assert not (result.steps.step == "rework").any()
    assert not (result.steps.step == "scan").any()  # nothing scanned before 无纸化


def test_without_the_hand_off_cost_nobody_reads_or_waits(months: Scenario) -> None:
    steps = _run(months, {"reform.handoff.enabled": False}).steps
    assert not steps.step.isin(["read_file", "handoff_wait"]).any()


def test_the_e_file_spares_the_papers_trip(months: Scenario) -> None:
    scanned = _run(months).steps
    assert not (scanned.step == "paper_transfer").any()
    assert (scanned.step == "scan").any()
    paper = _run(months, {"reform.scanned_files.enabled": False}).steps
    assert not paper.step.isin(["scan", "e_file_wait"]).any()  # nothing scanned, no e-file to wait for
    trips = paper[paper.step == "paper_transfer"]
    assert len(trips) > 500
    assert (trips.end > trips.start).all()


def test_a_flawed_step_goes_back_to_its_team(months: Scenario) -> None:
    result = _run(months, {"reform.rework.flag_rate": 1.0})
    steps = result.steps
    returned = steps[steps.step == "returned"]
    rework = _tasks(result, "rework")
    assert len(returned) > 500
    # From the front end to a track, the front end's officers put it right.
    first = rework.groupby("case_id").first()
    assert set(first.team) == {"intake"}
    assert (first.roles == "officer").all()
    none = _run(months, {"reform.rework.enabled": False}).steps
    assert not none.step.isin(["returned", "rework"]).any()


# ---------------------------------------------------------------- electronic service


def test_electronic_service_replaces_the_post_for_the_share_reached(months: Scenario) -> None:
    steps = _run(months).steps
    served = steps[steps.step.isin(["service", "electronic_service"])]
    e = served[served.step == "electronic_service"]
    post = served[served.step == "service"]
    assert len(served) > 500
    # A share of the debtors who can be found (the rest by post, or by notice when missing).
    assert 0.35 < len(e) / len(served) < 0.65  # 0.62 × 0.83 ≈ 0.51 of all reached
    assert (e.end - e.start).max() <= 1.0 + 1e-9  # served on arrival, within a day
    assert (post.end - post.start).mean() > 2.0
    # Switched off, the pre-reform share; the post-or-notice draws of the others stay as they were.
    off = _run(months, {"reform.electronic_service.enabled": False}).steps
    off_served = off[off.step.isin(["service", "electronic_service"])]
    assert (off_served.step == "electronic_service").sum() < len(e)
    none = _run(months, {"reform.electronic_service.enabled": False, "reform.electronic_service.share_without": 0.0})
    assert not (none.steps.step == "electronic_service").any()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"reform.centralised_intake.effort": {"field_investigation": 0.5}}, "reform.centralised_intake.effort"),
        ({"reform.specialisation.teams": {"intake": 0.0}}, "reform.specialisation.teams.intake"),
        ({"reform.specialisation.tasks": {"review": {"price_file": 0.8}}}, "reform.specialisation.tasks.review"),
        ({"reform.rework.flag_rate": 1.5}, "reform.rework.flag_rate"),
        ({"reform.electronic_service.share": -0.1}, "reform.electronic_service.share"),
        ({"reform.centralised_intake.inquiry_batch_hour": 20.0}, "reform.centralised_intake.inquiry_batch_hour"),
        # a mechanism's wait is bounded like the delays (1e308 days reached the model before)
        (
            {"reform.electronic_service.delay_days": {"dist": "triangular", "low": 0, "mode": 0, "high": 1e308}},
            "reform.electronic_service.delay_days",
        ),
        ({"reform.handoff.wait_wdays": {"dist": "fixed", "value": 1e9}}, "reform.handoff.wait_wdays"),
        (
            {"reform.scanned_files.paper_wait_wdays": {"dist": "fixed", "value": 1e9}},
            "reform.scanned_files.paper_wait_wdays",
        ),
    ],
)
def test_bad_mechanism_parameters_are_refused_by_path(baseline: Scenario, overrides: dict[str, Any], path: str) -> None:
    with pytest.raises(ScenarioError) as error:
        with_overrides(baseline, overrides)
    assert any(problem.path.startswith(path) for problem in error.value.problems), error.value.problems
