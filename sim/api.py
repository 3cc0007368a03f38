"""The notebook API: the ``courtsim`` commands as functions that return pandas tables.

Like the command line without the printing: load a scenario, run it, compare
scenarios pair by pair, sweep parameters, find the load that breaks a target,
search for a staffing. Every function takes a :class:`Scenario` or a path, runs
its replications under common random numbers (replication ``r`` of every
scenario sees the same cases) and never prints; progress goes to a callback
if one is given. Example::

    from sim import api
    base = api.load("scenarios/dengzhou_2022.toml")
    api.compare(base, "scenarios/fast_plus2.toml", reps=20)      # paired differences
    api.attribute("scenarios/pre_reform.toml", base, reps=5).effects  # the difference, part by part
    api.sweep(base, {"arrivals.cases_per_year": [6000, 7000]}, reps=5)
    api.capacity(base, "within_limit_rate>=0.95").evaluations
    api.staff(base, ["fast45_rate>=0.6"], add=2).staffing_table()

``jobs`` (0 = all cores) and ``scheduler`` (``"local"`` or ``"tcp://HOST:PORT"``
for Dask) choose where replications run; results do not depend on them.
``cache`` (a folder) keeps finished replications across calls and sessions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.load import load_scenario
from sim.config.schema import Scenario
from sim.experiments.attribution import AttributionResult, effects, plan_attribution
from sim.experiments.backends import Backend, make_backend
from sim.experiments.cache import ReplicationCache
from sim.experiments.load_search import CapacityResult, find_capacity
from sim.experiments.running import Evaluator, run_experiment
from sim.experiments.staffing_search import StaffResult, search_staffing
from sim.experiments.statistics import paired_differences, replications_needed, welch_differences
from sim.experiments.sweep import sweep as _sweep
from sim.experiments.types import ExperimentResult, Progress, Target, parse_target
from sim.metrics import KPI, KPIS, catalogue
from sim.metrics.registry import utilisation_kpi
from sim.vocab import Role, Team

__all__ = [
    "attribute",
    "capacity",
    "case_table",
    "compare",
    "comparison_table",
    "experiment",
    "kpi_catalogue",
    "kpi_info",
    "load",
    "precision",
    "run",
    "staff",
    "sweep",
    "with_names",
]

ScenarioLike = Scenario | str | Path


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file (``ScenarioError`` lists every problem)."""
    return load_scenario(path)


def _scenario(item: ScenarioLike) -> Scenario:
    return item if isinstance(item, Scenario) else load_scenario(item)


@contextmanager
def _session(
    seed: int | None, jobs: int, scheduler: str | None, cache: str | Path | None, progress: Progress | None
) -> Any:
    with make_backend(jobs, scheduler) as backend:
        yield Evaluator(seed, backend=backend, cache=ReplicationCache(cache), progress=progress)


def experiment(
    scenarios: Mapping[str, ScenarioLike] | Sequence[ScenarioLike],
    reps: int | None = None,
    *,
    seed: int | None = None,
    jobs: int = 0,
    scheduler: str | None = None,
    cache: str | Path | None = None,
    keep_runs: bool = False,
    progress: Progress | None = None,
    backend: Backend | None = None,
) -> ExperimentResult:
    """Run scenarios (a list, labelled by their names, or a label → scenario mapping) under CRN.

    ``reps`` defaults to the first scenario's ``run.replications``. The result's
    ``kpis`` is the long table (scenario, replication, kpi, value);
    ``summary()`` gives means and t-intervals.
    """
    items = scenarios.items() if isinstance(scenarios, Mapping) else [(None, s) for s in scenarios]
    resolved: dict[str, Scenario] = {}
    for label, item in items:
        scenario = _scenario(item)
        key = label or scenario.name
        if key in resolved:
            raise ValueError(f"two scenarios are labelled {key!r}; pass a mapping with distinct labels")
        resolved[key] = scenario
    reps = reps or next(iter(resolved.values())).run.replications
    store = ReplicationCache(cache)
    if backend is not None:
        return run_experiment(
            resolved, reps, seed, keep_runs=keep_runs, progress=progress, backend=backend, cache=store
        )
    with make_backend(jobs, scheduler) as own:
        return run_experiment(resolved, reps, seed, keep_runs=keep_runs, progress=progress, backend=own, cache=store)


def run(scenario: ScenarioLike, reps: int | None = None, *, level: float = 0.95, **options: Any) -> pd.DataFrame:
    """Every KPI of one scenario: ``kpi, zh, en, unit, better, n, mean, sd, ci_low, ci_high``.

    ``options``: ``seed, jobs, scheduler, cache, progress`` as in :func:`experiment`.
    """
    result = experiment([_scenario(scenario)], reps, **options)
    return with_names(result.summary(level).drop(columns="scenario"))


def case_table(scenario: ScenarioLike, reps: int | None = None, **options: Any) -> pd.DataFrame:
    """The case table of each replication: one row per case (a ``replication`` column), with
    ``due_<deadline>`` and ``met_<deadline>`` for the 22 deadlines beside type, track,
    handler, dates, outcome and amounts. ``options`` as for :func:`experiment`."""
    resolved = _scenario(scenario)
    result = experiment({resolved.name: resolved}, reps, keep_runs=True, **options)
    return result.case_table(resolved.name)


def precision(
    scenario: ScenarioLike,
    kpi: str,
    half_width: float,
    reps: int | None = None,
    *,
    level: float = 0.95,
    relative: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """Replications needed for ``kpi``'s interval to be ``± half_width`` (after ``reps`` runs).

    See :func:`sim.experiments.statistics.replications_needed` for the method; rerun with the
    advised number (and a ``cache``) until ``enough`` is true.
    """
    result = experiment([_scenario(scenario)], reps, **options)
    return replications_needed(result.kpis, kpi, half_width, level, relative=relative)


def compare(
    base: ScenarioLike, *others: ScenarioLike, reps: int | None = None, level: float = 0.95, **options: Any
) -> pd.DataFrame:
    """Each other scenario minus ``base``, replication by replication (common random numbers).

    One row per (scenario, KPI): the two means, ``mean_diff`` with its paired
    t-interval, ``significant``, ``verdict`` (better / worse / changed / no
    significant difference, from the KPI's direction) and ``welch_half_width``,
    the half-width the same runs would give compared as independent samples.
    """
    if not others:
        raise ValueError("compare needs at least one scenario besides the base")
    scenarios = [_scenario(base), *(_scenario(o) for o in others)]
    result = experiment(scenarios, reps, **options)
    return comparison_table(result, scenarios[0].name, level)


def attribute(
    base: ScenarioLike,
    other: ScenarioLike,
    reps: int | None = None,
    *,
    parts: Mapping[str, Sequence[str]] | None = None,
    shapley: bool | None = None,
    level: float = 0.95,
    **options: Any,
) -> AttributionResult:
    """``other − base`` taken apart into its parts, every intermediate court on the same cases.

    The parts are the groups of the scenario that differ (each sub-table of a group of
    mechanisms such as ``[reform]`` its own part), or those named in ``parts``
    (``{"triage": ["policy.triage"]}``, in waterfall order). Every scenario needed is
    built and validated before anything runs; a part that cannot be switched alone is
    grouped with the fewest others and says why (:mod:`sim.experiments.attribution`).
    ``shapley`` (``None``: when there are at most 4 parts) adds Shapley values.

    The result's ``effects`` is the tidy table (kpi, method, order, part, n, mean, sd,
    ci_low, ci_high, significant, level_after; :func:`with_names` adds the KPIs' names),
    ``waterfall(kpi)`` one KPI's steps, ``parts_table()`` the parts and their fields, and
    ``kpis`` every scenario's KPIs per replication. ``options`` as for :func:`experiment`.
    """
    plan = plan_attribution(_scenario(base), _scenario(other), parts, shapley=shapley)
    result = experiment(plan.scenarios, reps, **options)
    return AttributionResult(plan.design, result.kpis, effects(plan.design, result.kpis, level))


def comparison_table(result: ExperimentResult, base: str, level: float = 0.95) -> pd.DataFrame:
    """The :func:`compare` table of an experiment already run.

    A KPI that one of the two scenarios does not define (no value in any replication, e.g.
    the fast-track rates of a court without a fast track) keeps its row: ``n`` is 0, the
    difference NaN, and ``verdict`` says ``only in base``, ``only in other`` or ``not defined``.
    """
    paired = _with_undefined(paired_differences(result.kpis, base, level), result.kpis, base)
    welch = welch_differences(result.kpis, base, level)
    welch = welch.assign(welch_half_width=(welch["ci_high"] - welch["ci_low"]) / 2)
    means = result.summary(level).set_index(["scenario", "kpi"])["mean"]
    table = paired.merge(welch[["scenario", "kpi", "welch_half_width"]], on=["scenario", "kpi"], how="left")
    table.insert(4, "base_mean", [means.get((base, k)) for k in table["kpi"]])
    table.insert(5, "mean", [means.get((s, k)) for s, k in zip(table["scenario"], table["kpi"], strict=True)])
    table = with_names(table)
    table["verdict"] = [_verdict(r.better, r.significant, r.mean_diff, r.base_mean, r.mean) for r in table.itertuples()]
    return table


def _with_undefined(paired: pd.DataFrame, kpis: pd.DataFrame, base: str) -> pd.DataFrame:
    """Rows (n = 0) for the KPIs of base or other that have no pair of values."""
    present = kpis.groupby("scenario", sort=False)["kpi"].unique()
    rows = []
    for other in [s for s in present.index if s != base]:
        have = set(paired.loc[paired["scenario"] == other, "kpi"])
        listed = dict.fromkeys([*present.get(base, []), *present[other]])
        rows += [
            {
                "scenario": other,
                "base": base,
                "kpi": k,
                "n": 0,
                "mean_diff": math.nan,
                "ci_low": math.nan,
                "ci_high": math.nan,
                "significant": False,
            }
            for k in listed
            if k not in have
        ]
    return pd.concat([paired, pd.DataFrame(rows, columns=paired.columns)], ignore_index=True) if rows else paired


def _verdict(better: str, significant: bool, diff: float, base_mean: float = 0.0, mean: float = 0.0) -> str:
    if pd.isna(base_mean) and pd.isna(mean):
        return "not defined"
    if pd.isna(base_mean) or pd.isna(mean):
        return "only in other" if pd.isna(base_mean) else "only in base"
    if not significant:
        return "no significant difference"
    if better == "none":
        return "changed"
    return "better" if (diff > 0) == (better == "higher") else "worse"


def sweep(
    scenario: ScenarioLike,
    parameters: Mapping[str, Sequence[Any]],
    reps: int | None = None,
    *,
    level: float = 0.95,
    seed: int | None = None,
    jobs: int = 0,
    scheduler: str | None = None,
    cache: str | Path | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """One or two dotted paths over their values: a tidy table (the paths as columns, then
    ``kpi, zh, en, unit, better, n, mean, sd, ci_low, ci_high``)."""
    base = _scenario(scenario)
    with _session(seed, jobs, scheduler, cache, progress) as evaluate:
        summary, _ = _sweep(base, parameters, evaluate, reps or base.run.replications, level)
    return with_names(summary)


def capacity(
    scenario: ScenarioLike,
    target: str | Target = "fast45_rate>=0.9",
    *,
    confidence: float = 0.95,
    reps: int = 5,
    low: float = 0.25,
    high: float = 3.0,
    step: float = 1.5,
    tol: float = 0.1,
    seed: int | None = None,
    jobs: int = 0,
    scheduler: str | None = None,
    cache: str | Path | None = None,
    progress: Progress | None = None,
) -> CapacityResult:
    """The highest arrival multiplier at which ``target`` holds with ``confidence``.

    Returns a :class:`sim.experiments.load_search.CapacityResult`: ``multiplier``,
    ``cases_per_year``, ``bracket``, ``conclusion`` and ``evaluations`` (a table
    of every load tried: multiplier, cases_per_year, n, mean, bound, holds).
    """
    goal = parse_target(target) if isinstance(target, str) else target
    with _session(seed, jobs, scheduler, cache, progress) as evaluate:
        return find_capacity(
            _scenario(scenario),
            goal,
            evaluate,
            confidence=confidence,
            reps=reps,
            low=low,
            high=high,
            step=step,
            tol=tol,
        )


def staff(
    scenario: ScenarioLike,
    targets: Sequence[str | Target],
    *,
    add: int | None = None,
    redistribute: str | None = None,
    reps: int = 3,
    top_k: int = 3,
    check_reps: int = 6,
    confidence: float = 0.95,
    max_moves: int = 4,
    seed: int | None = None,
    jobs: int = 0,
    scheduler: str | None = None,
    cache: str | Path | None = None,
    progress: Progress | None = None,
) -> StaffResult:
    """The smallest staffing meeting every target: add up to ``add`` people, or move ``redistribute`` staff.

    Returns a :class:`sim.experiments.staffing_search.StaffResult`: ``staffing_table()``,
    ``path`` (the accepted steps), ``explored`` (every candidate tried),
    ``checks`` (the finalists with ``check_reps``), ``met`` and ``conclusion``.
    """
    goals = [parse_target(t) if isinstance(t, str) else t for t in targets]
    if not goals:
        raise ValueError("give at least one target, e.g. 'fast45_rate>=0.9'")
    with _session(seed, jobs, scheduler, cache, progress) as evaluate:
        return search_staffing(
            _scenario(scenario),
            goals,
            evaluate,
            add=add,
            redistribute=redistribute,
            reps=reps,
            top_k=top_k,
            check_reps=check_reps,
            confidence=confidence,
            max_moves=max_moves,
        )


def kpi_catalogue() -> pd.DataFrame:
    """Every KPI in the order reports list them: names, unit, direction, group, position,
    headline views, target or reference range with its source, and definition."""
    return catalogue()


def kpi_info(kpi: str) -> KPI | None:
    """The register entry of ``kpi``, utilisation ids (``util_<team>_<role>``) included."""
    if kpi in KPIS:
        return KPIS[kpi]
    for team in Team:
        prefix = f"util_{team.value}_"
        if kpi.startswith(prefix) and kpi[len(prefix) :] in {r.value for r in Role}:
            return utilisation_kpi(team.value, kpi[len(prefix) :], lambda view: float("nan"))
    return None


def with_names(table: pd.DataFrame) -> pd.DataFrame:
    """Insert the KPI's Chinese and English names, unit and direction after ``kpi``."""
    info = [kpi_info(k) for k in table["kpi"]]
    at = list(table.columns).index("kpi") + 1
    table.insert(at, "zh", [i.zh if i else k for i, k in zip(info, table["kpi"], strict=True)])
    table.insert(at + 1, "en", [i.en if i else k for i, k in zip(info, table["kpi"], strict=True)])
    table.insert(at + 2, "unit", [i.unit if i else "" for i in info])
    table.insert(at + 3, "better", [i.better if i else "none" for i in info])
    return table
