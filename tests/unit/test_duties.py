"""The plan's duties that used to be missing (issue 13 §2), read from the tables of short runs.

终本核查 and 恢复执行审查 before a 执恢 is filed (方案 三(一)1); the records centre's
monitoring, 通报 and 借阅登记 (三(一)3); the "三统一" team's platform and statistics
(三(一)4); a 案外人异议 holding the sale (CPL 2023 art. 238); 变价前调查, 悬赏 and 审计
(三(二)2). Each test fails against the model without the duty: the records officer had no
work, a 执恢 was reviewed after it was filed and never refused, a disposal never waited.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from sim.config.errors import ScenarioError
from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.model import RunResult, build_calendar, run_replication


@pytest.fixture(scope="module")
def run(short: Scenario) -> RunResult:
    return run_replication(short, 0)


def _rows(steps: pd.DataFrame, step: str, kind: str = "task") -> pd.DataFrame:
    return steps.loc[(steps["step"] == step) & (steps["kind"] == kind)]


def _ids(steps: pd.DataFrame, step: str, kind: str = "task") -> set[int]:
    return set(_rows(steps, step, kind)["case_id"].astype(int))


def _working_days(scenario: Scenario, every: int) -> int:
    """Working days (every ``every``-th) after the start and before the run's end."""
    calendar = build_calendar(scenario)
    end = scenario.run.horizon_days + scenario.run.cooldown_days
    d, n = calendar.date_of(0.0), 0
    while True:
        d = calendar.add_working_days(d, every)
        if calendar.next_working_time(calendar.time_of(d)) >= end:
            return n
        n += 1


def test_the_records_officer_monitors_and_reports(run: RunResult, short: Scenario) -> None:
    """方案 三(一)3: 对执行重要节点实时监控，定期通报 — the centre's officer is no longer idle."""
    steps = run.steps
    monitoring = _rows(steps, "node_monitoring")
    assert len(monitoring) == _working_days(short, short.side_streams.monitoring_interval_wdays)
    reports = _rows(steps, "records_report")
    assert len(reports) >= 6  # the first working day of each month of 240 days
    officer = steps.loc[(steps["team"] == "records") & steps["roles"].str.contains("officer")]
    assert set(officer["step"]) == {"node_monitoring", "records_report"}
    assert officer["effort_hours"].sum() > 100
    # A round's work grows with the cases open: the court starts empty.
    hours = monitoring.sort_values("queued")["effort_hours"].to_numpy()
    assert hours[: len(hours) // 4].mean() < hours[-len(hours) // 4 :].mean()


def test_files_lent_are_registered_by_the_centre(run: RunResult, short: Scenario) -> None:
    """方案 三(一)3: 借出、借阅、复制…应当进行登记 — a Poisson stream of requests at the centre's clerks."""
    lending = _rows(run.steps, "file_lending")
    days = short.run.horizon_days + short.run.cooldown_days
    expected = short.side_streams.lending_per_year * days / 365
    assert 0.8 * expected < len(lending) < 1.2 * expected
    assert set(lending["team"]) == {"records"} and set(lending["roles"]) == {"clerk"}


def test_no_centre_no_centre_duties(short: Scenario) -> None:
    """Before the reform there is no records centre: nothing to monitor or lend from the 中间库."""
    pre = with_overrides(
        short,
        {
            "organisation.performed_by": {"records": "complex_track"},
            "staffing.records.officers": 0,
            "staffing.records.clerks": 0,
        },
    )
    steps = run_replication(pre, 0).steps
    assert not set(steps["step"]) & {"node_monitoring", "records_report", "file_lending"}


def test_the_oversight_team_keeps_the_platform_and_reports_data(run: RunResult, short: Scenario) -> None:
    """方案 三(一)4: 执行指挥平台事务办理 each working day; 上报数据统计报送 per request."""
    platform = _rows(run.steps, "platform_duty")
    assert len(platform) == _working_days(short, 1)
    assert set(platform["team"]) == {"oversight"} and set(platform["roles"]) == {"officer"}
    data = _rows(run.steps, "data_report")
    assert len(data) > 5 and set(data["team"]) == {"oversight"}


@pytest.fixture(scope="module")
def resuming(short: Scenario) -> RunResult:
    """Many 终本 cases find property within months, and half the requests are refused."""
    scenario = with_overrides(
        short,
        {
            "probabilities.resume_within_5y_rate": 0.3,
            "probabilities.resume_refused_rate": 0.5,
            "delays.requery_interval_days": 20,
            "delays.requery_years": 0.2,
        },
    )
    return run_replication(scenario, 0)


def test_a_refused_resumption_never_becomes_a_case(resuming: RunResult) -> None:
    """恢复执行审查 refuses: no 执恢 case is filed for that 终本 case; accepted ones are."""
    steps, cases = resuming.steps, resuming.cases
    refused = _ids(steps, "resume_refused", "mark")
    accepted = _ids(steps, "resumed", "mark")
    assert len(refused) > 5 and len(accepted) > 5
    assert not refused & accepted
    parents = set(cases.loc[cases["parent_id"] >= 0, "parent_id"].astype(int))
    assert not refused & parents
    assert accepted == parents


def test_a_resumption_is_checked_and_reviewed_before_it_is_filed(resuming: RunResult) -> None:
    """方案 三(一)1: 终本核查 and 恢复执行审查 at the front end, then the 执恢 is filed."""
    steps, cases = resuming.steps, resuming.cases
    own = cases.loc[cases["parent_id"] >= 0].set_index("parent_id")
    review = _rows(steps, "resume_review").groupby("case_id")["end"].max()
    check = _rows(steps, "zhongben_check").groupby("case_id")["end"].max()
    assert len(own) > 5
    assert (review.reindex(own.index) <= own["arrived"] + 1e-9).all()
    assert (check.reindex(own.index) <= review.reindex(own.index)).all()
    # Filed reviewed: the 执恢 case itself is not reviewed again after filing.
    assert not set(own["case_id"].astype(int)) & _ids(steps, "resume_review")
    assert set(_rows(steps, "resume_review")["team"]) == {"intake"}


def test_the_mix_resumptions_are_reviewed_without_refusal(run: RunResult) -> None:
    """The mix's 执恢 filings were accepted requests: their review is work, never a refusal."""
    mix = set(run.cases.loc[(run.cases["case_type"] == "resumed") & (run.cases["parent_id"] < 0), "case_id"])
    assert len(mix) > 30
    reviewed = _ids(run.steps, "resume_review")
    waiting = set(run.unfinished.loc[run.unfinished["step"].isin(["zhongben_check", "resume_review"]), "case_id"])
    assert len(mix & reviewed) > 0.5 * len(mix)
    assert mix <= reviewed | waiting  # the front end is behind: some reviews still wait at the end
    assert not _ids(run.steps, "resume_refused", "mark")


@pytest.fixture(scope="module")
def objected(short: Scenario) -> RunResult:
    """Property found often, and a third party objects to half the disposals."""
    scenario = with_overrides(
        short,
        {"probabilities.property_found_rate": 0.2, "probabilities.third_party_objection_rate": 0.5},
    )
    return run_replication(scenario, 0)


def test_a_third_party_objection_holds_the_sale_until_its_ruling(objected: RunResult) -> None:
    """执行异议复议规定 art. 15: 案外人异议审查期间，不得对执行标的进行处分; upheld, no sale (CPL 2023 art. 238)."""
    steps = objected.steps
    ruled = _rows(steps, "third_party_review").groupby("case_id")["end"].max()
    assert len(ruled) > 10
    listed = _rows(steps, "auction_listing").groupby("case_id")["queued"].min()
    both = ruled.index.intersection(listed.index)
    assert len(both) > 5
    assert (listed[both] >= ruled[both]).all()
    upheld = _ids(steps, "third_party_upheld", "mark")
    assert upheld and upheld <= set(ruled.index)
    assert not upheld & (_ids(steps, "auction_listing") | _ids(steps, "sale_ruling"))
    # The 15 days run from the written objection to the ruling (its own clock).
    clocks = objected.slas.loc[objected.slas["sla"] == "third_party_objection"]
    assert set(clocks["case_id"].astype(int)) >= set(ruled.index)


def test_the_property_is_investigated_before_it_is_referred(objected: RunResult) -> None:
    """方案 三(二)2: 在采取变价措施前，应对财产权属…等事项进行调查 — in both handling tracks."""
    steps = objected.steps
    inquiry = _rows(steps, "pre_sale_inquiry").groupby("case_id")["end"].min()
    referral = _rows(steps, "disposal_referral").groupby("case_id")["start"].min()
    assert len(referral) > 20
    assert set(referral.index) <= set(inquiry.index)
    assert (inquiry[referral.index] <= referral).all()
    tracks = objected.cases.set_index("case_id").loc[list(referral.index), "track"]
    assert {"fast", "standard"} <= set(tracks)


def _options(on: bool) -> dict[str, Any]:
    return {
        "policy.reward_notice": on,
        "policy.audit": on,
        "probabilities.reward_rate": 1.0,
        "probabilities.reward_find_rate": 0.5,
        "probabilities.audit_rate": 1.0,
        "probabilities.audit_find_rate": 1.0,
    }


def test_reward_and_audit_are_options_used_only_when_switched_on(short: Scenario, run: RunResult) -> None:
    """方案 三(二)2: 根据案件具体情况决定是否采取悬赏执行、审计执行 — off in the baseline."""
    assert not _ids(run.steps, "reward_notice") | _ids(run.steps, "audit")
    steps = run_replication(with_overrides(short, _options(True)), 0).steps
    rewarded, audited = _ids(steps, "reward_notice"), _ids(steps, "audit")
    assert len(rewarded) > 20 and len(audited) > 5
    assert audited <= rewarded  # an audit where the reward found nothing
    # The audit firm's time is not counted against the 6-month limit (审限规定 art. 9 item 8).
    firm = _rows(steps, "audit_firm", "wait")
    assert len(firm) and firm["excluded"].all()
    # With audits that always find, every case whose audit has reported has property.
    assert set(firm["case_id"]) <= _ids(steps, "property_found", "mark")


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        ("probabilities.resume_refused_rate", 1.5, "<= 1"),
        ("probabilities.third_party_objection_rate", -0.1, ">= 0"),
        ("side_streams.monitoring_interval_wdays", 0, ">= 1"),
        ("side_streams.lending_per_year", -3.0, ">= 0"),
        ("policy.reward_notice", "yes", "true or false"),
    ],
)
def test_bad_duty_parameters_are_refused_by_name(short: Scenario, path: str, value: object, says: str) -> None:
    with pytest.raises(ScenarioError) as error:
        with_overrides(short, {path: value})
    assert path in str(error.value) and says in str(error.value)
