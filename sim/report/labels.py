"""Bilingual labels: Chinese first, English beside it, as every table and figure prints them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim.metrics import KPIS
from sim.metrics.registry import SHARE_UNITS
from sim.vocab import OUTCOME_ZH, ROLE_ZH, TEAM_ZH, TRACK_ZH, Outcome, Role, Team, Track

__all__ = [
    "TEAM_EN",
    "TRACK_EN",
    "kpi_names",
    "outcome_label",
    "pct",
    "role_label",
    "role_zh",
    "team_label",
    "team_zh",
    "track_label",
    "value_text",
]

TEAM_EN: Mapping[str, str] = {
    "intake": "front-end team",
    "fast_track": "fast track",
    "complex_track": "standard track",
    "asset_disposal": "asset disposal",
    "records": "records centre",
    "review": "review team",
    "oversight": "oversight team",
}
TRACK_EN: Mapping[str, str] = {
    "none": "before triage",
    "fast": "fast track (simple)",
    "standard": "standard track",
    "oversight": "preservation",
}
OUTCOME_EN: Mapping[str, str] = {
    "completed": "completed",
    "zhongben": "no property for now",
    "terminated": "terminated",
    "not_enforced": "not enforced",
    "rejected": "rejected",
    "withdrawn": "withdrawn",
}


def _zh(table: Mapping[Any, str], enum: type, key: str) -> str:
    try:
        return table[enum(key)]
    except (ValueError, KeyError):
        return key


def team_zh(team: str) -> str:
    """``快执团队``."""
    return _zh(TEAM_ZH, Team, team)


def role_zh(role: str) -> str:
    """``执行员``."""
    return _zh(ROLE_ZH, Role, role)


def team_label(team: str, sep: str = " ") -> str:
    """``快执团队 fast track``."""
    return f"{_zh(TEAM_ZH, Team, team)}{sep}{TEAM_EN.get(team, team)}"


def role_label(role: str, sep: str = " ") -> str:
    """``执行员 officer``."""
    return f"{_zh(ROLE_ZH, Role, role)}{sep}{role}"


def track_label(track: str, sep: str = " ") -> str:
    """``简案（快执） fast track (simple)``."""
    return f"{_zh(TRACK_ZH, Track, track)}{sep}{TRACK_EN.get(track, track)}"


def outcome_label(outcome: str, sep: str = " ") -> str:
    """``执行完毕 completed``; 终本 is shortened to its usual name."""
    zh = "终本" if outcome == Outcome.ZHONGBEN.value else _zh(OUTCOME_ZH, Outcome, outcome)
    return f"{zh}{sep}{OUTCOME_EN.get(outcome, outcome)}"


def kpi_names(kpi: str) -> tuple[str, str, str]:
    """(Chinese, English, unit) of a registered KPI; the id for unknown ones."""
    info = KPIS.get(kpi)
    return (info.zh, info.en, info.unit) if info else (kpi, kpi, "")


def pct(value: float | None, digits: int = 1) -> str:
    """``55.6%``; ``—`` for a missing value.

    Shares are clipped to [0, 1]: a t-interval of a share can overshoot them.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * min(max(float(value), 0.0), 1.0):.{digits}f}%"


def value_text(value: float | None, unit: str) -> str:
    """A KPI value in its unit: shares as percent, days and counts with sensible digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit in SHARE_UNITS:
        return pct(value)
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
