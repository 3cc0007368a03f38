"""Which assumptions drive the verdict: Morris screening and Sobol indices over the uncertain parameters.

Like asking which of a hundred guesses in a budget would change the bottom line, the
screening moves each uncertain parameter (:mod:`sim.config.uncertainty`) across its range
along Morris trajectories and measures how much each KPI moves (``mu_star``, with a
bootstrap interval); the few that matter then get variance-based Sobol indices (first
order ``S1`` and total ``ST``, with bootstrap intervals). SALib does the mathematics;
this module builds the parameter sets, runs them and returns tidy tables.

Every parameter set runs the same replications ``0 .. reps-1`` under the same seed, so
all of them see the same cases (common random numbers): an elementary effect is the
difference the parameter made, not a different draw of cases. The court model runs
through :func:`sim.experiments.running.run_experiment` (process pool or Dask, replication
cache, so an interrupted analysis resumes); a test function with known indices runs
through the same sampling, backend and analysis (:class:`FunctionModel`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.config.uncertainty import Uncertain, apply_values, uncertain_parameters
from sim.experiments.backends import Backend, SerialBackend
from sim.experiments.running import run_experiment
from sim.experiments.staffing_search import unit_overrides
from sim.experiments.types import Progress, ReplicationStore
from sim.metrics import KPIS, levels
from sim.metrics.registry import SHARE_UNITS
from sim.streams import Streams

__all__ = [
    "Analysis",
    "CourtModel",
    "Factor",
    "FunctionModel",
    "PointModel",
    "SensitivityResult",
    "analyse",
    "court_factors",
    "measure_first",
    "morris",
    "morris_trajectories",
    "plan_screening",
    "robustness",
    "select",
    "sobol",
    "sobol_base_samples",
]

logger = logging.getLogger(__name__)

Method = Literal["morris", "sobol"]
_TRIANGULAR_PEAK_MAX = 1 - 1e-9  # SALib's triangular needs its peak strictly below the top


@dataclass(frozen=True)
class Factor:
    """One input of the analysis: a name, its range, its most likely value and its group."""

    name: str
    low: float
    high: float
    likely: float
    group: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"factor {self.name!r}: low must be below high (got {self.low:g}, {self.high:g})")
        if not self.low <= self.likely <= self.high:
            raise ValueError(f"factor {self.name!r}: likely must lie in [low, high] (got {self.likely:g})")


def court_factors(parameters: Sequence[Uncertain]) -> list[Factor]:
    """The factors of a scenario's uncertain parameters, grouped by scenario table."""
    return [Factor(p.path, p.low, p.high, p.likely, p.group, p.source) for p in parameters]


class PointModel(Protocol):
    """Runs parameter sets: ``evaluate(points)`` → long table ``point, replication, kpi, value``.

    ``points`` is an array of shape (number of sets, number of factors) in the order of
    the factors it was built with. Every point runs the same replications (CRN).
    """

    factors: list[Factor]
    reps: int
    seed: int

    def evaluate(self, points: np.ndarray) -> pd.DataFrame: ...

    def subset(self, names: Sequence[str]) -> PointModel:
        """The same model moving only the factors named; the others keep their nominal values."""
        ...


# ---------------------------------------------------------------- models


class CourtModel:
    """The court simulation as a point model: a parameter set is a validated scenario variant.

    Parameters
    ----------
    scenario
        The nominal scenario; parameters not among ``parameters`` keep its values.
    parameters
        The uncertain parameters to move (default: all of the scenario's, with the default rules).
    reps, seed
        Replications per parameter set (the same ones for every set) and the base seed.
    backend, cache, progress
        As for :func:`~sim.experiments.running.run_experiment`.
    """

    def __init__(
        self,
        scenario: Scenario,
        parameters: Sequence[Uncertain] | None = None,
        *,
        reps: int = 1,
        seed: int | None = None,
        backend: Backend | None = None,
        cache: ReplicationStore | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.scenario = scenario
        self._document = scenario.model_dump(mode="json")
        found = uncertain_parameters(self._document, scenario.uncertainty) if parameters is None else parameters
        self.parameters = list(found)
        self.factors = court_factors(self.parameters)
        self.reps, self.seed = reps, scenario.run.seed if seed is None else seed
        self.backend, self.cache, self.progress = backend, cache, progress
        self.usage = {"computed": 0, "cached": 0}  # replications simulated and reused, shared by subsets

    @property
    def computed(self) -> int:
        """Replications simulated by this model and its subsets."""
        return self.usage["computed"]

    @property
    def cached(self) -> int:
        """Replications taken from the cache by this model and its subsets."""
        return self.usage["cached"]

    def subset(self, names: Sequence[str]) -> CourtModel:
        """The same model moving only the parameters named (the others keep the scenario's values)."""
        wanted = set(names)
        chosen = [p for p in self.parameters if p.path in wanted]
        model = CourtModel(
            self.scenario,
            chosen,
            reps=self.reps,
            seed=self.seed,
            backend=self.backend,
            cache=self.cache,
            progress=self.progress,
        )
        model.usage = self.usage
        return model

    def scenario_at(self, values: Sequence[float]) -> Scenario:
        """The validated scenario with each parameter set to its value (raises ``ScenarioError``)."""
        overrides = apply_values(self._document, self.parameters, list(values))
        staffing = {k: v for k, v in overrides.items() if k.startswith("staffing.")}
        if staffing:
            overrides.update(unit_overrides(self.scenario, staffing))
        return with_overrides(self.scenario, overrides)

    def evaluate(self, points: np.ndarray) -> pd.DataFrame:
        """Build every parameter set first (a bad range fails before anything runs), then run them."""
        labels = [f"p{i:05d}" for i in range(len(points))]
        scenarios = {label: self.scenario_at(row) for label, row in zip(labels, points, strict=True)}
        result = run_experiment(
            scenarios, self.reps, self.seed, backend=self.backend, cache=self.cache, progress=self.progress
        )
        self.usage["computed"] += result.computed
        self.usage["cached"] += result.cached
        kpis = result.kpis.assign(point=lambda t: t["scenario"].str[1:].astype(int))
        return kpis[["point", "replication", "kpi", "value"]]


def _function_task(args: tuple[Callable[..., Mapping[str, float]], dict[str, float], int, int]) -> dict[str, float]:
    func, values, seed, replication = args
    rng = Streams(seed, replication).get("sensitivity.function")
    return dict(func(values, rng))


@dataclass
class FunctionModel:
    """A test function as a point model: ``func(values, rng)`` → KPI values, on a backend.

    ``values`` maps each factor's name to its value; ``rng`` is the replication's
    generator, the same for every point (common random numbers). ``func`` must be a
    module-level function so that worker processes can import it.
    """

    func: Callable[[Mapping[str, float], np.random.Generator], Mapping[str, float]]
    factors: list[Factor]
    reps: int = 1
    seed: int = 0
    backend: Backend = field(default_factory=SerialBackend)
    fixed: dict[str, float] = field(default_factory=dict)  # factors left out, at their likely values

    def subset(self, names: Sequence[str]) -> FunctionModel:
        """The same function moving only the factors named; the others stay at their likely values."""
        wanted = set(names)
        fixed = self.fixed | {f.name: f.likely for f in self.factors if f.name not in wanted}
        chosen = [f for f in self.factors if f.name in wanted]
        return FunctionModel(self.func, chosen, self.reps, self.seed, self.backend, fixed)

    def evaluate(self, points: np.ndarray) -> pd.DataFrame:
        names = [f.name for f in self.factors]
        tasks = [
            (self.func, self.fixed | dict(zip(names, map(float, row), strict=True)), self.seed, rep)
            for row in points
            for rep in range(self.reps)
        ]
        outputs: list[dict[str, float]] = [{}] * len(tasks)
        for i, output in self.backend.imap(_function_task, tasks):
            outputs[i] = output
        rows = [
            (i // self.reps, i % self.reps, kpi, float(value))
            for i, output in enumerate(outputs)
            for kpi, value in output.items()
        ]
        return pd.DataFrame(rows, columns=["point", "replication", "kpi", "value"])


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class SensitivityResult:
    """What an analysis gives: indices per (parameter, KPI), the parameter sets and their KPIs.

    ``indices`` is tidy: ``method, parameter, group, kpi`` then, for Morris, ``mu_star,
    mu_star_conf, sigma, mu`` (KPI units per the whole range of the parameter), for Sobol
    ``S1, S1_conf, ST, ST_conf`` (shares of the KPI's variance; ``_conf`` is the half-width
    of the bootstrap interval). ``samples`` holds one row per parameter set (``point`` and
    one column per factor), ``outputs`` every replication's KPIs (``point, replication,
    kpi, value``).
    """

    method: Method
    factors: list[Factor]
    grouped: bool
    indices: pd.DataFrame
    samples: pd.DataFrame
    outputs: pd.DataFrame
    settings: dict[str, Any]

    def point_means(self) -> pd.DataFrame:
        """KPI means over the replications, one row per parameter set, one column per KPI."""
        means = self.outputs.groupby(["point", "kpi"], sort=True)["value"].mean()
        return means.unstack("kpi").sort_index()

    def ranking(self, kpi: str) -> pd.DataFrame:
        """The indices of ``kpi``, most influential first (``mu_star`` or ``ST``)."""
        key = "mu_star" if self.method == "morris" else "ST"
        rows = self.indices[self.indices["kpi"] == kpi]
        return rows.sort_values(key, ascending=False, kind="stable").reset_index(drop=True)


def _problem(factors: Sequence[Factor], grouped: bool, triangular: bool = False) -> dict[str, Any]:
    problem: dict[str, Any] = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }
    if grouped:
        problem["groups"] = [f.group or f.name for f in factors]
    if triangular:
        problem["dists"] = ["triang"] * len(factors)
        peaks = [min((f.likely - f.low) / (f.high - f.low), _TRIANGULAR_PEAK_MAX) for f in factors]
        problem["bounds"] = [[f.low, f.high, c] for f, c in zip(factors, peaks, strict=True)]
    return problem


def _outputs_matrix(outputs: pd.DataFrame, n_points: int, kpis: Sequence[str] | None) -> pd.DataFrame:
    """Replication means per point: rows 0..n_points-1, one column per KPI (NaN where missing)."""
    means = outputs.groupby(["point", "kpi"], sort=True)["value"].mean().unstack("kpi")
    means = means.reindex(range(n_points))
    if kpis is not None:
        unknown = sorted(set(kpis) - set(means.columns))
        if unknown:
            raise ValueError(f"unknown KPI(s) {unknown}; the model gives: {', '.join(map(str, means.columns))}")
        means = means[list(kpis)]
    return means


def _samples_table(points: np.ndarray, factors: Sequence[Factor]) -> pd.DataFrame:
    table = pd.DataFrame(points, columns=[f.name for f in factors])
    table.insert(0, "point", range(len(points)))
    return table


def _labels(factors: Sequence[Factor], grouped: bool) -> list[tuple[str, str]]:
    """(parameter, group) per row of SALib's output: groups in order of first appearance."""
    if not grouped:
        return [(f.name, f.group) for f in factors]
    groups = list(dict.fromkeys(f.group or f.name for f in factors))
    return [(g, g) for g in groups]


# ---------------------------------------------------------------- Morris


def morris_trajectories(n_factors: int, budget: int, reps: int) -> int:
    """How many Morris trajectories a budget of ``budget`` model runs pays for (each costs ``(k+1)·reps``)."""
    return budget // ((n_factors + 1) * reps)


def morris(
    model: PointModel,
    *,
    trajectories: int = 10,
    levels: int = 4,
    grouped: bool = False,
    kpis: Sequence[str] | None = None,
    seed: int = 0,
    resamples: int = 1000,
    conf_level: float = 0.95,
) -> SensitivityResult:
    """Morris elementary effects (SALib ``morris``) of every factor of ``model`` on each KPI.

    Parameters
    ----------
    model
        A :class:`PointModel` (the court: :class:`CourtModel`).
    trajectories
        Morris trajectories (``r``); the cost is ``r·(k+1)`` parameter sets, ``k`` the
        number of factors or, with ``grouped``, of groups.
    levels
        Grid levels per factor (even).
    grouped
        Move the factors of a group (a scenario table) together; indices are per group.
    kpis
        The KPIs to analyse (default: all the model gives).
    seed
        Seed of the sampling and of the bootstrap (the replications use the model's own seed).
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    if trajectories < 2:
        raise ValueError(f"Morris needs at least 2 trajectories (got {trajectories})")
    factors = model.factors
    if len({f.group or f.name for f in factors} if grouped else factors) < 2:
        raise ValueError("Morris needs at least two uncertain parameters or groups")
    problem = _problem(factors, grouped)
    points = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    outputs = model.evaluate(points)
    matrix = _outputs_matrix(outputs, len(points), kpis)
    labels = _labels(factors, grouped)
    frames = []
    for kpi in matrix.columns:
        y = matrix[kpi].to_numpy(dtype=float)
        if np.isnan(y).any():
            logger.info("KPI %s is undefined for some parameter sets; left out of the screening", kpi)
            continue
        si = morris_analyze.analyze(
            problem, points, y, num_resamples=resamples, conf_level=conf_level, num_levels=levels, seed=seed
        )
        frames.append(
            pd.DataFrame(
                {
                    "method": "morris",
                    "parameter": [name for name, _ in labels],
                    "group": [group for _, group in labels],
                    "kpi": kpi,
                    "mu_star": np.asarray(si["mu_star"], dtype=float),
                    "mu_star_conf": np.asarray(si["mu_star_conf"], dtype=float),
                    "sigma": np.asarray(si["sigma"], dtype=float),
                    "mu": np.asarray(si["mu"], dtype=float),
                }
            )
        )
    indices = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    settings: dict[str, Any] = {"trajectories": trajectories, "levels": levels, "seed": seed, "resamples": resamples}
    settings |= {"conf_level": conf_level, "points": len(points)}
    samples = _samples_table(points, factors)
    return SensitivityResult("morris", list(factors), grouped, indices, samples, outputs, settings)


def select(result: SensitivityResult, kpis: Sequence[str], top: int = 4) -> list[str]:
    """The ``top`` most influential parameters (or groups): the largest ``mu_star`` relative to
    its KPI's largest, the best rank over ``kpis`` counting."""
    rows = result.indices[result.indices["kpi"].isin(list(kpis))]
    if rows.empty:
        return []
    key = "mu_star" if result.method == "morris" else "ST"
    scale = rows.groupby("kpi")[key].transform("max").replace(0, np.nan)
    relative = (rows[key] / scale).fillna(0.0)
    best = relative.groupby(rows["parameter"]).max().sort_values(ascending=False, kind="stable")
    return [str(name) for name in best.index[:top] if best[name] > 0]


# ---------------------------------------------------------------- Sobol


def sobol_base_samples(n_factors: int, budget: int, reps: int) -> int:
    """The largest power of two ``N`` with ``N·(k+2)·reps`` model runs within ``budget`` (0 if none)."""
    n = budget // ((n_factors + 2) * reps)
    return 0 if n < 1 else 2 ** math.floor(math.log2(n))


def sobol(
    model: PointModel,
    *,
    n: int = 64,
    grouped: bool = False,
    distribution: Literal["uniform", "triangular"] = "triangular",
    kpis: Sequence[str] | None = None,
    seed: int = 0,
    resamples: int = 1000,
    conf_level: float = 0.95,
) -> SensitivityResult:
    """Sobol first-order and total indices (SALib ``sobol``, Saltelli's sampling) with bootstrap intervals.

    Parameters
    ----------
    model
        A :class:`PointModel`; keep its factors few (the cost is ``n·(k+2)`` parameter sets).
    n
        Base samples, a power of two.
    distribution
        Each factor ``triangular(low, likely, high)`` (the default: "likely" is most likely)
        or ``uniform(low, high)``.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if n < 2 or n & (n - 1):
        raise ValueError(f"Sobol base samples must be a power of two, at least 2 (got {n})")
    factors = model.factors
    if not factors:
        raise ValueError("Sobol needs at least one uncertain parameter")
    problem = _problem(factors, grouped, triangular=distribution == "triangular")
    points = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    outputs = model.evaluate(points)
    matrix = _outputs_matrix(outputs, len(points), kpis)
    labels = _labels(factors, grouped)
    frames = []
    for kpi in matrix.columns:
        y = matrix[kpi].to_numpy(dtype=float)
        if np.isnan(y).any() or np.ptp(y) == 0:
            # A KPI that does not vary has no variance to apportion (SALib would warn and divide by 0).
            logger.info("KPI %s does not vary (or is undefined) over the samples; no Sobol indices", kpi)
            continue
        si = sobol_analyze.analyze(
            problem, y, calc_second_order=False, num_resamples=resamples, conf_level=conf_level, seed=seed
        )
        frames.append(
            pd.DataFrame(
                {
                    "method": "sobol",
                    "parameter": [name for name, _ in labels],
                    "group": [group for _, group in labels],
                    "kpi": kpi,
                    "S1": np.asarray(si["S1"], dtype=float),
                    "S1_conf": np.asarray(si["S1_conf"], dtype=float),
                    "ST": np.asarray(si["ST"], dtype=float),
                    "ST_conf": np.asarray(si["ST_conf"], dtype=float),
                }
            )
        )
    indices = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    settings: dict[str, Any] = {"n": n, "distribution": distribution, "seed": seed, "resamples": resamples}
    settings |= {"conf_level": conf_level, "points": len(points)}
    samples = _samples_table(points, factors)
    return SensitivityResult("sobol", list(factors), grouped, indices, samples, outputs, settings)


# ---------------------------------------------------------------- the whole analysis


MIN_TRAJECTORIES = 3
"""Fewest Morris trajectories per parameter; below it ``groups="auto"`` screens the tables first."""

GROUP_TRAJECTORIES = 4
"""Trajectories of the first stage when the tables are screened as groups."""

REFINE_TRAJECTORIES = 2
"""Fewest trajectories per parameter of the second stage (the parameters of the tables that matter)."""


@dataclass(frozen=True)
class Analysis:
    """What ``courtsim sensitivity`` computes: the screening stages and, if asked, Sobol indices.

    ``groups`` is the screening of the scenario tables as groups (when the budget could not
    screen every parameter at once), ``screening`` the per-parameter screening (of every
    parameter, or of those in the tables that matter most), ``sobol`` the Sobol indices of
    the ``selected`` few.
    """

    groups: SensitivityResult | None
    screening: SensitivityResult | None
    sobol: SensitivityResult | None
    selected: list[str]
    budget: int

    @property
    def stages(self) -> list[SensitivityResult]:
        """The stages computed, in order."""
        return [r for r in (self.groups, self.screening, self.sobol) if r is not None]

    @property
    def final(self) -> SensitivityResult:
        """The most detailed stage: Sobol if computed, else the per-parameter screening, else the groups'."""
        return self.stages[-1]

    @property
    def runs(self) -> int:
        """Model runs of every stage (parameter sets × replications)."""
        return sum(int(r.outputs[["point", "replication"]].drop_duplicates().shape[0]) for r in self.stages)


def plan_screening(factors: Sequence[Factor], budget: int, reps: int, groups: str = "auto") -> tuple[int, int]:
    """(trajectories of the group stage, trajectories per parameter) for a budget of model runs.

    ``groups="none"`` screens every parameter (no group stage); ``"table"`` only the tables;
    ``"auto"`` every parameter when the budget pays for :data:`MIN_TRAJECTORIES`
    trajectories of them, else first the tables (:data:`GROUP_TRAJECTORIES` trajectories)
    and then, with what is left, the parameters of the tables that matter most (at least
    :data:`REFINE_TRAJECTORIES` trajectories each, as many tables as that affords).
    Zero means the stage is skipped.
    """
    if groups not in ("auto", "table", "none"):
        raise ValueError(f"groups must be auto, table or none (got {groups!r})")
    n_groups = len({f.group or f.name for f in factors})
    each = morris_trajectories(len(factors), budget, reps)
    if groups == "none" or (groups == "auto" and (each >= MIN_TRAJECTORIES or n_groups < 2)):
        if each < 2:
            need = 2 * (len(factors) + 1) * reps
            raise ValueError(
                f"a budget of {budget} runs is too small to screen {len(factors)} parameters; {need} needed"
            )
        return 0, each
    if groups == "table":
        trajectories = morris_trajectories(n_groups, budget, reps)
        if trajectories < 2:
            need = 2 * (n_groups + 1) * reps
            raise ValueError(f"a budget of {budget} runs is too small to screen {n_groups} tables; {need} needed")
        return trajectories, 0
    trajectories = GROUP_TRAJECTORIES
    if (n_groups + 1) * trajectories * reps > budget:
        need = (n_groups + 1) * trajectories * reps
        raise ValueError(f"a budget of {budget} runs is too small to screen {n_groups} tables; {need} needed")
    return trajectories, REFINE_TRAJECTORIES


def _refine(
    factors: Sequence[Factor], groups: SensitivityResult, focus: Sequence[str], budget: int, reps: int
) -> list[str]:
    """The parameters of the most influential tables that a per-parameter screening can afford."""
    chosen: list[str] = []
    for group in select(groups, focus, top=len(factors)):
        members = [f.name for f in factors if (f.group or f.name) == group]
        if (len(chosen) + len(members) + 1) * REFINE_TRAJECTORIES * reps > budget:
            break
        chosen += members
    return chosen


def analyse(
    model: PointModel,
    *,
    method: Method = "morris",
    budget: int = 300,
    groups: str = "auto",
    kpis: Sequence[str] | None = None,
    focus: Sequence[str] = ("fast45_rate",),
    top: int = 4,
    seed: int | None = None,
) -> Analysis:
    """Morris screening of every uncertain parameter, then (``method="sobol"``) Sobol on the ``top`` few.

    ``budget`` counts model runs (parameter sets × replications): all of it goes to the
    screening with ``"morris"``, half to the screening and half to Sobol with ``"sobol"``.
    The screening is planned by :func:`plan_screening`; the Sobol stage moves the ``top``
    parameters that the screening ranks highest on the ``focus`` KPIs, the others keep the
    scenario's values.
    """
    seed = model.seed if seed is None else seed
    screening_budget = budget if method == "morris" else budget // 2
    group_r, each_r = plan_screening(model.factors, screening_budget, model.reps, groups)
    by_group = morris(model, trajectories=group_r, grouped=True, kpis=kpis, seed=seed) if group_r else None
    per_parameter: SensitivityResult | None = None
    if each_r and by_group is None:
        per_parameter = morris(model, trajectories=each_r, kpis=kpis, seed=seed)
    elif each_r and by_group is not None:
        left = screening_budget - len(by_group.samples) * model.reps
        names = _refine(model.factors, by_group, focus, left, model.reps)
        if len(names) >= 2:
            stage = model.subset(names)
            each_r = morris_trajectories(len(stage.factors), left, model.reps)
            per_parameter = morris(stage, trajectories=each_r, kpis=kpis, seed=seed)
    last = per_parameter if per_parameter is not None else by_group
    assert last is not None
    selected = select(last, focus, top)
    if method == "morris":
        return Analysis(by_group, per_parameter, None, selected, budget)
    if not selected:
        raise ValueError(f"the screening found no parameter that moves {', '.join(focus)}; nothing for Sobol")
    grouped = per_parameter is None
    chosen = [f.name for f in model.factors if ((f.group or f.name) if grouped else f.name) in selected]
    stage = model.subset(chosen)
    k = len(selected) if grouped else len(stage.factors)
    left = budget - sum(len(r.samples) for r in (by_group, per_parameter) if r is not None) * model.reps
    n = sobol_base_samples(k, left, model.reps)
    if n < 2:
        raise ValueError(f"the budget leaves {left} runs for Sobol; {k} factors need at least {2 * (k + 2)}")
    indices = sobol(stage, n=n, grouped=grouped, kpis=kpis, seed=seed)
    return Analysis(by_group, per_parameter, indices, selected, budget)


# ---------------------------------------------------------------- what it means for the verdict


UNSTABLE = "unstable"
"""The KPI that flags a replication whose backlog keeps growing (:mod:`sim.metrics.stability`)."""


def robustness(result: SensitivityResult) -> pd.DataFrame:
    """Over the parameter sets of ``result``: how often each target is met, and the court unstable.

    One row per KPI with a target (:func:`sim.metrics.levels`), plus ``unstable``: ``sets``
    parameter sets, ``share`` of them whose replication mean meets the target (for
    ``unstable``: the share of replications flagged), and the 5%, 50% and 95% quantiles of
    the KPI over the sets. The sets cover the ranges as the method samples them (a Morris
    grid, or Sobol's triangular draws), so ``share`` is the probability over the ranges.
    """
    means = result.point_means()
    rows = []
    for kpi, level in levels(means.columns).items():
        if level.kind != "target":
            continue
        values = means[kpi].dropna().to_numpy(dtype=float)
        met = (values >= (level.low if level.low is not None else -np.inf)) & (
            values <= (level.high if level.high is not None else np.inf)
        )
        percent = KPIS[kpi].unit in SHARE_UNITS if kpi in KPIS else False
        share = float(met.mean()) if values.size else math.nan
        rows.append(_robust_row(kpi, values, share, level.label(percent)))
    flags = result.outputs.loc[result.outputs["kpi"] == UNSTABLE, "value"].to_numpy(dtype=float)
    if flags.size:
        rows.append(_robust_row(UNSTABLE, means[UNSTABLE].to_numpy(dtype=float), float(flags.mean()), "flagged"))
    return pd.DataFrame(rows, columns=["kpi", "target", "sets", "share", "q05", "median", "q95"])


def _robust_row(kpi: str, values: np.ndarray, share: float, target: str) -> dict[str, Any]:
    q = np.quantile(values, [0.05, 0.5, 0.95]) if values.size else [math.nan] * 3
    return {"kpi": kpi, "target": target, "sets": int(values.size), "share": share} | {
        "q05": float(q[0]),
        "median": float(q[1]),
        "q95": float(q[2]),
    }


def measure_first(
    analysis: Analysis, parameters: Sequence[Uncertain], kpi: str = "fast45_rate", n: int = 5
) -> pd.DataFrame:
    """The ``n`` assumptions whose narrowing would most reduce the uncertainty of ``kpi``.

    Ranked by the most detailed stage that has them: Sobol's first-order index (the share of
    the variance that knowing the parameter exactly removes), else Morris ``mu_star``.
    Adds each parameter's range and source.
    """
    info = {p.path: p for p in parameters}
    final = analysis.final
    ranking = final.ranking(kpi).head(n)
    if final.method == "sobol":
        ranking = final.indices[final.indices["kpi"] == kpi].sort_values("S1", ascending=False, kind="stable").head(n)
    rows = []
    for row in ranking.to_dict(orient="records"):
        p = info.get(str(row["parameter"]))
        rows.append(
            {
                **row,
                "kind": p.kind if p else "group",
                "low": p.low if p else math.nan,
                "likely": p.likely if p else math.nan,
                "high": p.high if p else math.nan,
                "rule": p.rule if p else "",
                "source": p.source if p else "",
            }
        )
    return pd.DataFrame(rows)
