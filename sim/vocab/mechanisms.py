"""The reform's mechanisms: the ways a 繁简分流 / 集约化 / 无纸化 reform is said to work.

Each is a group of the scenario's ``[reform]`` table with its own ``enabled``
switch (:mod:`sim.config.reform`), so an evaluation can switch one off and see
what it was worth; the flows apply them through one service
(:mod:`sim.flow.mechanisms`). The values are the table's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from sim.vocab._complete import require_complete

__all__ = ["MECHANISM_ZH", "Mechanism"]


class Mechanism(StrEnum):
    """One mechanism of the reform (a ``[reform.<name>]`` group)."""

    SPECIALISATION = "specialisation"  # 专业化: specialists work faster on their own tasks
    HANDOFF = "handoff"  # 流转: re-reading the file and waiting when a case changes hands
    CENTRALISED_INTAKE = "centralised_intake"  # 集约: documents and inquiries batched at the front end
    ELECTRONIC_SERVICE = "electronic_service"  # 无纸化: documents served electronically, not by post
    SCANNED_FILES = "scanned_files"  # 无纸化: every hand-over scanned; the next team works on the e-file
    REWORK = "rework"  # 方案 二.4: the next step sends a flawed or unfinished step back


MECHANISM_ZH: Mapping[Mechanism, str] = {
    Mechanism.SPECIALISATION: "专业化分工",
    Mechanism.HANDOFF: "案件流转（阅卷、等待）",
    Mechanism.CENTRALISED_INTAKE: "前端集约办理",
    Mechanism.ELECTRONIC_SERVICE: "电子送达",
    Mechanism.SCANNED_FILES: "卷宗扫描（电子卷宗）",
    Mechanism.REWORK: "瑕疵退回补正",
}
"""What reports print for each mechanism."""

require_complete(MECHANISM_ZH, Mechanism, "MECHANISM_ZH")
