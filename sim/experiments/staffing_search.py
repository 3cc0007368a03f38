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
no candidate improves. Then the **finalists** (the path's staffings from the
first whose means meet the targets) are run with ``check_reps`` replications,
and the answer is the smallest one whose targets all hold with confidence.

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

import pandas as pd

from sim import frames
from sim.config.checks import receiving_teams
from sim.config.distspec import FixedSpec
from sim.config.errors import ScenarioError
from sim.config.load import with_overrides
from sim.config.schema import UNIT_ROLES, Scenario
from sim.experiments.types import Evaluate, Target
from sim.vocab import Role, Team

__all__ = ["Key", "StaffResult", "headcounts", "needed_roles", "search_staffing", "staffed", "unit_overrides"]

logger = logging.getLogger(__name__)

Key = tuple[str, str]
"""``(team, role)``, e.g. ``("fast_track", "officer")``."""


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
    more replications; each carries the staff total and, per target KPI, the mean
    and the one-sided bound.
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
    reps: int = 3,
    top_k: int = 3,
    check_reps: int = 6,
    confidence: float = 0.95,
    max_moves: int = 4,
) -> StaffResult:
    """The smallest staffing meeting all ``targets`` (see the module docstring for the method).

    Parameters
    ----------
    add : int, optional
        Add up to this many people (any team × role the work needs).
    redistribute : str, optional
        Keep the total of this role (``"officer"``) and move up to ``max_moves`` of them.
    reps, check_reps : int
        Replications per candidate during the search, and for the final check.
    top_k : int
        Candidates tried per step (the busiest team × role pairs).
    """
    if (add is None) == (redistribute is None):
        raise ValueError("give exactly one of add (a number of people) or redistribute (a role)")
    if add is not None and add < 1:
        raise ValueError(f"add must be at least 1 (got {add})")
    if redistribute is not None and redistribute not in {r.value for r in Role}:
        raise ValueError(f"redistribute must be a role: {', '.join(r.value for r in Role)} (got {redistribute!r})")
    if reps < 2 or check_reps < reps or top_k < 1:
        raise ValueError("need reps >= 2, check_reps >= reps and top_k >= 1")
    targets = tuple(targets)
    scorer = _Scorer(targets, confidence)
    state = _Option("(as given)", headcounts(scenario), scenario)
    kpis = evaluate({"step0": scenario}, reps)
    path, explored = [scorer.row(kpis, "step0", 0, state)], []
    limit = add if add is not None else max_moves
    reason = f"the budget of {limit} {'people' if add is not None else 'moves'} is spent"
    for step in range(1, limit + 2):
        if scorer.all_hold(kpis, f"step{step - 1}"):
            reason = "every target holds with confidence"
            break
        if step > limit:
            break
        options = _proposals(scenario, state.counts, _utilisation(kpis, f"step{step - 1}"), top_k, redistribute)
        if not options:
            reason = "no valid candidate is left"
            break
        before = scorer.objective(kpis, f"step{step - 1}")
        rows, best = _try_step(options, step, before, scorer, evaluate, reps)
        explored += rows
        if not rows[best]["gain"] > 0:
            reason = "no candidate brings the targets closer: these teams' staff are not what limits them"
            break
        state = options[best]
        kpis = evaluate({f"step{step}": state.scenario}, reps)  # from the cache: just run as a candidate
        path.append(scorer.row(kpis, f"step{step}", step, state, before))
    path_table = pd.DataFrame(path)
    checks, answer = _final_check(scenario, path_table, scorer, evaluate, check_reps)
    conclusion = _conclusion(answer, checks, reason, check_reps, confidence)
    mode = "add" if add is not None else f"redistribute {redistribute}"
    return StaffResult(
        targets, mode, confidence, headcounts(scenario), answer, path_table, pd.DataFrame(explored), checks, conclusion
    )


def _try_step(
    options: list[_Option], step: int, before: float, scorer: _Scorer, evaluate: Evaluate, reps: int
) -> tuple[list[dict[str, Any]], int]:
    """Run every candidate on the same replications; their rows, and the index of the best gain."""
    labels = [f"s{step}c{i}" for i in range(len(options))]
    tried = evaluate({label: o.scenario for label, o in zip(labels, options, strict=True)}, reps)
    rows = [scorer.row(tried, label, step, o, before) for label, o in zip(labels, options, strict=True)]
    best = min(range(len(rows)), key=lambda i: (-rows[i]["gain"], rows[i]["mean_shortfall"]))
    return rows, best


class _Scorer:
    """Targets against a KPI table: checks, the summed shortfall, and rows of the trade-off."""

    def __init__(self, targets: tuple[Target, ...], confidence: float) -> None:
        self.targets, self.confidence = targets, confidence

    def all_hold(self, kpis: pd.DataFrame, label: str) -> bool:
        return all(t.on(kpis, label, self.confidence).holds for t in self.targets)

    def objective(self, kpis: pd.DataFrame, label: str, use_mean: bool = False) -> float:
        total = 0.0
        for target in self.targets:
            check = target.on(kpis, label, self.confidence)
            value = check.mean if use_mean or math.isnan(check.bound) else check.bound
            total += target.shortfall(value)
        return total

    def row(
        self, kpis: pd.DataFrame, label: str, step: int, option: _Option, before: float | None = None
    ) -> dict[str, Any]:
        after = self.objective(kpis, label)
        row: dict[str, Any] = {
            "step": step,
            "label": label,
            "change": option.change,
            "staff": sum(option.counts.values()),
            "counts": option.counts,
        }
        for target in self.targets:
            check = target.on(kpis, label, self.confidence)
            row[f"{target.kpi}_mean"], row[f"{target.kpi}_bound"] = check.mean, check.bound
        row["means_meet"] = self.objective(kpis, label, use_mean=True) == 0
        row["all_hold"] = self.all_hold(kpis, label)
        row["shortfall"], row["mean_shortfall"] = after, self.objective(kpis, label, use_mean=True)
        row["gain"] = (before - after) if before is not None else 0.0
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
    scenario: Scenario, path: pd.DataFrame, scorer: _Scorer, evaluate: Evaluate, check_reps: int
) -> tuple[pd.DataFrame, dict[Key, int] | None]:
    """Re-run the finalists with ``check_reps``; the answer is the first whose targets all hold."""
    meeting = path.index[path["means_meet"]]
    first = int(meeting[0]) if len(meeting) else len(path) - 1
    finalists = path.iloc[first : first + 3]
    scenarios = {f"check{int(r.step)}": staffed(scenario, r.counts) for r in frames.rows(finalists)}
    kpis = evaluate(scenarios, check_reps)
    rows = []
    for r in frames.rows(finalists):
        option = _Option(str(r.change), dict(r.counts), scenarios[f"check{int(r.step)}"])
        rows.append(scorer.row(kpis, f"check{int(r.step)}", int(r.step), option))
    checks = pd.DataFrame(rows)
    passed = checks[checks["all_hold"]]
    return checks, (dict(passed.iloc[0]["counts"]) if len(passed) else None)


def _conclusion(
    answer: dict[Key, int] | None, checks: pd.DataFrame, reason: str, check_reps: int, confidence: float
) -> str:
    if answer is not None:
        step = int(checks[checks["all_hold"]].iloc[0]["step"])
        return (
            f"step {step} meets every target with {confidence:.0%} confidence "
            f"(checked with {check_reps} replications); search stopped: {reason}"
        )
    return f"no staffing explored meets every target with {confidence:.0%} confidence; search stopped: {reason}"
