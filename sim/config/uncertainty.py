"""What we do not know: the plausible range of each assumption, and how a value is set in a scenario.

Like the margin notes of an estimate ("somewhere between two and five days, most likely
three"), the scenario's ``[uncertainty]`` table gives a range to the parameters that are
assumptions. Its keys are dotted scenario paths::

    [uncertainty]
    "tasks.first_contact.hours" = { low = 0.7, likely = 1.0, high = 1.5, source = "EST: …" }
    "probabilities.voluntary_payment_rate" = { low = 0.05, high = 0.30, source = "EST" }

For a distribution (``tasks.<task>.hours``, ``delays.<delay>``, ``amounts.<amount>``) the
numbers multiply the distribution's scale: every location and scale parameter (``value``,
``low``, ``mode``, ``high``, ``median``, ``mean``, ``sd``, ``scale``, ``values``) is
multiplied, a ``cap`` is kept (it is a rule, e.g. appraisal within 60 days). For a number
they are plain values in the field's unit; a whole-number field (a head-count) is rounded.
``likely`` defaults to the scenario's own value (1 for a multiplier).

Assumptions without an entry get a range by a stated rule (:data:`DEFAULT_RULES`), so that
every parameter whose source mentions ``EST`` is uncertain unless the file says otherwise,
the reform's mechanisms (``[reform]``) included. Parameters sourced to the plan or a statute
(staffing, deadlines, fixed statutory delays, policies, the batch hour of the inquiries) are
never varied by default. The ``EST`` values that are deliberately fixed are listed, each with
its reason, in :data:`FIXED`; :func:`unvaried` accounts for every ``EST`` value without a range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.config.errors import Problem
from sim.config.reform import acts

__all__ = [
    "DEFAULT_RULES",
    "FIXED",
    "Uncertain",
    "UncertainRange",
    "apply_values",
    "est_values",
    "uncertain_parameters",
    "uncertainty_problems",
    "unvaried",
]

Finite = Annotated[float, Field(allow_inf_nan=False, strict=True)]
_SCALED = ("value", "low", "mode", "high", "median", "mean", "sd", "scale", "values")
"""Keys of a distribution table that move with its scale (``sigma``, ``shape`` and ``cap`` do not)."""
_SHARES = ("arrivals.case_mix", "probabilities.price_method")
"""Shares that must sum to 1: one of them cannot vary alone."""
_REFORM_PROBABILITIES = ("share", "share_without", "success", "flag_rate")
"""Fields of ``[reform]`` groups that are probabilities (their names do not end in ``_rate``)."""
_REFORM_MULTIPLIERS = (
    "reform.specialisation.teams.",
    "reform.specialisation.tasks.",
    "reform.centralised_intake.effort.",
)
"""Paths of ``[reform]`` effort multipliers: positive, at most :data:`MAX_MULTIPLIER`."""
MAX_MULTIPLIER = 10.0
"""The largest effort multiplier ``[reform]`` accepts (sim/config/reform.py)."""


class UncertainRange(BaseModel):
    """One entry of ``[uncertainty]``: the range of an assumption and where it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    low: Finite
    likely: Finite | None = None
    high: Finite
    source: str = "EST"

    @model_validator(mode="after")
    def _ordered(self) -> UncertainRange:
        likely = "" if self.likely is None else f", likely={self.likely:g}"
        got = f"(got low={self.low:g}{likely}, high={self.high:g})"
        if not self.low < self.high:
            raise ValueError(f"low must be below high {got}")
        if self.likely is not None and not self.low <= self.likely <= self.high:
            raise ValueError(f"likely must lie between low and high {got}")
        return self


@dataclass(frozen=True)
class Uncertain:
    """An uncertain parameter as the analysis sees it.

    ``kind`` is ``"scale"`` (the numbers multiply a distribution's scale) or ``"value"``
    (plain values); ``rule`` says where the range comes from: ``"scenario"`` for an entry of
    ``[uncertainty]``, else the name of the default rule (:data:`DEFAULT_RULES`).
    """

    path: str
    kind: Literal["scale", "value"]
    low: float
    likely: float
    high: float
    source: str
    rule: str
    integer: bool = False

    @property
    def group(self) -> str:
        """The scenario table it belongs to (``tasks``, ``probabilities``, …): Morris groups by it."""
        return self.path.split(".", 1)[0]


DEFAULT_RULES: dict[str, str] = {
    "effort": "EST effort hours (tasks.<task>.hours): ×0.7 to ×1.4 of the distribution's scale, the level of "
    "the whole table elicited in docs/workload.md §1 (0.7 / 1.0 / 1.4)",
    "delay": "EST outside delays (delays.<delay>, not fixed): ×0.5 to ×1.5 of the distribution's scale",
    "amount": "EST money distributions (amounts.<amount>): ×0.75 to ×1.33 of the distribution's scale",
    "probability": "EST probabilities (*_rate): ± min(0.1, p/2, (1−p)/2), so a small or large "
    "probability keeps its order of magnitude and stays inside [0, 1]",
    "load": "EST filings (arrivals.cases_per_year): ±15%",
    "side_stream": "EST side streams (side_streams.*_per_year): ±50%",
    "mechanism": "EST parameters of a [reform] mechanism, those that act in its current state (the table ACTS "
    "of sim/config/reform.py; on: its multipliers, waits and shares; off: share_without, paper_wait_wdays; both: "
    "electronic_service.success and delay_days): multipliers ×0.75 to ×1.33, waits ×0.5 to ×1.5 of the "
    "distribution's scale, probabilities by the rule 'probability'",
}
"""The rules that give a range to an assumption (a source mentioning ``EST``) without an entry."""

_SHARE_REASON = "shares that sum to 1: one of them cannot vary alone"
FIXED: dict[str, str] = {
    "run.*": "the run's design (warm-up, counted days, cool-down, seed, replications): how the experiment "
    "measures, not a property of the court",
    "calendar.hours_per_day": "the 8-hour working day (国务院关于职工工作时间的规定 art. 3); how much of it is "
    "productive is the level of the effort hours, which rule 'effort' varies (×0.7 to ×1.4)",
    "calendar.day_start_hour": "when the working day starts moves events within a day, not what the court can do",
    "arrivals.monthly_multipliers": "the seasonal profile (qualitative evidence only): moving a month moves the "
    "year's load, which arrivals.cases_per_year varies",
    "arrivals.case_mix.*": _SHARE_REASON,
    "probabilities.price_method.*": _SHARE_REASON,
    "delays.online_price_days": "a statutory period: 参考价规定 art. 11 (3 days)",
    "delays.price_objection_window_days": "a statutory period: 参考价规定 art. 22 (5 days)",
    "delays.announcement_movable_days": "a statutory period: 网拍规定 art. 12 (15 days)",
    "delays.announcement_real_estate_days": "a statutory period: 网拍规定 art. 12 (30 days)",
    "delays.second_announcement_movable_days": "a statutory period: 网拍规定 art. 26 (7 days)",
    "delays.second_announcement_real_estate_days": "a statutory period: 网拍规定 art. 26 (15 days)",
    "delays.auction_days": "a statutory period: 网拍规定 art. 20 (the auction lasts a day)",
    "delays.objection_filing_days": "a statutory period: 执行异议复议规定 art. 2 (3 days)",
    "delays.selloff_period_days": "the term of an online sell-off (60 days, facts §2.4): a rule of the procedure; "
    "when the property sells within it is delays.selloff_days, which rule 'delay' varies",
    "delays.requery_interval_days": "终本规定 art. 9: the online re-query every 6 months (a rule)",
    "delays.requery_years": "终本规定 art. 9: re-queries for 5 years after the 终本 (a rule)",
    "tasks.*.roles.*": "who does a task together (its roles) is the plan's division of work, not an uncertain "
    "quantity; how long it takes is tasks.<task>.hours",
    "staffing.*": "the head-counts of the plan (方案 三) and their split into units: staffing is what an evaluation "
    "changes, not an uncertainty (an [uncertainty] entry can vary it)",
    "reform.centralised_intake.inquiry_batch_hour": "the plan's procedure (the day's inquiries go out at one "
    "hour): a design, not an uncertainty",
}
"""The ``EST`` values that are deliberately not varied, by path pattern (``fnmatch``), with the reason.

Together with the default rules and the scenario's ``[uncertainty]`` entries it accounts
for every ``EST`` value of a scenario (:func:`unvaried`); a test holds the shipped scenarios
to it, so a new ``EST`` parameter gets a range or a reason here.
"""


# ---------------------------------------------------------------- validation


def _resolve(document: Mapping[str, Any], path: str) -> tuple[Any, str | None]:
    """The value at ``path`` in a dumped scenario, or (None, the first missing part)."""
    node: Any = document
    walked: list[str] = []
    for part in path.split("."):
        walked.append(part)
        if not isinstance(node, Mapping) or part not in node:
            return None, ".".join(walked)
        node = node[part]
    return node, None


def _field_bounds(model: type[BaseModel], path: str) -> tuple[float, float] | None:
    """The bounds (``ge``/``gt`` .. ``le``/``lt``) the scenario's own field at ``path`` accepts, or
    None where the path leads into a table keyed by data (tasks, delays) or the field has none."""
    field = None
    node: Any = model
    for part in path.split("."):
        fields = getattr(node, "model_fields", None)
        if fields is None or part not in fields:
            return None
        field = fields[part]
        node = field.annotation
    if field is None:
        return None
    low, high = -math.inf, math.inf
    for bound in field.metadata:
        for name in ("ge", "gt"):
            if getattr(bound, name, None) is not None:
                low = max(low, float(getattr(bound, name)))
        for name in ("le", "lt"):
            if getattr(bound, name, None) is not None:
                high = min(high, float(getattr(bound, name)))
    return None if (low, high) == (-math.inf, math.inf) else (low, high)


def _kind(value: Any) -> Literal["scale", "value"] | None:
    if isinstance(value, Mapping) and "dist" in value:
        return "scale"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "value"
    return None


def _is_probability(path: str) -> bool:
    """A ``*_rate`` field, or a probability of a ``[reform]`` group (``share``, ``success``, ``flag_rate``…)."""
    parts = path.split(".")
    return path.endswith("_rate") or (parts[0] == "reform" and len(parts) == 3 and parts[2] in _REFORM_PROBABILITIES)


def uncertainty_problems(
    document: Mapping[str, Any], ranges: Mapping[str, UncertainRange], model: type[BaseModel] | None = None
) -> list[Problem]:
    """Every problem of ``[uncertainty]`` against the scenario ``document`` (its JSON dump).

    An unknown path, a path that is neither a number nor a distribution, shares that must
    sum to 1, a probability outside [0, 1], a negative value, a multiplier that is not
    positive, a ``[reform]`` effort multiplier above :data:`MAX_MULTIPLIER`, and (given the
    scenario's ``model``) an end of the range outside the bounds of the field itself: each is
    one :class:`Problem` naming the key.
    """
    problems: list[Problem] = []
    for path, entry in ranges.items():
        bounds = _field_bounds(model, path) if model is not None else None
        if bounds is None or _kind(_resolve(document, path)[0]) != "value":
            continue
        low, high = bounds
        if not (low <= entry.low and entry.high <= high):
            got = f"low={entry.low:g}, high={entry.high:g}"
            problems.append(
                Problem(
                    f"uncertainty.{path}",
                    "the range goes beyond what the field accepts",
                    got,
                    f"{low:g} <= low < high <= {high:g}",
                )
            )
    for path, entry in ranges.items():
        where = f"uncertainty.{path}"
        value, missing = _resolve(document, path)
        if missing is not None:
            problems.append(Problem(where, f"no scenario field {missing!r}", None, "a dotted scenario path"))
            continue
        if any(path.startswith(shares + ".") for shares in _SHARES):
            msg = "shares that sum to 1 cannot vary one at a time"
            problems.append(Problem(where, msg, None, "a number or a distribution of the scenario"))
            continue
        kind = _kind(value)
        if kind is None:
            got = type(value).__name__
            problems.append(Problem(where, "not a number or a distribution", got, "a number or a distribution"))
            continue
        numbers = [v for v in (entry.low, entry.likely, entry.high) if v is not None]
        if kind == "scale" and min(numbers) <= 0:
            msg = "multipliers of a distribution must be positive"
            problems.append(Problem(where, msg, f"{min(numbers):g}", "> 0"))
        elif kind == "value" and _is_probability(path) and not (min(numbers) >= 0 and max(numbers) <= 1):
            got = f"low={entry.low:g}, high={entry.high:g}"
            problems.append(Problem(where, "a probability's range must lie in [0, 1]", got, "0 <= low < high <= 1"))
        elif (
            kind == "value"
            and path.startswith(_REFORM_MULTIPLIERS)
            and not 0 < min(numbers) <= max(numbers) <= MAX_MULTIPLIER
        ):
            got = f"low={entry.low:g}, high={entry.high:g}"
            msg = "an effort multiplier of [reform] must be positive and at most 10"
            problems.append(Problem(where, msg, got, f"0 < low < high <= {MAX_MULTIPLIER:g}"))
        elif kind == "value" and min(numbers) < 0:
            problems.append(Problem(where, "a value of the scenario cannot be negative", f"{min(numbers):g}", ">= 0"))
    return problems


# ---------------------------------------------------------------- the parameters


def _source(group: Mapping[str, Any], field: str) -> str:
    return str((group.get("sources") or {}).get(field) or group.get("source") or "")


def _is_est(group: Mapping[str, Any], field: str) -> bool:
    return "EST" in _source(group, field)


def _probability_range(p: float) -> tuple[float, float] | None:
    half = min(0.1, p / 2, (1 - p) / 2)
    return None if half <= 0 else (p - half, p + half)


def _defaults(document: Mapping[str, Any]) -> list[Uncertain]:
    found: list[Uncertain] = []

    def add(path: str, kind: Literal["scale", "value"], low: float, likely: float, high: float, rule: str) -> None:
        table, field = path.split(".")[:2]
        source = f"{_source(document[table], field)}; range by rule {rule!r}: {DEFAULT_RULES[rule]}"
        found.append(Uncertain(path, kind, low, likely, high, source, rule))

    tasks = document["tasks"]
    for task, spec in tasks.items():
        if isinstance(spec, Mapping) and "hours" in spec and _is_est(tasks, task):
            add(f"tasks.{task}.hours", "scale", 0.7, 1.0, 1.4, "effort")
    delays = document["delays"]
    for delay, spec in delays.items():
        if isinstance(spec, Mapping) and spec.get("dist") not in (None, "fixed") and _is_est(delays, delay):
            add(f"delays.{delay}", "scale", 0.5, 1.0, 1.5, "delay")
    amounts = document["amounts"]
    for amount, spec in amounts.items():
        if isinstance(spec, Mapping) and "dist" in spec and _is_est(amounts, amount):
            add(f"amounts.{amount}", "scale", 0.75, 1.0, 4 / 3, "amount")
    for table in ("arrivals", "probabilities"):
        group = document[table]
        for field, value in group.items():
            if field.endswith("_rate") and _kind(value) == "value" and _is_est(group, field):
                bounds = _probability_range(float(value))
                if bounds is not None:
                    add(f"{table}.{field}", "value", bounds[0], float(value), bounds[1], "probability")
    arrivals = document["arrivals"]
    if _is_est(arrivals, "cases_per_year") and arrivals["cases_per_year"] > 0:
        load = float(arrivals["cases_per_year"])
        add("arrivals.cases_per_year", "value", 0.85 * load, load, 1.15 * load, "load")
    side = document["side_streams"]
    for field, value in side.items():
        if field.endswith("_per_year") and _kind(value) == "value" and value > 0 and _is_est(side, field):
            add(f"side_streams.{field}", "value", 0.5 * value, float(value), 1.5 * value, "side_stream")
    return found + _mechanism_defaults(document.get("reform") or {})


def _mechanism_defaults(reform: Mapping[str, Any]) -> list[Uncertain]:
    """Rule 'mechanism': the EST parameters of each ``[reform]`` group that act in its current state.

    Whether a field acts with the switch on, off or in both states is
    :data:`sim.config.reform.ACTS` (the e-service's ``success`` and ``delay_days`` act in both:
    the court before the reform already served some debtors electronically).
    """
    found: list[Uncertain] = []

    def add(path: str, kind: Literal["scale", "value"], low: float, likely: float, high: float, source: str) -> None:
        text = f"{source}; range by rule 'mechanism': {DEFAULT_RULES['mechanism']}"
        found.append(Uncertain(path, kind, low, likely, high, text, "mechanism"))

    for name, group in reform.items():
        if not isinstance(group, Mapping):
            continue
        for field, value in group.items():
            if field in ("enabled", "source", "sources") or not acts(name, field, bool(group.get("enabled"))):
                continue
            if not _is_est(group, field):
                continue
            path = f"reform.{name}.{field}"
            if isinstance(value, Mapping) and "dist" in value:
                if value["dist"] != "fixed" or value.get("value", 0) > 0:
                    add(path, "scale", 0.5, 1.0, 1.5, _source(group, field))
            elif isinstance(value, Mapping):  # multipliers: {task: m} or {team: {task: m}}
                for key, inner in value.items():
                    items = inner.items() if isinstance(inner, Mapping) else [(None, inner)]
                    for task, m in items:
                        where = f"{path}.{key}" + ("" if task is None else f".{task}")
                        hi = min(4 / 3 * float(m), MAX_MULTIPLIER)
                        add(where, "value", 0.75 * float(m), float(m), hi, _source(group, field))
            elif field in _REFORM_PROBABILITIES and _kind(value) == "value":
                bounds = _probability_range(float(value))
                if bounds is not None:
                    add(path, "value", bounds[0], float(value), bounds[1], _source(group, field))
    return found


def uncertain_parameters(
    document: Mapping[str, Any], ranges: Mapping[str, UncertainRange], *, defaults: bool = True
) -> list[Uncertain]:
    """The uncertain parameters of a scenario: its ``[uncertainty]`` entries, then the defaults.

    Parameters
    ----------
    document
        The scenario's JSON dump (``scenario.model_dump(mode="json")``).
    ranges
        Its ``[uncertainty]`` table (validated with :func:`uncertainty_problems`).
    defaults
        Add a range by :data:`DEFAULT_RULES` to every ``EST`` parameter without an entry.
    """
    found: list[Uncertain] = []
    for path, entry in ranges.items():
        value, _ = _resolve(document, path)
        kind = _kind(value)
        assert kind is not None, f"uncertainty.{path} was not validated"
        likely = entry.likely if entry.likely is not None else (1.0 if kind == "scale" else float(value))
        likely = min(max(likely, entry.low), entry.high)
        integer = kind == "value" and isinstance(value, int)
        found.append(Uncertain(path, kind, entry.low, likely, entry.high, entry.source, "scenario", integer))
    if defaults:
        given = set(ranges)
        found += [p for p in _defaults(document) if p.path not in given]
    return found


# ---------------------------------------------------------------- what is not varied


def _leaves(path: str, value: Any) -> list[str]:
    """The paths of the numbers under ``path``: a number, a distribution or a list of numbers is one."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, int | float) or (isinstance(value, Mapping) and "dist" in value):
        return [path]
    if isinstance(value, list):
        numbers = value and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        return [path] if numbers else []
    if isinstance(value, Mapping):
        return [leaf for key, inner in value.items() for leaf in _leaves(f"{path}.{key}", inner)]
    return []


def _sourced_groups(document: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The groups of a dumped scenario that carry a ``source`` (tables, reform groups, teams, deadlines)."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    for table, group in document.items():
        if table == "uncertainty" or not isinstance(group, Mapping):
            continue
        if "source" in group or "sources" in group:
            found.append((table, group))
            continue
        for name, inner in group.items():
            if isinstance(inner, Mapping) and ("source" in inner or "sources" in inner):
                found.append((f"{table}.{name}", inner))
    return found


def est_values(document: Mapping[str, Any]) -> list[str]:
    """The path of every number and distribution of the scenario whose source mentions ``EST``.

    A multiplier table (``reform.specialisation.teams``) gives one path per entry, a task its
    ``hours`` and its ``roles``; strings, switches and dates are not values.
    """
    found: list[str] = []
    for prefix, group in _sourced_groups(document):
        for field, value in group.items():
            if field in ("enabled", "source", "sources") or not _is_est(group, field):
                continue
            found += _leaves(f"{prefix}.{field}", value)
    return found


def unvaried(document: Mapping[str, Any], parameters: list[Uncertain]) -> dict[str, str | None]:
    """Every ``EST`` value that none of ``parameters`` varies, with the reason it is fixed.

    The reason is a pattern's of :data:`FIXED`, or that a ``[reform]`` field does not act in
    its mechanism's current state (:data:`sim.config.reform.ACTS`), or that a probability
    of 0 or 1 has no range by rule 'probability'; ``None`` means no reason: a gap.
    """
    varied = {p.path for p in parameters}
    out: dict[str, str | None] = {}
    for path in est_values(document):
        if path in varied:
            continue
        parts = path.split(".")
        reason = next((why for pattern, why in FIXED.items() if fnmatchcase(path, pattern)), None)
        if reason is None and parts[0] == "reform" and len(parts) >= 3:
            enabled = bool(document["reform"][parts[1]].get("enabled"))
            if not acts(parts[1], parts[2], enabled):
                state = "on" if enabled else "off"
                reason = f"does not act while the mechanism is {state} (sim/config/reform.py ACTS)"
        if reason is None and _is_probability(path):
            value, _ = _resolve(document, path)
            if value in (0, 1):
                reason = f"a probability of {value}: rule 'probability' gives it no range"
        out[path] = reason
    return out


# ---------------------------------------------------------------- setting values


def _scaled(spec: Mapping[str, Any], factor: float) -> dict[str, Any]:
    out = dict(spec)
    for key in _SCALED:
        if key not in out or out[key] is None:
            continue
        if key == "values":
            out[key] = [v * factor for v in out[key]]
        else:
            out[key] = out[key] * factor
    return out


def apply_values(document: Mapping[str, Any], parameters: list[Uncertain], values: list[float]) -> dict[str, Any]:
    """The overrides (dotted path → new value) that set each parameter to its value.

    A ``"scale"`` parameter's value multiplies its distribution's scale; a ``"value"``
    parameter is set (rounded for whole-number fields). Feed the result to
    :func:`sim.config.load.with_overrides`.
    """
    overrides: dict[str, Any] = {}
    for parameter, value in zip(parameters, values, strict=True):
        current, _ = _resolve(document, parameter.path)
        if parameter.kind == "scale":
            overrides[parameter.path] = _scaled(current, float(value))
        elif parameter.integer:
            overrides[parameter.path] = math.floor(float(value) + 0.5)
        else:
            overrides[parameter.path] = float(value)
    return overrides
