"""Probabilities that share one draw sum to at most 1, or the scenario is refused naming them.

Before, ``freeze_full_small_rate = 0.6`` with ``freeze_partial_rate = 0.6`` validated and the
run silently cut the second to 0.4; ``filing_reject_rate + filing_error_rate = 1.4`` too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.config.checks import EXCLUSIVE_GROUPS
from sim.config.errors import ScenarioError
from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.vocab import Decision

FLOWS = Path(__file__).resolve().parents[2] / "sim" / "flow"

SINGLE_RATE_DRAWS = {Decision.RESUME, Decision.PROPERTY}
"""Draws read whole (``ctx.book.u``) but compared with one probability only (closure's re-queries;
intake's money-or-property of a 执恢, ``resumed_property_rate``)."""

GROUPS = [fields for groups in EXCLUSIVE_GROUPS.values() for fields in groups]


@pytest.mark.parametrize("fields", GROUPS, ids=" + ".join)
def test_a_group_summing_above_one_is_refused_naming_its_fields(baseline: Scenario, fields: tuple[str, ...]) -> None:
    share = 0.7 if len(fields) == 2 else 0.4
    with pytest.raises(ScenarioError) as caught:
        with_overrides(baseline, {f"probabilities.{name}": share for name in fields})
    text = str(caught.value)
    assert all(name in text for name in fields), text
    assert "at most 1" in text


@pytest.mark.parametrize("fields", GROUPS, ids=" + ".join)
def test_a_group_summing_to_one_is_accepted(baseline: Scenario, fields: tuple[str, ...]) -> None:
    others = {name: 0.0 for group in GROUPS if set(group) & set(fields) for name in group}
    shares = {**others, **{name: 1 / len(fields) for name in fields}}
    shares[fields[-1]] = 1 - sum(1 / len(fields) for _ in fields[:-1])
    with_overrides(baseline, {f"probabilities.{name}": value for name, value in shares.items()})


def test_the_issue_s_examples(baseline: Scenario) -> None:
    overrides = {"probabilities.freeze_full_small_rate": 0.6, "probabilities.freeze_partial_rate": 0.6}
    with pytest.raises(ScenarioError, match=re.escape("freeze_full_small_rate = 0.6 + freeze_partial_rate = 0.6")):
        with_overrides(baseline, overrides)
    overrides = {"probabilities.filing_reject_rate": 0.7, "probabilities.filing_error_rate": 0.7}
    with pytest.raises(ScenarioError, match=re.escape("filing_reject_rate = 0.7 + filing_error_rate = 0.7")):
        with_overrides(baseline, overrides)


def test_every_draw_the_flows_stack_outcomes_on_is_checked() -> None:
    """A flow that reads a decision's uniform itself (``ctx.book.u``) compares it with several
    probabilities; each such draw must have its group in EXCLUSIVE_GROUPS."""
    used = set()
    for path in FLOWS.glob("*.py"):
        used |= set(re.findall(r"book\.u\(Decision\.([A-Z_0-9]+)", path.read_text(encoding="utf-8")))
    assert used, "no stacked draws found: has ctx.book.u been renamed?"
    stacked = {Decision[name] for name in used} - SINGLE_RATE_DRAWS
    assert stacked <= set(EXCLUSIVE_GROUPS), stacked - set(EXCLUSIVE_GROUPS)
    fields = set(Scenario.model_fields["probabilities"].annotation.model_fields)  # type: ignore[union-attr]
    assert {name for group in GROUPS for name in group} <= fields
