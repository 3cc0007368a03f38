"""The KPI register: every indicator once, with its names and how reports present it.

Like the index page of a court's 质效指标 report: an id that scripts use, the
label that reports print, the unit, which direction is better, the definition
with its source, the function that computes it from one run, and its place in
the report: the group and position it is listed at, the short lists (views) it
is a headline of, and the target or reference range it is held against.

This register is the only place that says which KPI is printed where and in
what order: the ``courtsim`` tables, the run, comparison and sweep reports and
their verdicts all ask it (:func:`in_order`, :func:`headline`, :func:`levels`).
A new KPI is one ``@register(...)`` in a metrics module; see docs/report.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
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
    "Group",
    "Level",
    "ResultLike",
    "RunView",
    "View",
    "catalogue",
    "headline",
    "in_order",
    "in_range",
    "kpi_table",
    "kpi_values",
    "levels",
    "missing_reason",
    "register",
    "run_view",
    "utilisation_id",
    "utilisation_kpi",
]

Better = Literal["higher", "lower", "none"]


class Group(StrEnum):
    """The groups every KPI listing is made of, in reading order.

    A listing (the run report's indicator table, ``courtsim compare``, the
    comparison report) shows the groups in this order and, within a group, the
    KPIs by their ``position``.
    """

    FAST45 = "fast45"  # 简案45日内结案: 方案 三(二)1
    LIMIT = "limit"  # the 6-month limit (审限)
    OUTCOME = "outcome"  # how cases end and the money recovered
    TIME = "time"  # days to close
    LOAD = "load"  # throughput and open cases per officer, the backlog
    STABILITY = "stability"  # is the court keeping up
    VOLUME = "volume"  # cases received and closed
    UTILISATION = "utilisation"  # util_<team>_<role>, generated for every team × role


class View(StrEnum):
    """The short lists: places that show some KPIs, not all (a KPI's ``headline`` views).

    Every KPI is in the full listings whatever its views: the indicator tables of
    the run and comparison reports, ``courtsim compare``, ``--json`` and the CSVs.
    """

    TERMINAL = "terminal"  # ``courtsim run`` prints these, then utilisation; ``courtsim compare`` lists them first
    FOCUS = "focus"  # the comparison report's figure of the main indicators
    SWEEP = "sweep"  # ``courtsim sweep`` prints these when no --kpi is given
    SWEEP_REPORT = "sweep_report"  # the sweep report's figure and table
    APP = "app"  # the what-if page's verdict table and paired comparison (``courtsim app``)
    STATUTE = "statute"  # the run report's statute-versus-plan table: the 45-day rate by outcome


@dataclass(frozen=True)
class Level:
    """The level a report holds a KPI against, with its source.

    A *target* (目标) is a level the court is asked to reach; the report judges it
    from the 95% interval (met / not met / uncertain). A *reference range* (参考区间)
    is what comparable courts publish: a plausibility check of the model, judged
    from the mean (inside / above / below), not a goal. ``low`` and ``high`` are in
    the KPI's unit (shares as fractions); either may be open.
    """

    kind: Literal["target", "reference"]
    low: float | None
    high: float | None
    source: str

    def __post_init__(self) -> None:
        if self.kind not in ("target", "reference"):
            raise ValueError(f"a level's kind is 'target' or 'reference', got {self.kind!r}")
        if self.low is None and self.high is None:
            raise ValueError("a level needs a low or a high bound (or both)")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"a level's low bound must be below its high bound, got {self.low!r}–{self.high!r}")
        if not self.source.strip():
            raise ValueError("a level needs its source (who asks for it, or who publishes it)")

    def label(self, percent: bool) -> str:
        """``≥ 90%``, ``≤ 100``, ``40%–50%``."""

        def show(v: float) -> str:
            return f"{100 * v:.0f}%" if percent else f"{v:g}"

        if self.low is not None and self.high is not None:
            return f"{show(self.low)}–{show(self.high)}"
        if self.low is not None:
            return f"≥ {show(self.low)}"
        return f"≤ {show(self.high)}" if self.high is not None else ""


class ResultLike(Protocol):
    """What the KPIs read: a :class:`sim.model.RunResult` or anything shaped like it."""

    @property
    def steps(self) -> pd.DataFrame: ...
    @property
    def slas(self) -> pd.DataFrame: ...
    @property
    def cases(self) -> pd.DataFrame: ...
    @property
    def staff(self) -> pd.DataFrame: ...
    @property
    def meta(self) -> Mapping[str, Any]: ...


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
    """One indicator: ``func`` maps a :class:`RunView` to a float (NaN when undefined).

    Presentation: listings show it in ``group`` at ``position`` (ties, as among the
    utilisation KPIs, by id); ``headline`` is the set of short lists (:class:`View`)
    that show it; ``level`` is its target or reference range, if it has one.
    """

    id: str
    zh: str
    en: str
    unit: str
    definition: str
    better: Better
    func: Callable[[RunView], float] = field(repr=False, compare=False)
    group: Group
    position: int
    headline: frozenset[View] = frozenset()
    level: Level | None = None
    closed_only: bool = False
    """Computed over closed cases only: a mean that misleads when the backlog grows."""

    @property
    def sort_key(self) -> tuple[int, int, str]:
        """Where listings put it: group, then position, then id."""
        return (_GROUPS.index(self.group), self.position, self.id)


_GROUPS = list(Group)

KPIS: dict[str, KPI] = {}
"""Every registered KPI by id (filled when :mod:`sim.metrics` is imported).

Its order is the order of registration, which is the order of :func:`kpi_values`
and of the KPI tables in a results folder; the order reports list KPIs in is
:func:`in_order`.
"""


def register(
    id: str,
    zh: str,
    en: str,
    unit: str,
    better: Better,
    definition: str,
    *,
    group: Group,
    position: int,
    headline: bool | Iterable[View] = False,
    level: Level | None = None,
    closed_only: bool = False,
) -> Callable[[Callable[[RunView], float]], Callable[[RunView], float]]:
    """Decorator: register the decorated function as KPI ``id``.

    ``group`` and ``position`` place it in every listing (two KPIs of a group may
    not share a position). ``headline`` names the short lists that show it:
    ``True`` means :attr:`View.TERMINAL` (``courtsim run`` prints it), or give the
    views. ``level``: the target or reference range the reports judge it against.
    ``closed_only``: the KPI is a share or mean over closed cases although its group is not
    (the time and outcome groups are so by definition; :func:`sim.metrics.stability.closed_case_kpi`).
    """
    if not isinstance(group, Group):
        raise ValueError(f"KPI {id!r}: group must be a sim.metrics.Group member, got {group!r}")
    views = frozenset({View.TERMINAL} if headline is True else () if headline is False else headline)
    unknown = [v for v in views if not isinstance(v, View)]
    if unknown:
        raise ValueError(f"KPI {id!r}: headline views must be sim.metrics.View members, got {unknown!r}")

    def add(func: Callable[[RunView], float]) -> Callable[[RunView], float]:
        if id in KPIS:
            raise ValueError(f"KPI {id!r} is registered twice")
        taken = [k.id for k in KPIS.values() if k.group is group and k.position == position]
        if taken:
            raise ValueError(f"KPI {id!r}: position {position} of group {group.value!r} is {taken[0]!r}'s")
        KPIS[id] = KPI(id, zh, en, unit, definition, better, func, group, position, views, level, closed_only)
        return func

    return add


def _key(kpi_id: str) -> tuple[int, int, str]:
    kpi = KPIS.get(kpi_id)
    return kpi.sort_key if kpi else (len(_GROUPS), 0, "")


def in_order(ids: Iterable[str]) -> list[str]:
    """``ids`` in the order every listing shows KPIs: by group, position, id.

    Ids that are not registered (a results folder of another version) follow,
    in the order given.
    """
    return sorted(dict.fromkeys(ids), key=_key)  # sorted is stable: unknown ids keep their order


def headline(view: View, among: Iterable[str] | None = None) -> list[str]:
    """The KPIs ``view`` shows, in listing order; only those in ``among`` if given."""
    ids = KPIS if among is None else among
    return [k for k in in_order(ids) if k in KPIS and view in KPIS[k].headline]


def levels(among: Iterable[str] | None = None) -> dict[str, Level]:
    """The target or reference range of every KPI that has one, by id, in listing order."""
    ids = KPIS if among is None else among
    return {k: level for k in in_order(ids) if k in KPIS and (level := KPIS[k].level) is not None}


SHARE_UNITS = ("share", "rate", "%")
"""Units of KPIs that are fractions of a whole: their values lie in [0, 1]."""


def missing_reason(kpi_id: str) -> str:
    """Why a KPI has no value in any replication, bilingual, for every listing that shows it.

    A KPI is NaN when what it divides by or averages over is empty: no counted case
    closed (a court swamped by its filings closes none in a short window), none reached
    the track or outcome it is about, or no staff of that kind. The listings print the
    KPI as missing with this reason instead of leaving it out (issue 18 item 12).
    """
    info = KPIS.get(kpi_id)
    if info is not None and info.closed_only:
        return "缺失：各次重复中均无已结案件 missing: no counted case closed in any replication"
    return "缺失：各次重复中均无可计数的对象 missing: nothing to count in any replication (its denominator is 0)"


def in_range(kpi_id: str, value: float) -> float:
    """An interval bound of ``kpi_id`` as it is shown: a share's clipped to [0, 1].

    A Student-t interval of a mean of shares can reach past 0 or 1 when the
    replications agree closely near either end (a 45-day rate of 0.0% in every
    replication but one); the true value cannot, so every place that shows an
    interval (terminal, ``--json``, the reports through
    :func:`sim.report.labels.pct`) shows the t-interval intersected with [0, 1]
    (docs/experiments.md). The statistics themselves keep the t-interval (its
    half-width decides how many replications are enough).
    """
    kpi = KPIS.get(kpi_id)
    if kpi is None or kpi.unit not in SHARE_UNITS or math.isnan(value):
        return value
    return min(max(value, 0.0), 1.0)


def catalogue() -> pd.DataFrame:
    """The register as a table, in listing order: names, unit, direction, group, position,
    headline views, level (kind, low, high, source) and definition of every KPI."""
    rows = []
    for kpi_id in in_order(KPIS):
        k = KPIS[kpi_id]
        rows.append(
            {
                "id": k.id,
                "zh": k.zh,
                "en": k.en,
                "unit": k.unit,
                "better": k.better,
                "group": k.group.value,
                "position": k.position,
                "headline": ",".join(v.value for v in View if v in k.headline),
                "level": k.level.kind if k.level else "",
                "low": k.level.low if k.level and k.level.low is not None else math.nan,
                "high": k.level.high if k.level and k.level.high is not None else math.nan,
                "level_source": k.level.source if k.level else "",
                "definition": k.definition,
            }
        )
    return pd.DataFrame(rows)


def utilisation_id(team: str, role: str) -> str:
    """The KPI id of the utilisation of ``role`` in ``team``: ``util_<team>_<role>``."""
    return f"util_{team}_{role}"


def utilisation_kpi(team: str, role: str, func: Callable[[RunView], float]) -> KPI:
    """The register entry of one team × role utilisation.

    The presentation rule of the generated KPIs: all in :attr:`Group.UTILISATION`
    (listed last) at position 0, so that they list by id; no headline views
    (``courtsim run`` prints the whole group after its headline KPIs, and the run
    report draws them in its utilisation section rather than its indicator table);
    no level.
    """
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
        Group.UTILISATION,
        0,
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
    values = {k.id: float(k.func(view)) for k in KPIS.values() if k.group is not Group.UTILISATION}
    table = view.utilisation
    for team, role, share in zip(table["team"], table["role"], table["utilisation"], strict=True):
        values[utilisation_id(str(team), str(role))] = float(share)
    return values
