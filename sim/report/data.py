"""Reading a results folder back: the manifest, the KPI tables, and each scenario's log.

Like opening a case file (卷宗) in the archive: the manifest says how the run
was made (resolved scenarios, seed, replications, versions, commit), the KPI
tables give the numbers, and the Parquet tables hold the event log from which
every figure is recomputed. Only this module reads files for the report, and
only once the folder matches the checksums its manifest lists
(:func:`sim.experiments.results.verify_folder`): a damaged folder is refused, not rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.errors import ScenarioError
from sim.config.load import parse_scenario
from sim.config.schema import Scenario
from sim.experiments.attribution import KPIS_FILE
from sim.experiments.results import ResultsCorruptError, verify_folder
from sim.model import build_calendar
from sim.vocab import Role, Team
from sim.workcalendar import WorkCalendar

__all__ = ["ReportDataError", "Results", "ScenarioRun", "load_results", "staff_table"]


class ReportDataError(Exception):
    """The folder is not a complete results folder (no manifest, a missing table …)."""


def _slug(label: str) -> str:
    # The same rule as sim.experiments.results._slug (file names of the per-scenario tables).
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", label)


def staff_table(scenario: Scenario) -> pd.DataFrame:
    """``team, unit, role, name`` of everyone in the scenario's staffing at the start.

    Names follow the model's log names (``team/[unit/]role/n``) so that the
    metrics can match people in the event log. Staffing changes are not applied:
    a person hired later is read from the log name by the metrics.
    """
    rows = []
    for team in Team:
        staffing = scenario.staffing.team(team)
        pools: list[tuple[str, Role, int]] = []
        if staffing.units:
            for sub_team in staffing.units:
                pools += [
                    (sub_team.name, Role.OFFICER, sub_team.officers),
                    (sub_team.name, Role.CLERK, sub_team.clerks),
                ]
        else:
            pools += [("", Role.OFFICER, staffing.officers), ("", Role.CLERK, staffing.clerks)]
        pools += [("", Role.JUDGE, staffing.judges), ("", Role.BAILIFF, staffing.bailiffs)]
        for unit, role, count in pools:
            where = f"{team.value}/{unit}/" if unit else f"{team.value}/"
            rows += [(team.value, unit, role.value, f"{where}{role.value}/{n}") for n in range(1, count + 1)]
    return pd.DataFrame(rows, columns=["team", "unit", "role", "name"])


@dataclass
class ScenarioRun:
    """One scenario of a results folder: its resolved configuration and its tables.

    The Parquet tables are read on first use; ``replication(r)`` gives one
    replication's tables without the ``replication`` column.
    """

    label: str
    scenario: Scenario
    source: str | None
    folder: Path
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @cached_property
    def calendar(self) -> WorkCalendar:
        """The working calendar the run used."""
        return build_calendar(self.scenario)

    def table(self, name: str) -> pd.DataFrame:
        """``cases``, ``slas`` or ``steps`` of every replication (with ``replication``)."""
        if name not in self._tables:
            path = self.folder / f"{_slug(self.label)}.{name}.parquet"
            if not path.is_file():
                raise ReportDataError(f"{path} is missing: run with a results folder (not --no-save)")
            self._tables[name] = pd.read_parquet(path)
        return self._tables[name]

    @cached_property
    def staff(self) -> pd.DataFrame:
        """The staff table: ``<label>.staff.parquet`` when the folder has it, else rebuilt."""
        path = self.folder / f"{_slug(self.label)}.staff.parquet"
        if path.is_file():
            frame = pd.read_parquet(path)
            return frame.drop(columns="replication", errors="ignore").drop_duplicates("name")
        return staff_table(self.scenario)

    @property
    def replications(self) -> list[int]:
        """The replication numbers present in the case table."""
        return sorted(int(r) for r in self.table("cases")["replication"].unique())

    def per_replication(self) -> Iterator[tuple[int, dict[str, pd.DataFrame]]]:
        """``(r, {"cases", "slas", "steps"[, "unfinished"]})`` for each replication, in order.

        ``unfinished`` (the work open at the end of the log) when the folder has it.
        """
        names = ["cases", "slas", "steps"]
        if (self.folder / f"{_slug(self.label)}.unfinished.parquet").is_file():
            names.append("unfinished")
        groups = {name: dict(iter(self.table(name).groupby("replication", sort=True))) for name in names}
        for rep in self.replications:
            yield (
                rep,
                {
                    name: groups[name].get(rep, self.table(name).iloc[0:0]).drop(columns="replication")
                    for name in groups
                },
            )

    @property
    def window(self) -> tuple[float, float]:
        """The counting window [warmup, horizon) in sim days."""
        return self.scenario.run.warmup_days, self.scenario.run.horizon_days

    @property
    def end(self) -> float:
        """When the log stops: horizon + cool-down (days)."""
        return self.scenario.run.horizon_days + self.scenario.run.cooldown_days


@dataclass
class Results:
    """A whole results folder."""

    folder: Path
    manifest: dict[str, Any]
    summary: pd.DataFrame  # scenario, kpi, n, mean, sd, ci_low, ci_high
    by_rep: pd.DataFrame  # scenario, replication, kpi, value
    runs: dict[str, ScenarioRun]
    attribution_kpis: pd.DataFrame | None = None  # the attributions' intermediate scenarios, as by_rep

    @property
    def labels(self) -> list[str]:
        """Scenario labels in the manifest's order."""
        return list(self.runs)

    def kpi(self, label: str, kpi: str) -> pd.Series | None:
        """The summary row (n, mean, sd, ci_low, ci_high) of ``kpi`` in ``label``, or None."""
        rows = self.summary.loc[(self.summary["scenario"] == label) & (self.summary["kpi"] == kpi)]
        return rows.iloc[0] if len(rows) else None


def load_results(folder: str | Path) -> Results:
    """Read ``folder``; raise :class:`ReportDataError` when it is not a complete results folder."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ReportDataError(f"{folder} has no manifest.json: not a (complete) results folder")
    try:
        manifest = verify_folder(folder)  # damaged or edited since written: refused, never rendered
    except ResultsCorruptError as exc:
        raise ReportDataError(str(exc)) from None
    try:
        summary = pd.read_csv(folder / "kpis_summary.csv")
        by_rep = pd.read_csv(folder / "kpis_by_rep.csv")
    except FileNotFoundError as exc:
        raise ReportDataError(f"{folder}: {exc.filename} is missing") from None
    runs = {}
    for label, entry in _listed_scenarios(manifest, manifest_path):
        try:
            scenario = parse_scenario(entry["resolved"], f"{folder}/manifest.json:{label}")
        except ScenarioError as exc:
            raise ReportDataError(f"{manifest_path}: scenario {label!r} does not validate: {exc}") from None
        runs[label] = ScenarioRun(label, scenario, entry.get("source"), folder)
    if not runs:
        raise ReportDataError(f"{manifest_path} lists no scenarios")
    inner = None
    if manifest.get("attribution"):
        try:
            inner = pd.read_csv(folder / KPIS_FILE)
        except FileNotFoundError:
            raise ReportDataError(f"{folder}: {KPIS_FILE} is missing (the manifest lists an attribution)") from None
    return Results(folder, manifest, summary, by_rep, runs, inner)


def _listed_scenarios(manifest: dict[str, Any], path: Path) -> list[tuple[str, dict[str, Any]]]:
    scenarios = manifest.get("scenarios", {})
    if not isinstance(scenarios, dict) or not all(
        isinstance(entry, dict) and "resolved" in entry for entry in scenarios.values()
    ):
        raise ReportDataError(f"{path}: 'scenarios' is not a table of label → resolved scenario")
    return list(scenarios.items())
