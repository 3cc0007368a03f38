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
    api.marginal(base, reps=3).ranking("fast45_rate")           # the bottleneck by effect

``jobs`` (0 = all cores) and ``scheduler`` (``"local"`` or ``"tcp://HOST:PORT"``
for Dask) choose where replications run; results do not depend on them.
``cache`` (a folder) keeps finished replications across calls and sessions.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sim import frames
from sim.config.load import load_scenario
from sim.config.schema import Scenario
from sim.experiments.attribution import AttributionResult, effects, plan_attribution
from sim.experiments.backends import Backend, make_backend
from sim.experiments.cache import ReplicationCache
from sim.experiments.levers import LeverResult, search_levers
from sim.experiments.load_search import CapacityResult, find_capacity
from sim.experiments.marginal import MarginalResult, marginal_staffing
from sim.experiments.running import Evaluator, run_experiment
from sim.experiments.running import check_reps as _check_reps  # staff() has a check_reps argument
from sim.experiments.sensitivity import Analysis, CourtModel, analyse
from sim.experiments.staffing_search import DEFAULT_CHECK_REPS, DEFAULT_REPS, StaffResult, search_staffing
from sim.experiments.statistics import paired_differences, replications_needed, t_quantile, welch_differences
from sim.experiments.sweep import sweep as _sweep
from sim.experiments.types import ExperimentResult, Progress, Target, parse_target
from sim.metrics import KPI, KPIS, catalogue, monthly_view
from sim.metrics import why_late as metrics_why_late
from sim.metrics.registry import utilisation_kpi
from sim.metrics.series import SERIES, tidy_series
from sim.metrics.warmup import WarmupCheck, warmup_check
from sim.model import build_calendar
from sim.vocab import Role, Team

__all__ = [
    "attribute",
    "capacity",
    "case_table",
    "compare",
    "comparison_table",
    "convergence_plot",
    "experiment",
    "kpi_catalogue",
    "kpi_info",
    "levers",
    "load",
    "marginal",
    "monthly",
    "precision",
    "run",
    "sensitivity",
    "series",
    "staff",
    "sweep",
    "uncertain_parameters",
    "warmup",
    "why_late",
    "with_names",
]

ScenarioLike = Scenario | str | Path


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file (``ScenarioError`` lists every problem)."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be the path of a scenario file (got {_short(repr(path))})")
    return load_scenario(path)


def _scenario(item: ScenarioLike, argument: str = "scenario") -> Scenario:
    """``item`` as a Scenario: itself, or the file it names; anything else is a TypeError naming ``argument``."""
    if isinstance(item, Scenario):
        return item
    if isinstance(item, str | os.PathLike):
        return load_scenario(item)
    raise TypeError(
        f"{argument} must be a Scenario (from sim.load) or the path of a scenario file (got {_short(repr(item))})"
    )


def _reps(reps: int | None, default: int) -> int:
    """``reps``, or ``default`` when it is ``None``; ``0`` is refused, not taken as "the default"."""
    if reps is None:
        return default
    _check_reps(reps)
    return reps


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
    resolved = _labelled(scenarios)
    reps = _reps(reps, next(iter(resolved.values())).run.replications)
    store = ReplicationCache(cache)
    if backend is not None:
        return run_experiment(
            resolved, reps, seed, keep_runs=keep_runs, progress=progress, backend=backend, cache=store
        )
    with make_backend(jobs, scheduler) as own:
        return run_experiment(resolved, reps, seed, keep_runs=keep_runs, progress=progress, backend=own, cache=store)


def _labelled(
    scenarios: Mapping[str, ScenarioLike] | Sequence[ScenarioLike], names: Sequence[str] = ()
) -> dict[str, Scenario]:
    """Label → scenario: a mapping's own labels, or each scenario's name.

    Two scenarios of one name that differ (a variant made with ``with_overrides`` keeps
    its base's name) are labelled by what differs, e.g. ``dengzhou_2022
    (staffing.asset_disposal.officers=3)``; the same scenario twice is refused. ``names``
    are the caller's argument names for the items of a list, for its error messages.
    """
    if isinstance(scenarios, str | Path | Scenario):
        raise TypeError("give a list of scenarios or a mapping of label → scenario, not a single scenario")
    if isinstance(scenarios, Mapping):
        resolved = {}
        for label, item in scenarios.items():
            if not isinstance(label, str) or not label:
                raise ValueError(f"scenario labels must be non-empty strings (got {label!r})")
            resolved[label] = _scenario(item, f"scenarios[{label!r}]")
        if not resolved:
            raise ValueError("no scenarios to run")
        return resolved
    names = [*names, *(f"scenarios[{i}]" for i in range(len(names), len(scenarios)))]
    loaded = [_scenario(item, name) for item, name in zip(scenarios, names, strict=False)]
    if not loaded:
        raise ValueError("no scenarios to run")
    labelled: dict[str, Scenario] = {}
    first: dict[str, Scenario] = {}
    for scenario in loaded:
        label = scenario.name
        if label in first:
            changes = _differences(first[label], scenario)
            if not changes:
                raise ValueError(f"scenario {label!r} is given twice (the same content)")
            label = f"{label} ({changes})"
        else:
            first[label] = scenario
        if label in labelled:
            raise ValueError(f"two scenarios are labelled {label!r}; pass a mapping of distinct labels → scenarios")
        labelled[label] = scenario
    return labelled


def _differences(base: Scenario, other: Scenario, show: int = 3) -> str:
    """``path=value, ...``: the leaves of ``other`` that differ from ``base`` (the first ``show``)."""
    old, new = _leaves(base.model_dump(mode="json")), _leaves(other.model_dump(mode="json"))
    changed = [f"{path}={_short(new[path])}" for path in new if old.get(path, _MISSING) != new[path]]
    changed += [f"{path} removed" for path in old if path not in new]
    more = f", +{len(changed) - show} more" if len(changed) > show else ""
    return ", ".join(changed[:show]) + more


_MISSING = object()


def _leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict) and data and "dist" not in data:
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_leaves(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): data}


def _short(value: Any) -> str:
    if isinstance(value, dict) and "dist" in value:
        return "{" + ", ".join(f"{k}={v}" for k, v in value.items() if v is not None) + "}"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def run(
    scenario: ScenarioLike,
    reps: int | None = None,
    *,
    level: float = 0.95,
    precision: Mapping[str, float] | None = None,
    max_reps: int = 100,
    **options: Any,
) -> pd.DataFrame:
    """Every KPI of one scenario: ``kpi, zh, en, unit, better, n, mean, sd, ci_low, ci_high``.

    ``options``: ``seed, jobs, scheduler, cache, progress`` as in :func:`experiment`.

    ``precision`` (KPI → half-width, in the KPI's unit, e.g. ``{"fast45_rate": 0.01}``)
    runs replications sequentially until every named KPI's ``level`` interval is within
    ``± half-width`` (or ``max_reps``): ``reps`` (default 5) first, then as many as
    :func:`sim.experiments.statistics.replications_needed` asks, again and again, each
    replication simulated once. The table's ``attrs["convergence"]`` is then the
    convergence table (:func:`convergence_plot` draws it): for each named KPI and each
    replication count ``n``, the mean and half-width of the first ``n`` replications,
    the target and whether it is met; ``attrs["rounds"]`` lists the rounds run.
    """
    if precision is None:
        result = experiment([_scenario(scenario)], reps, **options)
        return with_names(result.summary(level).drop(columns="scenario"))
    return _to_precision(_scenario(scenario), dict(precision), _reps(reps, 5), level, max_reps, options)


def _to_precision(
    scenario: Scenario, targets: dict[str, float], start: int, level: float, max_reps: int, options: dict[str, Any]
) -> pd.DataFrame:
    if not targets:
        raise ValueError("precision needs at least one KPI, e.g. precision={'fast45_rate': 0.01}")
    for kpi, half in targets.items():
        if kpi_info(kpi) is None:
            raise ValueError(f"precision: unknown KPI {kpi!r} (see sim.kpi_catalogue())")
        if not (isinstance(half, int | float) and half > 0):
            raise ValueError(f"precision: the half-width of {kpi!r} must be a positive number (got {half!r})")
    if max_reps < 2:
        raise ValueError(f"max_reps must be at least 2 (got {max_reps})")
    seed, progress = options.pop("seed", None), options.pop("progress", None)
    jobs, scheduler = options.pop("jobs", 0), options.pop("scheduler", None)
    store = ReplicationCache(options.pop("cache", None))
    if options:
        raise TypeError(f"run() got unexpected options: {', '.join(options)}")
    reps, rounds = min(max(start, 2), max_reps), list[dict[str, Any]]()
    label = scenario.name
    with make_backend(jobs, scheduler) as backend:
        while True:
            result = run_experiment({label: scenario}, reps, seed, backend=backend, cache=store, progress=progress)
            advice = [
                replications_needed(result.kpis, kpi, half, level, max_reps=max_reps).iloc[0]
                for kpi, half in targets.items()
            ]
            rounds += [{"round": len(rounds) // len(targets) + 1, **{str(k): v for k, v in a.items()}} for a in advice]
            if all(bool(a["enough"]) for a in advice) or reps >= max_reps:
                break
            needed = [a["needed"] for a in advice if not bool(a["enough"])]
            wanted = max((int(n) for n in needed if n == n), default=max_reps)  # NaN: more than max_reps
            reps = min(max_reps, max(reps + 1, wanted))
    table = with_names(result.summary(level).drop(columns="scenario"))
    table.attrs["convergence"] = _convergence(result.kpis, targets, level)
    table.attrs["rounds"] = pd.DataFrame(rounds).drop(columns="scenario")
    return table


def _convergence(kpis: pd.DataFrame, targets: Mapping[str, float], level: float) -> pd.DataFrame:
    """Mean and half-width of the first n replications, n = 2 … N, per KPI (the convergence table)."""
    rows = []
    for kpi, target in targets.items():
        values = kpis.loc[kpis["kpi"] == kpi].sort_values("replication")["value"].to_numpy(float)
        for n in range(2, values.size + 1):
            first = values[:n]
            half = float(t_quantile(0.5 + level / 2, n - 1) * first.std(ddof=1) / n**0.5)
            rows.append({"kpi": kpi, "n": n, "mean": float(first.mean()), "half_width": half, "target": target})
    table = pd.DataFrame(rows, columns=["kpi", "n", "mean", "half_width", "target"])
    return table.assign(enough=table["half_width"] <= table["target"])


def convergence_plot(convergence: pd.DataFrame) -> Any:
    """A matplotlib Figure of a convergence table (``run(..., precision=...).attrs["convergence"]``):
    per KPI, the running mean with its interval against the replications, and the half-width
    against its target (as sim-tools' ``ReplicationsAlgorithm`` plots it)."""
    from matplotlib.figure import Figure  # only when a plot is asked for

    kpis = list(dict.fromkeys(convergence["kpi"]))
    fig = Figure(figsize=(8, 2.6 * max(len(kpis), 1)), layout="constrained")
    axes = fig.subplots(max(len(kpis), 1), 2, squeeze=False)
    for (left, right), kpi in zip(axes, kpis, strict=False):
        rows = convergence[convergence["kpi"] == kpi]
        left.plot(rows["n"], rows["mean"], "o-", ms=3)
        left.fill_between(rows["n"], rows["mean"] - rows["half_width"], rows["mean"] + rows["half_width"], alpha=0.2)
        left.set_title(f"{kpi}: running mean and interval", fontsize=9)
        left.set_xlabel("replications")
        right.plot(rows["n"], rows["half_width"], "o-", ms=3)
        right.axhline(float(rows["target"].iloc[0]), color="red", linestyle="--", linewidth=1)
        right.set_title(f"{kpi}: half-width and its target", fontsize=9)
        right.set_xlabel("replications")
    return fig


def series(
    scenario: ScenarioLike,
    reps: int | None = None,
    *,
    freq_days: float = 7.0,
    which: Sequence[str] = SERIES,
    **options: Any,
) -> pd.DataFrame:
    """Backlog, stage, queue and utilisation series of every replication, as one long table:
    ``replication, time, date, series, item, value``.

    ``series`` is ``backlog`` (open cases; ``item`` empty), ``stage`` (open cases by the team
    holding them; ``item`` the team), ``queue`` (tasks waiting for staff, mean over the bin;
    ``item`` ``team/role``) or ``utilisation`` (busy share of working time in the bin;
    ``item`` ``team/role``). ``time`` is sim days (a snapshot's time or a bin's start, every
    ``freq_days``), ``date`` its calendar date; warm-up and cool-down are included (the
    counting window is ``run.warmup_days`` to ``run.horizon_days``). ``which`` picks some
    series; ``options`` as for :func:`experiment`. See :func:`sim.metrics.series.tidy_series`.
    """
    if not freq_days > 0:
        raise ValueError(f"freq_days must be positive (got {freq_days})")
    unknown = [s for s in which if s not in SERIES]
    if unknown:
        raise ValueError(f"unknown series {unknown} (expected some of: {', '.join(SERIES)})")
    resolved = _scenario(scenario)
    result = experiment({resolved.name: resolved}, reps, keep_runs=True, **options)
    calendar = build_calendar(resolved)
    frames = [
        tidy_series(run, calendar, freq_days, tuple(which)).assign(replication=rep)
        for (_, rep), run in sorted(result.runs.items(), key=lambda item: item[0][1])
    ]
    table = pd.concat(frames, ignore_index=True)
    return table[["replication", "time", "date", "series", "item", "value"]]


def warmup(scenario: ScenarioLike, reps: int | None = None, **options: Any) -> WarmupCheck:
    """Is the scenario's warm-up long enough? MSER-5 over several outputs of each replication.

    The outputs are the open cases, each team's cases in hand and the closures of each day
    (:func:`sim.metrics.warmup.warmup_outputs`). The result's ``table`` has ``replication,
    output, truncation_days, steady``; ``needed_days`` is the longest truncation, ``enough``
    whether ``run.warmup_days`` covers it and ``message()`` the verdict in Chinese and
    English. A replication whose backlog still grows has no steady state: its truncations
    are NaN and the verdict says so. ``options`` as for :func:`experiment`.
    """
    resolved = _scenario(scenario)
    result = experiment({resolved.name: resolved}, reps, keep_runs=True, **options)
    return warmup_check({rep: run for (_, rep), run in result.runs.items()}, resolved)


def case_table(scenario: ScenarioLike, reps: int | None = None, **options: Any) -> pd.DataFrame:
    """The case table of each replication: one row per case (a ``replication`` column), with
    ``due_<deadline>`` and ``met_<deadline>`` for the 22 deadlines beside type, track,
    handler, dates, outcome and amounts. ``options`` as for :func:`experiment`."""
    resolved = _scenario(scenario)
    result = experiment({resolved.name: resolved}, reps, keep_runs=True, **options)
    return result.case_table(resolved.name)


def why_late(
    scenario: ScenarioLike, reps: int | None = None, *, deadlines: Sequence[str] | None = None, **options: Any
) -> pd.DataFrame:
    """Why deadlines are missed: :func:`sim.metrics.why_late` of each replication, with a
    ``replication`` column (one row per deadline × part of the late clocks' time, and per
    team × roles of the queues and kind of the outside waits). ``deadlines`` limits it to
    those ids; ``options`` as for :func:`experiment`."""
    resolved = _scenario(scenario)
    result = experiment({resolved.name: resolved}, reps, keep_runs=True, **options)
    calendar = build_calendar(resolved)
    frames = [
        metrics_why_late(
            run.steps, run.slas, run.cases, resolved, calendar, deadlines=deadlines, unfinished=run.unfinished
        ).assign(replication=rep)
        for (_, rep), run in sorted(result.runs.items(), key=lambda item: item[0][1])
    ]
    return pd.concat(frames, ignore_index=True)


def monthly(scenario: ScenarioLike, reps: int | None = None, **options: Any) -> pd.DataFrame:
    """The monthly report (每月通报): :func:`sim.metrics.monthly_view` of each replication, with a
    ``replication`` column: per calendar month of the counted window, filed, closed, the 45-day
    rate by month of filing, open cases at the month's end and each team's on-time rate.
    ``options`` as for :func:`experiment`."""
    resolved = _scenario(scenario)
    result = experiment({resolved.name: resolved}, reps, keep_runs=True, **options)
    frames = [
        monthly_view(run.cases, run.slas, resolved).assign(replication=rep)
        for (_, rep), run in sorted(result.runs.items(), key=lambda item: item[0][1])
    ]
    return pd.concat(frames, ignore_index=True)


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
    base: ScenarioLike | Mapping[str, ScenarioLike],
    *others: ScenarioLike,
    reps: int | None = None,
    level: float = 0.95,
    **options: Any,
) -> pd.DataFrame:
    """Each other scenario minus ``base``, replication by replication (common random numbers).

    ``compare(base, other, ...)``, or one mapping of label → scenario whose first entry is
    the base: ``compare({"now": base, "3 officers": more})``. Scenarios of one name (a
    variant made with ``with_overrides``) are labelled by what differs.

    One row per (scenario, KPI): the two means, ``mean_diff`` with its paired
    t-interval, ``significant``, ``verdict`` (better / worse / changed / no
    significant difference, from the KPI's direction) and ``welch_half_width``,
    the half-width the same runs would give compared as independent samples.
    """
    if isinstance(base, Mapping):
        if others:
            raise ValueError(
                "give either one mapping of label → scenario (its first entry is the base) "
                "or the scenarios as arguments, not both"
            )
        labelled = _labelled(base)
    else:
        labelled = _labelled([base, *others], ["base", *(f"others[{i}]" for i in range(len(others)))])
    if len(labelled) < 2:
        raise ValueError("compare needs at least one scenario besides the base")
    result = experiment(labelled, reps, **options)
    return comparison_table(result, next(iter(labelled)), level)


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
    (base_label, first), (other_label, second) = _labelled(
        [base, other], ["base", "other"]
    ).items()  # a variant: by what differs
    plan = plan_attribution(first, second, parts, shapley=shapley, base_label=base_label, other_label=other_label)
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
    table["verdict"] = [_verdict(r.better, r.significant, r.mean_diff, r.base_mean, r.mean) for r in frames.rows(table)]
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
        summary, _ = _sweep(base, parameters, evaluate, _reps(reps, base.run.replications), level)
    return with_names(summary)


def uncertain_parameters(scenario: ScenarioLike) -> pd.DataFrame:
    """The scenario's uncertain parameters: its ``[uncertainty]`` entries and the default ranges
    (``path, kind, low, likely, high, source, rule, integer, group``; sim/config/uncertainty.py)."""
    parameters = CourtModel(_scenario(scenario)).parameters
    return pd.DataFrame([vars(p) | {"group": p.group} for p in parameters])


def sensitivity(
    scenario: ScenarioLike,
    method: str = "morris",
    budget: int = 300,
    reps: int = 1,
    *,
    focus: Sequence[str] = ("fast45_rate",),
    groups: str = "auto",
    top: int = 4,
    seed: int | None = None,
    jobs: int = 0,
    scheduler: str | None = None,
    cache: str | Path | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Which assumptions drive the KPIs (``courtsim sensitivity``): Morris screening, then Sobol.

    The result's stages (``groups``, ``screening``, ``sobol``) each carry a tidy ``indices``
    table (``parameter, group, kpi`` then ``mu_star, mu_star_conf, sigma, mu`` or ``S1, S1_conf,
    ST, ST_conf``); :func:`sim.experiments.sensitivity.robustness` of a stage gives how often
    each target is met over the ranges.
    """
    if method not in ("morris", "sobol"):
        raise ValueError(f"method must be 'morris' or 'sobol' (got {method!r})")
    _check_reps(reps)
    with make_backend(jobs, scheduler) as backend:
        model = CourtModel(
            _scenario(scenario), reps=reps, seed=seed, backend=backend, cache=ReplicationCache(cache), progress=progress
        )
        return analyse(model, method=method, budget=budget, focus=focus, groups=groups, top=top)  # type: ignore[arg-type]


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
    _check_reps(reps)
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
    reps: int = DEFAULT_REPS,
    top_k: int = 3,
    check_reps: int = DEFAULT_CHECK_REPS,
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
    _check_reps(reps)
    _check_reps(check_reps, "check_reps")
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


def levers(
    scenario: ScenarioLike,
    targets: Sequence[str | Target],
    *,
    reps: int = 3,
    screen_reps: int = 2,
    top_k: int = 3,
    confidence: float = 0.95,
    seed: int | None = None,
    jobs: int = 0,
    scheduler: str | None = None,
    cache: str | Path | None = None,
    progress: Progress | None = None,
) -> LeverResult:
    """Every lever the scenario exposes (staffing, triage, ``[reform]`` switches, dispatch, handler rule)
    against it under common random numbers, screened after ``screen_reps`` replications.

    Returns a :class:`sim.experiments.levers.LeverResult`: ``table`` (one row per lever and the
    combination of the helpful ones, best first: effect with its interval, ``holds``, ``ceiling``,
    ``unstable_reps``), ``ceilings``, ``met`` and ``conclusion``.
    """
    goals = [parse_target(t) if isinstance(t, str) else t for t in targets]
    if not goals:
        raise ValueError("give at least one target, e.g. 'fast45_rate>=0.9'")
    _check_reps(reps)
    with _session(seed, jobs, scheduler, cache, progress) as evaluate:
        return search_levers(
            _scenario(scenario), goals, evaluate, reps=reps, screen_reps=screen_reps, confidence=confidence, top_k=top_k
        )


def marginal(
    scenario: ScenarioLike,
    *,
    reps: int = 3,
    deltas: Sequence[int] = (1,),
    posts: Sequence[tuple[str, str]] | None = None,
    kpis: Sequence[str] | None = None,
    level: float = 0.95,
    seed: int | None = None,
    jobs: int = 0,
    scheduler: str | None = None,
    cache: str | Path | None = None,
    progress: Progress | None = None,
) -> MarginalResult:
    """The bottleneck by effect (``courtsim marginal``): one person more (``deltas=(1, -1)``: and
    fewer) in each team × role that does work, each KPI paired with the base replication by replication.

    Costs ``(1 + len(deltas) × posts) × reps`` replications. Returns a
    :class:`sim.experiments.marginal.MarginalResult`: ``table`` (one row per post, delta and KPI:
    ``mean_diff`` with ``ci_low``/``ci_high``, ``significant``, ``gain`` signed so that positive is
    better, ``utilisation`` before and after as context), ``ranking(kpi)`` (posts by gain, best
    first), ``skipped`` (variants that could not be built), ``base_unstable_reps``.
    """
    with _session(seed, jobs, scheduler, cache, progress) as evaluate:
        return marginal_staffing(
            _scenario(scenario), evaluate, reps=reps, deltas=deltas, posts=posts, kpis=kpis, level=level
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
