"""Writing the calibrated scenario: a short TOML file on top of its base.

The file says ``base = "<the base scenario>"`` and gives only what the records
fixed, each field with its source in the group's ``sources`` table as
``fitted from <file>, n=…, <period>`` and its 95% interval. Everything else
(staffing, effort hours, delays, rules) is inherited from the base. The file is
written to a temporary name, validated with :func:`sim.config.load.load_scenario`
(through the base), and only then moved into place, so an invalid scenario is
never left behind.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

from sim.calibration.backlog import backlog_from_records, backlog_run
from sim.calibration.fit import Calibration
from sim.calibration.outcomes import Estimate
from sim.config.load import load_scenario
from sim.config.schema import Scenario
from sim.io import write_atomic
from sim.vocab import CaseType

__all__ = ["scenario_document", "scenario_name", "to_toml", "write_scenario"]

logger = logging.getLogger(__name__)

_GROUP_ORDER = ("arrivals", "amounts", "probabilities", "delays")


def scenario_name(out: Path) -> str:
    """A valid scenario name from the output file's stem (letters, digits, ``_.-``)."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", out.stem).strip("_")
    return name or "calibrated"


def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def _source(cal: Calibration, n: int, detail: str) -> str:
    records = cal.records
    synthetic = "; SYNTHETIC records (合成数据)" if records.synthetic else ""
    return f"fitted from {records.source}, n={n}, {records.period}{synthetic}; {detail}"


def _interval(e: Estimate, digits: int = 4) -> str:
    return f"{_sig(e.value, digits):g} [{_sig(e.low, digits):g}, {_sig(e.high, digits):g}] (95% CI)"


def _mix(cal: Calibration) -> dict[str, float]:
    shares = {str(t): round(float(v), 4) for t, v in zip(cal.mix["case_type"], cal.mix["share"], strict=True)}
    largest = max(shares, key=lambda k: shares[k])
    shares[largest] = round(1.0 - sum(v for k, v in shares.items() if k != largest), 4)
    return {t.value: shares[t.value] for t in CaseType}


def _values(cal: Calibration) -> dict[str, dict[str, tuple[Any, str]]]:
    """Group → field → (value to write, its source)."""
    out: dict[str, dict[str, tuple[Any, str]]] = {g: {} for g in _GROUP_ORDER}
    arrivals = cal.arrivals
    for e in cal.written():
        if e.field == "cases_per_year":
            out["arrivals"][e.field] = (round(e.value, 1), _source(cal, e.n, f"{_interval(e, 5)}; {e.note}"))
        elif e.field == "monthly_multipliers":
            values = [round(m, 4) for m in arrivals.multipliers]
            out["arrivals"][e.field] = (
                values,
                _source(
                    cal, e.n, f"Poisson rate per working day by month ÷ the mean; dispersion {arrivals.dispersion:.2f}"
                ),
            )
        elif e.field == "case_mix":
            out["arrivals"][e.field] = (_mix(cal), _source(cal, e.n, f"{e.note} (95% CI)"))
        elif e.group == "delays":
            fitted = next(f for f in cal.delays if f.delay.value == e.field)
            out["delays"][e.field] = (dict(fitted.spec), _source(cal, e.n, e.note))
        elif e.field == "claim_cny" and cal.amounts is not None and cal.amounts.spec is not None:
            out["amounts"][e.field] = (dict(cal.amounts.spec), _source(cal, e.n, f"首执 money claims; {e.note}"))
        elif math.isfinite(e.value):
            out[e.group][e.field] = (_sig(e.value), _source(cal, e.n, f"{_interval(e)}; {e.note}"))
    return out


def scenario_document(
    cal: Calibration, base_path: Path, out_path: Path, name: str | None = None, *, backlog: bool = False
) -> dict[str, Any]:
    """The calibrated scenario as a TOML-ready dict (``base`` relative to ``out_path``).

    ``backlog``: the run starts the day after the extraction from the records' open cases
    (``[run]`` and ``[initial_backlog]``, :mod:`sim.calibration.backlog`).
    """
    base_rel = os.path.relpath(base_path.resolve(), out_path.resolve().parent).replace(os.sep, "/")
    records = cal.records
    doc: dict[str, Any] = {
        "base": base_rel,
        "name": name or scenario_name(out_path),
        "title": f"{cal.base.title or cal.base.name}, calibrated from {records.source}",
        "description": f"Arrivals, case mix, claim amounts{', outside delays' if cal.delays else ''} and the "
        "outcome probabilities the records identify, "
        f"fitted from {records.source} ({records.period}, {len(records.cases)} cases"
        f"{', SYNTHETIC' if records.synthetic else ''}); everything else from {base_rel}.",
    }
    if backlog:
        run = cal.base.run
        doc["run"] = backlog_run(records, run.horizon_days, run.warmup_days, run.cooldown_days)
    for group, fields in _values(cal).items():
        if fields:
            doc[group] = {f: v for f, (v, _) in fields.items()}
            doc[group]["sources"] = {f: s for f, (_, s) in fields.items()}
    if backlog:
        doc["initial_backlog"] = backlog_from_records(records)
    return doc


# ---------------------------------------------------------------- TOML


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} to TOML")
        return repr(value)  # Python's repr of an int or a finite float is valid TOML
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_\-]+", key) else json.dumps(key, ensure_ascii=False)


_SUBTABLES = ("sources", "counts")


def to_toml(doc: dict[str, Any], header: str = "") -> str:
    """TOML text of a scenario document: top-level keys, then one table per group.

    A group's ``sources`` dict becomes its own ``[group.sources]`` table, and so do the
    backlog's ``counts`` (``[initial_backlog.counts]``); other dicts are inline tables.
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()] + ([""] if header else [])
    lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for group, table in doc.items():
        if not isinstance(table, dict):
            continue
        lines += ["", f"[{group}]"]
        lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in table.items() if k not in _SUBTABLES]
        for sub in _SUBTABLES:
            if sub in table:
                lines += ["", f"[{group}.{sub}]"]
                lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in table[sub].items()]
    return "\n".join(lines) + "\n"


def _header(cal: Calibration, base_rel: str) -> str:
    records = cal.records
    kept = ", ".join(p for p in cal.not_identified["parameter"] if p.endswith(".*"))
    synthetic = "SYNTHETIC records (合成数据): generated by the simulator, not a court.\n" if records.synthetic else ""
    return (
        f"Calibrated by `courtsim calibrate` from {records.source} ({records.period}).\n"
        f"{synthetic}"
        f"Only the parameters the records identify are given here; each field's source says n, the period\n"
        f"and its 95% interval. Everything else is inherited from {base_rel}:\n"
        f"{kept},\n"
        "and the probabilities decided inside a case (see the calibration report for every parameter and why).\n"
        "Days to close are not parameters: they emerge from the model; compare them with `courtsim check-fit`."
    )


def write_scenario(
    cal: Calibration, base_path: Path, out_path: Path, name: str | None = None, *, backlog: bool = False
) -> Scenario:
    """Write the calibrated scenario to ``out_path`` after validating it through its base.

    ``backlog``: start from the records' open cases (see :func:`scenario_document`).

    Raises
    ------
    sim.config.errors.ScenarioError
        If the written scenario does not validate (the file is then not written).
    """
    doc = scenario_document(cal, base_path, out_path, name, backlog=backlog)
    text = to_toml(doc, _header(cal, doc["base"]))
    validated: list[Scenario] = []

    def write(temp: Path) -> None:  # beside out_path, so its relative base resolves the same
        temp.write_text(text, encoding="utf-8")
        validated.append(load_scenario(temp))  # raises before the rename: nothing is written

    write_atomic(out_path, write)
    scenario = validated[0]
    logger.info("wrote calibrated scenario %s", out_path)
    return scenario
