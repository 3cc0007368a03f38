"""Attribution: the difference between two scenarios, taken apart into its parts.

Like an auditor explaining this year's result against last year's line by line: the
two scenarios are compared field by field, the fields that differ are gathered into
named **parts** (the organisation, the triage policy, the staffing, each reform
mechanism), and the parts are switched from the base's values to the other's one at
a time, each intermediate court simulated on the same cases (common random numbers).

The parts. Every top-level group of the scenario that differs is a part (``policy``,
``organisation``, ``staffing``, ``tasks`` …). A top-level group that the core schema
does not list (:data:`WHOLE_GROUPS`) and that holds only named sub-groups, such as a
``[reform]`` table of mechanisms ``[reform.specialisation]``, ``[reform.handoff]``,
gives one part per sub-group that differs, so a mechanism added to the scenario
format becomes a part without a change here. ``parts={"triage": ["policy.triage"]}``
names parts by dotted paths (a path takes everything below it); what they do not
take falls into the default parts. ``run.seed`` and ``run.replications`` are
settings of the experiment, not of the court, and are not parts.

The order. The waterfall switches the parts on in a stated order: the named parts in
the order given, then the default parts in the order of the scenario format (policy,
organisation, staffing, …, then each mechanism), except that a part switching a
mechanism *off* (its ``enabled`` goes from true to false) comes before the others, so
that every mechanism is measured in the organisation where it is enabled (from the
reform towards the old court: each mechanism switched off first; the other way: each
switched on last). The order is part of the answer: a step measures a part *given
those before it*.

Validity. Every scenario a method needs (the base with some parts switched) is built
and validated like a scenario file *before anything runs*. A part that cannot be
switched on at its place in the order (the plan's staffing without the organisation
that gives its people work) is merged with the part after it, and the merge says why
(:attr:`Part.note`). A part that cannot be switched on *alone* from the base keeps its
waterfall step but has no one-at-a-time effect (:attr:`Part.alone_problem` says why),
and then no remainder is given either: it would hold that part's whole effect. Shapley
values need every subset to be valid; when one is not they are left out and the
design's notes say why.

The effects, replication by replication (``v_S(r)``: a KPI of replication ``r`` with
the parts ``S`` switched; ∅ is the base, ``N`` all parts, i.e. the other scenario):

- **waterfall** (cumulative, in the parts' order): ``v_{p1..pk} − v_{p1..pk−1}``; the
  steps add up to the total ``v_N − v_∅`` exactly, but each step depends on the order;
- **one at a time** (from the base): ``v_{p} − v_∅``; the **remainder**
  ``(v_N − v_∅) − Σ_p (v_{p} − v_∅)`` is what the parts do together beyond their
  separate effects (interaction), zero when the effects add;
- **Shapley** (optional, ``2^k`` scenarios): each part's marginal effect averaged over
  every order of switching; the values add up to the total and depend on no order.

Each effect is a mean over the paired replications with its Student-t interval, so an
interval says how sure the simulation is of the effect given the model; it says
nothing about the model's own assumptions. Nothing here runs the model: an
:data:`~sim.experiments.types.Evaluate` does.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.config.errors import ScenarioError
from sim.config.load import parse_scenario
from sim.config.schema import Scenario
from sim.experiments.statistics import summarise
from sim.experiments.types import Evaluate

__all__ = [
    "EFFECTS_FILE",
    "EXPERIMENT_SETTINGS",
    "KPIS_FILE",
    "MAX_SHAPLEY_PARTS",
    "WHOLE_GROUPS",
    "AttributionError",
    "AttributionResult",
    "Design",
    "Part",
    "Plan",
    "attribute",
    "compact_paths",
    "differing_paths",
    "effects",
    "plan_attribution",
    "source_of",
]

WHOLE_GROUPS = (
    "run",
    "calendar",
    "arrivals",
    "amounts",
    "probabilities",
    "delays",
    "tasks",
    "deadlines",
    "policy",
    "organisation",
    "side_streams",
    "staffing",
    "staffing_changes",
)
"""Top-level groups that are one part each whatever differs inside them (the core schema)."""

EXPERIMENT_SETTINGS = ("run.seed", "run.replications")
"""Fields that set up the experiment, not the court: never parts (the experiment's seed rules)."""

MAX_SHAPLEY_PARTS = 8
"""Shapley values need 2^k scenarios; beyond this many parts they are refused (256 scenarios)."""

EFFECTS_FILE = "attribution.csv"
"""In a results folder: every effect of every KPI (:func:`effects`), with its ``base`` and ``scenario``."""
KPIS_FILE = "attribution_kpis_by_rep.csv"
"""In a results folder: the intermediate scenarios' KPIs per replication (the ends are in ``kpis_by_rep.csv``);
the designs are in the manifest's ``attribution`` list (:meth:`Design.to_json`)."""

AUTO_SHAPLEY_PARTS = 4
"""``shapley=None`` computes them when there are at most this many parts (16 scenarios)."""

_IGNORED = ("source", "sources", "name", "title", "description")
_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


class AttributionError(ValueError):
    """The attribution cannot be set up: nothing differs, a named part is wrong, too many parts."""


# ---------------------------------------------------------------- the parts


@dataclass(frozen=True)
class Part:
    """A named set of fields switched together.

    ``note`` says why it was grouped, if it was; ``alone_problem`` why it cannot be switched
    on alone from the base (then it has a waterfall step but no one-at-a-time effect).
    """

    name: str
    paths: tuple[str, ...]
    note: str = ""
    alone_problem: str = ""

    @property
    def alone(self) -> bool:
        """Whether the base with only this part switched is a valid scenario."""
        return not self.alone_problem


def _is_leaf(node: Any) -> bool:
    # A distribution ({dist = …}) or a task ({roles, hours}) is one value, as reports show it.
    return not isinstance(node, Mapping) or "dist" in node or "roles" in node


def _flatten(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    # An empty table (organisation.performed_by = {}) has no fields: its keys on the other
    # side are the fields that differ.
    if _is_leaf(node) and path:
        yield path, node
        return
    for key, value in node.items():
        if key not in _IGNORED:
            yield from _flatten(value, f"{path}.{key}" if path else str(key))


def _document(scenario: Scenario) -> dict[str, Any]:
    return scenario.model_dump(mode="json")


def differing_paths(base: Scenario, other: Scenario) -> list[str]:
    """The dotted paths of the fields whose values differ (missing on one side counts), in
    the order of the scenario format; sources, names and the experiment's settings aside."""
    da, db = _document(base), _document(other)
    a, b = dict(_flatten(da)), dict(_flatten(db))
    groups = list(dict.fromkeys([*da, *db]))  # the format's order of top-level groups
    keys = sorted(dict.fromkeys([*a, *b]), key=lambda k: groups.index(k.partition(".")[0]))  # stable
    return [k for k in keys if k not in EXPERIMENT_SETTINGS and (k not in a or k not in b or a[k] != b[k])]


def compact_paths(paths: Iterable[str]) -> str:
    """``staffing.{intake, fast_track} (5 fields); policy.triage``: a part's fields in a few words."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(path.partition(".")[0], []).append(path)
    shown = []
    for top, own in groups.items():
        if len(own) == 1:
            shown.append(own[0])
            continue
        second = list(dict.fromkeys(p.split(".")[1] if "." in p else "" for p in own))
        shown.append(
            f"{top}.{{{', '.join(second)}}} ({len(own)} fields)"
            if len(second) > 1
            else f"{own[0].rsplit('.', 1)[0]}.* ({len(own)} fields)"
        )
    return "; ".join(shown)


def _default_part(path: str, documents: Sequence[Mapping[str, Any]]) -> str:
    top, _, rest = path.partition(".")
    if top in WHOLE_GROUPS or not rest:
        return top
    groups = [d[top] for d in documents if isinstance(d.get(top), Mapping)]
    children = [v for g in groups for k, v in g.items() if k not in _IGNORED]
    if children and all(not _is_leaf(v) for v in children):  # a group of named sub-groups
        return f"{top}.{rest.partition('.')[0]}"
    return top


def _covers(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _parts(paths: list[str], named: Mapping[str, Sequence[str]], documents: Sequence[Mapping[str, Any]]) -> list[Part]:
    """Named parts first (their paths in the given order), then the default parts."""
    taken: dict[str, list[str]] = {}
    for name, prefixes in named.items():
        if not _NAME.match(name) or "+" in name:
            raise AttributionError(f"part name {name!r}: use letters, digits and _ . - (e.g. 'triage')")
        if isinstance(prefixes, str) or not prefixes:
            raise AttributionError(f"part {name!r}: give a list of dotted paths, e.g. ['policy.triage']")
        own = [p for p in paths if any(_covers(prefix, p) for prefix in prefixes) and p not in _taken(taken)]
        if not own:
            listing = ", ".join(paths)
            raise AttributionError(
                f"part {name!r}: {', '.join(prefixes)} takes none of the fields that differ (differing: {listing})"
            )
        taken[name] = own
    rest: dict[str, list[str]] = {}
    for path in paths:
        if path not in _taken(taken):
            rest.setdefault(_default_part(path, documents), []).append(path)
    clash = sorted(set(rest) & set(taken))
    if clash:
        raise AttributionError(f"part {clash[0]!r} is named and is also a default part; choose another name")
    return [Part(name, tuple(own)) for name, own in {**taken, **rest}.items()]


def _value(document: Mapping[str, Any], path: str) -> Any:
    node: Any = document
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _switch_offs_first(parts: list[Part], named: int, documents: Sequence[Mapping[str, Any]]) -> list[Part]:
    """The default parts that switch a mechanism off (``enabled`` true → false) before the others.

    A mechanism acts only where the organisation gives it something to act on (specialists
    need teams of their own function), so it is measured where it is enabled: switched off
    first, while the base's organisation still holds, and switched on last, once the other's
    organisation is in place (the format's order already puts the mechanisms after the
    core groups). Named parts keep the order they were given.
    """
    base, other = documents[0], documents[1]

    def switches_off(part: Part) -> bool:
        path = f"{part.name}.enabled"
        return path in part.paths and _value(base, path) is True and _value(other, path) is False

    given, rest = parts[:named], parts[named:]
    first = [p for p in rest if switches_off(p)]
    return [*given, *first, *(p for p in rest if p not in first)]


def _taken(parts: Mapping[str, list[str]]) -> set[str]:
    return {p for own in parts.values() for p in own}


# ---------------------------------------------------------------- the design (what to run)


@dataclass(frozen=True)
class Design:
    """The parts in waterfall order and the label of every scenario the methods need.

    ``labels`` maps a set of part names switched on to the label of that scenario: the
    empty set is ``base``, the set of all parts is ``other``. Plain data: it is written
    to a results folder and read back by the report (:meth:`to_json`, :meth:`from_json`).
    """

    base: str
    other: str
    parts: tuple[Part, ...]
    labels: Mapping[frozenset[str], str]
    shapley: bool
    notes: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """The part names in waterfall order."""
        return [p.name for p in self.parts]

    def label(self, names: Iterable[str]) -> str:
        """The label of the scenario with ``names`` switched on."""
        return self.labels[frozenset(names)]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (sets as lists in waterfall order)."""
        order = {n: i for i, n in enumerate(self.names)}
        return {
            "base": self.base,
            "other": self.other,
            "parts": [
                {"name": p.name, "paths": list(p.paths), "note": p.note, "alone_problem": p.alone_problem}
                for p in self.parts
            ],
            "scenarios": [
                {"parts": sorted(s, key=order.__getitem__), "label": label} for s, label in self.labels.items()
            ],
            "shapley": self.shapley,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Design:
        """The design :meth:`to_json` wrote."""
        parts = tuple(
            Part(p["name"], tuple(p["paths"]), p.get("note", ""), p.get("alone_problem", "")) for p in data["parts"]
        )
        labels = {frozenset(s["parts"]): s["label"] for s in data["scenarios"]}
        return cls(data["base"], data["other"], parts, labels, bool(data["shapley"]), tuple(data.get("notes", ())))


@dataclass(frozen=True)
class Plan:
    """A design and its scenarios, every one validated: ready to run."""

    design: Design
    scenarios: dict[str, Scenario] = field(repr=False)

    @property
    def intermediate(self) -> dict[str, Scenario]:
        """The scenarios between the two ends (neither the base nor the other)."""
        ends = (self.design.base, self.design.other)
        return {label: s for label, s in self.scenarios.items() if label not in ends}


def _subsets(parts: Sequence[Part], shapley: bool) -> list[frozenset[str]]:
    """What the methods need, in the order they are checked: ends, the waterfall's steps,
    each part alone (those that can be), then (Shapley) every other subset."""
    names = [p.name for p in parts]
    k = len(names)
    wanted = [frozenset(), frozenset(names)]
    wanted += [frozenset(names[:j]) for j in range(1, k)]
    wanted += [frozenset([p.name]) for p in parts if p.alone]
    if shapley:
        wanted += [frozenset(c) for size in range(1, k) for c in itertools.combinations(names, size)]
    return list(dict.fromkeys(wanted))


def _switched(base: dict[str, Any], other: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """The base document with the fields at ``paths`` taken from ``other`` (or removed)."""
    document = copy.deepcopy(base)
    for path in paths:
        *parents, leaf = path.split(".")
        source: Any = other
        for key in parents:
            source = source.get(key, {}) if isinstance(source, Mapping) else {}
        target = document
        for key in parents:
            target = target.setdefault(key, {})
        if isinstance(source, Mapping) and leaf in source:
            target[leaf] = copy.deepcopy(source[leaf])
        else:
            target.pop(leaf, None)
    return document


class _Builder:
    """Builds and validates the scenario of a set of parts (each set once)."""

    def __init__(self, base: Scenario, other: Scenario, base_label: str, other_label: str) -> None:
        self.base, self.other = base, other
        self.base_label, self.other_label = base_label, other_label
        self._docs = (_document(base), _document(other))
        self._built: dict[tuple[str, ...], Scenario | ScenarioError] = {}

    def build(self, parts: Sequence[Part], on: frozenset[str]) -> Scenario | ScenarioError:
        if not on:
            return self.base
        if len(on) == len(parts):
            return self.other
        paths = tuple(sorted(p for part in parts if part.name in on for p in part.paths))
        if paths not in self._built:
            try:
                self._built[paths] = parse_scenario(_switched(*self._docs, paths), self.label(parts, on))
            except ScenarioError as exc:
                self._built[paths] = exc
        built = self._built[paths]
        if isinstance(built, ScenarioError):
            return built
        # The same fields may be validated under another grouping: the name follows the parts.
        label = self.label(parts, on)
        name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", label).strip("_")
        return built.model_copy(update={"name": name, "title": f"{self.base.title} + {label}"})

    def label(self, parts: Sequence[Part], on: frozenset[str]) -> str:
        if not on:
            return self.base_label
        if len(on) == len(parts):
            return self.other_label
        return f"{self.base_label}+{self.other_label}[{'+'.join(self._names(parts, on))}]"

    @staticmethod
    def _names(parts: Sequence[Part], on: frozenset[str]) -> list[str]:
        return [p.name for p in parts if p.name in on]


def _merge(parts: list[Part], names: Sequence[str], why: str) -> list[Part]:
    """``parts`` with those named merged into one, at the place of the first of them."""
    group = [p for p in parts if p.name in names]
    merged = Part(
        "+".join(p.name for p in group),
        tuple(path for p in group for path in p.paths),
        "; ".join(note for note in (*(p.note for p in group), why) if note),
    )
    at = parts.index(group[0])
    rest = [p for p in parts if p.name not in names]
    return [*rest[:at], merged, *rest[at:]]


def _problem_text(error: ScenarioError) -> str:
    first = error.problems[0]
    more = f" (+{len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
    return f"{first}{more}"


def _and(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def _valid_steps(builder: _Builder, parts: list[Part]) -> list[Part]:
    """Merge parts until every step of the waterfall (each prefix of the order) validates.

    When the first ``j`` parts give an invalid scenario (and the first ``j − 1`` do not),
    part ``j`` cannot be switched on before the part after it: the two are merged, and the
    merged part says why.
    """
    while True:
        names = [p.name for p in parts]
        invalid = next(
            (
                (j, result)
                for j in range(1, len(parts))
                if isinstance(result := builder.build(parts, frozenset(names[:j])), ScenarioError)
            ),
            None,
        )
        if invalid is None:
            return parts
        j, error = invalid
        # Parts 1..j-1 switch on; part j cannot follow them without the part after it.
        pair = names[j - 1 : j + 1]
        after = f" after {_and(names[: j - 1])}" if j > 1 else " first"
        why = (
            f"{pair[0]} cannot be switched on{after} without {pair[1]}: that step gives an invalid "
            f"scenario ({_problem_text(error)})"
        )
        parts = _merge(parts, pair, why)


def _mark_alone(builder: _Builder, parts: list[Part]) -> list[Part]:
    """Each part with why it cannot be switched on alone from the base, if it cannot."""
    marked = []
    for part in parts:
        built = builder.build(parts, frozenset([part.name])) if len(parts) > 1 else builder.other
        problem = ""
        if isinstance(built, ScenarioError):
            problem = f"alone it gives an invalid scenario ({_problem_text(built)})"
        marked.append(dataclasses.replace(part, alone_problem=problem))
    return marked


def _all_subsets_valid(builder: _Builder, parts: list[Part]) -> str:
    """'' when every subset of the parts validates (Shapley can run), else the first problem."""
    for on in _subsets(parts, shapley=True):
        built = builder.build(parts, on)
        if isinstance(built, ScenarioError):
            names = [p.name for p in parts if p.name in on]
            return f"switching {_and(names)} alone gives an invalid scenario ({_problem_text(built)})"
    return ""


def plan_attribution(
    base: Scenario,
    other: Scenario,
    parts: Mapping[str, Sequence[str]] | None = None,
    *,
    shapley: bool | None = None,
    base_label: str | None = None,
    other_label: str | None = None,
) -> Plan:
    """The parts of ``other − base`` and every scenario the methods need, all validated.

    Parameters
    ----------
    base, other
        The two scenarios; the attribution explains ``other − base``.
    parts
        Named parts as ``{name: [dotted path, ...]}``, in waterfall order; a path takes
        every differing field below it. Fields they leave are split into default parts
        (module docstring), which follow in the order of the scenario format.
    shapley
        Compute Shapley values (``2^k`` scenarios); ``None``: when there are at most
        :data:`AUTO_SHAPLEY_PARTS` parts.
    base_label, other_label
        The labels of the two ends in the experiment (default: the scenarios' names).

    Raises
    ------
    AttributionError
        Nothing differs, a named part takes no differing field, or Shapley values are asked
        for more than :data:`MAX_SHAPLEY_PARTS` parts.
    """
    base_label, other_label = base_label or base.name, other_label or other.name
    if base_label == other_label:
        raise AttributionError(f"the two scenarios need different labels (both {base_label!r})")
    paths = differing_paths(base, other)
    if not paths:
        raise AttributionError(f"{other_label} and {base_label} do not differ: there is nothing to attribute")
    builder = _Builder(base, other, base_label, other_label)
    found = _switch_offs_first(_parts(paths, parts or {}, builder._docs), len(parts or {}), builder._docs)
    valid = _mark_alone(builder, _valid_steps(builder, found))
    want_shapley = len(valid) <= AUTO_SHAPLEY_PARTS if shapley is None else shapley
    want_shapley = want_shapley and len(valid) > 1  # one part has nothing to share
    if want_shapley and len(valid) > MAX_SHAPLEY_PARTS:
        raise AttributionError(
            f"Shapley values for {len(valid)} parts need {2 ** len(valid)} scenarios; at most "
            f"{MAX_SHAPLEY_PARTS} parts (group some with parts=…, or leave Shapley off)"
        )
    extra: list[str] = []
    if want_shapley and (problem := _all_subsets_valid(builder, valid)):
        if shapley:
            raise AttributionError(f"Shapley values need every subset of the parts to be a valid scenario: {problem}")
        want_shapley = False
        extra.append(f"no Shapley values: {problem}")
    subsets = _subsets(valid, want_shapley)
    labels = {on: builder.label(valid, on) for on in subsets}
    scenarios: dict[str, Scenario] = {}
    for on in subsets:
        built = builder.build(valid, on)
        assert not isinstance(built, ScenarioError)  # _valid_steps and _mark_alone saw to it
        scenarios[labels[on]] = built
    notes = (*_notes(base, other), *extra)
    design = Design(base_label, other_label, tuple(valid), labels, want_shapley, notes)
    return Plan(design, scenarios)


def _notes(base: Scenario, other: Scenario) -> tuple[str, ...]:
    notes = []
    a, b = base.run, other.run
    window = ("start_date", "warmup_days", "horizon_days", "cooldown_days")
    changed = [k for k in window if getattr(a, k) != getattr(b, k)]
    if changed:
        notes.append(
            f"run.{', run.'.join(changed)} differ: the scenarios count different periods, so their cases "
            "are not the same ones and the pairing is weaker"
        )
    if a.seed != b.seed:
        notes.append(f"run.seed differs ({a.seed} vs {b.seed}): the experiment uses one seed for all scenarios")
    return tuple(notes)


# ---------------------------------------------------------------- the effects (statistics)


def _coefficients(design: Design) -> Iterator[tuple[str, int, str, dict[str, float]]]:
    """(method, order, part, {label: coefficient}) of every effect: a linear combination of levels."""
    names, base, other = design.names, design.base, design.other
    yield "total", 0, "total", _combo({other: 1.0, base: -1.0})
    for i, name in enumerate(names):
        before, after = design.label(names[:i]), design.label(names[: i + 1])
        yield "waterfall", i + 1, name, _combo({after: 1.0, before: -1.0})
    remainder: dict[str, float] = {other: 1.0, base: -1.0}
    for i, part in enumerate(design.parts):
        if not part.alone:
            continue
        alone = design.label([part.name])
        yield "one_at_a_time", i + 1, part.name, _combo({alone: 1.0, base: -1.0})
        remainder[alone] = remainder.get(alone, 0.0) - 1.0
        remainder[base] = remainder.get(base, 0.0) + 1.0
    if all(p.alone for p in design.parts):  # else the remainder would hide a part's whole effect
        yield "one_at_a_time", len(names) + 1, "remainder", _combo(remainder)
    if design.shapley:
        k = len(names)
        for i, name in enumerate(names):
            weights: dict[str, float] = {}
            rest = [n for n in names if n != name]
            for size in range(k):
                w = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
                for combo in itertools.combinations(rest, size):
                    with_it, without = design.label([*combo, name]), design.label(combo)
                    weights[with_it] = weights.get(with_it, 0.0) + w
                    weights[without] = weights.get(without, 0.0) - w
            yield "shapley", i + 1, name, _combo(weights)


def _combo(weights: Mapping[str, float]) -> dict[str, float]:
    return {label: w for label, w in weights.items() if abs(w) > 1e-12}


def effects(design: Design, kpis: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Every effect of every KPI with its paired interval.

    ``kpis`` is a long KPI table (scenario, replication, kpi, value) holding every label
    of the design. Returns one row per (kpi, method, part): ``method`` is ``total``,
    ``waterfall``, ``one_at_a_time`` (its last row, part ``remainder``, is the
    interaction) or ``shapley``; ``order`` the part's place (1 = first); ``n`` the
    replications where every level involved is defined; ``mean``, ``sd``, ``ci_low``,
    ``ci_high`` and ``significant`` (the interval excludes 0). For the waterfall,
    ``level_after`` is the mean level once the part is switched on (over all replications).
    """
    missing = sorted(set(design.labels.values()) - set(kpis["scenario"]))
    if missing:
        raise AttributionError(f"the KPI table lacks the scenarios {missing} of the attribution")
    wide = kpis.pivot_table(index=["kpi", "replication"], columns="scenario", values="value", dropna=False)
    base_label = design.base
    means = kpis.groupby(["scenario", "kpi"])["value"].mean()
    frames = []
    for method, order, part, weights in _coefficients(design):
        # Starting from 0 × base keeps a KPI undefined in the base undefined in every effect.
        values = sum((wide[label] * w for label, w in weights.items()), start=wide[base_label] * 0.0)
        long = values.rename("value").reset_index().assign(scenario="effect")
        table = summarise(long, level).drop(columns="scenario")
        # summarise keeps a KPI undefined in every replication (n 0) so that run listings can
        # say it is missing; an effect with no defined pair is no effect, so it has no row.
        table = table.loc[table["n"] > 0]
        table = table.assign(method=method, order=order, part=part)
        if method == "waterfall":
            after = design.label(design.names[:order])
            table["level_after"] = [means.get((after, k), math.nan) for k in table["kpi"]]
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out["significant"] = (out["n"] >= 2) & ((out["ci_low"] > 0) | (out["ci_high"] < 0))
    columns = ["kpi", "method", "order", "part", "n", "mean", "sd", "ci_low", "ci_high", "significant", "level_after"]
    return out.reindex(columns=columns)


# ---------------------------------------------------------------- running it


@dataclass(frozen=True)
class AttributionResult:
    """An attribution that ran: its design, every scenario's KPIs and the effects."""

    design: Design
    kpis: pd.DataFrame  # scenario, replication, kpi, value: every label of the design
    effects: pd.DataFrame  # see :func:`effects`

    def parts_table(self) -> pd.DataFrame:
        """One row per part in waterfall order: ``order, part, paths, note``."""
        rows = [
            {"order": i, "part": p.name, "paths": ", ".join(p.paths), "note": p.note}
            for i, p in enumerate(self.design.parts, start=1)
        ]
        return pd.DataFrame(rows, columns=["order", "part", "paths", "note"])

    def waterfall(self, kpi: str) -> pd.DataFrame:
        """The waterfall of ``kpi``: the base level, each step with its interval, the other's level."""
        rows = self.effects.loc[(self.effects["kpi"] == kpi) & (self.effects["method"] == "waterfall")]
        if rows.empty:
            raise KeyError(f"no KPI {kpi!r} in the attribution")
        return rows.sort_values("order").reset_index(drop=True)


def attribute(plan: Plan, reps: int, evaluate: Evaluate, level: float = 0.95) -> AttributionResult:
    """Run every scenario of ``plan`` for ``reps`` paired replications and take the effects."""
    kpis = evaluate(plan.scenarios, reps)
    return AttributionResult(plan.design, kpis, effects(plan.design, kpis, level))


def summary_kpis(result: AttributionResult, kpis: Sequence[str]) -> list[str]:
    """Those of ``kpis`` whose total is defined (both ends have values), in the given order."""
    totals = result.effects.loc[result.effects["method"] == "total"].set_index("kpi")["n"]
    return [k for k in kpis if k in totals.index and totals[k] > 0]


def defined_everywhere(kpis: pd.DataFrame, labels: Iterable[str]) -> set[str]:
    """KPIs with at least one value in every scenario of ``labels``."""
    labels = list(labels)
    present = {str(k): set(s) for k, s in kpis.dropna(subset=["value"]).groupby("kpi")["scenario"]}
    return {k for k, seen in present.items() if set(labels) <= seen}


def source_of(document: Mapping[str, Any], path: str) -> str:
    """The citation of the field at ``path`` in a resolved scenario: its own ``sources`` entry,
    else the nearest enclosing group's ``source``; ``"unsourced"`` when there is none."""
    node: Any = document
    found = "unsourced"
    for key in path.split("."):
        if not isinstance(node, Mapping):
            break
        own = (node.get("sources") or {}).get(key)
        if node.get("source"):
            found = str(node["source"])
        if own:
            return str(own)
        node = node.get(key)
    if isinstance(node, Mapping) and node.get("source"):
        found = str(node["source"])
    return found
