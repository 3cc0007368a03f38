"""Legal states the statutes fix (issue 13 §3), read from the tables of short runs.

Each test names the rule it checks. The runs are the short baseline, with probabilities
raised where an event is too rare in 150 days to be seen (resumptions, re-auctions).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.flow.fees import application_fee
from sim.model import RunResult, build_calendar, run_replication


@pytest.fixture(scope="module")
def run(short: Scenario) -> RunResult:
    return run_replication(short, 0)


def _ids(steps: pd.DataFrame, step: str, kind: str) -> set[int]:
    return set(steps.loc[(steps["step"] == step) & (steps["kind"] == kind), "case_id"].astype(int))


def test_no_listing_of_a_case_paid_in_full_from_what_the_court_held(run: RunResult) -> None:
    """失信规定 arts. 1, 3: not listed when seized property covers the claim, nor when it is paid.

    A listed case may still end 执行完毕 through a settlement (the listing is then
    removed); one paid in full without one was paid from what the court held.
    """
    listed = _ids(run.steps, "dishonest_listing", "task")
    settled = _ids(run.steps, "settlement_record", "task")
    cases = run.cases.set_index("case_id")
    assert len(listed) > 50
    completed = cases.loc[cases.index.isin(listed) & (cases["outcome"] == "completed")].index
    unsettled = sorted(set(completed) - settled)
    assert not unsettled, f"listed, then paid in full without a settlement: {unsettled[:10]}"


def test_fast_track_zhongben_cases_are_listed_where_grounds_exist(run: RunResult) -> None:
    """终本规定 art. 1(2): every 终本, the fast track's too, needs 纳失 where the grounds exist."""
    listed = _ids(run.steps, "dishonest_listing", "task")
    fast_zb = run.cases.loc[(run.cases["track"] == "fast") & (run.cases["outcome"] == "zhongben"), "case_id"]
    assert len(fast_zb) > 20
    share = fast_zb.isin(listed).mean()
    assert 0.1 < share < 0.9


def test_a_missing_debtor_is_searched_for_and_interviewed_only_when_found(run: RunResult) -> None:
    """CPL art. 95: a debtor served by public notice is not there to be interviewed."""
    steps = run.steps
    notice = _ids(steps, "public_notice", "wait")
    assert len(notice) > 30
    searched = _ids(steps, "debtor_search", "task")
    assert notice <= searched | set(run.cases.loc[run.cases["stage"] != "closed", "case_id"])
    interviewed = notice & _ids(steps, "debtor_interview", "task")
    assert len(interviewed) < 0.5 * len(notice)
    first = steps.loc[steps["case_id"].isin(interviewed)].groupby(["case_id", "step"])["start"].min().unstack()
    assert (first["debtor_search"] < first["debtor_interview"]).all()


def test_a_preservation_case_goes_straight_to_the_preservation_act(run: RunResult) -> None:
    """CPL 2023 art. 103: 裁定采取保全措施的，应当立即开始执行 — no first contact, no standard documents."""
    preservation = set(run.cases.loc[run.cases["case_type"] == "preservation", "case_id"])
    assert len(preservation) > 30
    for task in ("first_contact", "standard_documents", "triage"):
        assert not preservation & _ids(run.steps, task, "task"), task
    assert preservation & _ids(run.steps, "preservation", "task")


@pytest.fixture(scope="module")
def resuming(short: Scenario) -> Scenario:
    """Half the 终本 cases resume within months (so the run's own resumptions happen in 150 days).

    Each request waits for the front end's 终本核查 and 恢复执行审查 before it is filed
    (sim.flow.resumption), none refused here.
    """
    return with_overrides(
        short,
        {
            "probabilities.resume_within_5y_rate": 0.5,
            "probabilities.resume_refused_rate": 0.0,
            "delays.requery_interval_days": 20,
            "delays.requery_years": 0.2,
        },
    )


def test_every_resumption_has_property(resuming: Scenario) -> None:
    """A 执恢 is filed because property or money turned up (终本规定 art. 9)."""
    result = run_replication(resuming, 0)
    cases = result.cases
    triaged = _ids(result.steps, "triaged_fast", "mark") | _ids(result.steps, "triaged_standard", "mark")
    resumed = cases.loc[(cases["case_type"] == "resumed") & cases["case_id"].isin(triaged)]
    assert (resumed["parent_id"] >= 0).sum() > 10
    assert resumed["has_property"].all()


def test_own_resumptions_take_the_place_of_filed_ones(resuming: Scenario) -> None:
    """The mix's 执恢 filings stand for the court's whole 执恢 intake: the run's own are not added on top."""
    from sim.cases import generate_cases
    from sim.streams import Streams

    book = generate_cases(resuming, build_calendar(resuming), Streams(resuming.run.seed, 0))
    drawn = sum(c.case_type.value == "resumed" for c in book.cases)
    cases = run_replication(resuming, 0).cases
    own = int((cases["parent_id"] >= 0).sum())
    assert own > 10
    total = int((cases["case_type"] == "resumed").sum())
    # Own ones after the mix's last 执恢 filings have nothing left to replace: a few at the end.
    assert drawn <= total <= drawn + own // 4
    added = run_replication(with_overrides(resuming, {"arrivals.own_resumptions_replace_filed": False}), 0).cases
    assert int(((added["case_type"] == "resumed") & (added["parent_id"] < 0)).sum()) == drawn


def test_every_reauction_begins_within_30_days(short: Scenario) -> None:
    """网拍规定 art. 26: 流拍的，应当在三十日内在同一网络司法拍卖平台再次拍卖 — even with slow relisting."""
    slow = with_overrides(
        short,
        {
            "probabilities.property_found_rate": 0.15,
            "probabilities.auction_first_sale_rate": 0.2,
            "delays.relist_days": {"dist": "triangular", "low": 10, "mode": 15, "high": 20},
        },
    )
    result = run_replication(slow, 0)
    calendar = build_calendar(slow)
    waits = result.steps.loc[result.steps["kind"] == "wait"]
    failed = waits.loc[waits["step"] == "auction_1"].groupby("case_id")["end"].first()
    second = waits.loc[waits["step"] == "auction_2"].groupby("case_id")["start"].first()
    both = pd.concat([failed.rename("failed"), second.rename("second")], axis=1, join="inner")
    assert len(both) > 20
    due = both["failed"].map(lambda t: calendar.due_time(float(t), 30, "days"))
    assert (both["second"] <= due).all(), both.loc[both["second"] > due].head()


@pytest.mark.parametrize(
    ("claim", "fee"),
    [
        (0, 0),
        (8_000, 50),
        (10_000, 50),
        (30_000, 350),
        (50_000, 650),
        (100_000, 1_400),
        (500_000, 7_400),
        (1_000_000, 12_400),
        (5_000_000, 52_400),
        (10_000_000, 77_400),
        (20_000_000, 87_400),
    ],
)
def test_execution_fee_bands(claim: float, fee: float) -> None:
    """诉讼费用交纳办法 art. 14(1), cumulative by band (sources-13 §6.1's worked examples)."""
    assert application_fee(claim) == pytest.approx(fee)


def test_the_fee_is_deducted_at_payout(run: RunResult, short: Scenario) -> None:
    """Arts. 20, 38: paid after enforcement, by the debtor, from the money collected; never more than collected."""
    cases = run.cases
    settled = _ids(run.steps, "settlement_record", "task")  # a settlement may pay less than the claim
    paid = cases.loc[
        (cases["case_type"] == "first")
        & (cases["outcome"] == "completed")
        & (cases["claim_cny"] > 0)
        & ~cases["case_id"].isin(settled)
    ]
    assert len(paid) > 100
    expected = paid["claim_cny"].map(application_fee)
    assert paid["fee_cny"].to_numpy() == pytest.approx(expected.to_numpy())
    assert (paid["recovered_cny"] == paid["claim_cny"]).all()
    assert (cases["fee_cny"] <= cases["claim_cny"].map(application_fee) + 1e-6).all()
    # Switched off, nothing is deducted; on the collected basis the fee follows what was paid.
    off = run_replication(with_overrides(short, {"policy.execution_fee": False}), 0).cases
    assert (off["fee_cny"] == 0).all()
    collected = run_replication(with_overrides(short, {"policy.execution_fee_basis": "collected"}), 0).cases
    part = collected.loc[(collected["fee_cny"] > 0) & (collected["recovered_cny"] < collected["claim_cny"])]
    assert len(part) > 10
    fees = part["recovered_cny"].map(application_fee)
    assert part["fee_cny"].to_numpy() == pytest.approx(fees.to_numpy(), rel=1e-6)
    assert not math.isnan(float(collected["fee_cny"].sum()))
