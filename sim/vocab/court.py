"""Who and what the court is: its teams, the roles of its staff, case types, tracks, outcomes.

Like the labels on the doors of a court building, these names are the same in
the scenario files, the event log, the metrics and the reports. English
identifiers are used in code and files; the Chinese labels are what reports
print.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

__all__ = [
    "CASE_TYPE_ZH",
    "OUTCOME_ZH",
    "ROLE_ZH",
    "TEAM_ZH",
    "TRACK_ZH",
    "CaseType",
    "Outcome",
    "Role",
    "Team",
    "Track",
]


class Team(StrEnum):
    """The seven teams of the 2022 plan (邓法〔2022〕41号 三)."""

    INTAKE = "intake"  # 执行指挥中心·前置团队
    FAST_TRACK = "fast_track"  # 快执团队
    COMPLEX_TRACK = "complex_track"  # 精执团队 (执行二至五团队)
    ASSET_DISPOSAL = "asset_disposal"  # 财产处置团队
    RECORDS = "records"  # 卷宗管理中心
    REVIEW = "review"  # 执行审查团队
    OVERSIGHT = "oversight"  # "三统一"管理团队


class Role(StrEnum):
    """Staff roles of the team model "法官+法官助理（执行员）+法警+书记员"."""

    JUDGE = "judge"  # 员额法官
    OFFICER = "officer"  # 执行员
    CLERK = "clerk"  # 书记员
    BAILIFF = "bailiff"  # 法警


class CaseType(StrEnum):
    """Case types by the prefix of the case number."""

    FIRST = "first"  # 首执 (案号 执)
    RESUMED = "resumed"  # 执恢
    PRESERVATION = "preservation"  # 执保


class Track(StrEnum):
    """Where triage (繁简分流) sends a case."""

    NONE = "none"  # closed or still at intake before triage
    FAST = "fast"  # 简案 → 快执团队
    STANDARD = "standard"  # 繁案 → 精执团队
    OVERSIGHT = "oversight"  # 保全类: the preservation route ("三统一" team unless policy.preservation_team says)


class Outcome(StrEnum):
    """Closing modes of an implementation case (法发〔2014〕26号)."""

    COMPLETED = "completed"  # 执行完毕
    ZHONGBEN = "zhongben"  # 终结本次执行程序 (终本)
    TERMINATED = "terminated"  # 终结执行
    NOT_ENFORCED = "not_enforced"  # 不予执行
    REJECTED = "rejected"  # 驳回申请
    WITHDRAWN = "withdrawn"  # 销案


TEAM_ZH: Mapping[Team, str] = {
    Team.INTAKE: "前置团队",
    Team.FAST_TRACK: "快执团队",
    Team.COMPLEX_TRACK: "精执团队",
    Team.ASSET_DISPOSAL: "财产处置团队",
    Team.RECORDS: "卷宗管理中心",
    Team.REVIEW: "执行审查团队",
    Team.OVERSIGHT: "“三统一”管理团队",
}

ROLE_ZH: Mapping[Role, str] = {
    Role.JUDGE: "员额法官",
    Role.OFFICER: "执行员",
    Role.CLERK: "书记员",
    Role.BAILIFF: "法警",
}

CASE_TYPE_ZH: Mapping[CaseType, str] = {
    CaseType.FIRST: "首执",
    CaseType.RESUMED: "执恢",
    CaseType.PRESERVATION: "执保",
}

TRACK_ZH: Mapping[Track, str] = {
    Track.NONE: "未分流",
    Track.FAST: "简案（快执）",
    Track.STANDARD: "繁案（精执）",
    Track.OVERSIGHT: "保全（三统一）",
}

OUTCOME_ZH: Mapping[Outcome, str] = {
    Outcome.COMPLETED: "执行完毕",
    Outcome.ZHONGBEN: "终结本次执行程序",
    Outcome.TERMINATED: "终结执行",
    Outcome.NOT_ENFORCED: "不予执行",
    Outcome.REJECTED: "驳回申请",
    Outcome.WITHDRAWN: "销案",
}
