"""The court's open cases at the start (``[initial_backlog]``): each seeded at time 0 where it waits.

A run can start from the court's real docket instead of an empty court and a
warm-up. Each open case (drawn by :func:`sim.cases.with_backlog`: its age, type,
claim and chances from streams of its own) was filed in the past, so the clocks
that run from filing (the 6-month limit, the implementation teams' 收案 limits under
``receipt_basis = "filing"``, the 3-month floor of 终本) carry their past. It enters
the model at the step its stage names and goes on by the same rules as every case:

- ``intake``: the whole path, from the filing check (the front end's clocks start now);
- ``intake_triage``: documents issued and the online inquiry answered (its freeze drawn):
  the 执恢 review and triage next, then the track triage chooses;
- ``fast_track`` / ``standard_track``: received by the team, the online inquiry
  answered (its freeze drawn as at intake), service to come;
- ``fast_investigation``: served and interviewed, the traditional investigation to come;
- ``standard_investigation``: served and interviewed, 限消 ordered, the traditional
  investigation to come;
- ``disposal``: property seized and the ruling to sell referred: the disposal team
  prices and sells it;
- ``fast_zhongben_floor`` / ``standard_zhongben_floor``: no property, 限消 and 纳失
  done, the 终本 waits for three months from filing, then the interview and the panel;
- ``preservation``: the preservation ruling to carry out.

Work done before the start is not in the event log; what the case owed and what was
recovered before are not known, so a case past the interview starts with nothing
frozen and nothing recovered.
"""

from __future__ import annotations

from sim.cases import Case
from sim.flow import handling
from sim.flow.complex_track import (
    complex_track,
    receive_standard,
    standard_disposal,
    standard_handling,
    standard_investigation,
)
from sim.flow.context import FlowContext, Step
from sim.flow.fast_track import fast_handling, fast_investigation, fast_track, receive_fast
from sim.flow.fees import application_fee
from sim.flow.intake import freeze, sort_case
from sim.flow.oversight import preservation
from sim.vocab import BacklogStage, CaseType, Deadline, Milestone, Task, Team, Track

__all__ = ["seed_backlog"]


def seed_backlog(ctx: FlowContext) -> None:
    """File every case of the starting backlog now (time 0), oldest first, each at its stage."""
    for case, stage in ctx.book.backlog:
        if stage is BacklogStage.INTAKE:
            ctx.start_case(case)  # the whole path, as a case filed now with its filing date in the past
            continue
        ctx.docket.file(case)
        ctx.env.process(_from_stage(ctx, case, stage))


def _from_stage(ctx: FlowContext, case: Case, stage: BacklogStage) -> Step:
    _filed_before(ctx, case)
    team_of = ctx.scenario.organisation.team_for
    if stage is BacklogStage.PRESERVATION:
        yield from preservation(ctx, case)
    elif stage is BacklogStage.INTAKE_TRIAGE:
        front_end = team_of(Team.INTAKE)
        ctx.mark(case, Milestone.RECEIVED, front_end)
        freeze(ctx, case)  # the inquiry has answered
        track = yield from sort_case(ctx, case, front_end)
        yield from (fast_track(ctx, case) if track is Track.FAST else complex_track(ctx, case))
    elif stage is BacklogStage.FAST_TRACK:
        case.simple_by_rules = True
        received = receive_fast(ctx, case, team_of(Team.FAST_TRACK))
        freeze(ctx, case)  # the online inquiry's answer, known when the run starts
        yield from fast_handling(ctx, case, received)
    elif stage is BacklogStage.FAST_INVESTIGATION:
        case.simple_by_rules = True
        received = receive_fast(ctx, case, team_of(Team.FAST_TRACK), served=True)
        yield from fast_investigation(ctx, case, received)
    elif stage is BacklogStage.FAST_ZHONGBEN_FLOOR:
        case.simple_by_rules = True
        receive_fast(ctx, case, team_of(Team.FAST_TRACK), served=True)
        _conditions_met(case)
        yield from handling.zhongben(ctx, case)
    elif stage is BacklogStage.STANDARD_TRACK:
        receive_standard(ctx, case, team_of(Team.COMPLEX_TRACK))
        freeze(ctx, case)
        yield from standard_handling(ctx, case)
    elif stage is BacklogStage.STANDARD_INVESTIGATION:
        receive_standard(ctx, case, team_of(Team.COMPLEX_TRACK), served=True)
        case.counts[Task.CONSUMPTION_RESTRICTION] = 1  # 限消 was ordered after the interview
        yield from standard_investigation(ctx, case)
    elif stage is BacklogStage.DISPOSAL:
        receive_standard(ctx, case, team_of(Team.COMPLEX_TRACK), served=True, investigated=True)
        case.counts[Task.CONSUMPTION_RESTRICTION] = 1
        case.has_property = True
        yield from standard_disposal(ctx, case)
    else:  # BacklogStage.STANDARD_ZHONGBEN_FLOOR
        receive_standard(ctx, case, team_of(Team.COMPLEX_TRACK), served=True, investigated=True)
        _conditions_met(case)
        yield from handling.zhongben(ctx, case)


def _filed_before(ctx: FlowContext, case: Case) -> None:
    """What intake did at filing: the 6-month limit runs from it, the 执行申请费 is due."""
    case.limit_due = ctx.clocks.start(case, Deadline.EXECUTION_LIMIT, at=case.arrived)
    if case.case_type is CaseType.FIRST and ctx.scenario.policy.execution_fee:
        case.fee_due_cny = application_fee(case.claim_cny)


def _conditions_met(case: Case) -> None:
    """终本规定 art. 1(2): 限消 ordered and 纳失 decided before the case waits for its floor."""
    case.counts[Task.CONSUMPTION_RESTRICTION] = 1
    case.counts[Task.DISHONEST_LISTING] = 1
