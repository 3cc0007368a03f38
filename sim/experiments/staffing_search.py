"""Where should the next officers go? The smallest staffing that meets the targets.

Like a 执行局长 with a budget of new posts (or a fixed 25 officers to place),
:func:`search_staffing` moves one person at a time to where the court is
busiest and keeps the move that brings the targets closest, then checks the
last candidates again with more replications before it answers.

Method (``docs/experiments.md`` has its limits): **greedy marginal allocation**.
At each step the team × role pairs are ranked by their utilisation in the current
staffing (the ``util_<team>_<role>`` KPIs, the first witness of
:func:`sim.metrics.bottlenecks`); the ``top_k`` busiest are tried with one more
person (``add`` mode) or with one person of the role moved to them from the least
busy team that can spare one (``redistribute`` mode). All candidates of a step
run the same replications (common random numbers), and the one whose one-sided
confidence bounds come closest to the thresholds (the largest drop of the summed
relative shortfall, i.e. the best improvement per person) is kept. The search
stops when every target holds with confidence, when the budget is spent, or when
no candidate improves; it does not start when a target lies above its **ceiling**
(the most any staffing can reach, :mod:`sim.experiments.ceilings`), and says so.
Then the **finalists** (the path's staffings from the first whose means meet the
targets) are run with ``check_reps`` replications, and the answer is the smallest
one whose targets all hold with confidence.

Replications go where they decide something: the screen (``screen_reps`` per candidate)
picks each step's move, and the final check (``check_reps``) is what the answer rests
on. The staffing kept at each step gets ``reps`` (default 2, the screen's own): a third
replication of it would narrow the path's bounds but decide no move (the best is picked on
the screen's replications when it alone survives) and no answer (the check re-runs it).

Validation is respected: candidates are built with :func:`staffed`, which
re-validates the scenario (a team keeps the roles its work needs) and keeps the
精执 units adding up (an added officer or clerk goes to the unit with the fewest,
a removed one leaves the unit with the most).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim import frames
from sim.config.checks import receiving_teams
from sim.config.distspec import FixedSpec
from sim.config.errors import ScenarioError
from sim.config.load import scenario_hash, with_overrides
from sim.config.schema import UNIT_ROLES, Scenario
from sim.experiments.ceilings import CeilingCheck, ceiling_checks
from sim.experiments.statistics import screen
from sim.experiments.types import Evaluate, Target
from sim.metrics.stability import unstable_replications
from sim.vocab import Role, Team

__all__ = [
    "DEFAULT_CHECK_REPS",
    "DEFAULT_REPS",
    "Key",
    "StaffResult",
    "headcounts",
    "needed_roles",
    "search_staffing",
    "staffed",
    "unit_overrides",
]

logger = logging.getLogger(__name__)

Key = tuple[str, str]
"""``(team, role)``, e.g. ``("fast_track", "officer")``."""

DEFAULT_REPS = 2
"""Replications of the staffing kept at each step (the screen's ``screen_reps``; see the module docstring)."""
DEFAULT_CHECK_REPS = 6
"""Replications of each finalist in the final check, the least the answer rests on."""


def headcounts(scenario: Scenario) -> dict[Key, int]:
    """Head-count of every team × role (zeros included)."""
    return {(t.value, r.value): scenario.staffing.team(t).count(r) for t in Team for r in Role}


def needed_roles(scenario: Scenario) -> dict[Key, bool]:
    """Team × role pairs whose team receives work that the role does (candidates for more staff)."""
    pairs: dict[Key, bool] = {}
    for team, tasks in sorted(receiving_teams(scenario).items()):
        for task in sorted(tasks):
            spec = getattr(scenario.tasks, task)
            if isinstance(spec.hours, FixedSpec) and spec.hours.value == 0:
                continue
            for role in spec.roles:
                pairs[(team.value, role.value)] = True
    return pairs


def unit_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The ``staffing.<team>.units`` that keep sub-teams adding up after head-count overrides.

    For each team with units whose officers or clerks ``overrides`` change (and
    whose units it does not set itself): added people go one by one to the unit
    with the fewest of that role, removed ones leave the unit with the most.
    """
    extra: dict[str, Any] = {}
    for team in Team:
        staffing = scenario.staffing.team(team)
        prefix = f"staffing.{team.value}."
        if not staffing.units or prefix + "units" in overrides:
            continue
        units = [u.model_dump(mode="json") for u in staffing.units]
        changed = False
        for role in UNIT_ROLES:
            field = f"{role.value}s"
            total = overrides.get(prefix + field)
            if isinstance(total, int) and total != staffing.count(role):
                _spread(units, field, total - staffing.count(role))
                changed = True
        if changed:
            extra[prefix + "units"] = units
    return extra


def _spread(units: list[dict[str, Any]], field: str, delta: int) -> None:
    for _ in range(abs(delta)):
        if delta > 0:
            target = min(range(len(units)), key=lambda i: (units[i][field], i))
            units[target][field] += 1
        else:
            target = max(range(len(units)), key=lambda i: (units[i][field], -i))
            units[target][field] = max(0, units[target][field] - 1)


def staffed(scenario: Scenario, counts: Mapping[Key, int]) -> Scenario:
    """``scenario`` with these head-counts (re-validated; raises ``ScenarioError`` if invalid)."""
    current = headcounts(scenario)
    overrides: dict[str, Any] = {
        f"staffing.{team}.{role}s": n for (team, role), n in counts.items() if current.get((team, role)) != n
    }
    if not overrides:
        return scenario
    return with_overrides(scenario, {**overrides, **unit_overrides(scenario, overrides)})


# ---------------------------------------------------------------- the search


@dataclass(frozen=True)
class StaffResult:
    """What :func:`search_staffing` found, and the trade-off it explored.

    ``path`` has one row per accepted step (step 0 = the scenario as given),
    ``explored`` one per candidate tried, ``checks`` the finalists re-run with
    more replications; each carries the staff total, per target KPI the mean
    and the one-sided bound, and ``unstable_reps``: the replications whose
    backlog still grows (the ``unstable`` KPI; its closed-case means mislead).
    """

    targets: tuple[Target, ...]
    mode: str
    confidence: float
    base: dict[Key, int]
    answer: dict[Key, int] | None
    path: pd.DataFrame
    explored: pd.DataFrame
    checks: pd.DataFrame
    conclusion: str
    stopped: str = ""  # why the path stopped
    usage: str = ""  # replications simulated and reused, in words
    simulated: int = 0  # replications this search asked for that it had not asked for before
    ceilings: tuple[CeilingCheck, ...] = ()  # the targets' ceilings in the scenario as given
    kpis: pd.DataFrame | None = None  # every replication the search used: scenario (its label), replication, kpi, value
    scenarios: dict[str, Scenario] | None = None  # the labels' scenarios

    @property
    def met(self) -> bool:
        """Whether a staffing meeting every target with confidence was found."""
        return self.answer is not None

    def staffing_table(self) -> pd.DataFrame:
        """``team, role, base, proposed, change`` for every staffed pair (proposed = best found)."""
        proposed = self.answer if self.answer is not None else self.path.iloc[-1]["counts"]
        rows = [
            {"team": t, "role": r, "base": n, "proposed": proposed[(t, r)], "change": proposed[(t, r)] - n}
            for (t, r), n in self.base.items()
            if n or proposed[(t, r)]
        ]
        return pd.DataFrame(rows, columns=["team", "role", "base", "proposed", "change"])


@dataclass(frozen=True)
class _Option:
    change: str
    counts: dict[Key, int]
    scenario: Scenario


def search_staffing(
    scenario: Scenario,
    targets: Sequence[Target],
    evaluate: Evaluate,
    *,
    add: int | None = None,
    redistribute: str | None = None,
    reps: int = DEFAULT_REPS,
    top_k: int = 3,
    check_reps: int = DEFAULT_CHECK_REPS,
    confidence: float = 0.95,
    max_moves: int = 4,
    screen_reps: int = 2,
    screen_alpha: float = 0.05,
) -> StaffResult:
    """The smallest staffing meeting all ``targets`` (see the module docstring for the method).

    Parameters
    ----------
    add : int, optional
        Add up to this many people (any team × role the work needs).
    redistribute : str, optional
        Keep the total of this role (``"officer"``) and move up to ``max_moves`` of them.
    reps, check_reps : int
        Replications of the staffing kept at each step, and for the final check.
    top_k : int
        Candidates tried per step (the busiest team × role pairs).
    screen_reps, screen_alpha : int, float
        Candidates are screened after ``screen_reps`` common replications, again at
        ``reps`` if several survive and ``reps`` is larger; the best is dropped with
        probability at most ``screen_alpha`` (split over the two looks).
    """
    if (add is None) == (redistribute is None):
        raise ValueError("give exactly one of add (a number of people) or redistribute (a role)")
    if add is not None and add < 1:
        raise ValueError(f"add must be at least 1 (got {add})")
    if redistribute is not None and redistribute not in {r.value for r in Role}:
        raise ValueError(f"redistribute must be a role: {', '.join(r.value for r in Role)} (got {redistribute!r})")
    if reps < 2:
        raise ValueError(
            f"reps must be at least 2 (got {reps}): a staffing is screened on the spread of its replications"
        )
    if check_reps < reps:
        raise ValueError(f"check_reps must be at least reps ({reps}) (got {check_reps})")
    if not 2 <= screen_reps <= reps:
        raise ValueError(f"screen_reps must be between 2 and reps ({reps}) (got {screen_reps})")
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1 (got {top_k})")
    if not 0 < screen_alpha < 1:
        raise ValueError(f"screen_alpha must be in (0, 1) (got {screen_alpha})")
    targets = tuple(targets)
    scorer = _Scorer(targets, confidence)
    counter = _Counter(evaluate)
    state = _Option("(as given)", headcounts(scenario), scenario)
    kpis = counter({"step0": scenario}, reps)
    path, explored = [scorer.row(kpis, "step0", 0, state)], []
    limit = add if add is not None else max_moves
    reason = f"the budget of {limit} {'people' if add is not None else 'moves'} is spent"
    ceilings = tuple(ceiling_checks(kpis, "step0", targets, confidence))
    out_of_reach = [c for c in ceilings if not c.reachable]
    if out_of_reach:  # no staffing can pass the ceiling: trying people would only spend the budget
        reason = "; ".join(c.sentence()[1] for c in out_of_reach)
    for step in range(1, 1 if out_of_reach else limit + 2):
        label = f"step{step - 1}"
        if scorer.all_hold(kpis, label):
            reason = "every target holds with confidence"
            break
        if scorer.scores(kpis, label).max() == 0:
            reason = f"the means of every replication of step {step - 1} meet the targets: the final check decides"
            break
        if step > limit:
            break
        options = _proposals(scenario, state.counts, _utilisation(kpis, label), top_k, redistribute)
        if not options:
            reason = "no valid candidate is left"
            break
        rows, best, best_kpis = _try_step(
            options, step, scorer.scores(kpis, label), scorer, counter, reps, screen_reps, screen_alpha
        )
        explored += rows
        if not rows[best]["gain"] > 0:
            reason = "no candidate brings the targets closer: these teams' staff are not what limits them"
            break
        state, kpis = options[best], best_kpis
        path.append({**scorer.row(kpis, f"step{step}", step, state), "gain": rows[best]["gain"]})
    path_table = pd.DataFrame(path)
    search_reps = counter.simulated
    checks, answer, check_note = _final_check(scenario, path_table, scorer, counter, check_reps)
    usage = (
        f"{counter.simulated} replications simulated ({search_reps} in the search, "
        f"{counter.simulated - search_reps} in the final check), {counter.reused} reused"
    )
    if out_of_reach:
        blocked = ", ".join(str(c.target) for c in out_of_reach)
        conclusion = (
            f"no staffing can meet {blocked}: the target is above its ceiling, the most any staffing can "
            "reach (上限 ceiling below); no candidate was tried"
        )
    else:
        conclusion = _conclusion(answer, checks, reason, check_reps, confidence, check_note)
    mode = "add" if add is not None else f"redistribute {redistribute}"
    return StaffResult(
        targets,
        mode,
        confidence,
        headcounts(scenario),
        answer,
        path_table,
        pd.DataFrame(explored),
        checks,
        conclusion,
        reason,
        usage,
        counter.simulated,
        ceilings,
        counter.kpis(),
        dict(counter.scenarios),
    )


class _Counter:
    """The search's evaluate, counting the replications it asks for anew and again (by scenario content).

    With the evaluator's cache, a replication asked for again is not simulated again;
    the counts are the search's own (a cache filled by an earlier command serves more).
    """

    def __init__(self, evaluate: Evaluate) -> None:
        self.evaluate = evaluate
        self.seen: dict[str, int] = {}  # the scenario's content hash → replications asked so far
        self.simulated = 0
        self.reused = 0
        self.tables: list[pd.DataFrame] = []  # every table returned, kept for a results folder
        self.scenarios: dict[str, Scenario] = {}

    def __call__(self, scenarios: Mapping[str, Scenario], reps: int) -> pd.DataFrame:
        for scenario in scenarios.values():
            key = scenario_hash(scenario)
            have = self.seen.get(key, 0)
            self.simulated += max(0, reps - have)
            self.reused += min(have, reps)
            self.seen[key] = max(have, reps)
        table = self.evaluate(scenarios, reps)
        self.tables.append(table)
        self.scenarios.update(scenarios)
        return table

    def kpis(self) -> pd.DataFrame:
        """Every (label, replication, kpi) the search saw, once (the last value asked wins; CRN makes them equal)."""
        if not self.tables:
            return pd.DataFrame(columns=["scenario", "replication", "kpi", "value"])
        every = pd.concat(self.tables, ignore_index=True)
        return every.drop_duplicates(["scenario", "replication", "kpi"], keep="last").reset_index(drop=True)


def _try_step(
    options: list[_Option],
    step: int,
    state_scores: np.ndarray,
    scorer: _Scorer,
    evaluate: _Counter,
    reps: int,
    screen_reps: int,
    alpha: float,
) -> tuple[list[dict[str, Any]], int, pd.DataFrame]:
    """Screen the candidates on common replications, keep the best; rows, its index, its KPI table.

    All candidates run ``screen_reps`` replications; those clearly worse than another
    (:func:`~sim.experiments.statistics.screen` at level ``alpha / 2``) stop there. If
    several survive, they run to ``reps`` and are screened again (the other ``alpha / 2``).
    The best mean shortfall among the survivors is kept, and run to ``reps``. Its gain
    is the drop of the shortfall from the current staffing, replication by replication.
    """
    labels = [f"s{step}c{i}" for i in range(len(options))]
    scenarios = {label: o.scenario for label, o in zip(labels, options, strict=True)}
    kpis = evaluate(scenarios, screen_reps)
    n = dict.fromkeys(labels, screen_reps)
    survivors = screen({label: scorer.scores(kpis, label) for label in labels}, alpha / 2)
    dropped = {label: screen_reps for label in labels if label not in survivors}
    if len(survivors) > 1 and reps > screen_reps:
        kpis = pd.concat(
            [kpis[~kpis["scenario"].isin(survivors)], evaluate({s: scenarios[s] for s in survivors}, reps)]
        )
        n.update(dict.fromkeys(survivors, reps))
        kept = screen({label: scorer.scores(kpis, label) for label in survivors}, alpha / 2)
        dropped.update({label: reps for label in survivors if label not in kept})
        survivors = kept
    best_label = min(survivors, key=lambda label: (scorer.scores(kpis, label).mean(), labels.index(label)))
    best = labels.index(best_label)
    if n[best_label] < reps:
        kpis = pd.concat([kpis[kpis["scenario"] != best_label], evaluate({best_label: scenarios[best_label]}, reps)])
        n[best_label] = reps
    rows = []
    for i, (label, option) in enumerate(zip(labels, options, strict=True)):
        mine = scorer.scores(kpis, label)
        common = min(mine.size, state_scores.size)
        row = scorer.row(kpis, label, step, option)
        row["gain"] = float((state_scores[:common] - mine[:common]).mean())
        row["n"] = n[label]
        row["screen"] = (
            f"dropped after {dropped[label]}: clearly worse than another"
            if label in dropped
            else ("kept: the best mean" if i == best else "survived the screen; not the best mean")
        )
        rows.append(row)
    best_kpis = kpis[kpis["scenario"] == best_label].assign(scenario=f"step{step}")
    return rows, best, best_kpis


class _Scorer:
    """Targets against a KPI table: checks, the summed shortfall, and rows of the trade-off."""

    def __init__(self, targets: tuple[Target, ...], confidence: float) -> None:
        self.targets, self.confidence = targets, confidence

    def all_hold(self, kpis: pd.DataFrame, label: str) -> bool:
        return all(t.on(kpis, label, self.confidence).holds for t in self.targets)

    def scores(self, kpis: pd.DataFrame, label: str) -> np.ndarray:
        """Per replication (in order), the summed relative shortfall of its KPI values (0 = all met)."""
        rows = kpis[kpis["scenario"] == label]
        total: np.ndarray | None = None
        for target in self.targets:
            values = rows[rows["kpi"] == target.kpi].sort_values("replication")["value"].to_numpy(dtype=float)
            short = np.array([target.shortfall(v) for v in values], dtype=float)
            total = short if total is None else total + short
        return total if total is not None else np.zeros(0)

    def objective(self, kpis: pd.DataFrame, label: str, use_mean: bool = False) -> float:
        total = 0.0
        for target in self.targets:
            check = target.on(kpis, label, self.confidence)
            value = check.mean if use_mean or math.isnan(check.bound) else check.bound
            total += target.shortfall(value)
        return total

    def row(self, kpis: pd.DataFrame, label: str, step: int, option: _Option) -> dict[str, Any]:
        row: dict[str, Any] = {
            "step": step,
            "label": label,
            "change": option.change,
            "staff": sum(option.counts.values()),
            "counts": option.counts,
        }
        n = 0
        for target in self.targets:
            check = target.on(kpis, label, self.confidence)
            row[f"{target.kpi}_mean"], row[f"{target.kpi}_bound"] = check.mean, check.bound
            n = max(n, check.n)
        row["n"] = n
        row["unstable_reps"] = unstable_replications(kpis, label)[0]  # backlog still growing: means mislead
        row["means_meet"] = self.objective(kpis, label, use_mean=True) == 0
        row["all_hold"] = self.all_hold(kpis, label)
        row["shortfall"], row["mean_shortfall"] = (
            self.objective(kpis, label),
            self.objective(kpis, label, use_mean=True),
        )
        row["gain"] = 0.0
        return row


def _utilisation(kpis: pd.DataFrame, label: str) -> dict[Key, float]:
    rows = kpis[(kpis["scenario"] == label) & kpis["kpi"].str.startswith("util_")]
    means = rows.groupby("kpi")["value"].mean()
    result: dict[Key, float] = {}
    for kpi, value in means.items():
        for team in Team:
            prefix = f"util_{team.value}_"
            if str(kpi).startswith(prefix):
                result[(team.value, str(kpi)[len(prefix) :])] = float(value)
    return result


def _proposals(
    scenario: Scenario, counts: dict[Key, int], util: dict[Key, float], top_k: int, role: str | None
) -> list[_Option]:
    """The busiest ``top_k`` valid candidates: one more person, or one moved from the least busy."""

    def busy(key: Key) -> float:
        value = util.get(key, math.nan)
        return -1.0 if math.isnan(value) else value

    needed = [k for k in needed_roles(scenario) if role is None or k[1] == role]
    options: list[_Option] = []
    for key in sorted(needed, key=busy, reverse=True):
        if len(options) == top_k:
            break
        if role is None:
            option = _try(scenario, counts, {key: 1}, f"+1 {key[1]} {key[0]}")
        else:
            donors = sorted((k for k in counts if k[1] == role and counts[k] > 0 and k != key), key=busy)
            option = next(
                (o for d in donors if (o := _try(scenario, counts, {d: -1, key: 1}, f"{role} {d[0]} → {key[0]}"))), None
            )
        if option is not None:
            options.append(option)
    return options


def _try(scenario: Scenario, counts: dict[Key, int], delta: dict[Key, int], change: str) -> _Option | None:
    new = {k: n + delta.get(k, 0) for k, n in counts.items()}
    try:
        return _Option(change, new, staffed(scenario, new))
    except ScenarioError as exc:
        logger.debug("candidate %s is not a valid staffing: %s", change, exc)
        return None


def _final_check(
    scenario: Scenario, path: pd.DataFrame, scorer: _Scorer, evaluate: _Counter, check_reps: int
) -> tuple[pd.DataFrame, dict[Key, int] | None, str]:
    """Confirm the finalists one at a time, smallest first; the answer is the first whose targets all hold.

    Finalists are the path's staffings whose means meet every target; one whose mean
    already misses is never checked (more replications would not make its bound meet
    the target but by chance). Each is run to ``check_reps`` (the first replications
    come from the cache); the first that holds with confidence is the answer and the
    larger ones are not run. Returns the checks, the answer and what was skipped.
    """
    finalists = path[path["means_meet"]]
    skipped = len(path) - len(finalists)
    note = f"{skipped} staffing(s) of the path not checked: their means miss a target" if skipped else ""
    rows = []
    answer = None
    for r in frames.rows(finalists):
        label = f"check{int(r.step)}"
        checked = staffed(scenario, r.counts)
        kpis = evaluate({label: checked}, check_reps)
        rows.append(scorer.row(kpis, label, int(r.step), _Option(str(r.change), dict(r.counts), checked)))
        if rows[-1]["all_hold"]:
            answer = dict(r.counts)
            break
    columns = list(path.columns)
    return pd.DataFrame(rows, columns=columns if not rows else None), answer, note


def _conclusion(
    answer: dict[Key, int] | None, checks: pd.DataFrame, reason: str, check_reps: int, confidence: float, note: str
) -> str:
    extra = f"; {note}" if note else ""
    if answer is not None:
        step = int(checks[checks["all_hold"]].iloc[0]["step"])
        return (
            f"step {step} meets every target with {confidence:.0%} confidence "
            f"(checked with {check_reps} replications); search stopped: {reason}{extra}"
        )
    if checks.empty:
        return (
            f"no staffing explored has means meeting every target, so none was checked; search stopped: {reason}{extra}"
        )
    return f"no staffing explored meets every target with {confidence:.0%} confidence; search stopped: {reason}{extra}"
