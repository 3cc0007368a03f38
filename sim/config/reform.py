"""The ``[reform]`` table: the mechanisms by which the 2022 reform is said to work.

A reform of this kind (繁简分流, 集约化, 无纸化) changes more than who sits in which
team. Its teams are specialists; its front end batches what every handler used
to do alone; every paper is scanned so the next team can start on the e-file; and
it adds hand-offs, each of which costs a reading of the file and a wait, and lets
the next step send a flawed step back (方案 二.4). Each mechanism is one group with
its own ``enabled`` switch, so an evaluation can switch one off and measure what
it is worth; what each does in the model is in :mod:`sim.flow.mechanisms`.

A mechanism acts only where the organisation gives it something to act on: the
specialist multipliers apply to a team that does only its own function's work,
batching needs a front-end team of its own, and the hand-off costs, paper waits
and returns arise only when a case changes hands. A file without ``[reform]``
gets every mechanism switched off (the model as it was before they existed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from sim.config.base import Frozen, Sourced
from sim.config.distspec import MAX_DAYS, DistSpec, FixedSpec, Probability
from sim.config.frozen import FrozenDict, ReadOnly
from sim.vocab import TASK_FUNCTION, Mechanism, Task, Team, require_complete

__all__ = [
    "ACTS",
    "MAX_MULTIPLIER",
    "Acts",
    "CentralisedIntake",
    "ElectronicService",
    "Handoff",
    "Multiplier",
    "Reform",
    "Rework",
    "ScannedFiles",
    "Specialisation",
    "acts",
]

MAX_MULTIPLIER = 10.0
"""The largest effort multiplier accepted: a factor of ten is already no longer the same task."""

Multiplier = Annotated[float, Field(gt=0, le=MAX_MULTIPLIER, allow_inf_nan=False, strict=True)]
"""A factor on the effort hours of a task (1 = as drawn; 0.85 = 15% less work)."""

NO_WAIT = FixedSpec(value=0.0)


def _within_a_century(spec: DistSpec) -> DistSpec:
    """A mechanism's wait is bounded like every delay of ``[delays]`` (a typo such as 1e308 is refused)."""
    mean = spec.mean() if hasattr(spec, "mean") and callable(spec.mean) else 0.0
    if not mean <= MAX_DAYS:
        raise ValueError(f"averages {mean:g} days; expected at most {MAX_DAYS}")
    return spec


Wait = Annotated[DistSpec, AfterValidator(_within_a_century)]
"""A mechanism's wait (days or working days), bounded as the delays are."""


TaskMultipliers = Annotated[dict[Task, Multiplier], ReadOnly]
"""Effort multipliers by task (a frozen table)."""


class Specialisation(Sourced):
    """专业化分工: specialists work faster on their own tasks than generalists.

    ``teams`` gives a team's multiplier on the effort of every task of its own
    function; ``tasks`` overrides it for single tasks (``tasks.fast_track.debtor_interview``).
    A team that also performs another function's work (``organisation.performed_by``,
    the pre-reform unit that files, handles, sells and keeps the file) is a
    generalist: its multipliers do not apply, whatever they say.
    """

    enabled: bool = False
    teams: Annotated[dict[Team, Multiplier], ReadOnly] = Field(default_factory=FrozenDict)
    tasks: Annotated[dict[Team, Annotated[dict[Task, Multiplier], ReadOnly]], ReadOnly] = Field(
        default_factory=FrozenDict
    )


class Handoff(Sourced):
    """案件流转: when a case changes team, the receiving team waits, then reads the file.

    ``wait_wdays`` is the elapsed time (working days) before the receiving team takes
    the case up (in-tray); the reading is the ``read_file`` task of ``[tasks]``, done
    by the receiving team's officer (the new handler, when it is a handling team).
    """

    enabled: bool = False
    wait_wdays: Wait = NO_WAIT


class CentralisedIntake(Sourced):
    """集约: the front end does the standard documents and online inquiries in batches.

    With a front-end team of its own (``intake`` not performed by another team),
    ``effort`` multiplies the hours of the named front-end tasks (templates filled
    for a day's filings at once), and with ``inquiry_batch_hour`` the online
    inquiries go out once a working day at that hour of the day, so a case whose
    documents are done waits for the batch (holding nobody). Without it, each
    handler issues his own cases' documents and inquiries one by one.
    """

    enabled: bool = False
    effort: Annotated[dict[Task, Multiplier], ReadOnly] = Field(default_factory=FrozenDict)
    inquiry_batch_hour: Annotated[float, Field(ge=0, lt=24, allow_inf_nan=False, strict=True)] | None = None

    @field_validator("effort")
    @classmethod
    def _front_end_tasks(cls, effort: dict[Task, float]) -> dict[Task, float]:
        wrong = [task.value for task in effort if TASK_FUNCTION[task] is not Team.INTAKE]
        if wrong:
            allowed = ", ".join(t.value for t, f in TASK_FUNCTION.items() if f is Team.INTAKE)
            raise ValueError(f"names tasks that are not the front end's: {wrong}; expected some of: {allowed}")
        return effort


class ScannedFiles(Sourced):
    """无纸化: every paper hand-over is scanned, and the next team works on the e-file.

    On: each team's papers go to the records function for scanning (方案 三(一)3),
    and a team receiving a case starts as soon as the case's pending scans are
    done. Off: nothing is scanned, and the paper file travels with the case, which
    waits ``paper_wait_wdays`` (working days) at each change of hands.
    """

    enabled: bool = False
    paper_wait_wdays: Wait = NO_WAIT


class Rework(Sourced):
    """方案 二.4: 对于上一流程未办理完成或存在瑕疵的，下一流程办理人员应当及时指出.

    At each change of hands, with probability ``flag_rate`` the receiving team finds
    the previous step unfinished or flawed and sends the case back: the sending team
    does the ``rework`` task of ``[tasks]`` and the case returns (with the paper
    file's trips both ways when files are not scanned).
    """

    enabled: bool = False
    flag_rate: Probability = 0.0


class ElectronicService(Sourced):
    """无纸化: the documents are served electronically where the debtor can be reached so.

    A debtor who can be found is served electronically with probability ``share``
    (``share_without`` when the mechanism is off: the court before the reform, which
    already served some debtors electronically); the e-service reaches the debtor
    after ``delay_days`` (CPL art. 90: served when it reaches the recipient's system)
    with probability ``success``, and otherwise the documents go by post (the
    ``service_days`` delay of ``[delays]``). A debtor who cannot be found is served by
    public notice whatever this group says (``probabilities.debtor_missing_rate``).
    """

    enabled: bool = False
    share: Probability = 0.0
    share_without: Probability = 0.0
    success: Probability = 0.0
    delay_days: Wait = NO_WAIT

    def share_now(self) -> float:
        """P(a debtor who can be found is served electronically) in this state of the switch."""
        return self.share if self.enabled else self.share_without


class Reform(Frozen):
    """The mechanisms, one group each (:class:`~sim.vocab.Mechanism`)."""

    specialisation: Specialisation = Specialisation()
    handoff: Handoff = Handoff()
    centralised_intake: CentralisedIntake = CentralisedIntake()
    electronic_service: ElectronicService = ElectronicService()
    scanned_files: ScannedFiles = ScannedFiles()
    rework: Rework = Rework()

    def __getitem__(self, mechanism: Mechanism) -> Sourced:
        """The group of ``mechanism``."""
        group: Sourced = getattr(self, mechanism)
        return group

    def enabled(self) -> tuple[Mechanism, ...]:
        """The mechanisms switched on, in the vocabulary's order."""
        return tuple(m for m in Mechanism if getattr(self[m], "enabled", False))


require_complete(Reform.model_fields, Mechanism, "the fields of Reform")


Acts = Literal["on", "off", "both"]
"""When a field of a ``[reform]`` group acts: while its mechanism is on, while it is off, or in both states."""

ACTS: Mapping[Mechanism, Mapping[str, Acts]] = {
    Mechanism.SPECIALISATION: {"teams": "on", "tasks": "on"},
    Mechanism.HANDOFF: {"wait_wdays": "on"},
    Mechanism.CENTRALISED_INTAKE: {"effort": "on", "inquiry_batch_hour": "on"},
    # Off is the court before the reform, which already served share_without of the debtors
    # electronically: those e-services succeed with P = success after delay_days as well.
    Mechanism.ELECTRONIC_SERVICE: {"share": "on", "share_without": "off", "success": "both", "delay_days": "both"},
    # Off: nothing is scanned and the paper file travels, waiting paper_wait_wdays at each hand-over.
    Mechanism.SCANNED_FILES: {"paper_wait_wdays": "off"},
    Mechanism.REWORK: {"flag_rate": "on"},
}
"""For every field of every group, the state of its switch in which it acts (what
:mod:`sim.flow.mechanisms` reads): the one home of this fact. The uncertainty analysis
varies a field only in a state where it acts (sim/config/uncertainty.py, rule 'mechanism')."""

_NOT_PARAMETERS = ("enabled", "source", "sources")


def _require_acts(table: Mapping[Mechanism, Mapping[str, str]]) -> None:
    """Refuse, on import, a table of :data:`ACTS` that misses or invents a field of a group."""
    require_complete(table, Mechanism, "ACTS")
    for mechanism, fields in table.items():
        group = Reform.model_fields[mechanism.value].annotation
        assert isinstance(group, type)
        expected = {f for f in group.model_fields if f not in _NOT_PARAMETERS}
        if set(fields) != expected or not set(fields.values()) <= {"on", "off", "both"}:
            raise TypeError(
                f"ACTS[{mechanism.value}] must give each field of {group.__name__} once, as on, off or both: "
                f"missing {sorted(expected - set(fields))}, unknown {sorted(set(fields) - expected)}, "
                f"states {sorted(set(fields.values()))}"
            )


_require_acts(ACTS)


def acts(mechanism: str, field: str, enabled: bool) -> bool:
    """Whether ``field`` of the ``[reform.<mechanism>]`` group acts while the switch is ``enabled``."""
    when = ACTS[Mechanism(mechanism)][field]
    return when == "both" or (when == "on") == enabled
