"""Which lever moves the target? Every policy the scenario exposes, one at a time, then together.

Like the 执行局长's list before the reform meeting: besides more officers, the court can
change its triage rules and threshold (繁简分流), switch a ``[reform]`` mechanism on or off
or serve more documents electronically, order each team's waiting work differently
(dispatch), or assign new cases to officers differently. :func:`levers_of` lists the
levers a scenario exposes (each a set of overrides of its file, validated), and
:func:`search_levers` runs them all against the scenario as given under common random
numbers:

1. the scenario as given, ``reps`` replications; its targets' ceilings
   (:mod:`sim.experiments.ceilings`);
2. every lever ``screen_reps`` replications; levers clearly worse than another on the
   targets' summed shortfall (the screen of :func:`sim.experiments.statistics.screen`,
   level ``alpha``) stop there, the others run to ``reps``;
3. each lever's effect on each target KPI: the paired difference from the scenario as
   given, with its 95% t-interval, the target's mean and one-sided bound, whether it
   holds, the ceiling under the lever, and the replications whose backlog grows;
4. the **combination** of every lever whose effect on the targets is significantly
   good (staffing levers add up), run to ``reps``: whether the levers together reach
   the targets.

The staffing levers are one more person in each of the ``top_k`` busiest posts (by
utilisation in the scenario as given): ``courtsim marginal`` does every post and
``courtsim staff`` the smallest staffing; here staffing is one lever beside the others.
A lever's effect is a first look (``reps`` replications, typically 3): check the one
that matters with ``courtsim compare`` and more replications.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim import frames
from sim.config.errors import ScenarioError
from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.experiments.ceilings import CeilingCheck, ceiling_checks
from sim.experiments.staffing_search import Key, _Counter, _Scorer, _utilisation, headcounts, needed_roles, staffed
from sim.experiments.statistics import paired_differences, screen
from sim.experiments.types import Evaluate, Target
from sim.metrics.stability import unstable_replications
from sim.rules import DISPATCH, HANDLERS, TRIAGE
from sim.vocab import MECHANISM_ZH, ROLE_ZH, TEAM_ZH, Mechanism, Role, Team

__all__ = ["BASE", "COMBINED", "Lever", "LeverResult", "levers_of", "search_levers"]

BASE = "as_given"
COMBINED = "combined"

_KIND_ZH = {
    "staffing": "人员",
    "triage_rules": "繁简分流",
    "reform": "改革机制",
    "dispatch": "派工顺序",
    "handlers": "分案规则",
}


@dataclass(frozen=True)
class Lever:
    """One change of the scenario: its id, kind, names and the overrides that make it."""

    id: str
    kind: str  # staffing, triage_rules, reform, dispatch, handlers
    zh: str
    en: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    counts: Mapping[Key, int] | None = None  # staffing levers: the head-count change (team, role) → delta

    @property
    def kind_zh(self) -> str:
        return _KIND_ZH.get(self.kind, self.kind)


def levers_of(scenario: Scenario, busiest: Sequence[Key] = ()) -> list[Lever]:
    """The levers ``scenario`` exposes, each valid on its own (invalid ones are left out).

    ``busiest``: the posts that get a staffing lever (one more person each), in order.
    """
    policy, reform = scenario.policy, scenario.reform
    levers: list[Lever] = []
    for key in busiest:
        team, role = key
        zh = f"{TEAM_ZH[Team(team)]}增加1名{ROLE_ZH[Role(role)]}"
        levers.append(Lever(f"+1 {role} {team}", "staffing", zh, f"one more {role} in {team}", counts={key: 1}))
    current = tuple(policy.triage)
    for rule in current:
        rest = [r for r in current if r != rule]
        levers.append(
            Lever(
                f"triage -{rule}",
                "triage_rules",
                f"简案标准去掉“{rule}”",
                f"triage without {rule}",
                {"policy.triage": rest},
            )
        )
    for rule in [r for r in TRIAGE.names() if r not in current]:
        levers.append(
            Lever(
                f"triage +{rule}",
                "triage_rules",
                f"简案标准增加“{rule}”",
                f"triage with {rule}",
                {"policy.triage": [*current, rule]},
            )
        )
    if current:
        threshold = policy.simple_threshold_cny
        for factor in (0.5, 2.0):
            value = threshold * factor
            levers.append(
                Lever(
                    f"threshold x{factor:g}",
                    "triage_rules",
                    f"简案标的额上限改为{value:,.0f}元",
                    f"simple-case threshold {value:,.0f} CNY (×{factor:g})",
                    {"policy.simple_threshold_cny": value},
                )
            )
    for mechanism in Mechanism:
        on = bool(getattr(reform[mechanism], "enabled", False))
        verb_zh, verb_en = ("关闭", "off") if on else ("开启", "on")
        levers.append(
            Lever(
                f"reform.{mechanism.value} {verb_en}",
                "reform",
                f"{verb_zh}{MECHANISM_ZH[mechanism]}",
                f"{mechanism.value.replace('_', ' ')} switched {verb_en}",
                {f"reform.{mechanism.value}.enabled": not on},
            )
        )
    service = reform.electronic_service
    if service.share < 0.9:
        levers.append(
            Lever(
                "e-service share 0.9",
                "reform",
                "电子送达比例提高到90%（假设）",
                f"electronic service share {service.share:.0%} → 90% (a what-if, EST)",
                {"reform.electronic_service.enabled": True, "reform.electronic_service.share": 0.9},
            )
        )
    for rule in [r for r in DISPATCH.names() if r != policy.dispatch]:
        levers.append(
            Lever(
                f"dispatch {rule}",
                "dispatch",
                f"派工顺序改为“{rule}”",
                f"dispatch order {rule} (now {policy.dispatch})",
                {"policy.dispatch": rule},
            )
        )
    for rule in [r for r in HANDLERS.names() if r != policy.handler_assignment]:
        levers.append(
            Lever(
                f"handlers {rule}",
                "handlers",
                f"分案规则改为“{rule}”",
                f"handler assignment {rule} (now {policy.handler_assignment})",
                {"policy.handler_assignment": rule},
            )
        )
    return [lever for lever in levers if _build(scenario, lever) is not None]


def _build(scenario: Scenario, lever: Lever) -> Scenario | None:
    try:
        changed = with_overrides(scenario, dict(lever.overrides)) if lever.overrides else scenario
        if lever.counts:
            now = headcounts(changed)
            changed = staffed(changed, {k: now[k] + d for k, d in lever.counts.items()})
    except ScenarioError:
        return None
    return changed


def _combine(levers: Sequence[Lever], triage: Sequence[str]) -> Lever:
    """The levers together: overrides merged (triage: every rule dropped and added), staffing added up."""
    overrides: dict[str, Any] = {}
    counts: dict[Key, int] = {}
    dropped: set[str] = set()
    added: list[str] = []
    for lever in levers:
        for path, value in lever.overrides.items():
            if path == "policy.triage":
                dropped |= set(triage) - set(value)
                added += [r for r in value if r not in triage and r not in added]
                overrides[path] = [r for r in triage if r not in dropped] + added
                continue
            overrides[path] = value
        for key, delta in (lever.counts or {}).items():
            counts[key] = counts.get(key, 0) + delta
    return Lever(
        " + ".join(lever.id for lever in levers),
        "combined",
        "、".join(lever.zh for lever in levers),
        " + ".join(lever.en for lever in levers),
        overrides,
        counts or None,
    )


@dataclass(frozen=True)
class LeverResult:
    """What :func:`search_levers` found: one row per lever (and the combination), best first."""

    targets: tuple[Target, ...]
    confidence: float
    table: pd.DataFrame  # see search_levers
    ceilings: tuple[CeilingCheck, ...]
    combined: tuple[str, ...]  # the levers combined (ids), empty when none helped significantly
    conclusion: str
    stopped: str
    usage: str
    simulated: int
    reps: int
    screen_reps: int
    kpis: pd.DataFrame | None = None
    base_unstable: tuple[int, int] = (0, 0)

    @property
    def met(self) -> bool:
        """Whether a lever (or the combination) meets every target with confidence."""
        return bool(self.table["holds"].any()) if len(self.table) else False


def search_levers(
    scenario: Scenario,
    targets: Sequence[Target],
    evaluate: Evaluate,
    *,
    reps: int = 3,
    screen_reps: int = 2,
    alpha: float = 0.05,
    confidence: float = 0.95,
    top_k: int = 3,
    levers: Sequence[Lever] | None = None,
) -> LeverResult:
    """Every lever against the scenario as given (module docstring); the table is best first.

    Table columns: ``lever, kind, kind_zh, zh, en, n, screen``, per target KPI ``<kpi>_mean``,
    ``<kpi>_bound``, ``<kpi>_diff``, ``<kpi>_diff_low``, ``<kpi>_diff_high``,
    ``<kpi>_significant``; ``holds`` (every target with confidence), ``ceiling`` (the first
    target's ceiling under the lever, NaN without one), ``unstable_reps``, ``gain`` (the mean
    drop of the summed relative shortfall from the scenario as given, paired).
    """
    if not 2 <= screen_reps <= reps:
        raise ValueError(f"need 2 <= screen_reps <= reps (got {screen_reps=}, {reps=})")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1) (got {alpha})")
    targets = tuple(targets)
    if not targets:
        raise ValueError("give at least one target")
    scorer, counter = _Scorer(targets, confidence), _Counter(evaluate)
    kpis = counter({BASE: scenario}, reps)
    ceilings = tuple(ceiling_checks(kpis, BASE, targets, confidence))
    if levers is None:
        util = _utilisation(kpis, BASE)
        needed = sorted(needed_roles(scenario), key=lambda k: -util.get(k, -1.0))
        levers = levers_of(scenario, needed[:top_k])
    built = {lever.id: s for lever in levers if (s := _build(scenario, lever)) is not None}
    chosen = [lever for lever in levers if lever.id in built]
    if not chosen:
        raise ValueError("the scenario exposes no valid lever")
    first = counter(built, screen_reps)
    kpis = pd.concat([kpis, first], ignore_index=True)
    scores = {lid: scorer.scores(kpis, lid) for lid in built}
    survivors = screen(scores, alpha) if len(built) > 1 else list(built)
    n = dict.fromkeys(built, screen_reps)
    if reps > screen_reps and survivors:
        more = counter({lid: built[lid] for lid in survivors}, reps)
        kpis = pd.concat([kpis[~kpis["scenario"].isin(survivors)], more], ignore_index=True)
        n.update(dict.fromkeys(survivors, reps))
    rows = [_row(kpis, lever, scorer, targets, n[lever.id], lever.id in survivors) for lever in chosen]
    helping = [r for r in rows if all(r[f"{t.kpi}_significant"] and _good(t, r[f"{t.kpi}_diff"]) for t in targets)]
    helping.sort(key=lambda r: -float(r["gain"]))
    combined: tuple[str, ...] = ()
    if len(helping) >= 2:
        by_id = {lever.id: lever for lever in chosen}
        combo = _combine([by_id[r["lever"]] for r in helping], scenario.policy.triage)  # largest gain first
        together = _build(scenario, combo)
        if together is not None:
            kpis = pd.concat([kpis, counter({COMBINED: together}, reps)], ignore_index=True)
            rows.append(_row(kpis, combo, scorer, targets, reps, True, label=COMBINED))
            combined = tuple(r["lever"] for r in helping)
    table = pd.DataFrame(rows)
    table = table.sort_values(["holds", "gain"], ascending=[False, False], kind="stable").reset_index(drop=True)
    dropped = sum(1 for lever in chosen if lever.id not in survivors)
    stopped = (
        f"all {len(chosen)} levers run: {len(chosen) - dropped} to {reps} replications, {dropped} stopped after "
        f"{screen_reps} (clearly worse than another on the targets' shortfall)"
        + (f"; the {len(combined)} levers with a significant good effect run together" if combined else "")
    )
    usage = f"{counter.simulated} replications simulated, {counter.reused} reused"
    conclusion = _conclusion(table, targets, ceilings, combined)
    return LeverResult(
        targets,
        confidence,
        table,
        ceilings,
        combined,
        conclusion,
        stopped,
        usage,
        counter.simulated,
        reps,
        screen_reps,
        counter.kpis(),
        unstable_replications(kpis, BASE),
    )


def _good(target: Target, diff: float) -> bool:
    return diff > 0 if target.side == "lower" else diff < 0


def _row(
    kpis: pd.DataFrame,
    lever: Lever,
    scorer: _Scorer,
    targets: tuple[Target, ...],
    n: int,
    survived: bool,
    label: str | None = None,
) -> dict[str, Any]:
    label = label or lever.id
    own = kpis.loc[kpis["scenario"].isin([BASE, label])]
    diffs = paired_differences(own, BASE).set_index("kpi") if label != BASE else pd.DataFrame()
    row: dict[str, Any] = {
        "lever": lever.id,
        "kind": lever.kind,
        "kind_zh": _KIND_ZH.get(lever.kind, "组合" if lever.kind == "combined" else lever.kind),
        "zh": lever.zh,
        "en": lever.en,
        "n": n,
        "screen": "run to the end" if survived else "stopped after the screen: clearly worse than another",
    }
    for target in targets:
        check = target.on(kpis, label, scorer.confidence)
        row[f"{target.kpi}_mean"], row[f"{target.kpi}_bound"] = check.mean, check.bound
        d = frames.line(diffs, target.kpi) if target.kpi in diffs.index else None
        row[f"{target.kpi}_diff"] = float(d["mean_diff"]) if d is not None else math.nan
        row[f"{target.kpi}_diff_low"] = float(d["ci_low"]) if d is not None else math.nan
        row[f"{target.kpi}_diff_high"] = float(d["ci_high"]) if d is not None else math.nan
        row[f"{target.kpi}_significant"] = bool(d["significant"]) if d is not None else False
    row["holds"] = scorer.all_hold(kpis, label)
    checks = ceiling_checks(kpis, label, targets, scorer.confidence)
    row["ceiling"] = checks[0].mean if checks else math.nan
    row["unstable_reps"] = unstable_replications(kpis, label)[0]
    base_scores, mine = scorer.scores(kpis, BASE), scorer.scores(kpis, label)
    common = min(base_scores.size, mine.size)
    row["gain"] = float(np.mean(base_scores[:common] - mine[:common])) if common else math.nan
    return row


def _conclusion(
    table: pd.DataFrame, targets: tuple[Target, ...], ceilings: tuple[CeilingCheck, ...], combined: tuple[str, ...]
) -> str:
    names = ", ".join(str(t) for t in targets)
    holding = table.loc[table["holds"]]
    if len(holding):
        return f"{len(holding)} lever(s) meet {names} with confidence; the best: {holding.iloc[0]['lever']}"
    blocked = [c for c in ceilings if not c.reachable]
    best = table.iloc[0] if len(table) else None
    text = f"no single lever meets {names}"
    if combined:
        text += f", nor the {len(combined)} helpful levers together"
    if best is not None and best["gain"] > 0:
        text += f"; the one that brings the targets closest: {best['lever']}"
    if blocked:
        text += "; staffing cannot either: " + blocked[0].sentence()[1]
    return text
