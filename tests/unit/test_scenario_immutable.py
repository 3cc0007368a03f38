"""A validated scenario cannot change, its tables included, and still travels to workers.

Before, ``s.arrivals.case_mix["first"] = 5.0`` succeeded and failed later deep inside a run.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from typing import Any

import cloudpickle
import pytest
from pydantic import BaseModel, ValidationError

from sim.config.frozen import FrozenDict
from sim.config.load import scenario_hash, with_overrides
from sim.config.schema import Scenario
from sim.vocab import CaseType


def _reachable(value: Any, path: str = "scenario") -> Iterator[tuple[str, Any]]:
    """Every value inside a scenario, with its path."""
    yield path, value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _reachable(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _reachable(item, f"{path}[{key!r}]")
    elif isinstance(value, tuple | list | set):
        for i, item in enumerate(value):
            yield from _reachable(item, f"{path}[{i}]")


def test_nothing_inside_a_scenario_is_mutable(baseline: Scenario) -> None:
    mutable = [
        path
        for path, value in _reachable(baseline)
        if isinstance(value, list | set | bytearray) or (isinstance(value, dict) and not isinstance(value, FrozenDict))
    ]
    assert not mutable, mutable
    assert sum(isinstance(v, FrozenDict) for _, v in _reachable(baseline)) >= 5  # the walk does reach the tables


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.arrivals.case_mix.__setitem__(CaseType.FIRST, 5.0),
        lambda s: s.arrivals.case_mix.__setitem__("first", 5.0),
        lambda s: s.arrivals.case_mix.update({CaseType.FIRST: 5.0}),
        lambda s: s.arrivals.case_mix.pop(CaseType.FIRST),
        lambda s: s.arrivals.case_mix.clear(),
        lambda s: s.arrivals.case_mix.setdefault("new", 1.0),
        lambda s: s.arrivals.case_mix.popitem(),
        lambda s: s.probabilities.price_method.__delitem__(next(iter(s.probabilities.price_method))),
        lambda s: s.tasks.verify_filing.roles.__setitem__("judge", 3),
        lambda s: s.organisation.performed_by.__setitem__("records", "intake"),
        lambda s: s.run.sources.__setitem__("seed", "mine"),
    ],
)
def test_a_table_refuses_every_change_in_plain_words(baseline: Scenario, change: Any) -> None:
    before = scenario_hash(baseline)
    with pytest.raises(TypeError, match="read-only; make a variant"):
        change(baseline)
    assert scenario_hash(baseline) == before


def test_fields_refuse_assignment(baseline: Scenario) -> None:
    with pytest.raises(ValidationError, match="frozen"):
        baseline.arrivals.cases_per_year = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        baseline.run = baseline.run  # type: ignore[misc]


def test_a_variant_is_made_by_overrides(baseline: Scenario) -> None:
    mix = {"first": 0.7, "resumed": 0.2, "preservation": 0.1}
    variant = with_overrides(baseline, {"arrivals.case_mix": mix})
    assert variant.arrivals.case_mix == mix and isinstance(variant.arrivals.case_mix, FrozenDict)
    assert baseline.arrivals.case_mix != mix


@pytest.mark.parametrize(
    "dumps",
    [pickle.dumps, cloudpickle.dumps, copy.deepcopy, copy.copy],
    ids=["pickle", "cloudpickle", "deepcopy", "copy"],
)
def test_it_still_pickles_and_copies_for_workers(baseline: Scenario, dumps: Any) -> None:
    """Worker processes get the scenario by pickle, Dask by cloudpickle."""
    out = dumps(baseline)
    again = pickle.loads(out) if isinstance(out, bytes) else out
    assert again == baseline and scenario_hash(again) == scenario_hash(baseline)
    assert isinstance(again.arrivals.case_mix, FrozenDict)
    with pytest.raises(TypeError):
        again.arrivals.case_mix["first"] = 5.0


def test_it_dumps_as_plain_tables(baseline: Scenario) -> None:
    data = baseline.model_dump(mode="json")
    assert type(data["arrivals"]["case_mix"]) is dict
    assert Scenario.model_validate(data) == baseline
