"""The staff desk's discipline for work that needs several people at once (issue 13, the panel).

Granting several-person work only at a moment when all its people are free starved the
终本合议 in a busy team (released people were taken at once by single-person work). The
desk now convenes such work: it holds its people as they come free (judges last), in
dispatch-key order, as many pieces at once as the people can serve. Here: a panel that a
stream of single-person work starved forever under the old rule is granted within the
time its members take to finish their current work; convened work keeps dispatch-key
order; and under random load nobody is ever in two pieces of work at once and every
piece is granted in the end (no deadlock).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.staffing import Member, Need, Pool, TeamDesk
from sim.vocab import Role, Team


@dataclass(eq=False)
class Owner:
    handler: Member | None


def _staff(desk: TeamDesk, officers: int, judges: int, bailiffs: int) -> list[Member]:
    members: list[Member] = []
    for role, count in ((Role.OFFICER, officers), (Role.JUDGE, judges), (Role.BAILIFF, bailiffs)):
        pool = desk.pool("", role)
        for k in range(count):
            member = Member(len(members), desk.team, "", role, f"{role.value}/{k + 1}", pool)
            pool.join(member)
            members.append(member)
    return members


class Ledger:
    """Runs work at a desk in a SimPy environment and checks who is where at every grant."""

    def __init__(self, desk: TeamDesk) -> None:
        self.desk = desk
        self.hours: dict[object, float] = {}
        self.granted: dict[object, float] = {}
        self.order: list[object] = []
        self.at_work: set[int] = set()
        desk.on_grant = self._on_grant

    def _on_grant(self, tag: object, grant: list[Member]) -> float:
        self._start(tag, grant)
        return self.hours[tag]

    def _start(self, tag: object, grant: list[Member]) -> None:
        ids = [m.id for m in grant]
        assert len(set(ids)) == len(ids), f"{tag}: one person twice in one grant"
        assert not self.at_work & set(ids), f"{tag}: {sorted(self.at_work & set(ids))} already at work"
        assert all(m.busy and m.held_by is None for m in grant), f"{tag}: granted people must be busy, not held"
        self.at_work |= set(ids)
        self.granted[tag] = self.desk.env.now
        self.order.append(tag)

    def work(self, needs: list[Need], key: tuple[Any, ...], tag: object, hours: float) -> Generator[Any, Any, None]:
        env = self.desk.env
        self.hours[tag] = hours
        got = self.desk.request(needs, key, tag)
        if isinstance(got, list):
            self._start(tag, got)
            yield env.timeout(hours)
        else:
            got = yield got  # fires when the work is done
        for member in got:
            self.at_work.discard(member.id)
        self.desk.release(got)


def test_a_stream_of_single_work_no_longer_starves_a_panel() -> None:
    """Three officers always busy with overlapping one-person work (more than they can do) and
    an idle judge: the old rule never found the handler, a second officer and the judge free
    together. Convened, the panel has them once the two officers finish their current work."""
    env = simpy.Environment()
    desk = TeamDesk(env, Team.COMPLEX_TRACK)
    officers = _staff(desk, officers=3, judges=1, bailiffs=0)[:3]
    pool, judges = desk.pool("", Role.OFFICER), desk.pool("", Role.JUDGE)
    ledger = Ledger(desk)
    case = Owner(officers[0])
    task = 1.0

    def stream() -> Generator[Any, Any, None]:
        n = 0
        while env.now < 60.0:
            # Each officer's own cases' work and pooled work, started out of step.
            for k, officer in enumerate(officers):
                needs = [Need(pool, 1, Owner(officer))] if n % 2 else [Need(pool)]
                env.process(ledger.work(needs, (env.now, n, k), ("single", n, k), task * (0.7 + 0.15 * k)))
            n += 1
            yield env.timeout(0.37)

    def panel() -> Generator[Any, Any, None]:
        yield env.timeout(5.0)
        yield from ledger.work([Need(pool, 1, case), Need(judges), Need(pool)], (env.now, -1, 0), "panel", 0.05)

    env.process(stream())
    env.process(panel())
    env.run(until=80.0)
    assert "panel" in ledger.granted, "the panel starved"
    # Every officer's current work ends within ``task``; the panel asked at day 5.
    assert ledger.granted["panel"] <= 5.0 + task + 1e-9
    assert pool.holds, "the handler waited for the second officer: that wait is held time"
    assert all(end > start for start, end in pool.holds)
    assert not judges.holds, "the judge is called last and never waits held"


def test_convened_work_keeps_dispatch_key_order() -> None:
    """Panels of one handler cannot be convened together; when the first is done, the
    waiting ones go in dispatch-key order, not in the order they asked."""
    env = simpy.Environment()
    desk = TeamDesk(env, Team.COMPLEX_TRACK)
    x, y, _judge = _staff(desk, officers=2, judges=1, bailiffs=0)
    pool, judges = desk.pool("", Role.OFFICER), desk.pool("", Role.JUDGE)
    ledger = Ledger(desk)
    case = Owner(x)

    def panel(delay: float, key: tuple[Any, ...], tag: str) -> Generator[Any, Any, None]:
        yield env.timeout(delay)
        yield from ledger.work([Need(pool, 1, case), Need(judges), Need(pool)], key, tag, 0.1)

    env.process(ledger.work([Need(pool, 1, Owner(y))], (0.0, 0), "y busy", 1.0))
    env.process(panel(0.1, (5, 1), "first asked"))  # convened: holds X, waits for Y
    env.process(panel(0.2, (9, 2), "late key"))
    env.process(panel(0.3, (1, 3), "early key"))  # asked last, first in dispatch order
    env.run()
    assert ledger.order == ["y busy", "first asked", "early key", "late key"]
    assert desk.queue_length() == 0


def _random_load(seed: int, requests: int) -> tuple[TeamDesk, Ledger, dict[Role, Pool]]:
    """``requests`` pieces of random work at one desk, run until all is done."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    desk = TeamDesk(env, Team.COMPLEX_TRACK)
    officers = _staff(desk, officers=4, judges=2, bailiffs=3)[:4]
    pools: dict[Role, Pool] = {r: desk.pool("", r) for r in (Role.OFFICER, Role.JUDGE, Role.BAILIFF)}
    o, j, b = pools[Role.OFFICER], pools[Role.JUDGE], pools[Role.BAILIFF]
    owners = [Owner(officers[int(rng.integers(4))]) for _ in range(8)]
    ledger = Ledger(desk)

    def source() -> Generator[Any, Any, None]:
        for n in range(requests):
            owner = owners[int(rng.integers(len(owners)))]
            shapes = [
                [Need(o, 1, owner)],
                [Need(o, 1, owner), Need(j), Need(o)],  # 终本合议
                [Need(o, 1, owner), Need(b, 2)],  # detention
                [Need(j), Need(o, 2)],
                [Need(o)],
                [Need(j)],
                [Need(b, 3)],
            ]
            needs = shapes[int(rng.integers(len(shapes)))]
            env.process(ledger.work(needs, (int(rng.integers(3)), n), n, float(rng.exponential(0.3))))
            yield env.timeout(float(rng.exponential(0.08)))

    env.process(source())
    env.run()
    return desk, ledger, pools


def test_random_load_never_double_books_and_always_finishes() -> None:
    """Random single and several-person work (handler's own, panels, detentions, pooled),
    random keys and lengths: every grant has people nobody else holds (checked at each grant
    by the ledger), and all work is granted when the requests stop (no convened work waits
    forever for people held elsewhere)."""
    for seed in range(12):
        desk, ledger, pools = _random_load(seed, 400)
        assert len(ledger.granted) == 400, f"seed {seed}: {400 - len(ledger.granted)} never granted"
        assert desk.queue_length() == 0
        assert all(not m.busy and m.held_by is None for p in pools.values() for m in p.members)


def test_a_case_handed_on_while_its_panel_is_convened_waits_for_the_new_handler() -> None:
    """X's panel holds X and waits for a second officer; X's case passes to Z (X leaves): the
    desk lets X go and the panel is granted with Z, not stuck waiting for a handler it no
    longer has."""
    env = simpy.Environment()
    desk = TeamDesk(env, Team.COMPLEX_TRACK)
    x, y, z, _judge = _staff(desk, officers=3, judges=1, bailiffs=0)
    pool, judges = desk.pool("", Role.OFFICER), desk.pool("", Role.JUDGE)
    ledger = Ledger(desk)
    case = Owner(x)
    grants: dict[str, list[str]] = {}

    def granted(tag: object, grant: list[Member]) -> float:
        grants[str(tag)] = [m.name for m in grant]
        return 0.1

    desk.on_grant = granted

    def panel() -> Generator[Any, Any, None]:
        yield env.timeout(0.1)
        got = yield desk.request([Need(pool, 1, case), Need(judges), Need(pool)], (0.1, 9), "panel")
        desk.release(got)

    def hand_on() -> Generator[Any, Any, None]:
        yield env.timeout(0.2)
        assert x.held_by is not None, "the panel holds X, waiting for a second officer"
        case.handler = z
        desk.dispatch()
        assert x.held_by is None and not x.busy

    env.process(ledger.work([Need(pool, 1, Owner(y))], (0.0, 0), "y busy", 1.0))
    env.process(ledger.work([Need(pool, 1, Owner(z))], (0.0, 1), "z busy", 0.5))
    env.process(panel())
    env.process(hand_on())
    env.run()
    assert grants["panel"][0] == z.name and x.name in grants["panel"]
    assert desk.queue_length() == 0
