"""The court's vocabulary: every name the scenario, the model, the log and the reports share.

Like the labels on the doors of a court building and the headings of its forms,
each concept is named once here, as a ``StrEnum`` whose values are the ids used
in scenario files and the event log: teams and roles (:mod:`.court`), the steps
of a case (:mod:`.steps`: tasks, outside delays, milestones), deadlines
(:mod:`.deadlines`), chance decisions (:mod:`.decisions`) and the reform's
mechanisms (:mod:`.mechanisms`). A flow that says
``Task.LEAD_CHEK`` fails at once, and a table that misses a name fails when it
is imported. This is the bottom layer: it imports nothing else from ``sim``.
"""

from __future__ import annotations

from sim.vocab._complete import require_complete
from sim.vocab.backlog import BACKLOG_STAGE_ZH, BacklogStage
from sim.vocab.court import CASE_TYPE_ZH, OUTCOME_ZH, ROLE_ZH, TEAM_ZH, TRACK_ZH, CaseType, Outcome, Role, Team, Track
from sim.vocab.deadlines import (
    DEADLINE_NAMES,
    DEADLINE_STARTS,
    RECEIPT_DEADLINES,
    RECEIPT_STARTS,
    Deadline,
    ReceiptBasis,
)
from sim.vocab.decisions import Decision, Ratio
from sim.vocab.mechanisms import MECHANISM_ZH, Mechanism
from sim.vocab.steps import (
    DEADLINE_FUNCTION,
    DELAY_ZH,
    HANDLING,
    TASK_FUNCTION,
    TASK_ZH,
    Delay,
    Handling,
    Milestone,
    PriceMethod,
    Task,
)

__all__ = [
    "BACKLOG_STAGE_ZH",
    "CASE_TYPE_ZH",
    "DEADLINE_FUNCTION",
    "DEADLINE_NAMES",
    "DEADLINE_STARTS",
    "DELAY_ZH",
    "HANDLING",
    "MECHANISM_ZH",
    "OUTCOME_ZH",
    "RECEIPT_DEADLINES",
    "RECEIPT_STARTS",
    "ROLE_ZH",
    "TASK_FUNCTION",
    "TASK_ZH",
    "TEAM_ZH",
    "TRACK_ZH",
    "BacklogStage",
    "CaseType",
    "Deadline",
    "Decision",
    "Delay",
    "Handling",
    "Mechanism",
    "Milestone",
    "Outcome",
    "PriceMethod",
    "Ratio",
    "ReceiptBasis",
    "Role",
    "Task",
    "Team",
    "Track",
    "require_complete",
]
