"""The people of the court as SimPy resources: pools by team, unit and role, and handlers.

Think of each team's office as a desk where work asks for people: "the case's
handler and one clerk of his unit for an hour". A piece of work is granted only
when *every* person it needs is free at once, so nobody is held idle while the
others are still busy elsewhere (an officer does not wait at the bailiffs' door
holding his own time). Waiting work is granted in the order of its dispatch key
(first come first served, earliest deadline first, or labelled cases first).

Each officer of a handling team is an individual: a case on the fast or the
standard track belongs to one officer (承办人), whose caseload is tracked, and its
officer work waits for that officer in particular (方案 三(一)1: 关联案件、类案相对
集中同一团队或承办人). The staff office alone hands cases to officers and keeps
their caseloads (:meth:`StaffOffice.take_case`, :meth:`~StaffOffice.hand_on`,
:meth:`~StaffOffice.release`), by the scenario's assignment rule (:mod:`sim.rules.handlers`).
"""

from __future__ import annotations

import bisect
import itertools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import simpy
from simpy.events import NORMAL

from sim.config.schema import UNIT_ROLES, Scenario
from sim.rules import HANDLERS
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
    busy: bool = False
    leaving: bool = False


@dataclass(slots=True, eq=False)
class Pool:
    """The members of one role in one unit (or the whole team), and which are free."""

    key: tuple[str, Role]
    members: list[Member] = field(default_factory=list)
    free: list[Member] = field(default_factory=list)  # kept sorted by id for determinism
    owners: bool = False  # whether members own cases (officers: handlers have a caseload)


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
    shape: int | None = None  # what its needs ask for, less the handler (see TeamDesk._retry); None: never alike


_Queue = list[tuple[tuple[Any, ...], _Waiting]]
"""Waiting work under one blocker as (dispatch key, work), sorted by key."""


class TeamDesk:
    """One team's pools and the work waiting for its people.

    Waiting work is filed under what blocks it (a pool with too few free people,
    or the one handler it needs). A release re-examines only the work filed under
    the people released, in dispatch-key order, so a long queue costs nothing
    until the resource it waits for comes free.
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
        # Every shape of multi-person work seen, numbered (see _shape): a memo key of an int
        # and a person hashes at once.
        self._shapes: dict[tuple[tuple[int, int, bool], ...], int] = {}
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
        """Take the people at once if all are free, else an event that fires with the grant
        (when the work is done, if the desk has an ``on_grant`` hook)."""
        grant, blocker = self._try(needs)
        if grant is not None:
            return grant
        event = self.env.event()
        self._file(_Waiting(key, needs, event, tag, self._shape(needs)), blocker)
        self._n_waiting += 1
        return event

    def release(self, grant: Grant) -> None:
        """Give people back and grant whatever waiting work they now make possible."""
        for member in grant:
            member.busy = False
            if member.leaving:
                member.pool.members.remove(member)
            else:
                bisect.insort(member.pool.free, member, key=_member_id)
        if not self._n_waiting:
            return
        # What waiting work may be filed under: the people released and their pools.
        blocked = self._blocked
        if len(grant) == 1:
            member = grant[0]
            entries = [e for e in (blocked.get(id(member)), blocked.get(id(member.pool))) if e]
        else:
            keys = dict.fromkeys(k for m in grant for k in (id(m), id(m.pool)))
            entries = [e for key in keys if (e := blocked.get(key))]
        if entries:
            self._retry(entries)

    def dispatch(self) -> None:
        """Re-examine all waiting work (after head-count changes)."""
        if self._n_waiting:
            self._retry(list(self._blocked.values()))

    def _shape(self, needs: list[Need]) -> int | None:
        """What ``needs`` ask for apart from who the handler is, numbered, for :meth:`_retry`'s memo.

        Two pieces of work of the same shape whose handlers (if any) are the same person fare
        alike in a ``_try`` of the same desk state. Only several needs with at most the first
        naming a handler get a shape: a single need is granted or not at once, and other
        layouts are rare enough to be tried one by one.
        """
        if len(needs) < 2 or any(n.owner is not None for n in needs[1:]):
            return None
        shape = tuple((id(n.pool), n.count, n.owner is not None) for n in needs)
        number = self._shapes.get(shape)
        if number is None:
            number = self._shapes[shape] = len(self._shapes)
        return number

    def _retry(self, entries: list[tuple[object, _Queue]]) -> None:
        # Work of one shape whose handler is the same person fares alike until something is
        # granted (a failed ``_try`` changes nothing): its outcome is remembered until then.
        # Officers' panel reviews filed under a pool whose one free officer is their own
        # handler are re-examined at every release; this skips the repeated ``_try``.
        seen: dict[tuple[int, object], object] = {}
        for blocker, queue in entries:
            i = 0
            # Everything filed under a blocker needs it; once it is taken again, stop (only a
            # grant changes whether it is free).
            available = _available(blocker)
            while available and i < len(queue):
                waiting = queue[i][1]
                shape = waiting.shape
                if shape is not None:
                    owner = waiting.needs[0].owner
                    memo = (shape, owner.handler if owner is not None else None)
                    now_blocked_by = seen.get(memo)
                    if now_blocked_by is None:
                        grant, now_blocked_by = self._try(waiting.needs)
                        if grant is None:
                            seen[memo] = now_blocked_by
                    else:
                        grant = None
                else:
                    grant, now_blocked_by = self._try(waiting.needs)
                if grant is not None:
                    seen.clear()  # the desk's state changed: what failed may now fail elsewhere
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

    def _try(self, needs: list[Need]) -> tuple[Grant | None, object]:
        if len(needs) == 1:  # most work needs one person: no clash between needs to check
            need = needs[0]
            if need.owner is not None:  # the case's handler and nobody else
                member = need.owner.handler
                if member is None or member.busy:
                    return None, member if member is not None else need.pool
                member.busy = True
                member.pool.free.remove(member)
                return [member], None
            if need.count == 1:
                free = need.pool.free
                if not free:
                    return None, need.pool
                # Pooled work goes to whoever owns the fewest cases, keeping handlers free
                # for their own cases' work (nobody else owns cases: the lowest id).
                member = min(free, key=_load_then_id) if need.pool.owners else free[0]
                member.busy = True
                free.remove(member)
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
            member.pool.free.remove(member)
        return picked, None


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


def _available(blocker: object) -> bool:
    if isinstance(blocker, Pool):
        return bool(blocker.free)
    return isinstance(blocker, Member) and not blocker.busy and not blocker.leaving


def _load_then_id(member: Member) -> tuple[int, int]:
    return member.caseload, member.id


def _member_id(member: Member) -> int:
    return member.id


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
            pool.members.append(member)
            bisect.insort(pool.free, member, key=_member_id)
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
            if not member.busy:
                pool.free.remove(member)
                pool.members.remove(member)
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
                handler.caseload -= 1
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
            case.handler.caseload -= 1
        handler = case.handler = self._assign(team)
        case.unit = handler.unit
        return handler

    def release(self, case: Owned) -> None:
        """``case`` is closed: it no longer counts in its handler's caseload (who stays its handler)."""
        if case.handler is not None:
            case.handler.caseload -= 1

    def _assign(self, team: Team, preferred: Member | None = None) -> Member:
        """The officer who will own a new case in ``team``: ``preferred`` while still in the
        team, else the one the assignment rule picks; one more case in their caseload."""
        if preferred is not None and preferred.team is team and not preferred.leaving:
            handler = preferred
        else:
            candidates = self.handlers(team)
            if not candidates:
                raise RuntimeError(f"team {team.value} has no officer to own a case")
            turn = self._turns.get(team, 0)
            handler = self._rule(candidates, turn)
            self._turns[team] = turn + 1
        handler.caseload += 1
        return handler

    def by_name(self) -> dict[str, Member]:
        """Every member ever employed in this run, by log name."""
        return {m.name: m for m in self.members}

    def headcount(self) -> Iterable[tuple[Team, str, Role, int]]:
        """Current head-count per (team, unit, role)."""
        for team, desk in self.desks.items():
            for (unit, role), pool in desk.pools.items():
                yield team, unit, role, sum(1 for m in pool.members if not m.leaving)
