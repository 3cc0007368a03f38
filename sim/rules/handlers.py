"""承办人分配: which officer of a team takes on a new case (``[policy] handler_assignment``).

When a case reaches a handling team, one officer becomes its handler and does
its officer work (DOMAIN.md §4). A related case goes first to the officer who
has its group's earlier case, where ``related_same_handler`` is on (方案 三(一)1:
关联案件、类案应相对集中同一团队或承办人); otherwise the team's assignment rule
picks among the officers who can take new cases. The staff office applies it
and keeps the caseloads (:meth:`sim.staffing.StaffOffice.take_case`).

A rule is called as ``rule(officers, turn)``: the team's officers (in order of
their ids) and how many cases the team's rule has placed before this one. For the
built-in ``least_caseload`` the staff office finds the same officer without the
call, from its officers filed by caseload (a look at every officer for every case
made a city-sized run quadratic; issue 15 goal 4); any other rule is called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sim.rules.registry import Registry

__all__ = ["DEFAULT_HANDLER_ASSIGNMENT", "HANDLERS", "HandlerRule", "Officer", "least_caseload", "round_robin"]

HandlerRule = Callable[[Sequence[Any], int], Any]
"""``(officers, turn) -> the officer``; officers are :class:`sim.staffing.Member` objects."""

HANDLERS: Registry[HandlerRule] = Registry("handler assignment")


class Officer(Protocol):
    """What an assignment rule knows of an officer."""

    @property
    def id(self) -> int: ...
    @property
    def caseload(self) -> int: ...
    @property
    def busy(self) -> bool: ...


OfficerT = TypeVar("OfficerT", bound=Officer)


@HANDLERS.register("least_caseload")
def least_caseload(officers: Sequence[OfficerT], turn: int) -> OfficerT:
    """The officer with the fewest open cases; ties to one free right now, then the lowest id."""
    return min(officers, key=_load_busy_id)


@HANDLERS.register("round_robin")
def round_robin(officers: Sequence[OfficerT], turn: int) -> OfficerT:
    """Each officer in turn, whatever their caseload (分案 in rotation)."""
    return officers[turn % len(officers)]


DEFAULT_HANDLER_ASSIGNMENT = "least_caseload"
"""Spread new cases evenly over the officers' caseloads (the plan sets no rule)."""


def _load_busy_id(officer: Officer) -> tuple[int, bool, int]:
    return officer.caseload, officer.busy, officer.id
