"""Metrics: every number the reports print, as pure functions of one run's tables.

The event log (steps, deadline clocks, cases, staff) goes in; KPI values,
deadline compliance, why deadlines were missed (:func:`why_late`), time series,
bottleneck rankings and warm-up suggestions come out. Plain pandas and numpy:
nothing here imports SimPy or the model, so a results folder that keeps the
tables can recompute every figure.

Main entry: :func:`kpi_values` (all KPIs of one run) and :func:`kpi_table`
(with their Chinese and English names, for reports). The register (:data:`KPIS`)
also says how each KPI is presented: :func:`in_order` (the order of every
listing), :func:`headline` (the short lists of :class:`View`) and :func:`levels`
(targets and reference ranges with their sources).
"""

from __future__ import annotations

from sim.metrics._common import WorkClock
from sim.metrics.bottleneck import bottlenecks, late_clock_spans
from sim.metrics.monthly import MONTHLY_VIEW_ZH, monthly_view
from sim.metrics.registry import (
    KPI,
    KPIS,
    Group,
    Level,
    ResultLike,
    RunView,
    View,
    catalogue,
    headline,
    in_order,
    in_range,
    kpi_table,
    kpi_values,
    levels,
    run_view,
)
from sim.metrics.series import MONTHLY_ZH, backlog_series, monthly_table, queue_series, stage_series
from sim.metrics.sla import SLA_NAMES, case_deadlines, due_times, limit_clocks, recompute_due, sla_compliance
from sim.metrics.utilisation import utilisation, utilisation_series
from sim.metrics.warmup import mser5, suggest_warmup_days
from sim.metrics.why_late import clock_parts, why_late
from sim.workcalendar import add_months

# Importing these registers the KPIs, in this order (the order of kpi_values).
from sim.metrics import kpis, stability, workload, comparable, ceiling  # noqa: F401  isort: skip

__all__ = [
    "KPI",
    "KPIS",
    "MONTHLY_VIEW_ZH",
    "MONTHLY_ZH",
    "SLA_NAMES",
    "Group",
    "Level",
    "ResultLike",
    "RunView",
    "View",
    "WorkClock",
    "add_months",
    "backlog_series",
    "bottlenecks",
    "case_deadlines",
    "catalogue",
    "clock_parts",
    "due_times",
    "headline",
    "in_order",
    "in_range",
    "kpi_table",
    "kpi_values",
    "late_clock_spans",
    "levels",
    "limit_clocks",
    "monthly_table",
    "monthly_view",
    "mser5",
    "queue_series",
    "recompute_due",
    "run_view",
    "sla_compliance",
    "stage_series",
    "suggest_warmup_days",
    "utilisation",
    "utilisation_series",
    "why_late",
]
