"""Policies as named rules: each rule alone, their order, their registry, the scenario's names.

No replication runs here: a rule is a function of a case (or officers, or a piece of work)
and the scenario, so it is tested on hand-made ones.
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy

from sim.config.load import ScenarioError, load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.rules import DISPATCH, HANDLERS, TRIAGE, Registry
from sim.rules.triage import behaviour, frozen_covers, is_simple, small_claim
from sim.staffing import Member, StaffOffice
from sim.vocab import Decision, Role, Team
from tests.conftest import SCENARIOS


@dataclass
class _Case:
    """What the rules and the staff office read of a case."""

    claim_cny: float = 50_000.0
    frozen_cny: float = 0.0
    behaviour: bool = False
    labelled: bool = False
    limit_due: float = 200.0
    recovered_cny: float = 0.0
    related_group: int = 0
    handler: Member | None = None
    unit: str = ""

    @property
    def outstanding_cny(self) -> float:
        return max(self.claim_cny - self.recovered_cny, 0.0)


@dataclass
class _Chance:
    """A stand-in for the case's draws: says ``answer`` and notes what was asked."""

    answer: bool
    asked: list[tuple[Decision, float]] = field(default_factory=list)

    def __call__(self, decision: Decision, probability: float) -> bool:
        self.asked.append((decision, probability))
        return self.answer


# ---------------------------------------------------------------- triage


def test_frozen_covers_claims_only_cases_whose_funds_cover_the_claim(baseline: Scenario) -> None:
    chance = _Chance(True)
    assert frozen_covers(_Case(claim_cny=80_000, frozen_cny=80_000), baseline, chance) is True
    assert frozen_covers(_Case(claim_cny=80_000, frozen_cny=79_999), baseline, chance) is None
    assert frozen_covers(_Case(claim_cny=0.0, behaviour=True), baseline, chance) is None  # owes no money
    assert chance.asked == []  # a fact of the case, not a chance


def test_small_claim_needs_the_amount_and_the_judgement(baseline: Scenario) -> None:
    threshold = baseline.policy.simple_threshold_cny
    rate = baseline.probabilities.small_claim_closable_rate
    yes, no = _Chance(True), _Chance(False)
    assert small_claim(_Case(claim_cny=threshold - 1), baseline, yes) is True
    assert yes.asked == [(Decision.SMALL_CLOSABLE, rate)]
    assert small_claim(_Case(claim_cny=threshold - 1), baseline, no) is None
    assert small_claim(_Case(claim_cny=threshold), baseline, yes) is None  # 小于10万元: 100,000 is not
    assert small_claim(_Case(claim_cny=0.0, behaviour=True), baseline, yes) is None  # no money claim


def test_behaviour_rule_judges_behaviour_cases_only(baseline: Scenario) -> None:
    yes = _Chance(True)
    assert behaviour(_Case(claim_cny=0.0, behaviour=True), baseline, yes) is True
    assert yes.asked == [(Decision.BEHAVIOUR_SIMPLE, baseline.probabilities.behaviour_simple_rate)]
    assert behaviour(_Case(claim_cny=0.0, behaviour=True), baseline, _Chance(False)) is None
    assert behaviour(_Case(), baseline, yes) is None


def test_rules_are_asked_in_order_and_the_first_word_decides(baseline: Scenario) -> None:
    covered = _Case(claim_cny=50_000, frozen_cny=50_000)
    assert is_simple(("frozen_covers", "small_claim", "behaviour"), covered, baseline, _Chance(False))
    assert not is_simple((), covered, baseline, _Chance(True))  # no triage: nothing is simple
    assert not is_simple(("small_claim",), _Case(claim_cny=500_000), baseline, _Chance(True))
    labelled = _Case(claim_cny=50_000, frozen_cny=50_000, labelled=True)
    assert not is_simple(("test_labelled_standard", "frozen_covers"), labelled, baseline, _Chance(True))  # a veto
    assert is_simple(("frozen_covers", "test_labelled_standard"), labelled, baseline, _Chance(True))


@TRIAGE.register("test_labelled_standard")
def labelled_standard(case: _Case, scenario: Scenario, chance: _Chance) -> bool | None:
    """A rule of the tests' own: labelled cases are never simple (a veto)."""
    return False if case.labelled else None


# ---------------------------------------------------------------- dispatch and handlers


def test_dispatch_priorities() -> None:
    late, early = _Case(limit_due=300.0), _Case(limit_due=100.0, labelled=True)
    assert DISPATCH["fcfs"](late) == DISPATCH["fcfs"](early)  # the order of asking decides
    assert DISPATCH["edf"](early) < DISPATCH["edf"](late)
    assert DISPATCH["labelled_first"](early) < DISPATCH["labelled_first"](late)


@dataclass
class _Officer:
    id: int
    caseload: int
    busy: bool = False


def test_handler_rules() -> None:
    officers = [_Officer(0, 5), _Officer(1, 3, busy=True), _Officer(2, 3), _Officer(3, 4)]
    assert HANDLERS["least_caseload"](officers, 0).id == 2  # fewest cases, then free, then the lowest id
    assert [HANDLERS["round_robin"](officers, turn).id for turn in range(5)] == [0, 1, 2, 3, 0]


def test_the_staff_office_owns_caseloads(baseline: Scenario) -> None:
    office = StaffOffice(simpy.Environment(), baseline)
    first, related, other = _Case(related_group=7), _Case(related_group=7), _Case(related_group=8)
    handler = office.take_case(first, Team.FAST_TRACK)
    assert handler.caseload == 1 and first.unit == handler.unit
    assert office.take_case(related, Team.FAST_TRACK) is handler  # 关联案件 to the same handler
    assert handler.caseload == 2
    assert office.take_case(other, Team.FAST_TRACK) is not handler  # the least loaded otherwise
    assert office.take_case(first, Team.FAST_TRACK) is handler and handler.caseload == 2  # already there
    moved = office.take_case(first, Team.COMPLEX_TRACK)  # to another team: the old handler lets go
    assert moved.team is Team.COMPLEX_TRACK and handler.caseload == 1 and moved.caseload == 1
    handler.leaving = True  # leaves the team: its case passes on by the assignment rule
    successor = office.hand_on(related, Team.FAST_TRACK)
    assert handler.caseload == 0 and successor is not handler and successor.caseload == 1
    office.release(first)
    assert moved.caseload == 0 and first.handler is moved  # closed: still its handler, no longer a load


def test_the_office_picks_as_least_caseload_does(baseline: Scenario) -> None:
    """The office finds least_caseload's officer from officers filed by caseload (issue 15 goal 4):
    under random cases, closures, work, leavers and hires it picks whom the rule picks, and pooled
    officer work goes to the free officer with the fewest cases (then the lowest id)."""
    rng = np.random.default_rng(15)
    scenario = with_overrides(baseline, {"policy.related_same_handler": False})
    office = StaffOffice(simpy.Environment(), scenario)
    team = Team.COMPLEX_TRACK
    desk = office.desks[team]
    pools = [desk.pool(unit, Role.OFFICER) for unit in desk.units]
    open_cases: list[_Case] = []
    for step in range(3000):
        action = rng.random()
        if action < 0.4:
            expected = HANDLERS["least_caseload"](office.handlers(team), 0)
            case = _Case()
            assert office.take_case(case, team) is expected, step
            open_cases.append(case)
        elif action < 0.6 and open_cases:
            office.release(open_cases.pop(int(rng.integers(len(open_cases)))))
        elif action < 0.95:
            pool = pools[rng.integers(len(pools))]
            if pool.free and rng.random() < 0.5:
                member = pool.lightest()
                assert member is min(pool.free, key=lambda m: (m.caseload, m.id)), step
                member.busy = True
                pool.take(member)
            elif busy := [m for m in pool.members if m.busy]:
                desk.release([busy[rng.integers(len(busy))]])
        elif action < 0.975:
            pool = pools[rng.integers(len(pools))]
            if len(office.handlers(team, pool.key[0])) > 1:
                for leaver in office.remove(team, pool.key[0], Role.OFFICER, 1):
                    for case in open_cases:
                        if case.handler is leaver:
                            office.hand_on(case, team)
        else:
            office.add(team, pools[rng.integers(len(pools))].key[0], Role.OFFICER, 1)
    assert sum(m.caseload for m in office.members) == len(open_cases)


def test_related_cases_spread_when_the_rule_is_off(baseline: Scenario) -> None:
    scenario = with_overrides(baseline, {"policy.related_same_handler": False})
    office = StaffOffice(simpy.Environment(), scenario)
    a, b = _Case(related_group=7), _Case(related_group=7)
    assert office.take_case(a, Team.FAST_TRACK) is not office.take_case(b, Team.FAST_TRACK)


# ---------------------------------------------------------------- registry


def _module_level() -> None:
    """A rule function at module level: importable by name in another process."""


def test_registry_refuses_a_bad_name_and_a_local_function() -> None:
    registry: Registry[Callable[..., Any]] = Registry("example")
    assert registry.register("first")(_module_level) is _module_level
    assert registry.names() == ("first",) and registry.path("first") == f"{__name__}:_module_level"

    def local() -> None: ...

    with pytest.raises(ValueError, match="must be a module-level function"):
        registry.register("second")(local)
    with pytest.raises(ValueError, match="must be a module-level function"):
        registry.register("third")(lambda: None)
    with pytest.raises(ValueError, match="lower-case identifier"):
        registry.register("Small-Claim")
    with pytest.raises(KeyError, match="unknown example rule 'nope'"):
        registry["nope"]
    assert registry.names() == ("first",)


@pytest.mark.parametrize("registry", [TRIAGE, DISPATCH, HANDLERS], ids=lambda r: r.kind)
def test_rules_travel_to_worker_processes_by_reference(registry: Registry[Callable[..., Any]]) -> None:
    for name in registry.names():
        rule = registry[name]
        assert pickle.loads(pickle.dumps(rule)) is rule
        module, qualname = registry.path(name).split(":")
        assert getattr(importlib.import_module(module), qualname) is rule


def test_registering_again_needs_the_same_function() -> None:
    assert TRIAGE.register("small_claim")(small_claim) is small_claim  # a module imported twice
    with pytest.raises(ValueError, match=r"already registered by sim\.rules\.triage:small_claim"):
        TRIAGE.register("small_claim")(labelled_standard)
    assert TRIAGE.path("test_labelled_standard") == f"{__name__}:labelled_standard"


# ---------------------------------------------------------------- the scenario names the rules


def _variant(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "variant.toml"
    path.write_text(f'base = "{(SCENARIOS / "dengzhou_2022.toml").as_posix()}"\n{body}', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ('[policy]\ntriage = ["frozen_covers", "smal_claim"]', "policy.triage.1", "unknown triage rule"),
        ('[policy]\ndispatch = "lifo"', "policy.dispatch", "unknown dispatch rule"),
        ('[policy]\nhandler_assignment = "random"', "policy.handler_assignment", "unknown handler assignment rule"),
    ],
)
def test_unknown_rule_names_are_refused_with_the_registered_ones(
    tmp_path: Path, body: str, path: str, words: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_variant(tmp_path, body))
    [problem] = caught.value.problems
    assert problem.path == path and words in problem.message
    registry = {"policy.dispatch": DISPATCH, "policy.handler_assignment": HANDLERS}.get(path, TRIAGE)
    assert problem.expected == "one of: " + ", ".join(registry.names())


def test_a_rule_listed_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"policy\.triage: lists a rule twice: small_claim"):
        load_scenario(_variant(tmp_path, '[policy]\ntriage = ["small_claim", "frozen_covers", "small_claim"]'))


@pytest.mark.parametrize("body", ["[policy]\ntriage = false", "[policy]\nsimple_if_small_claim = false"])
def test_the_old_triage_switches_say_what_replaces_them(tmp_path: Path, body: str) -> None:
    with pytest.raises(ScenarioError, match=r'policy: triage is now the list .*triage = \["frozen_covers"'):
        load_scenario(_variant(tmp_path, body))


def test_a_registered_rule_of_ones_own_is_accepted(tmp_path: Path) -> None:
    scenario = load_scenario(_variant(tmp_path, '[policy]\ntriage = ["test_labelled_standard", "frozen_covers"]'))
    assert scenario.policy.triage == ("test_labelled_standard", "frozen_covers")


def test_preservation_team_is_one_of_two(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_variant(tmp_path, '[policy]\npreservation_team = "review"'))
    [problem] = caught.value.problems
    assert problem.path == "policy.preservation_team" and problem.expected == "'oversight' or 'fast_track'"
    scenario = load_scenario(_variant(tmp_path, '[policy]\npreservation_team = "fast_track"'))
    assert scenario.policy.preservation_team is Team.FAST_TRACK


def test_the_json_schema_offers_the_registered_names() -> None:
    policy = Scenario.model_json_schema()["$defs"]["Policy"]["properties"]
    assert policy["triage"]["items"]["examples"] == list(TRIAGE.names())
    assert policy["dispatch"]["examples"] == list(DISPATCH.names())
    assert policy["preservation_team"]["enum"] == ["oversight", "fast_track"]
