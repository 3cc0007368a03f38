"""The court's docket (案件登记): which cases are open, which are closed.

Filing puts a case on the docket; closing takes it off with its outcome and
frees it from its handler's caseload (the staff office keeps caseloads). What
closing means for the case's deadlines and file is the closure flow's business
(:mod:`sim.flow.closure`).
"""

from __future__ import annotations

import itertools

import simpy

from sim.cases import Case
from sim.staffing import StaffOffice
from sim.vocab import CaseType, Outcome

__all__ = ["Docket"]


class Docket:
    """Open and closed cases of a run, and the numbers of side-stream items."""

    __slots__ = ("_env", "_office", "_side_ids", "closed", "open", "resumptions_to_replace")

    def __init__(self, env: simpy.Environment, office: StaffOffice) -> None:
        self._env = env
        self._office = office
        self.open: dict[int, Case] = {}
        self.closed: list[Case] = []
        self._side_ids = itertools.count(1)
        self.resumptions_to_replace = 0
        """执恢 of the run's own 终本 cases filed so far that the case mix's next 执恢 filings
        give way to (``arrivals.own_resumptions_replace_filed``)."""

    def file(self, case: Case) -> None:
        """``case`` is filed (立案): it is open from now on."""
        self.open[case.id] = case

    def replaced(self, case: Case) -> bool:
        """Whether the filed 执恢 ``case`` gives way to a resumption of the run's own (then not filed)."""
        if case.case_type is CaseType.RESUMED and case.parent_id < 0 and self.resumptions_to_replace > 0:
            self.resumptions_to_replace -= 1
            return True
        return False

    def close(self, case: Case, outcome: Outcome) -> None:
        """``case`` is closed now with ``outcome`` (结案); its handler has one case less."""
        case.closed = self._env.now
        case.outcome = outcome
        case.stage = "closed"
        self._office.release(case)
        self.open.pop(case.id, None)
        self.closed.append(case)

    def next_side_id(self) -> int:
        """A fresh (negative) id for a side-stream item, so it never clashes with a case."""
        return -next(self._side_ids)
