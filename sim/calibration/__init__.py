"""Calibration from a court's case records, and synthetic records from the model.

The path a court takes: its case export (CSV or .xlsx) → :func:`load_records`
(read and clean, every change listed) → :func:`calibrate` (fits with intervals;
open cases right-censored) → :func:`write_scenario` (a scenario on top of a base,
validated) and :func:`write_calibration_report` → :func:`check_fit` (simulate the
records' period and compare). :func:`simulate_records` writes synthetic records in
the same export format. The commands ``courtsim calibrate``, ``check-fit`` and
``synth-records`` wrap these functions.

Nothing is imported here at package import beyond the names below; matplotlib is
loaded only by the report modules.
"""

from __future__ import annotations

from sim.calibration.checkfit import FitCheck, check_fit
from sim.calibration.fit import Calibration, calibrate
from sim.calibration.records import CaseRecords, RecordsError, load_records
from sim.calibration.scenario_out import write_scenario
from sim.calibration.synth import records_from_run, simulate_records, write_records

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


def write_calibration_report(*args: object, **kwargs: object) -> None:
    """See :func:`sim.calibration.report.write_calibration_report` (imported on use: it needs matplotlib)."""
    from sim.calibration.report import write_calibration_report as write

    write(*args, **kwargs)  # type: ignore[arg-type]
