"""增减一人的效果: the bottleneck by effect, not by utilisation.

Like a 执行局长 asking "if I gave you one more officer, what would change?" of
every team in turn: the scenario is run once as it is and once with one more
(and, if asked, one fewer) person in each team × role, all under common random
numbers (replication ``r`` of every variant sees the same cases), and each KPI
of each variant is compared with the base replication by replication (paired
t-interval, :func:`sim.experiments.statistics.paired_differences`). The post
whose extra person moves the 45-day rate most is where the court is short;
utilisation says only who is busy.

Cost: ``(1 + len(deltas) × posts) × reps`` replications, every one a full run
(the baseline has about 15 posts that do work, so ``+1`` only with 3
replications is about 48 runs). The base replications come from the cache when
the same evaluator has run them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import frames
from sim.config.errors import ScenarioError
from sim.config.schema import Scenario
from sim.experiments.staffing_search import Key, headcounts, needed_roles, staffed
from sim.experiments.statistics import paired_differences
from sim.experiments.types import Evaluate
from sim.metrics import KPIS, View, headline
from sim.metrics.registry import utilisation_id
from sim.metrics.stability import UNSTABLE_KPI

__all__ = ["BASE", "MarginalResult", "marginal_cost", "marginal_staffing", "posts_of", "variant_label"]

BASE = "base"
"""The label of the scenario as it is."""


def variant_label(team: str, role: str, delta: int) -> str:
    """``fast_track.officer+1``: the label of one variant."""
    return f"{team}.{role}{delta:+d}"


def posts_of(scenario: Scenario) -> list[Key]:
    """The team × role pairs that do work in ``scenario`` (a task of the team needs the role)."""
    return sorted(needed_roles(scenario))


def marginal_cost(scenario: Scenario, reps: int, deltas: Sequence[int] = (1,)) -> int:
    """Replications :func:`marginal_staffing` runs (the base included), before the cache."""
    return (1 + len(deltas) * len(posts_of(scenario))) * reps


@dataclass(frozen=True)
class MarginalResult:
    """The effect of one person more or fewer in each post, on each KPI.

    ``table``: one row per (team, role, delta, kpi): ``headcount`` (before),
    ``base_mean``, ``mean``, ``mean_diff`` with ``ci_low``/``ci_high`` (paired
    t-interval), ``significant``, ``better`` (the KPI's direction), ``gain``
    (``mean_diff`` signed so that positive is better; NaN for a KPI without a
    direction), ``unstable_reps`` (replications of the variant whose backlog still
    grows) and, as context, ``utilisation`` (the post's mean utilisation in the base)
    and ``utilisation_after`` (in the variant). ``skipped``: variants that could not be
    built (``team, role, delta, reason``), e.g. a team left without a role its work needs.
    ``kpis`` is the long table of every variant (scenario, replication, kpi, value),
    ``scenarios`` the variants by label (:data:`BASE` and :func:`variant_label`).
    """

    table: pd.DataFrame
    skipped: pd.DataFrame
    reps: int
    level: float
    base_unstable_reps: int
    kpis: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenarios: Mapping[str, Scenario] = field(default_factory=dict)

    def ranking(self, kpi: str = "fast45_rate", delta: int = 1) -> pd.DataFrame:
        """The posts by the gain of ``delta`` people on ``kpi``, best first (the bottleneck by effect)."""
        rows = self.table.loc[(self.table["kpi"] == kpi) & (self.table["delta"] == delta)]
        return rows.sort_values("gain", ascending=False, kind="stable", na_position="last").reset_index(drop=True)


def marginal_staffing(
    scenario: Scenario,
    evaluate: Evaluate,
    *,
    reps: int,
    deltas: Sequence[int] = (1,),
    posts: Sequence[Key] | None = None,
    kpis: Sequence[str] | None = None,
    level: float = 0.95,
) -> MarginalResult:
    """Run the base and each post with ``deltas`` people more (or fewer), under CRN, and compare.

    Parameters
    ----------
    scenario
        The base scenario.
    evaluate
        ``evaluate(scenarios, reps)`` → long KPI table (an :class:`~sim.experiments.running.Evaluator`).
    reps
        Replications of every variant (at least 2 for an interval).
    deltas
        Head-count changes to try in each post, e.g. ``(1, -1)``.
    posts
        The team × role pairs; default :func:`posts_of` (every post that does work).
    kpis
        The KPIs of the table; default the terminal headline KPIs.
    level
        Confidence level of the intervals.
    """
    if reps < 2:
        raise ValueError(f"reps must be at least 2 for a paired interval, got {reps}")
    bad = [d for d in deltas if not isinstance(d, int) or d == 0]
    if bad:
        raise ValueError(f"deltas are whole numbers of people other than 0, got {bad}")
    counts = headcounts(scenario)
    keys = list(posts) if posts is not None else posts_of(scenario)
    unknown = [k for k in keys if k not in counts]
    if unknown:
        raise ValueError(f"unknown team × role {unknown}; known: {sorted(counts)}")
    wanted = list(kpis) if kpis is not None else headline(View.TERMINAL)
    missing = [k for k in wanted if k not in KPIS and not k.startswith("util_")]
    if missing:
        raise ValueError(f"unknown KPI(s) {missing}")
    variants: dict[str, Scenario] = {BASE: scenario}
    meta: dict[str, tuple[str, str, int]] = {}
    skipped = []
    for team, role in keys:
        for delta in deltas:
            label = variant_label(team, role, delta)
            new = counts[(team, role)] + delta
            if new < 0:
                skipped.append((team, role, delta, f"only {counts[(team, role)]} in post"))
                continue
            try:
                variants[label] = staffed(scenario, {(team, role): new})
            except ScenarioError as exc:
                skipped.append((team, role, delta, str(exc).splitlines()[0]))
                continue
            meta[label] = (team, role, delta)
    long = evaluate(variants, reps)
    paired = paired_differences(long.loc[long["kpi"].isin(wanted)], BASE, level)
    means = long.groupby(["scenario", "kpi"])["value"].mean()
    unstable = long.loc[long["kpi"] == UNSTABLE_KPI].groupby("scenario")["value"].apply(lambda v: int((v > 0.5).sum()))
    rows = []
    for r in frames.rows(paired):
        if r.scenario not in meta:
            continue
        team, role, delta = meta[r.scenario]
        better = KPIS[r.kpi].better if r.kpi in KPIS else "none"
        sign = 1.0 if better == "higher" else -1.0 if better == "lower" else np.nan
        rows.append(
            {
                "team": team,
                "role": role,
                "delta": delta,
                "headcount": counts[(team, role)],
                "kpi": r.kpi,
                "base_mean": means.get((BASE, r.kpi), np.nan),
                "mean": means.get((r.scenario, r.kpi), np.nan),
                "mean_diff": r.mean_diff,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "significant": bool(r.significant),
                "better": better,
                "gain": sign * r.mean_diff,
                "unstable_reps": int(unstable.get(r.scenario, 0)),
                "utilisation": means.get((BASE, utilisation_id(team, role)), np.nan),
                "utilisation_after": means.get((r.scenario, utilisation_id(team, role)), np.nan),
            }
        )
    table = pd.DataFrame(rows)
    order = {k: i for i, k in enumerate(wanted)}
    if len(table):
        table = table.sort_values(
            ["kpi", "delta", "team", "role"], key=lambda s: s.map(order) if s.name == "kpi" else s, kind="stable"
        ).reset_index(drop=True)
    return MarginalResult(
        table=table,
        skipped=pd.DataFrame(skipped, columns=["team", "role", "delta", "reason"]),
        reps=reps,
        level=level,
        base_unstable_reps=int(unstable.get(BASE, 0)),
        kpis=long,
        scenarios=variants,
    )
