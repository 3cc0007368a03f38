"""The report's pieces on their own: targets, the parameter table with its sources, labels."""

from __future__ import annotations

import math

import pytest

from sim.config.schema import Scenario
from sim.metrics import KPIS, levels
from sim.report.html import CSS as PAGE_CSS
from sim.report.labels import pct, value_text
from sim.report.params import format_value, is_est, parameter_table
from sim.report.targets import FAST45_TARGET, judge, level_of, tone


@pytest.mark.parametrize(
    ("mean", "low", "high", "expected"),
    [
        (0.95, 0.92, 0.98, "met"),
        (0.55, 0.54, 0.56, "not_met"),
        (0.90, 0.85, 0.95, "uncertain"),
        (0.93, math.nan, math.nan, "met"),  # one replication: the mean alone decides
        (math.nan, math.nan, math.nan, "n/a"),
    ],
)
def test_the_45_day_verdict_reads_the_interval(mean: float, low: float, high: float, expected: str) -> None:
    assert judge(FAST45_TARGET, mean, low, high) == expected


@pytest.mark.parametrize(("mean", "expected"), [(0.45, "inside"), (0.55, "above"), (0.30, "below")])
def test_a_reference_range_reads_the_mean(mean: float, expected: str) -> None:
    zhongben = level_of("zhongben_rate")
    assert zhongben is not None and zhongben.kind == "reference"
    assert judge(zhongben, mean, 0.0, 1.0) == expected


def test_every_target_names_its_source() -> None:
    assert levels(), "no KPI has a target or reference range"
    for target in levels().values():
        assert target.source
        assert target.low is not None or target.high is not None
    assert "EST" in FAST45_TARGET.source  # the 90% level is ours, and says so


def test_every_parameter_is_listed_with_its_source(baseline: Scenario) -> None:
    table = parameter_table(baseline.model_dump(mode="json")).set_index("parameter")
    # A per-field source wins over the group's.
    assert table.loc["probabilities.auction_first_sale_rate", "source"].startswith("facts §3.11 (S)")
    assert not table.loc["probabilities.auction_first_sale_rate", "est"]
    assert table.loc["probabilities.settlement_rate", "est"]
    # Deadlines and teams carry their own source, one row each.
    assert table.loc["deadlines.fast_close", "source"] == "方案 三(二)1: 收案45日内结案"
    assert table.loc["staffing.fast_track", "zh"] == "快执团队"
    assert "执行员 4" in table.loc["staffing.fast_track", "value"]
    # Every task's effort hours are assumptions (domain-facts §4.5).
    tasks = table.loc[table.index.str.startswith("tasks.")]
    assert len(tasks) == len(type(baseline.tasks).model_fields) - 2
    assert tasks["est"].all()
    assert table["source"].ne("").all()


def test_est_marks_assumptions_only() -> None:
    assert is_est("EST")
    assert is_est("facts §4.1 (S→EST)")
    assert is_est("unsourced")
    assert not is_est("方案 三(二)1")
    assert not is_est("facts §3.11 (S): Henan 2014 55.9%")
    assert not is_est("ESTATE")


def test_values_read_in_words() -> None:
    tri = {"dist": "triangular", "low": 1.0, "mode": 3.0, "high": 10.0, "cap": None}
    assert format_value(tri) == "三角分布 triangular(low 1, mode 3, high 10)"
    task = {"roles": {"officer": 1, "bailiff": 2}, "hours": {"dist": "fixed", "value": 4.0}}
    assert format_value(task) == "执行员×1 + 法警×2: 固定 fixed(value 4)"
    assert format_value(True) == "是 yes"


def test_shares_print_as_percent_and_stay_in_range() -> None:
    assert pct(0.5563) == "55.6%"
    assert pct(1.004) == "100.0%"  # a t-interval can overshoot 1
    assert pct(math.nan) == "—"
    assert value_text(1369.3, "cases") == "1,369"
    assert value_text(72.46, "days") == "72.5"


def test_outside_a_reference_range_is_never_coloured_as_not_met() -> None:
    """Above the range of a KPI where higher is better is 'better' (blue), the other side 'worse'
    (amber); a target's 'not met' alone is red (issue 14 item 7)."""
    assert KPIS["completion_rate"].better == "higher"
    assert tone("completion_rate", "above") == "above better"
    assert tone("completion_rate", "below") == "below worse"
    assert tone("zhongben_rate", "above") == "above worse"  # no preferred direction: only a check
    assert tone("fast45_rate", "not_met") == "not_met"
    css = PAGE_CSS
    red = css[css.index(".badge.not_met") : css.index("}", css.index(".badge.not_met"))]
    assert ".badge.above" not in red and ".badge.better" not in red


def test_the_seed_and_the_replications_are_settings_not_assumptions(baseline: Scenario) -> None:
    """run.seed and run.replications choose the experiment; they are not EST (issue 14 item 7),
    while the rest of [run] keeps its EST source."""
    table = parameter_table(baseline.model_dump(mode="json")).set_index("parameter")
    for field in ("run.seed", "run.replications"):
        assert not table.loc[field, "est"] and "experiment" in table.loc[field, "source"]
    assert table.loc["run.warmup_days", "est"]


def test_parameter_names_wrap_at_their_dots_not_letter_by_letter() -> None:
    from sim.report.sections import _breakable

    assert _breakable("probabilities.auction_first_sale_rate") == (
        "probabilities.<wbr>auction_<wbr>first_<wbr>sale_<wbr>rate"
    )
    assert "td.zhname { min-width" in PAGE_CSS and "td.param code { word-break: normal" in PAGE_CSS
