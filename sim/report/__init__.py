"""Reports: a results folder as one self-contained HTML page a court administrator can read.

``write_run_report(folder)`` writes ``folder/report.html`` for a one-scenario
run; ``write_comparison_report(folder)`` compares the scenarios of a folder
side by side (paired by replication); ``write_report(folder)`` picks the right
one. Figures are inline SVG with Chinese labels (:mod:`sim.report.fonts`), so
the file opens anywhere without network access.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.report.data import ReportDataError, load_results

__all__ = [
    "ReportDataError",
    "write_brief",
    "write_comparison_report",
    "write_report",
    "write_run_report",
    "write_sweep_report",
]

REPORT_NAME = "report.html"


def write_run_report(
    folder: Path, out: Path | None = None, label: str | None = None, staff: Path | None = None
) -> Path:
    """Write the run report of ``folder`` (scenario ``label``, default the first); return its path.

    Parameters
    ----------
    folder
        A results folder written by ``courtsim run`` (manifest.json, KPI tables, Parquet logs).
    out
        Where to write; default ``folder/report.html``.
    label
        The scenario to report on when the folder holds several.
    staff
        A ``courtsim staff --out`` folder: page one shows its recommended staffing (or, when none
        held, its ceiling).
    """
    from sim.report.run_report import build_run_report, write_html  # builders (matplotlib) load when used

    results = load_results(folder)
    return write_html(Path(out) if out else Path(folder) / REPORT_NAME, build_run_report(results, label, staff))


def write_brief(folder: Path, out: Path | None = None, label: str | None = None, marginal: Path | None = None) -> Path:
    """Write the one-page A4 brief of a run folder (default ``folder/brief.html``); return its path.

    ``marginal`` is a ``courtsim marginal --out`` folder (or its ``marginal.csv``) whose results
    give the recommended change; without it a ``marginal.csv`` in ``folder`` is used if present.
    """
    from sim.report.brief import BRIEF_NAME, build_brief  # builders (matplotlib) load when used
    from sim.report.run_report import write_html

    results = load_results(folder)
    target = Path(out) if out else Path(folder) / BRIEF_NAME
    return write_html(target, build_brief(results, label, marginal))


def write_comparison_report(folder: Path, out: Path | None = None, base: str | None = None) -> Path:
    """Write a side-by-side report of the scenarios in ``folder`` against ``base``.

    ``base`` defaults to the manifest's ``base`` (``courtsim compare``), else the first scenario.
    """
    from sim.report.compare_report import build_comparison_report  # builders (matplotlib) load when used
    from sim.report.run_report import write_html

    results = load_results(folder)
    return write_html(Path(out) if out else Path(folder) / REPORT_NAME, build_comparison_report(results, base))


def write_sweep_report(folder: Path, out: Path | None = None) -> Path:
    """Write the report of a ``courtsim sweep --out`` folder (the curves and breaking points)."""
    from sim.report.run_report import write_html  # builders (matplotlib) load when used
    from sim.report.sweep_report import build_sweep_report

    target = Path(out) if out else Path(folder) / REPORT_NAME
    return write_html(target, build_sweep_report(Path(folder)))


def _command(folder: Path) -> str | None:
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest.get("command") if isinstance(manifest, dict) else None


def write_report(folder: Path, out: Path | None = None, staff: Path | None = None) -> Path:
    """The report that fits the folder: sweep, staff, capacity, sensitivity, comparison (several scenarios) or run."""
    if _command(folder) == "sweep":
        return write_sweep_report(folder, out)
    if _command(folder) in ("staff", "capacity"):
        from sim.report.run_report import write_html  # builders (matplotlib) load when used
        from sim.report.search_report import build_capacity_report, build_staff_report

        build = build_staff_report if _command(folder) == "staff" else build_capacity_report
        return write_html(Path(out) if out else Path(folder) / REPORT_NAME, build(Path(folder)))
    if _command(folder) == "levers":
        raise ReportDataError(
            f"杠杆搜索的结果没有网页报告，表在 levers.csv / {folder} holds a `courtsim levers` table "
            "(levers.csv, levers.json), which has no HTML report: the terminal prints it, --json gives it whole"
        )
    if _command(folder) == "marginal":
        raise ReportDataError(
            f"增减一人的结果没有网页报告，表在 marginal.csv / {folder} holds a `courtsim marginal` table "
            "(marginal.csv, kpis_by_rep.csv), which has no HTML report: the terminal prints it, --json gives it whole"
        )
    if _command(folder) == "sensitivity":
        from sim.report.sensitivity_report import write_sensitivity_report  # builders (matplotlib) load when used

        return write_sensitivity_report(folder, out)
    from sim.report.compare_report import build_comparison_report  # builders (matplotlib) load when used
    from sim.report.run_report import build_run_report, write_html

    results = load_results(folder)
    target = Path(out) if out else Path(folder) / REPORT_NAME
    if len(results.labels) > 1:
        return write_html(target, build_comparison_report(results))
    return write_html(target, build_run_report(results, staff=staff))
