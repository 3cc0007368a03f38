"""The KPI register: every indicator once, with its Chinese and English names.

Like the index page of a court's 质效指标 report: an id that scripts use, the
label that reports print, the unit, which direction is better, the definition
with its source, and the function that computes it from one run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol

import pandas as pd

from sim.config.schema import Scenario
from sim.metrics.sla import limit_clocks
from sim.metrics.utilisation import utilisation
from sim.vocab import ROLE_ZH, TEAM_ZH
from sim.workcalendar import WorkCalendar

__all__ = [
    "KPI",
    "KPIS",
    "ResultLike",
    "RunView",
    "kpi_table",
    "kpi_values",
    "register",
    "run_view",
    "utilisation_id",
    "utilisation_kpi",
]

Better = Literal["higher", "lower", "none"]


class ResultLike(Protocol):
    """What the KPIs read: a :class:`sim.model.RunResult` or anything shaped like it."""

    steps: pd.DataFrame
    slas: pd.DataFrame
    cases: pd.DataFrame
    staff: pd.DataFrame
    meta: Mapping[str, Any]


@dataclass(frozen=True)
class RunView:
    """One run as the KPI functions see it: the tables, the window and the rules.

    ``warmup`` and ``horizon`` bound the counting window [warmup, horizon) in sim
    days; ``end`` is when the log stops (horizon + cool-down). Derived tables are
    computed once, on first use.
    """

    steps: pd.DataFrame
    slas: pd.DataFrame
    cases: pd.DataFrame
    staff: pd.DataFrame
    scenario: Scenario
    calendar: WorkCalendar
    warmup: float
    horizon: float
    end: float

    @cached_property
    def counted(self) -> pd.DataFrame:
        """Cases filed in [warmup, horizon): the cases the KPIs count."""
        return self.cases.loc[self.cases["counted"]]

    @cached_property
    def closed(self) -> pd.DataFrame:
        """Counted cases closed by the end of the log (any outcome)."""
        return self.counted.loc[self.counted["outcome"] != ""]

    @cached_property
    def limits(self) -> pd.DataFrame:
        """The 6-month limit clocks of the counted cases (:func:`sim.metrics.sla.limit_clocks`)."""
        return limit_clocks(self.slas, self.counted, self.scenario, self.calendar)

    @cached_property
    def utilisation(self) -> pd.DataFrame:
        """Utilisation per team × role over the window (see :func:`sim.metrics.utilisation`)."""
        return utilisation(self.steps, self.staff, self.calendar, (self.warmup, self.horizon))

    @property
    def window_days(self) -> float:
        """Length of the counting window, days."""
        return self.horizon - self.warmup


@dataclass(frozen=True)
class KPI:
    """One indicator: ``func`` maps a :class:`RunView` to a float (NaN when undefined)."""

    id: str
    zh: str
    en: str
    unit: str
    definition: str
    better: Better
    func: Callable[[RunView], float] = field(repr=False, compare=False)


KPIS: dict[str, KPI] = {}
"""Every registered KPI by id (filled when :mod:`sim.metrics` is imported)."""


def register(
    id: str, zh: str, en: str, unit: str, better: Better, definition: str
) -> Callable[[Callable[[RunView], float]], Callable[[RunView], float]]:
    """Decorator: register the decorated function as KPI ``id``."""

    def add(func: Callable[[RunView], float]) -> Callable[[RunView], float]:
        if id in KPIS:
            raise ValueError(f"KPI {id!r} is registered twice")
        KPIS[id] = KPI(id, zh, en, unit, definition, better, func)
        return func

    return add


def utilisation_id(team: str, role: str) -> str:
    """The KPI id of the utilisation of ``role`` in ``team``: ``util_<team>_<role>``."""
    return f"util_{team}_{role}"


def utilisation_kpi(team: str, role: str, func: Callable[[RunView], float]) -> KPI:
    """The register entry of one team × role utilisation."""
    team_zh = TEAM_ZH.get(team, team)  # type: ignore[call-overload]  # StrEnum keys match plain str
    role_zh = ROLE_ZH.get(role, role)  # type: ignore[call-overload]
    return KPI(
        utilisation_id(team, role),
        f"利用率·{team_zh}·{role_zh}",
        f"utilisation, {team} {role}",
        "share",
        "Busy working hours (task effort inside [warmup, horizon)) ÷ head-count × "
        "working hours of the official calendar in the window. DOMAIN.md §6 (利用率).",
        "none",
        func,
    )


def kpi_table(values: Mapping[str, float]) -> pd.DataFrame:
    """``id, zh, en, unit, better, value`` for each KPI in ``values`` (in the given order)."""
    rows = []
    for kpi_id, value in values.items():
        kpi = KPIS.get(kpi_id)
        zh, en, unit, better = (kpi.zh, kpi.en, kpi.unit, kpi.better) if kpi else (kpi_id, kpi_id, "", "none")
        rows.append(
            {
                "id": kpi_id,
                "zh": zh,
                "en": en,
                "unit": unit,
                "better": better,
                "value": float(value) if value is not None else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=["id", "zh", "en", "unit", "better", "value"])


def run_view(result: ResultLike, scenario: Scenario, calendar: WorkCalendar) -> RunView:
    """Wrap a run's tables with its counting window (from ``meta``, else the scenario)."""
    run, meta = scenario.run, result.meta
    warmup = float(meta.get("warmup_days", run.warmup_days))
    horizon = float(meta.get("horizon_days", run.horizon_days))
    end = float(meta.get("end_days", horizon + run.cooldown_days))
    return RunView(
        result.steps,
        result.slas,
        result.cases,
        result.staff,
        scenario,
        calendar,
        warmup,
        horizon,
        end,
    )


def kpi_values(result: ResultLike, scenario: Scenario, calendar: WorkCalendar) -> dict[str, float]:
    """Every registered KPI of one run, by id; NaN where a KPI is undefined.

    Utilisation KPIs (``util_<team>_<role>``) are given for the team × role
    pairs present in the staff table.
    """
    view = run_view(result, scenario, calendar)
    values = {k.id: float(k.func(view)) for k in KPIS.values() if not k.id.startswith("util_")}
    table = view.utilisation
    for team, role, share in zip(table["team"], table["role"], table["utilisation"], strict=True):
        values[utilisation_id(str(team), str(role))] = float(share)
    return values
