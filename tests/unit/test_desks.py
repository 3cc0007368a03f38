"""The staff desk grants waiting work exactly as a plain re-examination of every queue would.

:meth:`sim.staffing.TeamDesk._retry` remembers, until the next grant, how a ``_try`` of
multi-person work failed for one shape of work and one handler, and skips the same
``_try`` for the rest of that shape's queue (a speed-up: panel reviews were re-tried
363,000 times a baseline run). The memo must never change who gets whom or in which
order: here a desk is driven through random requests and releases beside a desk with
the plain loop, and every grant of the two must be the same, and after every step the
same work must wait under the same blockers in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import simpy

from sim.staffing import Member, Need, Pool, TeamDesk, _available, _succeed_after
from sim.vocab import Role, Team


class PlainDesk(TeamDesk):
    """The desk with the plain loop of before the memo: every waiting item is tried."""

    def _retry(self, entries: list[tuple[object, list[tuple[tuple[object, ...], object]]]]) -> None:  # type: ignore[override]
        for blocker, queue in entries:
            i = 0
            while i < len(queue) and _available(blocker):
                waiting = queue[i][1]
                grant, now_blocked_by = self._try(waiting.needs)  # type: ignore[attr-defined]
                if grant is not None:
                    del queue[i]
                    self._n_waiting -= 1
                    assert self.on_grant is not None
                    _succeed_after(waiting.event, grant, self.on_grant(waiting.tag, grant))  # type: ignore[attr-defined]
                elif now_blocked_by is blocker:
                    i += 1
                else:
                    del queue[i]
                    self._file(waiting, now_blocked_by)  # type: ignore[arg-type]
            if not queue:
                self._blocked.pop(id(blocker), None)


@dataclass(eq=False)
class Owner:
    handler: Member | None


def _staff(desk: TeamDesk, officers: int, judges: int, bailiffs: int) -> list[Member]:
    members = []
    for role, count in ((Role.OFFICER, officers), (Role.JUDGE, judges), (Role.BAILIFF, bailiffs)):
        pool = desk.pool("", role)
        for k in range(count):
            member = Member(len(members), desk.team, "", role, f"{role.value}/{k + 1}", pool)
            pool.members.append(member)
            pool.free.append(member)
            members.append(member)
    return members


def _queues(desk: TeamDesk) -> list[tuple[str, list[str]]]:
    """What waits under which blocker (a person or a pool), in the desk's order."""
    return [
        (blocker.name if isinstance(blocker, Member) else str(blocker.key), [str(w.tag) for _, w in queue])  # type: ignore[attr-defined]
        for blocker, queue in desk._blocked.values()
    ]


def _drive(desk_type: type[TeamDesk], seed: int, steps: int) -> list[object]:
    """Random requests and releases at one desk; the grants in the order they are made and
    the queues after each step."""
    rng = np.random.default_rng(seed)
    desk = desk_type(simpy.Environment(), Team.COMPLEX_TRACK)
    officers = _staff(desk, officers=3, judges=1, bailiffs=2)[:3]
    pools: dict[Role, Pool] = {role: desk.pool("", role) for role in (Role.OFFICER, Role.JUDGE, Role.BAILIFF)}
    owners = [Owner(officers[rng.integers(len(officers))]) for _ in range(6)]
    grants: list[object] = []
    held: list[list[Member]] = []

    def granted(tag: object, grant: list[Member]) -> float:
        grants.append((int(str(tag)), tuple(m.name for m in grant)))
        held.append(grant)
        return 0.0

    desk.on_grant = granted
    for n in range(steps):
        if held and rng.random() < 0.45:
            desk.release(held.pop(int(rng.integers(len(held)))))
            grants.append(_queues(desk))
            continue
        owner = owners[rng.integers(len(owners))]
        shapes = [
            [Need(pools[Role.OFFICER], 1, owner)],  # the handler's own work
            [Need(pools[Role.OFFICER], 1, owner), Need(pools[Role.JUDGE]), Need(pools[Role.OFFICER])],  # panel
            [Need(pools[Role.OFFICER], 1, owner), Need(pools[Role.BAILIFF], 2)],  # detention
            [Need(pools[Role.JUDGE]), Need(pools[Role.OFFICER], 2)],  # a panel without the handler
            [Need(pools[Role.OFFICER])],
        ]
        needs = shapes[rng.integers(len(shapes))]
        got = desk.request(needs, (int(rng.integers(3)), n), tag=n)
        if isinstance(got, list):
            granted(n, got)
        grants.append(_queues(desk))
    return grants


def test_the_memo_grants_as_the_plain_loop() -> None:
    for seed in range(40):
        memo, plain = _drive(TeamDesk, seed, 400), _drive(PlainDesk, seed, 400)
        assert sum(isinstance(g, tuple) for g in plain) > 150, "the drive must grant work, or it compares nothing"
        first = next((k for k, (a, b) in enumerate(zip(memo, plain, strict=True)) if a != b), None)
        assert memo == plain, f"seed {seed}: the desks part at step {first}"


@pytest.mark.parametrize("desk_type", [TeamDesk, PlainDesk])
def test_a_grant_forgets_what_failed_before_it(desk_type: type[TeamDesk]) -> None:
    """After a grant the same shape of work may fail elsewhere: the memo must be dropped.

    The handler X's detention (X and two bailiffs) waits under the bailiffs while one of
    them is out; X's other work is granted first when X comes back, so the detention
    filed under the bailiffs now waits for X himself, not for the bailiffs.
    """
    desk = desk_type(simpy.Environment(), Team.COMPLEX_TRACK)
    x = _staff(desk, officers=1, judges=0, bailiffs=2)[0]
    officers, bailiffs = desk.pool("", Role.OFFICER), desk.pool("", Role.BAILIFF)
    desk.on_grant = lambda tag, grant: 0.0
    case = Owner(x)

    def detention() -> list[Need]:
        return [Need(officers, 1, case), Need(bailiffs, 2)]

    out = desk.request([Need(bailiffs)], (0,), "out")  # one bailiff is away on other work
    assert isinstance(out, list)
    assert not isinstance(desk.request(detention(), (1,), "C"), list)  # waits for a second bailiff
    handover = desk.request([Need(officers, 1, case), Need(bailiffs)], (2,), "handover")
    assert isinstance(handover, list)  # X and the other bailiff
    assert not isinstance(desk.request(detention(), (3,), "A"), list)  # waits for X
    assert not isinstance(desk.request([Need(officers, 1, case)], (4,), "G"), list)  # waits for X
    desk.release(handover)  # A fails on the bailiffs, G takes X: C and A now wait for X
    assert _queues(desk) == [("officer/1", ["C", "A"])]
