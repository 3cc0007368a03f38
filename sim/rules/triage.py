"""繁简分流: the plan's simple-case standards, one rule each (方案 三(一)1).

The plan lists what makes a case simple (简案标准): "通过自动、手动网络查控，查询、
冻结到足额银行存款、网络资金足以清偿债务的；诉讼保全有足额银行存款、网络资金的；
执行标的小于10万元，确保能够在45日内执结的；简单行为类执行案件；保全类案件；其他
确认能够在45日内执结的" — 属简案的分配至快执团队，其他案件分配至精执团队.

A scenario lists the rules it applies, in order (``[policy] triage``). Each rule
looks at the case after the online inquiry and says **simple** (``True``),
**not simple** (``False``: a veto that ends the sorting) or nothing (``None``);
the first rule that says something decides, and a case no rule claims goes to
the standard track. An empty list is the court without triage (before the
reform): nothing is simple. Preservation cases are routed before triage
(``policy.preservation_team``).

A rule is called as ``rule(case, scenario, chance)``: ``chance(decision,
probability)`` says whether the case's own draw for ``decision`` falls below
``probability`` (common random numbers: asking costs no draw and changes no other
decision, so the order of the rules moves no random number).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sim.rules.registry import Registry
from sim.vocab import Decision

__all__ = ["PLAN_TRIAGE", "TRIAGE", "Chance", "TriageRule", "behaviour", "frozen_covers", "is_simple", "small_claim"]

Chance = Callable[[Decision, float], bool]
"""Whether the case's draw for a decision says yes at a probability."""

TriageRule = Callable[[Any, Any, Chance], bool | None]
"""``(case, scenario, chance) -> True | False | None``. The case and the scenario are typed
``Any`` here because this layer sits below them: built-in rules describe what they read by the
protocols below, and a rule of your own may annotate :class:`sim.cases.Case` and
:class:`sim.config.schema.Scenario` directly."""

TRIAGE: Registry[TriageRule] = Registry("triage")


def is_simple(rules: Sequence[str], case: Any, scenario: Any, chance: Chance) -> bool:
    """Whether the triage ``rules`` (registered names, asked in order) find ``case`` simple.

    The first rule that says simple or not simple decides; a case no rule claims is
    not simple, and with no rules nothing is.
    """
    for name in rules:
        verdict = TRIAGE[name](case, scenario, chance)
        if verdict is not None:
            return verdict
    return False


class TriageCase(Protocol):
    """What triage knows of a case once the online inquiry has answered."""

    @property
    def behaviour(self) -> bool: ...
    @property
    def claim_cny(self) -> float: ...
    @property
    def frozen_cny(self) -> float: ...
    @property
    def outstanding_cny(self) -> float: ...


class _Policy(Protocol):
    @property
    def simple_threshold_cny(self) -> float: ...


class _Probabilities(Protocol):
    @property
    def small_claim_closable_rate(self) -> float: ...
    @property
    def behaviour_simple_rate(self) -> float: ...


class TriageScenario(Protocol):
    """The parameters the built-in rules read (a :class:`~sim.config.schema.Scenario` has them)."""

    @property
    def policy(self) -> _Policy: ...
    @property
    def probabilities(self) -> _Probabilities: ...


@TRIAGE.register("frozen_covers")
def frozen_covers(case: TriageCase, scenario: TriageScenario, chance: Chance) -> bool | None:
    """查询、冻结到足额银行存款、网络资金足以清偿债务的: the frozen funds cover what is owed."""
    return True if case.frozen_cny >= case.outstanding_cny > 0 else None


@TRIAGE.register("small_claim")
def small_claim(case: TriageCase, scenario: TriageScenario, chance: Chance) -> bool | None:
    """执行标的小于10万元，确保能够在45日内执结的: a money claim below ``simple_threshold_cny``
    that is judged closable within 45 days (``small_claim_closable_rate``).

    A behaviour case claims no money, so the amount says nothing about it.
    """
    if case.behaviour or not case.claim_cny < scenario.policy.simple_threshold_cny:
        return None
    return True if chance(Decision.SMALL_CLOSABLE, scenario.probabilities.small_claim_closable_rate) else None


@TRIAGE.register("behaviour")
def behaviour(case: TriageCase, scenario: TriageScenario, chance: Chance) -> bool | None:
    """简单行为类执行案件: a behaviour case judged simple (``behaviour_simple_rate``)."""
    if not case.behaviour:
        return None
    return True if chance(Decision.BEHAVIOUR_SIMPLE, scenario.probabilities.behaviour_simple_rate) else None


PLAN_TRIAGE = ("frozen_covers", "small_claim", "behaviour")
"""The plan's simple-case standards that the model has rules for, in the plan's order (the default)."""
