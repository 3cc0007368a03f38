"""Where an open case can stand when a run starts from the court's real backlog (``[initial_backlog]``).

Each stage is a step of the model at which a case waits next: the run seeds the
court's open cases there at time 0, with their filing dates in the past, so their
deadline clocks (the 6-month limit, 收案后10日/45日, the 3-month floor of 终本) run from
the real filing (:mod:`sim.flow.backlog`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from sim.vocab._complete import require_complete

__all__ = ["BACKLOG_STAGE_ZH", "BacklogStage"]


class BacklogStage(StrEnum):
    """The step an open case waits at when the run starts."""

    INTAKE = "intake"  # 前置团队: filed, not yet triaged (立案后待分流)
    INTAKE_TRIAGE = "intake_triage"  # 前置团队: documents issued, the online inquiry answered, triage next
    FAST_TRACK = "fast_track"  # 快执团队: received, service and handling to come
    FAST_INVESTIGATION = "fast_investigation"  # 快执: served and interviewed, the investigation to come
    FAST_ZHONGBEN_FLOOR = "fast_zhongben_floor"  # 快执: no property, 终本 waiting for its 3-month floor
    STANDARD_TRACK = "standard_track"  # 精执团队: received, service and interview to come
    STANDARD_INVESTIGATION = "standard_investigation"  # 精执: served, traditional investigation under way
    DISPOSAL = "disposal"  # 财产处置团队: property seized, valuation and auction to come
    STANDARD_ZHONGBEN_FLOOR = "standard_zhongben_floor"  # 精执: no property, 终本 waiting for its floor
    PRESERVATION = "preservation"  # 执保 at the team carrying out preservation rulings


BACKLOG_STAGE_ZH: Mapping[BacklogStage, str] = {
    BacklogStage.INTAKE: "前置团队·待分流",
    BacklogStage.INTAKE_TRIAGE: "前置团队·查控已回待分流",
    BacklogStage.FAST_TRACK: "快执·办理中",
    BacklogStage.FAST_INVESTIGATION: "快执·传统调查",
    BacklogStage.FAST_ZHONGBEN_FLOOR: "快执·终本待满三个月",
    BacklogStage.STANDARD_TRACK: "精执·送达询问",
    BacklogStage.STANDARD_INVESTIGATION: "精执·传统调查",
    BacklogStage.DISPOSAL: "财产处置·评估拍卖",
    BacklogStage.STANDARD_ZHONGBEN_FLOOR: "精执·终本待满三个月",
    BacklogStage.PRESERVATION: "保全·待实施",
}
require_complete(BACKLOG_STAGE_ZH, BacklogStage, "BACKLOG_STAGE_ZH")
