"""``sim.compare(base, more)`` with a variant made by ``with_overrides``, and the mapping form.

Issue 19, defect 1: the README's ``sim.compare(base, more, reps=10)`` failed with "two
scenarios are labelled 'dengzhou_2022'" (a variant keeps its base's name) and the mapping
form the message suggested raised a TypeError.
"""

from __future__ import annotations

import pytest

from sim import api
from sim.config.load import with_overrides
from sim.config.schema import Scenario


def test_a_variant_of_the_same_name_is_labelled_by_what_differs(baseline: Scenario) -> None:
    more = with_overrides(baseline, {"staffing.asset_disposal.officers": 3})
    labels = list(api._labelled([baseline, more]))
    assert labels == ["dengzhou_2022", "dengzhou_2022 (staffing.asset_disposal.officers=3)"]


def test_many_differences_are_summarised(baseline: Scenario) -> None:
    other = with_overrides(
        baseline,
        {"run.seed": 5, "arrivals.cases_per_year": 7000, "staffing.fast_track.officers": 9, "run.horizon_days": 400},
    )
    label = list(api._labelled([baseline, other]))[1]
    assert label.startswith("dengzhou_2022 (")
    assert label.endswith(", +1 more)")


def test_the_same_scenario_twice_is_refused_in_plain_words(baseline: Scenario) -> None:
    with pytest.raises(ValueError, match="scenario 'dengzhou_2022' is given twice"):
        api._labelled([baseline, with_overrides(baseline, {})])


def test_compare_takes_a_mapping_whose_first_entry_is_the_base(baseline: Scenario) -> None:
    with pytest.raises(ValueError, match=r"either one mapping of label → scenario .* not both"):
        api.compare({"now": baseline}, baseline)
    with pytest.raises(ValueError, match="at least one scenario besides the base"):
        api.compare({"now": baseline})
    with pytest.raises(ValueError, match="labels must be non-empty strings"):
        api.compare({"now": baseline, "": baseline})
    with pytest.raises(TypeError, match="not a single scenario"):
        api.experiment(baseline)  # type: ignore[arg-type]


def test_compare_runs_with_a_variant_and_with_labels(short: Scenario) -> None:
    quick = with_overrides(short, {"run.warmup_days": 0, "run.horizon_days": 30, "run.cooldown_days": 10})
    more = with_overrides(quick, {"staffing.asset_disposal.officers": 3})
    table = api.compare(quick, more, reps=2, jobs=1)
    assert set(table["scenario"]) == {"dengzhou_2022 (staffing.asset_disposal.officers=3)"}
    labelled = api.compare({"now": quick, "3 officers": more}, reps=2, jobs=1)
    assert set(labelled["scenario"]) == {"3 officers"}
    cols = ["kpi", "base_mean", "mean", "mean_diff"]
    assert labelled[cols].equals(table[cols])
