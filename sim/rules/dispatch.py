"""派工: in what order a team's waiting work gets its people (``[policy] dispatch``).

Each desk keeps the work waiting for its people in order of priority, smaller
first; work of equal priority keeps the order in which it asked. A dispatch rule
gives a piece of work its priority from the case it is for (side work, such as
reports and petitions, has no label and no deadline). The desk appends the time
of asking and a sequence number, so two keys never tie.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sim.rules.registry import Registry

__all__ = ["DEFAULT_DISPATCH", "DISPATCH", "DispatchRule", "Queued", "edf", "fcfs", "labelled_first"]

DispatchRule = Callable[[Any], float]
"""``(work) -> priority``, smaller first; ``work`` is a case or a side item (see :class:`Queued`)."""

DISPATCH: Registry[DispatchRule] = Registry("dispatch")


class Queued(Protocol):
    """What a dispatch rule knows of the work: its case's label and 6-month due time."""

    @property
    def labelled(self) -> bool: ...
    @property
    def limit_due(self) -> float: ...


@DISPATCH.register("fcfs")
def fcfs(work: Queued) -> float:
    """First come, first served: one priority for all, so the order of asking decides."""
    return 0.0


@DISPATCH.register("edf")
def edf(work: Queued) -> float:
    """Earliest deadline first: the case whose 6-month limit (审限规定 art. 5) falls due first."""
    return work.limit_due


@DISPATCH.register("labelled_first")
def labelled_first(work: Queued) -> float:
    """Labelled cases first (营商环境, 党政机关, 涉黑恶 may get priority: 方案 三(一)1)."""
    return 0.0 if work.labelled else 1.0


DEFAULT_DISPATCH = "fcfs"
"""The plan sets no order of work: first come, first served."""
