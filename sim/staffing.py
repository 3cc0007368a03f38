"""The people of the court as SimPy resources: pools by team, unit and role, and handlers.

Think of each team's office as a desk where work asks for people: "the case's
handler and one clerk of his unit for an hour". Work for one person is granted when
that person is free. Work for several people at once (a 终本合议, a detention) is
convened: it holds each of its people as they come free, before their other work,
and starts when all are there (:class:`TeamDesk`); the held time is idle time, not
work. Waiting work is granted in the order of its dispatch key (first come first
served, earliest deadline first, or labelled cases first).

Each officer of a handling team is an individual: a case on the fast or the
standard track belongs to one officer (承办人), whose caseload is tracked, and its
officer work waits for that officer in particular (方案 三(一)1: 关联案件、类案相对
集中同一团队或承办人). The staff office alone hands cases to officers and keeps
their caseloads (:meth:`StaffOffice.take_case`, :meth:`~StaffOffice.hand_on`,
:meth:`~StaffOffice.release`), by the scenario's assignment rule (:mod:`sim.rules.handlers`).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import simpy
from simpy.events import NORMAL

from sim.config.schema import UNIT_ROLES, Scenario
from sim.rules import HANDLERS
from sim.rules.handlers import least_caseload
from sim.vocab import Role, Team

__all__ = ["Grant", "Member", "Need", "Owned", "StaffOffice", "TeamDesk"]

logger = logging.getLogger(__name__)


@dataclass(slots=True, eq=False)
class Member:
    """One person: ``name`` is how the event log shows them, e.g. ``fast_track/officer/2``."""

    id: int
    team: Team
    unit: str
    role: Role
    name: str
    pool: Pool
    joined: float = 0.0  # sim days
    left: float = float("nan")
    caseload: int = 0  # open cases owned; changed only by the StaffOffice
    busy: bool = False  # at work, or held for a convened piece of work (``held_by``)
    leaving: bool = False
    held_by: _Waiting | None = None  # the convened work this person is held for, waiting for the others
    held_since: float = 0.0  # sim days
    filed: bool = False  # in its pool's ``loads`` (a free member of a pool that owns cases)
    listed: bool = False  # in the staff office's officers of its team by caseload (present, not leaving)


@dataclass(slots=True, eq=False)
class Pool:
    """The members of one role in one unit (or the whole team), and which are free."""

    key: tuple[str, Role]
    members: list[Member] = field(default_factory=list)
    free: list[Member] = field(default_factory=list)  # kept sorted by id for determinism
    owners: bool = False  # whether members own cases (officers: handlers have a caseload)
    leaving: int = 0  # members who leave once their current work is done (still in ``members``)
    holds: list[tuple[float, float]] = field(default_factory=list)
    """(from, to) in sim days of each time a member was held for convened work until it began:
    idle time, not work (working hours: :meth:`~sim.workcalendar.WorkCalendar.working_hours_between`)."""
    loads: ByLoad | None = None
    """Where members own cases: the free ones by caseload, so that the least loaded is found
    without looking at each (:meth:`lightest`)."""

    def __post_init__(self) -> None:
        if self.owners and self.loads is None:
            self.loads = ByLoad()

    def join(self, member: Member) -> None:
        """``member`` joins the pool, free."""
        self.members.append(member)
        self.put(member)

    def put(self, member: Member) -> None:
        """``member`` is free: among the free people, in id order."""
        bisect.insort(self.free, member, key=_member_id)
        if self.loads is not None:
            self.loads.add(member, member.caseload)
            member.filed = True

    def take(self, member: Member) -> None:
        """Free ``member`` is taken (for work, or away): no longer among the free people."""
        free = self.free
        i = bisect.bisect_left(free, member.id, key=_member_id)
        if free[i] is not member:
            raise ValueError(f"{member.name} is not free in {self.key}")
        del free[i]
        if member.filed:
            assert self.loads is not None
            self.loads.discard(member, member.caseload)
            member.filed = False

    def lightest(self) -> Member:
        """The free member with the fewest open cases, the lowest id among equals (``free`` is
        not empty; members own cases)."""
        assert self.loads is not None
        lowest = self.loads.lowest()
        assert lowest is not None
        return lowest[0]


class ByLoad:
    """Members by caseload, those of one caseload in id order; the lowest caseload in a heap.

    The heap is lazy: a caseload whose last member moved on stays in it until it comes to
    the top, and a caseload is pushed only when it is not there already, so the heap holds
    at most the caseloads seen since they last came to the top.
    """

    __slots__ = ("_by", "_heap", "_in_heap")

    def __init__(self) -> None:
        self._by: dict[int, list[Member]] = {}  # no empty list
        self._heap: list[int] = []
        self._in_heap: set[int] = set()

    def add(self, member: Member, load: int) -> None:
        members = self._by.get(load)
        if members is None:
            self._by[load] = [member]
            if load not in self._in_heap:
                self._in_heap.add(load)
                heapq.heappush(self._heap, load)
        else:
            bisect.insort(members, member, key=_member_id)

    def discard(self, member: Member, load: int) -> None:
        members = self._by[load]
        if len(members) == 1:
            assert members[0] is member
            del self._by[load]
        else:
            i = bisect.bisect_left(members, member.id, key=_member_id)
            assert members[i] is member
            del members[i]

    def lowest(self) -> list[Member] | None:
        """The members of the lowest caseload (in id order), or None if there are none."""
        heap, by = self._heap, self._by
        while heap:
            members = by.get(heap[0])
            if members is not None:
                return members
            self._in_heap.discard(heapq.heappop(heap))
        return None


class Owned(Protocol):
    """Anything with a handler (a case): work that needs *its* officer names it."""

    handler: Member | None


class Assignable(Owned, Protocol):
    """A case as the staff office sees it when it hands the case to an officer."""

    related_group: int  # cases of one group (same debtor) share a handler where the policy says so
    unit: str  # the handler's unit, whose clerks work on the case


@dataclass(slots=True)
class Need:
    """What a piece of work asks for: ``count`` people from ``pool``, or the handler of ``owner``.

    The handler is looked up when the work is granted, not when it is asked for:
    a handler who leaves hands the case on, and the work waits for the new one.
    """

    pool: Pool
    count: int = 1
    owner: Owned | None = None


Grant = list[Member]


@dataclass(slots=True)
class _Waiting:
    key: tuple[Any, ...]
    needs: list[Need]
    event: simpy.Event
    tag: object  # how the desk's ``on_grant`` hook knows this work
    held: list[list[Member]] | None = None  # per need, who is held for it once convened (None: not yet)
    claims: list[tuple[Pool, int]] = field(default_factory=list)  # once convened: what it holds, by pool
    handlers: list[Member] = field(default_factory=list)  # once convened: the handlers it holds or waits for
    ready: bool = False  # once convened: its handlers are held, so the others may be held for it
    calling: list[Pool] = field(default_factory=list)  # once ready: the pools whose ``_calls`` list it


_Queue = list[tuple[tuple[Any, ...], _Waiting]]
"""Waiting work under one blocker as (dispatch key, work), sorted by key."""


class TeamDesk:
    """One team's pools and the work waiting for its people.

    Work for one person is filed under what blocks it (a pool with nobody free, or
    the one handler it needs). A release re-examines only the work filed under the
    people released, in dispatch-key order, so a long queue costs nothing until the
    resource it waits for comes free.

    Work for several people at once (the 终本合议 of the judge, the case's officer and a
    second officer; a detention of the officer and two bailiffs) is *convened* instead.
    Granting it only when all are free at the same moment starves it in a busy team:
    each released person is taken at once by single-person work (their own cases'
    work above all), so three people are almost never free together (issue 13: 4,423
    panel reviews still waiting at the end of ``pre_reform``, seed 7, and a 终本 rate of
    0%). A court does not wait for that moment either: the presiding judge calls the
    panel (民诉法解释 art. 517: the 终本 is reviewed by a 合议庭), and the members go to it
    when they finish what they are doing. So:

    * convened work holds the people it needs as they come free, before any other work
      of theirs; the held time is *idle* time (nobody works, and utilisation, which
      counts work, does not count it), listed in :attr:`Pool.holds` (``bench/held.py``);
    * nobody is held for it until its handler, whom nobody can replace, is there (a
      clerk waiting idle for a handler busy elsewhere would be time lost); then the
      others as they come free, the oldest convened piece first;
    * a judge is the last to be called: held only at the moment the rest of the panel
      is there, so the judge, whom every panel of a team shares, never waits idle;
    * work is convened in dispatch-key order, as many at once as the people it holds
      can serve: the people a convened piece holds or will hold (its handler and the
      pooled members it asks for, judges apart) never exceed the members of their pool,
      and no two convened pieces wait for the same handler. So every convened piece
      gets its people as those it waits for finish their current work, and nobody is
      held by two pieces (no deadlock, no double booking).

    A released officer's own cases' work and his pool's work are examined older head
    first. The alternative, scheduled 合议 sessions (say weekly), would batch panel
    reviews but add up to a week to every 终本 for a frequency nobody publishes;
    convening keeps the desk's rule that work starts as soon as its people are there.
    """

    def __init__(self, env: simpy.Environment, team: Team) -> None:
        self.env = env
        self.team = team
        self.pools: dict[tuple[str, Role], Pool] = {}
        self.units: list[str] = [""]
        # Under each blocker, (dispatch key, work) kept sorted: keys end in a unique sequence
        # number, so the tuples compare in C and never reach the work itself.
        self._blocked: dict[int, tuple[object, _Queue]] = {}
        self._n_waiting = 0
        # Several-person work not yet convened, filed under the claim that stops it (as above).
        self._pending: dict[int, _Queue] = {}
        self._woken: list[int] = []  # claims freed by grants, whose pending work is to be re-examined
        self._convened: _Queue = []  # several-person work holding its people as they come free
        self._claims: dict[int, int] = {}  # by pool: the people convened work holds or will hold there
        self._claimed: dict[int, _Waiting] = {}  # the handlers convened work holds or waits for: that work
        # By pool, the convened work a free member of it would be held for, in dispatch-key order:
        # ready work still short of pooled people of a pool, or (judges' pools) with everyone but
        # its judges held. A released person looks here, not through all convened work.
        self._calls: dict[int, _Queue] = {}
        self.on_grant: Callable[[Any, Grant], float] | None = None
        """Told of each piece of waiting work as it gets its people (its tag, the people);
        returns how long the work takes, and the work's event fires when it is done. Without
        a hook the event fires at the grant."""

    def pool(self, unit: str, role: Role) -> Pool:
        """The pool of ``role`` in ``unit``; judges and bailiffs are team-wide (unit ``""``)."""
        key = (unit if role in UNIT_ROLES else "", role)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = Pool(key, owners=role is Role.OFFICER)
        return pool

    def queue_length(self) -> int:
        """Pieces of work waiting for this team's people."""
        return self._n_waiting

    def request(self, needs: list[Need], key: tuple[Any, ...], tag: object = None) -> Grant | simpy.Event:
        """Take the people at once if all are free (and, for several people, no such work
        waits before it), else an event that fires with the grant (when the work is done,
        if the desk has an ``on_grant`` hook)."""
        several = len(needs) > 1 or needs[0].count > 1
        if not (several and (self._pending or self._convened)):
            grant, blocker = self._try(needs)
            if grant is not None:
                return grant
        event = self.env.event()
        waiting = _Waiting(key, needs, event, tag)
        self._n_waiting += 1
        if several:
            self._convene(waiting)
        else:
            self._file(waiting, blocker)
        return event

    def release(self, grant: Grant) -> None:
        """Give people back and grant whatever waiting work they now make possible."""
        for member in grant:
            _give_back(member)
        if not self._n_waiting:
            return
        if self._convened:
            # Convened work first: each released person goes to the convened work waiting for them.
            for member in grant:
                if not member.busy and not member.leaving:
                    self._offer(member)
        # What waiting work may be filed under: the people released and their pools.
        blocked = self._blocked
        if len(grant) == 1:
            member = grant[0]
            entries = [e for e in (blocked.get(id(member)), blocked.get(id(member.pool))) if e]
        else:
            keys = dict.fromkeys(k for m in grant for k in (id(m), id(m.pool)))
            entries = [e for key in keys if (e := blocked.get(key))]
        if len(entries) > 1:
            # An officer's own cases' work and his pool's work: the older first (dispatch-key order).
            entries.sort(key=_head_key)
        if entries:
            self._retry(entries)

    def dispatch(self) -> None:
        """Re-examine all waiting work (after head-count changes and cases handed on)."""
        if self._n_waiting:
            self._rehome()
            for pool in list(self.pools.values()):
                for member in list(pool.free):
                    if self._convened and not member.busy:
                        self._offer(member)
            self._woken.extend(self._pending)
            self._wake()
            self._retry(list(self._blocked.values()))

    def _rehome(self) -> None:
        """Convened work whose case was handed on (its handler left) lets go and is convened anew."""
        for _, waiting in list(self._convened):
            if list(_handlers(waiting)) == waiting.handlers:
                continue
            assert waiting.held is not None
            _leave(self._convened, waiting)
            self._stop_calling(waiting)
            for pool, count in waiting.claims:
                self._claims[id(pool)] -= count
            for handler in waiting.handlers:
                self._claimed.pop(id(handler), None)
            for people in waiting.held:
                for member in people:
                    member.held_by = None
                    _give_back(member)
            waiting.held = None
            waiting.ready = False
            self._convene(waiting)

    def _retry(self, entries: list[tuple[object, _Queue]]) -> None:
        for blocker, queue in entries:
            i = 0
            # Everything filed under a blocker needs it; once it is taken again, stop (only a
            # grant changes whether it is free).
            available = _available(blocker)
            while available and i < len(queue):
                waiting = queue[i][1]
                grant, now_blocked_by = self._try(waiting.needs)
                if grant is not None:
                    del queue[i]
                    self._n_waiting -= 1
                    delay = self.on_grant(waiting.tag, grant) if self.on_grant is not None else 0.0
                    _succeed_after(waiting.event, grant, delay)
                    available = _available(blocker)
                elif now_blocked_by is blocker:
                    i += 1
                else:
                    del queue[i]
                    self._file(waiting, now_blocked_by)
            if not queue:
                self._blocked.pop(id(blocker), None)

    def _file(self, waiting: _Waiting, blocker: object) -> None:
        entry = self._blocked.get(id(blocker))
        if entry is None:
            entry = self._blocked[id(blocker)] = (blocker, [])
        bisect.insort(entry[1], (waiting.key, waiting))

    # -- several-person work -------------------------------------------------------------

    def _convene(self, waiting: _Waiting) -> None:
        """Convene ``waiting`` (just asked for) if the people it would hold can serve it, else file
        it under the claim that stops it; a claim freed wakes what is filed under it (:meth:`_wake`)."""
        blocker = self._fits(waiting)
        if blocker is None:
            self._start_convening(waiting)
            self._wake()
        else:
            bisect.insort(self._pending.setdefault(blocker, []), (waiting.key, waiting))

    def _wake(self) -> None:
        """Re-examine the pending work filed under the claims freed by grants, in dispatch-key order."""
        while self._woken:
            keys = dict.fromkeys(self._woken)
            self._woken.clear()
            candidates: _Queue = []
            for key in keys:
                candidates.extend(self._pending.pop(key, ()))
            candidates.sort(key=_first)
            for _, waiting in candidates:
                blocker = self._fits(waiting)
                if blocker is None:
                    self._start_convening(waiting)  # a grant at once frees its claims again: _woken
                else:
                    bisect.insort(self._pending.setdefault(blocker, []), (waiting.key, waiting))

    def _start_convening(self, waiting: _Waiting) -> bool:
        """Convene ``waiting``: note its claim, hold whoever it needs who is free; whether it was granted."""
        waiting.held = [[] for _ in waiting.needs]
        waiting.claims = list(_holds(waiting))
        for pool, count in waiting.claims:
            self._claims[id(pool)] = self._claims.get(id(pool), 0) + count
        waiting.handlers = [h for h in _handlers(waiting) if h is not None]
        self._claimed.update((id(h), waiting) for h in waiting.handlers)
        bisect.insort(self._convened, (waiting.key, waiting))
        return self._gather(waiting)

    def _fits(self, waiting: _Waiting) -> int | None:
        """None if ``waiting`` can be convened beside the work convened already (see the class
        docstring), else the claim that stops it: a handler's or a pool's ``id``."""
        claimed = self._claimed
        for need in waiting.needs:
            if need.owner is not None:
                handler = need.owner.handler
                if handler is None:
                    return id(need.pool)
                if id(handler) in claimed:
                    return id(handler)
        claims = self._claims
        for pool, count in _holds(waiting):
            want = claims.get(id(pool), 0) + count
            if want > len(pool.members) - pool.leaving:
                return id(pool)
        return None

    def _gather(self, waiting: _Waiting) -> bool:
        """Hold for convened ``waiting`` whoever it needs who is free; grant it if complete.

        Its handlers first: until they are there, nobody else is held for it (a clerk or a
        second officer waiting idle for a handler busy elsewhere would be time lost, and the
        handler, whom nobody can replace, is the one it really waits for).
        """
        held = waiting.held
        assert held is not None
        ready = True
        for i, need in enumerate(waiting.needs):
            if need.owner is not None and not held[i]:
                member = need.owner.handler
                if member is not None and not member.busy and not member.leaving:
                    self._hold(member, waiting, i)
                else:
                    ready = False
        if not ready:
            return False
        waiting.ready = True
        for i, need in enumerate(waiting.needs):
            if need.owner is not None or need.pool.key[1] is Role.JUDGE:
                continue  # judges are called last (_complete)
            free = need.pool.free
            j = 0  # _hold takes the member out of ``free``
            while len(held[i]) < need.count and j < len(free):
                member = free[j]
                if self._claimed_as_handler(member):
                    j += 1
                else:
                    self._hold(member, waiting, i)
            if len(held[i]) < need.count:
                self._call(need.pool, waiting)
        return self._complete(waiting)

    def _offer(self, member: Member) -> None:
        """``member`` is free: hold them for the convened work that waits for them, if any.

        A grant ends that work's claim on its people, so pending work may then be convened.
        """
        if self._grant_to_convened(member):
            self._wake()

    def _grant_to_convened(self, member: Member) -> bool:
        """Hold free ``member`` for the convened work that waits for them; whether it was granted."""
        claimant = self._claimed.get(id(member))
        if claimant is not None:  # as somebody's handler first: nobody else may take them
            assert claimant.held is not None
            for i, need in enumerate(claimant.needs):
                if need.owner is not None and need.owner.handler is member and not claimant.held[i]:
                    self._hold(member, claimant, i)
                    return self._gather(claimant)  # the handler is there: now the others
        pool = member.pool
        calls = self._calls.get(id(pool))
        if not calls:
            return False  # no ready convened work is short of anyone of this pool
        if pool.key[1] is Role.JUDGE:
            # Everyone but the judges is there for each of these: the first whose judges are free.
            return any(self._complete(waiting) for _, waiting in list(calls))
        waiting = calls[0][1]
        held = waiting.held
        assert held is not None
        for i, need in enumerate(waiting.needs):
            if need.owner is None and need.pool is pool and len(held[i]) < need.count:
                self._hold(member, waiting, i)
                if len(held[i]) == need.count:
                    del calls[0]
                    waiting.calling.remove(pool)
                return self._complete(waiting)
        raise AssertionError("convened work called for a pool it is not short of")

    def _complete(self, waiting: _Waiting) -> bool:
        """Grant convened ``waiting`` if everyone but its judges is held and its judges are free."""
        held = waiting.held
        assert held is not None
        judges: list[tuple[int, list[Member]]] = []
        for i, need in enumerate(waiting.needs):
            if need.pool.key[1] is Role.JUDGE and need.owner is None:
                judges.append((i, []))
            elif len(held[i]) < need.count:
                return False
        for i, members in judges:  # everyone else is there: are its judges free?
            need = waiting.needs[i]
            for member in need.pool.free:
                if len(members) == need.count:
                    break
                if not member.leaving:
                    members.append(member)
            if len(members) < need.count:
                self._call(need.pool, waiting)
                return False
        for i, members in judges:
            for member in members:
                self._hold(member, waiting, i)
        now = self.env.now
        grant: Grant = []
        for people in held:
            for member in people:
                member.held_by = None
                if member.held_since < now:
                    member.pool.holds.append((member.held_since, now))
                grant.append(member)
        waiting.held = None
        for pool, count in waiting.claims:
            self._claims[id(pool)] -= count
        for handler in waiting.handlers:
            self._claimed.pop(id(handler), None)
        if self._pending:
            self._woken.extend(id(h) for h in waiting.handlers)
            self._woken.extend(id(pool) for pool, _ in waiting.claims)
        _leave(self._convened, waiting)
        self._stop_calling(waiting)
        self._n_waiting -= 1
        delay = self.on_grant(waiting.tag, grant) if self.on_grant is not None else 0.0
        _succeed_after(waiting.event, grant, delay)
        return True

    def _call(self, pool: Pool, waiting: _Waiting) -> None:
        """File ready convened ``waiting`` under ``pool``'s calls (once), for its next free member."""
        if pool not in waiting.calling:
            waiting.calling.append(pool)
            bisect.insort(self._calls.setdefault(id(pool), []), (waiting.key, waiting))

    def _stop_calling(self, waiting: _Waiting) -> None:
        """Take ``waiting`` out of every pool's calls (granted, or convened anew)."""
        for pool in waiting.calling:
            _leave(self._calls[id(pool)], waiting)
        waiting.calling.clear()

    def _hold(self, member: Member, waiting: _Waiting, i: int) -> None:
        assert waiting.held is not None and not member.busy
        member.busy = True
        member.held_by = waiting
        member.held_since = self.env.now
        member.pool.take(member)
        waiting.held[i].append(member)

    def _claimed_as_handler(self, member: Member) -> bool:
        """Whether convened work waits for ``member`` as its handler (nobody else may hold them)."""
        return id(member) in self._claimed

    def _try(self, needs: list[Need]) -> tuple[Grant | None, object]:
        if len(needs) == 1:  # most work needs one person: no clash between needs to check
            need = needs[0]
            if need.owner is not None:  # the case's handler and nobody else
                member = need.owner.handler
                if member is None or member.busy:
                    return None, member if member is not None else need.pool
                member.busy = True
                member.pool.take(member)
                return [member], None
            if need.count == 1:
                pool = need.pool
                if not pool.free:
                    return None, pool
                # Pooled work goes to whoever owns the fewest cases, keeping handlers free
                # for their own cases' work (nobody else owns cases: the lowest id).
                member = pool.lightest() if pool.owners else pool.free[0]
                member.busy = True
                pool.take(member)
                return [member], None
        picked: list[Member] = []
        for need in needs:
            if need.owner is not None:
                member = need.owner.handler
                if member is None or member.busy or member in picked:
                    return None, member if member is not None else need.pool
                picked.append(member)
                continue
            free = [m for m in need.pool.free if m not in picked] if picked else need.pool.free
            if len(free) < need.count:
                return None, need.pool
            if need.count == 1:
                picked.append(min(free, key=_load_then_id))
            else:
                picked.extend(sorted(free, key=_load_then_id)[: need.count])
        for member in picked:
            member.busy = True
            member.pool.take(member)
        return picked, None


def _give_back(member: Member) -> None:
    """``member`` is free again: back among the pool's free people, or gone if leaving."""
    member.busy = False
    if member.leaving:
        member.pool.members.remove(member)
        member.pool.leaving -= 1
    else:
        member.pool.put(member)


def _succeed_after(event: simpy.Event, value: Grant, delay: float) -> None:
    """``event.succeed(value)``, ``delay`` later.

    Queued work then wakes its case once, when the work is done, instead of at the
    grant and again at the end: a quarter fewer events in a baseline year. SimPy has
    no public call for a delayed success; this is ``Event.succeed`` (simpy 4) with
    the delay that ``Timeout`` uses, kept in this one place.
    """
    if delay <= 0.0:
        event.succeed(value)
        return
    event._ok = True
    event._value = value
    event.env.schedule(event, NORMAL, delay)


def _handlers(waiting: _Waiting) -> Iterable[Member | None]:
    """The handlers ``waiting`` needs (looked up now: a handler who leaves hands the case on)."""
    return (n.owner.handler for n in waiting.needs if n.owner is not None)


def _holds(waiting: _Waiting) -> Iterable[tuple[Pool, int]]:
    """The people ``waiting`` holds once convened, by pool: all it needs but its judges."""
    for need in waiting.needs:
        if need.owner is not None:
            handler = need.owner.handler
            yield (handler.pool if handler is not None else need.pool), 1
        elif need.pool.key[1] is not Role.JUDGE:
            yield need.pool, need.count


def _leave(queue: _Queue, waiting: _Waiting) -> None:
    """Take ``waiting`` out of the sorted ``queue`` (a search by its unique key, not a scan)."""
    i = bisect.bisect_left(queue, (waiting.key,))
    assert queue[i][1] is waiting
    del queue[i]


def _first(entry: tuple[tuple[Any, ...], _Waiting]) -> tuple[Any, ...]:
    return entry[0]


def _head_key(entry: tuple[object, _Queue]) -> tuple[Any, ...]:
    return entry[1][0][0]


def _available(blocker: object) -> bool:
    if isinstance(blocker, Pool):
        return bool(blocker.free)
    return isinstance(blocker, Member) and not blocker.busy and not blocker.leaving


_load_then_id: Callable[[Member], tuple[int, int]] = operator.attrgetter("caseload", "id")
_member_id: Callable[[Member], int] = operator.attrgetter("id")


class StaffOffice:
    """All teams' desks, built from the scenario's staffing; owner of every caseload.

    Cases reach officers only through the office: :meth:`take_case` when a team
    receives a case, :meth:`hand_on` when its handler leaves, :meth:`release` when it
    closes. Related cases go to the officer who has the group's earlier case in the
    team (``policy.related_same_handler``); the rest by ``policy.handler_assignment``.
    """

    def __init__(self, env: simpy.Environment, scenario: Scenario) -> None:
        self.env = env
        self.scenario = scenario
        self.desks: dict[Team, TeamDesk] = {}
        self.members: list[Member] = []
        self._ids = itertools.count()
        self._rule = HANDLERS[scenario.policy.handler_assignment]
        self._turns: dict[Team, int] = {}
        self._related_first = scenario.policy.related_same_handler
        self._group_handlers: dict[tuple[int, Team], Member] = {}
        # The built-in least_caseload, without looking at every officer of the team for each case:
        # each team's officers who may take cases by caseload, and the free ones in each pool's loads.
        self._least_caseload = self._rule is least_caseload
        self._by_load: dict[Team, ByLoad] = {team: ByLoad() for team in Team}
        for team in Team:
            self._build(team)

    def _build(self, team: Team) -> None:
        desk = self.desks[team] = TeamDesk(self.env, team)
        staffing = self.scenario.staffing.team(team)
        if staffing.units:
            desk.units = [u.name for u in staffing.units]
            for unit in staffing.units:
                self.add(team, unit.name, Role.OFFICER, unit.officers)
                self.add(team, unit.name, Role.CLERK, unit.clerks)
        else:
            self.add(team, "", Role.OFFICER, staffing.officers)
            self.add(team, "", Role.CLERK, staffing.clerks)
        self.add(team, "", Role.JUDGE, staffing.judges)
        self.add(team, "", Role.BAILIFF, staffing.bailiffs)

    def add(self, team: Team, unit: str, role: Role, count: int) -> None:
        """Add ``count`` people (a hire or transfer in) and let waiting work use them."""
        desk = self.desks[team]
        pool = desk.pool(unit, role)
        for _ in range(count):
            number = len(pool.members) + 1
            where = f"{team.value}/{unit}/" if unit else f"{team.value}/"
            member = Member(
                next(self._ids), team, pool.key[0], role, f"{where}{role.value}/{number}", pool, joined=self.env.now
            )
            self.members.append(member)
            pool.join(member)
            if role is Role.OFFICER and pool.key[0] in desk.units:
                self._by_load[team].add(member, member.caseload)
                member.listed = True
        desk.dispatch()

    def remove(self, team: Team, unit: str, role: Role, count: int) -> list[Member]:
        """Take ``count`` people away (leave, transfer out): free ones at once, busy ones when done."""
        pool = self.desks[team].pool(unit, role)
        present = [m for m in pool.members if not m.leaving]
        # The least loaded leave first, so fewest cases change hands.
        leaving = sorted(present, key=lambda m: (m.caseload, -m.id))[:count]
        for member in leaving:
            member.leaving = True
            member.left = self.env.now
            self._unlist(member)
            if not member.busy:
                pool.take(member)
                pool.members.remove(member)
            else:
                pool.leaving += 1
        return leaving

    def handlers(self, team: Team, unit: str | None = None) -> list[Member]:
        """Officers who can take new cases in ``team`` (optionally one unit)."""
        desk = self.desks[team]
        units = [unit] if unit is not None else desk.units
        return [m for u in units for m in desk.pool(u, Role.OFFICER).members if not m.leaving]

    def take_case(self, case: Assignable, team: Team, *, related: bool = True) -> Member:
        """``team`` receives ``case``: unless its handler is already in ``team``, one of the
        team's officers takes it over (the previous handler's caseload drops).

        With ``related`` the related-case rule applies (方案 三(一)1: 关联案件、类案相对集中
        同一团队或承办人): where the policy has it on, the officer who has the group's earlier
        case in ``team`` takes it while still there, and the group's handler is noted.
        """
        handler = case.handler
        if handler is None or handler.team is not team:
            if handler is not None:
                self._load(handler, -1)
            group = (case.related_group, team)
            preferred = self._group_handlers.get(group) if related and self._related_first else None
            handler = case.handler = self._assign(team, preferred)
            if related:
                self._group_handlers[group] = handler
        case.unit = handler.unit
        return handler

    def hand_on(self, case: Assignable, team: Team) -> Member:
        """A leaving handler's ``case`` passes to a colleague in ``team`` by the assignment rule."""
        if case.handler is not None:
            self._load(case.handler, -1)
        handler = case.handler = self._assign(team)
        case.unit = handler.unit
        return handler

    def release(self, case: Owned) -> None:
        """``case`` is closed: it no longer counts in its handler's caseload (who stays its handler)."""
        if case.handler is not None:
            self._load(case.handler, -1)

    def _load(self, member: Member, change: int) -> None:
        """``member``'s caseload changes by ``change``, and so where they are filed by caseload."""
        old = member.caseload
        new = member.caseload = old + change
        if member.listed:
            by_load = self._by_load[member.team]
            by_load.discard(member, old)
            by_load.add(member, new)
        if member.filed:
            loads = member.pool.loads
            assert loads is not None
            loads.discard(member, old)
            loads.add(member, new)

    def _unlist(self, member: Member) -> None:
        if member.listed:
            self._by_load[member.team].discard(member, member.caseload)
            member.listed = False

    def _assign(self, team: Team, preferred: Member | None = None) -> Member:
        """The officer who will own a new case in ``team``: ``preferred`` while still in the
        team, else the one the assignment rule picks; one more case in their caseload."""
        if preferred is not None and preferred.team is team and not preferred.leaving:
            handler = preferred
        else:
            turn = self._turns.get(team, 0)
            found = self._least_loaded(team) if self._least_caseload else None
            if found is not None:
                handler = found
            else:
                candidates = self.handlers(team)
                if not candidates:
                    raise RuntimeError(f"team {team.value} has no officer to own a case")
                handler = self._rule(candidates, turn)
            self._turns[team] = turn + 1
        self._load(handler, +1)
        return handler

    def _least_loaded(self, team: Team) -> Member | None:
        """What :func:`~sim.rules.handlers.least_caseload` picks among ``team``'s officers (fewest
        open cases, then free, then the lowest id), from the officers filed by caseload; None
        where that cannot say (no officer, or the pick is leaving: then the rule decides)."""
        lowest = self._by_load[team].lowest()
        if lowest is None:
            return None
        load = lowest[0].caseload
        found: Member | None = None
        desk = self.desks[team]
        for unit in desk.units:
            loads = desk.pool(unit, Role.OFFICER).loads
            free = loads.lowest() if loads is not None else None
            if free is not None and free[0].caseload == load and (found is None or free[0].id < found.id):
                found = free[0]
        if found is None:  # everyone with the fewest cases is busy: the lowest id of them
            found = lowest[0]
        # The officers filed are all who may take cases and perhaps some leaving (marked so
        # outside remove()): a pick that is not leaving is the rule's pick among those who may.
        return None if found.leaving else found

    def by_name(self) -> dict[str, Member]:
        """Every member ever employed in this run, by log name."""
        return {m.name: m for m in self.members}

    def headcount(self) -> Iterable[tuple[Team, str, Role, int]]:
        """Current head-count per (team, unit, role)."""
        for team, desk in self.desks.items():
            for (unit, role), pool in desk.pools.items():
                yield team, unit, role, sum(1 for m in pool.members if not m.leaving)
