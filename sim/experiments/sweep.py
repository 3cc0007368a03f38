"""Sweeps: one or two scenario parameters over a list of values, a tidy table out.

Like trying a court's plan at 6,000, 6,500 and 7,000 filings a year with 4 or 6
fast-track officers, a sweep runs every combination of the values (a grid) under
common random numbers and returns one row per grid point and KPI, with the
parameter values as columns: ready for ``pivot`` or a plot.

Values are read as TOML scalars (``6000``, ``0.5``, ``true``, ``"fcfs"``; a bare
word is taken as a string). Every grid point is built and validated before
anything runs, so a misspelt path or a bad value fails at once, naming the path.
A change to the officers or clerks of a team with units (the 精执 teams) spreads
the difference over the units (see :func:`sim.experiments.staffing_search.unit_overrides`).
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.experiments.staffing_search import unit_overrides
from sim.experiments.statistics import summarise
from sim.experiments.types import Evaluate

__all__ = ["grid", "parse_set", "parse_value", "sweep"]


def parse_value(text: str) -> Any:
    """A TOML scalar (number, boolean, quoted string, date); a bare word stays a string."""
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_set(text: str) -> tuple[str, list[Any]]:
    """``"arrivals.cases_per_year=6000,6500"`` → ``("arrivals.cases_per_year", [6000, 6500])``."""
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path or not values.strip():
        raise ValueError(f"--set {text!r}: expected PATH=V1,V2,... (e.g. arrivals.cases_per_year=6000,7000)")
    parsed = [parse_value(v) for v in values.split(",") if v.strip()]
    return path, parsed


def grid(scenario: Scenario, parameters: Mapping[str, Sequence[Any]]) -> dict[str, tuple[dict[str, Any], Scenario]]:
    """Every combination of the values: label → (the values, the validated scenario).

    Raises ``ScenarioError`` (whose problems name the path and list the valid
    keys) on the first grid point that is not a valid scenario.
    """
    if not 1 <= len(parameters) <= 2:
        raise ValueError(f"a sweep takes one or two parameters (got {len(parameters)})")
    for path, options in parameters.items():
        if not options:
            raise ValueError(f"{path}: no values to sweep")
    points: dict[str, tuple[dict[str, Any], Scenario]] = {}
    for combo in itertools.product(*parameters.values()):
        values = dict(zip(parameters, combo, strict=True))
        label = ",".join(f"{path}={value}" for path, value in values.items())
        points[label] = (values, with_overrides(scenario, {**values, **unit_overrides(scenario, values)}))
    return points


def sweep(
    scenario: Scenario, parameters: Mapping[str, Sequence[Any]], evaluate: Evaluate, reps: int, level: float = 0.95
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the grid; return (tidy summary, long per-replication KPIs).

    The summary has the parameter paths as columns, then ``kpi, n, mean, sd,
    ci_low, ci_high``; the per-replication table adds them to ``scenario,
    replication, kpi, value``.
    """
    points = grid(scenario, parameters)
    kpis = evaluate({label: s for label, (_, s) in points.items()}, reps)
    columns = pd.DataFrame([{"scenario": label, **values} for label, (values, _) in points.items()])
    summary = columns.merge(summarise(kpis, level), on="scenario").drop(columns="scenario")
    return summary, columns.merge(kpis, on="scenario")
