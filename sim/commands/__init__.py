"""Subcommands of ``courtsim``: one module each, with ``register`` and ``run``.

:data:`COMMANDS` and :data:`SUMMARIES` give each command's module and one-line help, so
that the command line can list every command while importing only the one that runs: the others import
pandas, scipy and the model, which made ``courtsim --help`` or ``validate`` take seconds.
"""

from __future__ import annotations

COMMANDS: dict[str, str] = {
    "app": "app",
    "calibrate": "calibrate",
    "capacity": "capacity",
    "check-fit": "check_fit",
    "compare": "compare",
    "deadline": "deadline",
    "levers": "levers",
    "marginal": "marginal",
    "report": "report",
    "run": "run",
    "schema": "schema",
    "sensitivity": "sensitivity",
    "staff": "staff",
    "sweep": "sweep",
    "synth-records": "synth_records",
    "validate": "validate",
}
"""Command name → the module of :mod:`sim.commands` that registers and runs it."""

SUMMARIES: dict[str, str] = {
    "app": "the what-if page in a browser: edit staffing and policies, run, read the verdict (Streamlit)",
    "calibrate": "fit a scenario to a court's case records (CSV or .xlsx) and write a calibration report",
    "capacity": "find the highest arrival multiplier at which a target holds with confidence",
    "check-fit": "simulate a scenario over the records' period and compare it with the records",
    "compare": "compare scenarios with the base, replication by replication (common random numbers)",
    "deadline": "compute the due date of a legal period (CPL art. 85)",
    "levers": "which lever (staffing, triage, [reform] switches, dispatch, handler rule) moves a target, CRN-paired",
    "marginal": "the bottleneck by effect: one more (or fewer) person in each team × role, CRN-paired, with intervals",
    "report": "write the HTML report (Chinese with English) of a results folder",
    "run": "simulate a scenario and print its KPIs with 95%% confidence intervals",
    "schema": "print the JSON Schema of scenario files",
    "sensitivity": "which assumptions drive the KPIs: Morris screening and Sobol indices (SALib) over their ranges",
    "staff": "find the smallest staffing (team × role) that meets targets",
    "sweep": "run a scenario over a grid of one or two parameters; a tidy table of KPIs",
    "synth-records": "write synthetic case records (the court export format) from a simulation",
    "validate": "check scenario files; print ok or every problem",
}
"""Command name → its one-line help (argparse ``%`` escapes included)."""
