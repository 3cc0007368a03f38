"""卷宗管理中心: paper files scanned within 2 days, closed cases archived (方案 三(一)3).

Every team hands its paper material (笔录, 调查材料, 评估报告 …) to the records
centre within 2 days (方案: "应在2日内移交卷宗管理中心"); teams carry the day's
papers over in one batch at the start of the next working day. The centre scans
and uploads each hand-over within 2 days ("2日内扫描、上传"), and checks and
archives the file once the case is closed ("案件结案后，及时…装订归档").

Scanning is the reform's ``scanned_files`` mechanism (:mod:`sim.flow.mechanisms`):
switched off (the court before 无纸化), no paper goes for scanning and the paper
file travels with the case instead.

The centre's other duties come round by the calendar or by request: its officer
monitors the key nodes of every open case from the paper it holds (利用"中间库"纸质卷宗优势，
对执行重要节点实时监控) in a round every ``side_streams.monitoring_interval_wdays``
working days and reports on them monthly (定期通报); its clerks register every file
lent, read or copied (借出、借阅、复制…应当进行登记), requests arriving as a Poisson
stream of their own (:mod:`sim.model`). They are the centre's: where no team is the
records centre (the court before the reform), there is no 中间库 to monitor or lend
from, and none of them is done (:func:`has_centre`).
"""

from __future__ import annotations

import numpy as np

from sim.cases import Case
from sim.distributions import build
from sim.flow.context import FlowContext, Step
from sim.flow.recurring import month_starts, working_days
from sim.vocab import Deadline, Milestone, Task, Team

__all__ = ["archive", "hand_over", "has_centre", "monitoring", "reports"]


def has_centre(ctx: FlowContext) -> bool:
    """Whether the court has a records centre of its own (the 2022 plan), not a team doing its work."""
    return ctx.scenario.organisation.team_for(Team.RECORDS) is Team.RECORDS


def monitoring(ctx: FlowContext, rng: np.random.Generator) -> Step:
    """A round of key-node monitoring every ``monitoring_interval_wdays`` working days.

    A round's work is ``node_monitoring`` hours for each case open at that moment, drawn
    from the round's own stream: a court with a growing backlog has more to watch.
    """
    if not has_centre(ctx):
        return
    per_case = build(ctx.scenario.tasks.node_monitoring.hours)
    for when in working_days(ctx, ctx.scenario.side_streams.monitoring_interval_wdays):
        yield ctx.env.timeout(max(when - ctx.env.now, 0.0))
        hours = float(per_case.sample(rng, len(ctx.docket.open)).sum())
        ctx.spawn(ctx.desks.side_work(ctx.docket.next_side_id(), Task.NODE_MONITORING, Team.RECORDS, hours))


def reports(ctx: FlowContext, rng: np.random.Generator) -> Step:
    """定期通报 of the monitoring on the first working day of each month (the period is EST)."""
    if not has_centre(ctx):
        return
    monthly = build(ctx.scenario.tasks.records_report.hours)
    for when, _month in month_starts(ctx):
        yield ctx.env.timeout(max(when - ctx.env.now, 0.0))
        hours = float(monthly.sample(rng, 1)[0])
        ctx.spawn(ctx.desks.side_work(ctx.docket.next_side_id(), Task.RECORDS_REPORT, Team.RECORDS, hours))


def hand_over(ctx: FlowContext, case: Case) -> None:
    """Paper produced now goes to the records centre; scanning runs beside the case."""
    if not ctx.reform.scanning:
        return  # no e-file: the paper stays in the case file and travels with it
    ctx.reform.paper_handed(case)
    occurrence = case.papers
    case.papers += 1
    ctx.clocks.start(case, Deadline.RECORDS_HANDOVER, occurrence=occurrence)
    # The day's papers go over in one batch when the next working day opens.
    handover = ctx.calendar.next_working_time(float(int(ctx.env.now)) + 1.0)
    batch = ctx.handovers.get(handover)
    if batch is None:
        batch = ctx.handovers[handover] = []
        ctx.spawn(_carry(ctx, handover, batch))
    batch.append((case, occurrence))


def _carry(ctx: FlowContext, handover: float, batch: list[tuple[Case, int]]) -> Step:
    """Carry one day's papers over at ``handover``; each is then scanned within 2 days.

    The hand-over is done when the centre's clerk has registered the batch (接收材料登记),
    so a centre behind with its registrations makes the 2 days late.
    """
    yield ctx.env.timeout(handover - ctx.env.now)
    del ctx.handovers[handover]
    hours = sum(ctx.book.hours(Task.PAPER_HANDOVER, case, occurrence) for case, occurrence in batch)
    team = ctx.scenario.organisation.team_for(Team.RECORDS)
    yield from ctx.desks.side_work(ctx.docket.next_side_id(), Task.PAPER_HANDOVER, team, hours)
    for case, occurrence in batch:
        ctx.clocks.end(case, Deadline.RECORDS_HANDOVER, occurrence=occurrence)
        ctx.clocks.start(case, Deadline.SCAN, occurrence=occurrence)
        ctx.spawn(_scan(ctx, case, occurrence))


def _scan(ctx: FlowContext, case: Case, occurrence: int) -> Step:
    yield from ctx.work(case, Task.SCAN, ctx.scenario.organisation.team_for(Team.RECORDS))
    ctx.clocks.end(case, Deadline.SCAN, occurrence=occurrence)
    ctx.reform.scanned(case)


def archive(ctx: FlowContext, case: Case) -> Step:
    """Check and archive the closed case's electronic and paper file."""
    yield from ctx.work(case, Task.ARCHIVE, ctx.scenario.organisation.team_for(Team.RECORDS))
    ctx.mark(case, Milestone.ARCHIVED, Team.RECORDS)
