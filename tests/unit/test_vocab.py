"""One vocabulary: every task has a team, every deadline starts and ends, every decision has a stream.

The flows are read as source (their calls of ``work``, ``wait``, ``start`` and ``end``), so a
deadline that is started and never stopped, a task or a delay that nothing does and a decision
that nothing reads are found without running anything; a short run then checks the same
against the log.
"""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim.cases import generate_cases
from sim.config.checks import task_team
from sim.config.load import load_scenario
from sim.config.schema import Deadlines, Scenario, _require_fields
from sim.model import build_calendar, run_replication
from sim.streams import Streams
from sim.vocab import (
    DEADLINE_NAMES,
    HANDLING,
    TASK_FUNCTION,
    Deadline,
    Decision,
    Delay,
    Task,
    Team,
    require_complete,
)
from tests.conftest import SCENARIOS

SIM = Path(__file__).resolve().parents[2] / "sim"
FLOW = sorted((SIM / "flow").glob("*.py"))


def _calls(paths: list[Path]) -> list[ast.Call]:
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in paths]
    return [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _members(nodes: list[ast.AST], vocabulary: type[StrEnum]) -> set[str]:
    """Members of ``vocabulary`` named anywhere in ``nodes`` (``Deadline.SERVE`` → ``"SERVE"``)."""
    found = set()
    for node in nodes:
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Attribute)
                and isinstance(sub.value, ast.Name)
                and sub.value.id == vocabulary.__name__
            ):
                found.add(sub.attr)
    return found


def _called(calls: list[ast.Call], name: str, vocabulary: type[StrEnum], keyword: str | None = None) -> set[str]:
    """Members of ``vocabulary`` passed to calls of a function or method called ``name``."""
    named = [c for c in calls if getattr(c.func, "attr", getattr(c.func, "id", None)) == name]
    if keyword is not None:
        return _members([k.value for c in named for k in c.keywords if k.arg == keyword], vocabulary)
    return _members([a for c in named for a in [*c.args, *(k.value for k in c.keywords)]], vocabulary)


def _names(vocabulary: type[StrEnum]) -> set[str]:
    return set(vocabulary.__members__)


def test_every_deadline_is_started_and_ended_by_the_flows() -> None:
    calls = _calls(FLOW)
    wrapped = _called(calls, "work", Deadline, keyword="deadline")  # ctx.work(…, deadline=…) does both
    started = _called(calls, "start", Deadline) | wrapped
    ended = _called(calls, "end", Deadline) | wrapped
    assert started == _names(Deadline), f"never started: {_names(Deadline) - started}"
    assert ended == _names(Deadline), f"never ended: {_names(Deadline) - ended}"


def test_every_task_and_every_delay_is_done_somewhere() -> None:
    calls = _calls(FLOW)
    side_streams = _members([ast.parse((SIM / "model.py").read_text(encoding="utf-8"))], Task)
    done = _called(calls, "work", Task) | _called(calls, "side_work", Task) | side_streams
    assert done == _names(Task), f"never done: {_names(Task) - done}"
    # Delays are waited for through tables and choices too (the price method's delay, the
    # announcement of movables or real estate): a delay the flows never name is never waited for.
    waited = _members([ast.parse(p.read_text(encoding="utf-8")) for p in FLOW], Delay)
    assert waited == _names(Delay), f"never waited for: {_names(Delay) - waited}"


def test_every_decision_is_read_by_the_model() -> None:
    readers = [*FLOW, SIM / "cases.py", *sorted((SIM / "rules").glob("*.py"))]
    read = _members([ast.parse(p.read_text(encoding="utf-8")) for p in readers], Decision)
    assert read == _names(Decision), f"drawn but never read: {_names(Decision) - read}"


def test_every_decision_has_its_own_stream(baseline: Scenario) -> None:
    issued: list[str] = []

    class Recording(Streams):
        __slots__ = ()

        def get(self, name: str):  # type: ignore[no-untyped-def]
            issued.append(name)
            return super().get(name)

    book = generate_cases(baseline, build_calendar(baseline), Recording(7, 0))
    assert {f"case.{d.value}" for d in Decision} <= set(issued)
    assert {f"effort.{t.value}" for t in Task} <= set(issued)
    assert {f"delay.{d.value}" for d in Delay} <= set(issued)
    assert set(book.decisions) == set(Decision)
    assert len(issued) == len(set(issued))  # one stream per purpose


@pytest.mark.parametrize("name", ["dengzhou_2022", "pre_reform"])
def test_every_task_has_a_team(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    assert set(TASK_FUNCTION) == set(Task)
    for task in Task:
        team = task_team(scenario, task, Team.COMPLEX_TRACK)
        assert team in Team
        if TASK_FUNCTION[task] == HANDLING:
            assert team is Team.COMPLEX_TRACK


def test_every_deadline_has_a_name_and_a_field() -> None:
    assert list(DEADLINE_NAMES) == list(Deadline)
    assert list(Deadlines.model_fields) == [d.value for d in Deadline]
    assert all(zh and en for zh, en in DEADLINE_NAMES.values())


def test_started_clocks_end_in_a_run(short: Scenario) -> None:
    """What the log shows agrees with the reading of the source: every clock kind started also ends."""
    slas = run_replication(short, 0).slas
    started, ended = set(slas["sla"]), set(slas.loc[slas["end"].notna(), "sla"])
    assert started <= {d.value for d in Deadline}
    assert started == ended
    assert len(started) >= 18  # all but the rarest (criminal referral, price objection …) in 150 days


def test_a_table_missing_a_name_is_refused_at_import() -> None:
    table = {t: HANDLING for t in Task if t is not Task.LEAD_CHECK}
    with pytest.raises(TypeError, match=r"missing \['lead_check'\]"):
        require_complete(table, Task, "TASK_FUNCTION")
    with pytest.raises(TypeError, match=r"unknown \['lead_chek'\]"):
        require_complete([*Task, "lead_chek"], Task, "TASK_FUNCTION")
    with pytest.raises(TypeError, match=r"repeated \['scan'\]"):
        require_complete([*Task, Task.SCAN], Task, "TASK_FUNCTION")


def test_schema_fields_must_be_the_vocabulary() -> None:
    class Short(BaseModel):
        verify_filing: int
        lead_chek: int

    with pytest.raises(TypeError, match="lead_chek"):
        _require_fields(Short, Deadline)
    with pytest.raises(TypeError, match="order"):
        _require_fields(type("Swapped", (BaseModel,), {"__annotations__": {"b": int, "a": int}}), _AB)


class _AB(StrEnum):
    A = "a"
    B = "b"
