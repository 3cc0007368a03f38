"""Reading scenario files: TOML → ``base`` inheritance → deep merge → validation.

This is the only module on the input side that reads files. A scenario may say
``base = "other.toml"`` (relative to itself) and give only what differs; the
merged document is then validated as a whole, so a variant can never be less
checked than its base. Every problem is collected and reported at once as
``dotted.path: message (got X; expected Y)``; many unknown keys in one table are
summarised in one problem, and a list longer than :data:`MAX_PROBLEMS` is cut with a
count of the rest, so a hostile file gets a short answer, fast.

Only regular files up to :data:`MAX_SCENARIO_BYTES` are read (not ``/dev/zero``, a pipe
or a folder); a name too long, a symlink loop or tables nested too deeply are
problems named in plain words, never a traceback.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
import stat
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.config.checks import cross_checks
from sim.config.errors import Problem, ScenarioError
from sim.config.schema import Scenario
from sim.vocab import ROLE_ZH, TEAM_ZH, Role, Team

__all__ = [
    "deep_merge",
    "load_scenario",
    "parse_scenario",
    "read_document",
    "scenario_hash",
    "with_overrides",
]

_MAX_BASE_DEPTH = 16

MAX_SCENARIO_BYTES = 4 * 1024 * 1024
"""The largest scenario (or base) file read: the shipped ones are ~30 kB; a calibrated one
with long empirical tables stays far below."""

MAX_PROBLEMS = 50
"""Problems listed at most; the rest are counted."""

_SUMMARISE_UNKNOWN = 5
"""More unknown keys than this in one table are reported as one problem."""


def read_document(
    path: Path, _chain: tuple[Path, ...] = (), layers: list[tuple[Path, dict[str, Any]]] | None = None
) -> dict[str, Any]:
    """Read a scenario file and the ``base`` files it names into one merged dict.

    ``layers``, if given, receives each file read and its own document, the file itself
    first and its last base last (so that a problem can be traced to the file it is in).
    """
    try:
        path = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop: RuntimeError up to Python 3.12
        raise ScenarioError(str(path), [Problem("", f"cannot open the file: {_reason(exc)}")]) from None
    if path in _chain:
        cycle = " → ".join(p.name for p in (*_chain, path))
        raise ScenarioError(str(path), [Problem("base", f"inheritance loops: {cycle}")])
    if len(_chain) > _MAX_BASE_DEPTH:
        raise ScenarioError(str(path), [Problem("base", f"more than {_MAX_BASE_DEPTH} levels of base")])
    document = _read_toml(path)
    base = document.pop("base", None)
    if layers is not None:
        layers.append((path, document))
    if base is None:
        return document
    if not isinstance(base, str) or not base:
        raise ScenarioError(str(path), [Problem("base", "must name a scenario file", repr(base), "a path string")])
    shown = _show(base)
    base_path = path.parent / base
    try:
        found, exists = base_path.is_file(), base_path.exists()
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte
        raise ScenarioError(str(path), [Problem("base", f"not a usable file name: {_reason(exc)}", shown)]) from None
    if exists and not found:
        msg = "not a regular file (a folder, device or pipe)"
        raise ScenarioError(str(path), [Problem("base", msg, shown, "a scenario file")])
    if not found:
        raise ScenarioError(str(path), [Problem("base", "file not found", shown, "a path relative to this file")])
    return deep_merge(read_document(base_path, (*_chain, path), layers), document)


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _read_toml(path: Path) -> dict[str, Any]:
    raw = _read_bounded(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        raise ScenarioError(str(path), [Problem("", msg)]) from exc
    if "\r" in text and "\n" not in text:
        msg = "its lines end in CR alone (old Mac style), which TOML does not allow; save it with LF or CRLF endings"
        raise ScenarioError(str(path), [Problem("", msg)])
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [_toml_problem(text, exc)]) from exc
    except RecursionError:
        raise ScenarioError(str(path), [Problem("", _TOO_DEEP)]) from None
    if _nesting(document) > MAX_NESTING:
        # tomllib reads ``[a.a.a....]`` 5,000 deep without recursing; merging, validating and
        # quoting it would not (RecursionError)
        raise ScenarioError(str(path), [Problem("", _TOO_DEEP, f"more than {MAX_NESTING} levels", "a few")])
    return document


def _toml_problem(text: str, exc: tomllib.TOMLDecodeError) -> Problem:
    """Not TOML: the parser's words, and plain ones when the line names a team or key in Chinese
    without quotes (``[staffing.快执团队]``), which TOML does not allow."""
    found = re.search(r"at line (\d+)", str(exc))
    line = text.splitlines()[int(found.group(1)) - 1] if found and int(found.group(1)) <= len(text.splitlines()) else ""
    key = line.split("#")[0].split("=")[0]
    if any(ord(c) > 127 for c in key) and '"' not in key:
        return Problem(
            "",
            f"not valid TOML: {exc}. A bare key may hold only ASCII letters, digits, _ and -: name a "
            f"team or role by its id, e.g. [staffing.fast_track] for 快执团队, officers for 执行员",
            None,
            "team ids: " + _team_ids(),
            zh="不是有效的 TOML：键名不能直接写中文。团队和岗位要写英文 id，例如 [staffing.fast_track]"
            "（快执团队）、officers（执行员）",
        )
    return Problem("", f"not valid TOML: {exc}", zh="不是有效的 TOML 文件，请按所示的行和列修改")


_TOO_DEEP = "tables or lists are nested too deeply to read; a scenario needs a few levels only"

MAX_NESTING = 32
"""Levels of tables and lists a scenario may nest (the shipped ones nest 5)."""


def _nesting(document: dict[str, Any]) -> int:
    """How deeply tables and lists nest in ``document`` (a table of scalars is 1), without
    recursion; counting stops just past :data:`MAX_NESTING`."""
    deepest, stack = 0, list[tuple[dict[str, Any] | list[Any], int]]([(document, 1)])
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_NESTING:
            return level  # deep enough to refuse; no need to walk the rest
        children = node.values() if isinstance(node, dict) else node
        stack += [(child, level + 1) for child in children if isinstance(child, dict | list)]
    return deepest


def _read_bounded(path: Path) -> bytes:
    """The bytes of ``path``: a regular file of at most :data:`MAX_SCENARIO_BYTES`."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, pipe or socket)"
            raise ScenarioError(str(path), [Problem("", f"cannot read it as a scenario: it is {what}")])
        with path.open("rb") as handle:
            raw = handle.read(MAX_SCENARIO_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(str(path), [Problem("", f"cannot read the file: {_reason(exc)}")]) from None
    if len(raw) > MAX_SCENARIO_BYTES:
        msg = f"the file is larger than {MAX_SCENARIO_BYTES // (1024 * 1024)} MiB, far beyond any scenario"
        raise ScenarioError(str(path), [Problem("", msg, f"{info.st_size:,} bytes")])
    return raw


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid on top; tables merge key by key, anything else is replaced.

    A distribution of another family (its ``dist`` differs from the base's) replaces the
    base's whole: a gamma claim laid over a lognormal one must not keep ``median`` and
    ``sigma``. One of the same family merges like any table (``{ median = 90000 }``
    keeps the base's ``sigma``).
    """
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        old = merged.get(key)
        if (
            isinstance(value, Mapping)
            and isinstance(old, Mapping)
            and value.get("dist", old.get("dist")) == old.get("dist")
        ):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_scenario(document: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a merged scenario document; raise :class:`ScenarioError` listing every problem."""
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(source, _capped(_summarised([_problem(e, document) for e in exc.errors()]))) from None
    except RecursionError:
        raise ScenarioError(source, [Problem("", "tables are nested too deeply to validate")]) from None
    problems = cross_checks(scenario)
    if problems:
        raise ScenarioError(source, _capped(problems))
    return scenario


def _summarised(problems: list[Problem]) -> list[Problem]:
    """Many unknown keys in one table become one problem naming a few and counting the rest."""
    unknown: dict[str, list[Problem]] = {}
    for problem in problems:
        if problem.message == _UNKNOWN_KEY:
            unknown.setdefault(problem.path.rpartition(".")[0], []).append(problem)
    crowded = {table: found for table, found in unknown.items() if len(found) > _SUMMARISE_UNKNOWN}
    if not crowded:
        return problems
    out = []
    for problem in problems:
        table = problem.path.rpartition(".")[0]
        if problem.message != _UNKNOWN_KEY or table not in crowded:
            out.append(problem)
        elif problem is crowded[table][0]:
            found = crowded[table]
            keys = ", ".join(p.path.rpartition(".")[2] for p in found[:3])
            message = f"{len(found)} unknown keys (misspelt?), e.g. {keys}"
            out.append(Problem(table or "(file)", message, None, problem.expected))
    return out


def _capped(problems: list[Problem]) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS], Problem("", f"... and {rest} more problem(s) not listed; fix these first")]


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge and validate a scenario file.

    A problem that lies in a ``base`` file (a value it sets that the file asked about does
    not override, or a base that cannot be read) names that file (:attr:`Problem.file`).
    """
    path = Path(path)
    layers: list[tuple[Path, dict[str, Any]]] = []
    try:
        document = read_document(path, layers=layers)
    except ScenarioError as exc:
        if not layers or Path(exc.source) == layers[0][0]:
            raise
        raise ScenarioError(str(path), [_in_file(p, exc.source) for p in exc.problems]) from None
    try:
        return parse_scenario(document, str(path))
    except ScenarioError as exc:
        raise ScenarioError(str(path), [_traced(p, layers) for p in exc.problems]) from None


def _in_file(problem: Problem, file: str) -> Problem:
    return problem if problem.file else dataclasses.replace(problem, file=file)


def _traced(problem: Problem, layers: list[tuple[Path, dict[str, Any]]]) -> Problem:
    """``problem`` with the base file it is in, when the path leads to a value set there
    (the file asked about overrides its bases, so it is looked at first)."""
    parts = [p for p in re.split(r"[.\[\]]", problem.path) if p]
    if not parts or len(layers) < 2:
        return problem
    for file, document in layers:
        if _holds(document, parts):
            return problem if file == layers[0][0] else _in_file(problem, str(file))
    return problem


def _holds(document: Any, parts: list[str]) -> bool:
    node = document
    for part in parts:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A re-validated copy of ``scenario`` with dotted paths set to new values.

    Paths must already exist (``staffing.fast_track.officers``), so a typo fails
    loudly instead of adding a field that nothing reads.
    """
    data = scenario.model_dump(mode="json")
    for dotted, value in overrides.items():
        node: Any = data
        *parents, leaf = dotted.split(".")
        for i, key in enumerate(parents):
            if not isinstance(node, dict) or key not in node:
                raise ScenarioError(scenario.name, [_unknown_path(dotted, parents[: i + 1], node)])
            node = node[key]
        if not isinstance(node, dict) or (leaf not in node and leaf not in _optional_leaves(node)):
            raise ScenarioError(scenario.name, [_unknown_path(dotted, [*parents, leaf], node)])
        node[leaf] = value
    return parse_scenario(data, f"{scenario.name} with overrides")


def scenario_hash(scenario: Scenario) -> str:
    """A stable 16-hex-digit fingerprint of the resolved scenario (for caches and manifests)."""
    # The ranges of [uncertainty] do not change what a replication computes.
    # A scenario without a starting backlog hashes as it did before the field existed.
    leave_out = {"uncertainty"} if scenario.initial_backlog is not None else {"uncertainty", "initial_backlog"}
    dumped = scenario.model_dump(mode="json", exclude=leave_out)
    text = json.dumps(dumped, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- error formatting


def _optional_leaves(node: dict[str, Any]) -> set[str]:
    # Distribution tables hold only the keys of their family; ``cap`` may be added.
    return {"cap"} if "dist" in node else set()


def _unknown_path(dotted: str, walked: list[str], node: Any) -> Problem:
    keys = sorted(node) if isinstance(node, dict) else []
    expected = "one of: " + ", ".join(keys) if keys else "an existing scenario field"
    return Problem(dotted, f"unknown field {'.'.join(walked)!r}", None, expected)


_DIST_TAGS = {
    "fixed",
    "exponential",
    "uniform",
    "triangular",
    "lognormal",
    "gamma",
    "weibull",
    "empirical",
    "registered",
}


def _problem(error: Mapping[str, Any], document: Mapping[str, Any]) -> Problem:
    loc = _clean_loc(error["loc"], document)
    path = ".".join(str(p) for p in loc)
    kind = error["type"]
    got = _show(error.get("input"))
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        siblings = _known_keys(tuple(loc[:-1]))
        alias = _chinese_alias(loc)
        if alias is not None:
            return alias
        expected = "one of: " + ", ".join(siblings) if siblings else None
        return Problem(path, _UNKNOWN_KEY, None, expected, zh="没有这一项（拼写错误？），请改用下列之一")
    if kind == "missing":
        return Problem(path, "required field is missing", None, None, zh="缺少这一必填项，请补上")
    if loc == ["name"] and kind == "string_pattern_mismatch":
        return Problem(
            path,
            "a scenario's name may hold only ASCII letters, digits and _ . - (it names the results "
            'folder); put a Chinese name in title, e.g. name = "fast_plus2", title = "快执加人"',
            got,
            None,
            zh="情景的 name 只能用英文字母、数字和 _ . -（它用作结果文件夹名）；中文名称请写在 title 里，"
            '例如 name = "fast_plus2"，title = "快执加人"',
        )
    plain = _plain(kind, ctx)
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error" and "(got " in message:
        got = None  # the validator's message already shows the offending values
    if plain is not None:
        zh, message = plain
        return Problem(path, message, got, _expected(kind, ctx), zh=zh)
    return Problem(
        path,
        message,
        got,
        _expected(kind, ctx),
        zh="取值不合要求（怎样改见下行英文）" if kind == "value_error" else None,
    )


_PLAIN: dict[str, tuple[str, str]] = {
    "int_type": ("应为整数", "must be a whole number"),
    "int_parsing": ("应为整数", "must be a whole number"),
    "int_from_float": ("应为整数（不带小数）", "must be a whole number (no decimals)"),
    "float_type": ("应为数字", "must be a number"),
    "float_parsing": ("应为数字", "must be a number"),
    "finite_number": ("应为有限的数", "must be a finite number"),
    "greater_than_equal": ("应不小于 {ge}", "must be {ge} or more"),
    "greater_than": ("应大于 {gt}", "must be more than {gt}"),
    "less_than_equal": ("应不大于 {le}", "must be {le} or less"),
    "less_than": ("应小于 {lt}", "must be less than {lt}"),
    "bool_type": ("应为 true 或 false", "must be true or false"),
    "bool_parsing": ("应为 true 或 false", "must be true or false"),
    "string_type": ("应为加引号的文字", "must be text in quotes"),
    "string_too_short": ("不能为空", "must not be empty"),
    "string_too_long": ("太长：最多 {max_length} 个字符", "is too long: at most {max_length} characters"),
    "string_pattern_mismatch": ("只能用英文字母、数字和 _ . -", "may hold only ASCII letters, digits and _ . -"),
    "date_type": ("应为日期，如 2024-01-01", "must be a date like 2024-01-01"),
    "date_parsing": ("应为日期，如 2024-01-01", "must be a date like 2024-01-01"),
    "date_from_datetime_parsing": ("应为日期，如 2024-01-01", "must be a date like 2024-01-01"),
    "dict_type": ("应为一个表（[表头] 或 { … }）", "must be a table ([header] or { … })"),
    "model_type": ("应为一个表（[表头] 或 { … }）", "must be a table ([header] or { … })"),
    "list_type": ("应为列表 [ … ]", "must be a list [ … ]"),
    "tuple_type": ("应为列表 [ … ]", "must be a list [ … ]"),
    "too_short": ("项数太少", "has too few items"),
    "too_long": ("项数太多", "has too many items"),
    "literal_error": ("应为下列之一", "must be one of the allowed values"),
    "enum": ("应为下列之一", "must be one of the allowed values"),
}
"""pydantic's error kinds in plain words, Chinese and English (what to write instead)."""


def _plain(kind: str, ctx: Mapping[str, Any]) -> tuple[str, str] | None:
    pair = _PLAIN.get(kind)
    if pair is None:
        return None
    try:
        return pair[0].format(**ctx), pair[1].format(**ctx)
    except (KeyError, IndexError, ValueError):
        return pair[0].split("{")[0].strip(), pair[1].split("{")[0].strip()


def _team_ids() -> str:
    return ", ".join(f"{t.value}（{TEAM_ZH[t]}）" for t in Team)


def _role_fields() -> str:
    return ", ".join(f"{r.value}s（{ROLE_ZH[r]}）" for r in Role)


def _chinese_alias(loc: list[Any]) -> Problem | None:
    """A team or role named in Chinese (``[staffing."快执团队"]``, ``执行员 = 6``): refused, naming
    the id to write instead and every allowed id with its Chinese name."""
    key = str(loc[-1])
    path = ".".join(str(p) for p in loc)
    if len(loc) == 2 and loc[0] == "staffing":
        team = next(
            (t for t in Team if key in (TEAM_ZH[t], TEAM_ZH[t].strip("“”"), TEAM_ZH[t].removesuffix("团队"))), None
        )
        if team is not None:
            return Problem(
                path,
                f"a team is named by its id: write [staffing.{team.value}] for {key}",
                None,
                "one of: " + _team_ids(),
                zh=f'团队要写英文 id：把 [staffing."{key}"] 改为 [staffing.{team.value}]',
            )
        if any(ord(c) > 127 for c in key):
            return Problem(
                path,
                "a team is named by its id, not its Chinese name",
                None,
                "one of: " + _team_ids(),
                zh="团队要写英文 id，不能写中文名；可用的团队如下",
            )
    if len(loc) == 3 and loc[0] == "staffing":
        role = next((r for r in Role if key in (ROLE_ZH[r], ROLE_ZH[r].removeprefix("员额"))), None)
        if role is not None:
            return Problem(
                path,
                f"a role is named by its field: write {role.value}s = … for {key}",
                None,
                "one of: " + _role_fields() + ", units, source",
                zh=f"岗位要写英文字段名：把 {key} = … 改为 {role.value}s = …",
            )
    return None


def _clean_loc(loc: tuple[Any, ...], document: Mapping[str, Any]) -> list[Any]:
    """Drop the discriminator tags pydantic puts in the path of a tagged union."""
    cleaned: list[Any] = []
    node: Any = document
    for part in loc:
        if isinstance(part, str) and part in _DIST_TAGS and not (isinstance(node, Mapping) and part in node):
            continue
        if isinstance(part, str) and "[" in part:  # e.g. "function-after[...]" wrappers
            continue
        cleaned.append(part)
        node = node.get(part) if isinstance(node, Mapping) else None
    return cleaned


_UNKNOWN_KEY = "unknown key (misspelt?)"


@cache
def _scenario_schema() -> dict[str, Any]:
    """The scenario's JSON Schema, built once: building it takes ~30 ms, and a file with a
    thousand unknown keys used to rebuild it for each (31 s)."""
    return Scenario.model_json_schema()


@cache
def _known_keys(loc: tuple[Any, ...]) -> tuple[str, ...]:
    """The field names allowed at ``loc`` in the scenario schema, best effort."""
    schema = _scenario_schema()
    defs = schema.get("$defs", {})
    node: dict[str, Any] = schema
    for part in loc:
        node = _deref(node, defs)
        props = node.get("properties", {})
        if isinstance(part, str) and part in props:
            node = props[part]
        elif "additionalProperties" in node and isinstance(node["additionalProperties"], dict):
            node = node["additionalProperties"]
        else:
            return ()
    node = _deref(node, defs)
    return tuple(k for k in node.get("properties", {}) if k not in ("source", "sources"))


def _deref(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _expected(kind: str, ctx: Mapping[str, Any]) -> str | None:
    if "expected" in ctx:
        return str(ctx["expected"])
    bounds = [f"{sym} {ctx[key]}" for key, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")) if key in ctx]
    if bounds:
        return "a number " + " and ".join(bounds)
    simple = {
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "float_type": "a number",
        "float_parsing": "a number",
        "int_parsing": "a whole number",
        "bool_type": "true or false",
        "string_type": "a string",
        "date_type": "a date like 2024-01-01",
        "date_parsing": "a date like 2024-01-01",
        "dict_type": "a table",
        "tuple_type": "a list",
        "finite_number": "a finite number",
        "too_short": "more items",
        "too_long": "fewer items",
    }
    return simple.get(kind)


def _show(value: Any) -> str | None:
    if isinstance(value, Mapping | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    if value is None:
        return None
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"
