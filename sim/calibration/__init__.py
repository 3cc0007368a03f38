"""Calibration from a court's case records, and synthetic records from the model.

The path a court takes: its case export (CSV or .xlsx) → :func:`load_records`
(read and clean, every change listed) → :func:`calibrate` (fits with intervals;
open cases right-censored) → :func:`write_scenario` (a scenario on top of a base,
validated) and :func:`write_calibration_report` → :func:`check_fit` (simulate the
records' period and compare). :func:`simulate_records` writes synthetic records in
the same export format. The commands ``courtsim calibrate``, ``check-fit`` and
``synth-records`` wrap these functions.

Nothing is imported at package import: each name below loads its module on first use
(matplotlib only with the report modules).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.calibration.checkfit import FitCheck, check_fit
    from sim.calibration.fit import Calibration, calibrate
    from sim.calibration.records import CaseRecords, RecordsError, load_records
    from sim.calibration.report import write_calibration_report
    from sim.calibration.scenario_out import write_scenario
    from sim.calibration.synth import records_from_run, simulate_records, write_records

_WHERE = {
    "FitCheck": "checkfit",
    "check_fit": "checkfit",
    "Calibration": "fit",
    "calibrate": "fit",
    "CaseRecords": "records",
    "RecordsError": "records",
    "load_records": "records",
    "write_calibration_report": "report",
    "write_scenario": "scenario_out",
    "records_from_run": "synth",
    "simulate_records": "synth",
    "write_records": "synth",
}
"""Where each name lives: imported on first use, so that the command line (which registers
``calibrate`` beside every other command) does not load scipy's fitting and matplotlib."""

__all__ = [
    "Calibration",
    "CaseRecords",
    "FitCheck",
    "RecordsError",
    "calibrate",
    "check_fit",
    "load_records",
    "records_from_run",
    "simulate_records",
    "write_calibration_report",
    "write_records",
    "write_scenario",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"sim.calibration.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'sim.calibration' has no attribute {name!r}")
