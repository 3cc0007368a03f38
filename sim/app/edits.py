"""What the page edits: fields by dotted path, a variant's changes, its validation and its TOML file.

Like the form an administrator fills in to ask the research office for a what-if: each field
is a dotted path of the scenario (``staffing.fast_track.officers``), the same path
:func:`~sim.config.load.with_overrides` and ``courtsim validate`` use. The page reads a
scenario's values (:func:`values_of`), the user changes some, :func:`changes` keeps only
those that differ from the base, and :func:`build_variant` validates the result with the
loader's own checks, so the messages are ``courtsim validate``'s, each under the field it
names (:func:`problems_by_field`). :func:`variant_toml` writes the variant as a file with
``base = ...`` and only what changed; loading it gives the same scenario.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.config.errors import Problem, ScenarioError
from sim.config.load import with_overrides
from sim.config.schema import PRESERVATION_TEAMS, Scenario
from sim.rules import DISPATCH, HANDLERS, TRIAGE
from sim.vocab import MECHANISM_ZH, ROLE_ZH, TEAM_ZH, Mechanism, Role, Team

__all__ = [
    "CASES_PER_YEAR",
    "Built",
    "EditField",
    "build_variant",
    "changes",
    "describe_changes",
    "edit_fields",
    "problems_by_field",
    "role_path",
    "units_path",
    "values_of",
    "variant_name",
    "variant_toml",
    "with_unit_totals",
]

Kind = Literal["count", "number", "bool", "choice", "rules", "units"]

CASES_PER_YEAR = "arrivals.cases_per_year"
ZHONGBEN_FLOOR = "policy.zhongben_floor"
ZHONGBEN_MONTHS = "policy.zhongben_floor_months"
TRIAGE_RULES = "policy.triage"
THRESHOLD = "policy.simple_threshold_cny"
DISPATCH_RULE = "policy.dispatch"
HANDLER_RULE = "policy.handler_assignment"
PRESERVATION = "policy.preservation_team"


@dataclass(frozen=True)
class EditField:
    """One thing the page lets the user change: its dotted path, names and kind of widget."""

    path: str
    zh: str
    en: str
    kind: Kind
    choices: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        """Chinese first, English beside it."""
        return f"{self.zh} {self.en}"


def role_path(team: Team | str, role: Role | str) -> str:
    """``staffing.<team>.<role>s``: the head-count field of one team × role."""
    return f"staffing.{Team(team).value}.{Role(role).value}s"


def units_path(team: Team | str) -> str:
    """``staffing.<team>.units``: a team's sub-teams (the four 精执 units)."""
    return f"staffing.{Team(team).value}.units"


def edit_fields(scenario: Scenario) -> list[EditField]:
    """Every field the page edits for ``scenario``: staffing (and units), load, policy, reform."""
    fields = [
        EditField(role_path(team, role), TEAM_ZH[team] + "·" + ROLE_ZH[role], f"{team.value} {role.value}s", "count")
        for team in Team
        for role in Role
    ]
    fields += [
        EditField(units_path(team), TEAM_ZH[team] + "·分组", f"{team.value} units", "units")
        for team in Team
        if scenario.staffing.team(team).units
    ]
    fields += [
        EditField(CASES_PER_YEAR, "年收案量", "cases per year", "number"),
        EditField(ZHONGBEN_FLOOR, "终本须满3个月", "3-month floor before 终本", "bool"),
        EditField(ZHONGBEN_MONTHS, "终本最短月数", "months of the floor", "count"),
        EditField(TRIAGE_RULES, "简案识别规则（按顺序）", "triage rules (in order)", "rules", TRIAGE.names()),
        EditField(THRESHOLD, "简案标的上限（元）", "simple-case threshold (CNY)", "number"),
        EditField(DISPATCH_RULE, "排队顺序", "dispatch order", "choice", DISPATCH.names()),
        EditField(HANDLER_RULE, "承办人分配", "handler assignment", "choice", HANDLERS.names()),
        EditField(
            PRESERVATION, "保全案件团队", "preservation team", "choice", tuple(t.value for t in PRESERVATION_TEAMS)
        ),
    ]
    fields += [
        EditField(f"reform.{m.value}.enabled", MECHANISM_ZH[m], m.value.replace("_", " "), "bool") for m in Mechanism
    ]
    return fields


def _get(document: Mapping[str, Any], path: str) -> Any:
    node: Any = document
    for key in path.split("."):
        node = node[key]
    return node


def values_of(scenario: Scenario, fields: Sequence[EditField] | None = None) -> dict[str, Any]:
    """The scenario's value of each field (JSON types: lists, plain numbers, strings)."""
    document = scenario.model_dump(mode="json")
    values = {f.path: _get(document, f.path) for f in fields or edit_fields(scenario)}
    for path, value in values.items():
        if path.endswith(".units"):
            values[path] = [{"name": u["name"], "officers": u["officers"], "clerks": u["clerks"]} for u in value]
    return values


def with_unit_totals(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with each team's officers and clerks set to the sums of its units, as the schema
    asks (the page edits the units; the team's totals follow them)."""
    out = dict(values)
    for path, units in values.items():
        if not path.endswith(".units") or not units:
            continue
        team = path.split(".")[1]
        for role in ("officer", "clerk"):
            out[role_path(team, role)] = sum(int(u[f"{role}s"]) for u in units)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def changes(base: Scenario, values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``values`` that differ from ``base``, in the page's order of fields."""
    fields = edit_fields(base)
    before = values_of(base, fields)
    return {f.path: values[f.path] for f in fields if f.path in values and not _same(values[f.path], before[f.path])}


def variant_name(base: Scenario, edits: Mapping[str, Any]) -> str:
    """A scenario name for the variant: the base's, and a short fingerprint of the edits."""
    if not edits:
        return base.name
    return f"{base.name}-what-if-{_digest(edits)}"


def _digest(edits: Mapping[str, Any]) -> str:
    text = json.dumps(dict(edits), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]


@dataclass(frozen=True)
class Built:
    """A variant after validation: the scenario, or every problem ``courtsim validate`` would print."""

    scenario: Scenario | None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the variant is valid (then :attr:`scenario` is set)."""
        return self.scenario is not None


def build_variant(base: Scenario, edits: Mapping[str, Any], name: str | None = None) -> Built:
    """``base`` with ``edits`` (dotted path → value), validated as a whole, as a file would be."""
    overrides = {"name": name or variant_name(base, edits), **edits}
    try:
        return Built(with_overrides(base, overrides))
    except ScenarioError as exc:
        return Built(None, tuple(exc.problems))


def problems_by_field(problems: Sequence[Problem], fields: Sequence[EditField]) -> dict[str, list[str]]:
    """Each problem's text (as ``courtsim validate`` prints it) under the field it concerns.

    A problem's path is a field's (``staffing.fast_track.officers``), lies inside one
    (``staffing.complex_track.units[0].officers``), or names a table holding fields
    (``staffing.complex_track``: the units do not add up), which goes to the first field of
    that table the page shows. Any other problem is listed under ``""``.
    """
    paths = [f.path for f in fields]
    out: dict[str, list[str]] = {}
    for problem in problems:
        where = problem.path
        target = next((p for p in paths if where == p or where.startswith((p + ".", p + "["))), None)
        if target is None and where:
            target = next((p for p in paths if p.startswith(where + ".")), None)
        out.setdefault(target or "", []).append(str(problem))
    return out


def describe_changes(base: Scenario, edits: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(field label, base value, new value) of each change, for the page's list of what differs."""
    labels = {f.path: f.label for f in edit_fields(base)}
    before = values_of(base)
    return [(labels.get(p, p), _short(before.get(p)), _short(v)) for p, v in edits.items()]


def _short(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "; ".join(f"{u['name']} {u['officers']}/{u['clerks']}" for u in value)
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "（无 none）"
    return str(value)


# ---------------------------------------------------------------- the variant as a file


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a scenario holds finite numbers only (got {value})")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} into a scenario file")


def variant_toml(base_file: str, name: str, edits: Mapping[str, Any], title: str = "") -> str:
    """The variant as a scenario file: ``base = base_file``, its ``name``, and only the ``edits``.

    ``base_file`` is the base's path as the variant file will find it (relative to where
    the variant is saved: the base's file name when saved beside it). Each edit goes under
    its table (``[staffing.fast_track]``); a list (units, triage rules) replaces the base's whole.
    """
    tables: dict[str, list[str]] = {}
    for path, value in edits.items():
        *parents, leaf = path.split(".")
        tables.setdefault(".".join(_key(t) for t in parents), []).append(f"{_key(leaf)} = {_toml_value(value)}")
    lines = [
        "# A what-if variant written by `courtsim app` (the administrator's page): the base and only what changed.",
        "# Check it with `courtsim validate FILE`; run it with `courtsim run FILE`.",
        f"base = {_toml_value(base_file)}",
        f"name = {_toml_value(name)}",
    ]
    if title:
        lines.append(f"title = {_toml_value(title)}")
    top = tables.pop("", [])
    lines += top
    for table, entries in tables.items():
        lines += ["", f"[{table}]", *entries]
    return "\n".join(lines) + "\n"
