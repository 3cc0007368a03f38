"""``courtsim calibrate RECORDS --base BASE --out OUT``: a scenario fitted to a court's case export."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim import frames
from sim.calibration.records import CaseRecords, Progress, RecordsError, load_records
from sim.calibration.table import CHUNK_ROWS
from sim.commands import SUMMARIES, common
from sim.config.errors import ScenarioError
from sim.config.load import load_scenario
from sim.io import write_csv

if TYPE_CHECKING:
    from sim.calibration.fit import Calibration

_SHOWN_CLEANING_ROWS = 20


def iso_date(text: str) -> date:
    """An argparse type: a date written 2024-01-31."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2024-01-31, got {text!r}") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``calibrate`` subcommand."""
    parser = subparsers.add_parser(
        "calibrate",
        help=SUMMARIES["calibrate"],
        description="Read a case export (one row per case: 案号, 立案日期, 结案日期, 结案方式, 申请执行标的, "
        "实际到位金额, …), clean it (every dropped or repaired row is listed), fit arrivals, case mix, claim "
        "amounts, the outcome probabilities the records identify and, where the export dates a step's request "
        "and answer (送达_发出 / 送达_回复, service_requested / service_answered), the outside delays, and write "
        "a scenario that inherits everything else from --base. Open cases and unanswered requests are "
        "right-censored at the extraction date.",
    )
    parser.add_argument("records", metavar="RECORDS", help="case export: .csv (UTF-8 or GBK) or .xlsx")
    parser.add_argument("--base", required=True, metavar="SCENARIO", help="base scenario (staffing, effort, rules)")
    parser.add_argument("--out", required=True, metavar="FILE.toml", help="calibrated scenario to write")
    parser.add_argument(
        "--extraction-date",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="day the export was made (default: a comment's extraction_date=, else the latest date in the file)",
    )
    parser.add_argument(
        "--header-row",
        type=int,
        metavar="N",
        help="line (CSV) or sheet row (xlsx) of the header, 1-based (default: found below any title rows)",
    )
    parser.add_argument(
        "--report", metavar="FILE.html", help="calibration report (default: OUT with .calibration.html)"
    )
    parser.add_argument("--no-report", action="store_true", help="write no report")
    parser.add_argument("--cleaning", metavar="FILE.csv", help="also write the cleaning report as CSV")
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="start the scenario the day after the extraction from the records' open cases "
        "([initial_backlog] by track and age, no warm-up) instead of an empty court",
    )
    parser.add_argument("--name", help="scenario name (default: from OUT's file name)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    parser.set_defaults(func=run)


def reading_progress(path: str | Path) -> Progress:
    """A line on stderr per chunk of a large export read (one of :data:`CHUNK_ROWS` rows or
    more; a smaller file prints nothing), whether or not stderr is a terminal: a million
    rows take minutes, and a log file should show how far the reading got."""
    name = Path(path).name
    started = time.perf_counter()

    def show(rows: int) -> None:
        if rows >= CHUNK_ROWS:
            seconds = time.perf_counter() - started
            print(f"读取 reading {name}: {rows:,} 行 rows ({seconds:.0f} s)", file=sys.stderr, flush=True)

    return show


def _error(message: str) -> int:
    print(f"{common.ERROR}: {message}", file=sys.stderr)
    return common.EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    """Read, clean, fit, write, validate, report."""
    # The fitting (scipy's optimisers) and the report (matplotlib) load only when used.
    from sim.calibration.fit import calibrate
    from sim.calibration.scenario_out import write_scenario

    base_path, out = Path(args.base), Path(args.out)
    outputs = {"--out": out, "--cleaning": args.cleaning}
    if not args.no_report:
        outputs["--report"] = args.report or out.with_suffix(".calibration.html")
    for option, target in outputs.items():
        if target and Path(target).is_dir():  # before the fit: a report's folder must not cost the scenario
            return _error(f"{option} {target} is a folder; name a file")
    if out.exists() and not args.overwrite:
        return _error(f"{out} exists; choose another --out or pass --overwrite")
    if out.resolve() == base_path.resolve():
        return _error("--out must not be the base scenario itself")
    try:
        base = load_scenario(base_path)
    except ScenarioError as exc:
        return common.print_scenario_error(exc)
    try:
        records = load_records(
            args.records,
            args.extraction_date,
            args.header_row,
            chunk_rows=CHUNK_ROWS,
            progress=reading_progress(args.records),
        )
    except RecordsError as exc:
        return _error(str(exc))
    if records.n_rows >= CHUNK_ROWS:
        print(f"拟合 fitting {len(records.cases):,} cases …", file=sys.stderr, flush=True)
    try:
        cal = calibrate(records, base)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return _error(f"{records.source}: the fit failed: {exc}")
    try:
        write_scenario(cal, base_path, out, args.name, backlog=args.backlog)
    except ScenarioError as exc:
        print("error: the calibrated scenario does not validate (nothing written):", file=sys.stderr)
        return common.print_scenario_error(exc)
    print(summary_text(cal, out))
    return _write_extras(args, cal, out)


def _write_extras(args: argparse.Namespace, cal: Calibration, out: Path) -> int:
    if args.cleaning:
        write_csv(Path(args.cleaning), cal.records.cleaning, encoding="utf-8-sig")
        print(f"cleaning report: {args.cleaning}")
    if not args.no_report:
        from sim.calibration.report import write_calibration_report  # matplotlib: only for a report

        report = Path(args.report) if args.report else out.with_suffix(".calibration.html")
        write_calibration_report(cal, report, str(out))
        print(f"report: {report}")
    return 0


def summary_text(cal: Calibration, out: Path) -> str:
    """What was read, cleaned, fitted and written, as text for the terminal."""
    records = cal.records
    lines = [_records_line(records), *_cleaning_lines(records), "", "fitted and written 写入的参数:"]
    for e in cal.written():
        ci = f" [{e.low:.4g}, {e.high:.4g}]" if np.isfinite(e.low) else ""
        lines.append(f"  {e.group + '.' + e.field:<34} {cal.value_text(e)}{ci}  n={e.n}")
    kept = [e for e in cal.estimates if not e.written]
    for e in kept:
        lines.append(f"  {e.group + '.' + e.field:<36} base kept: {e.note}")
    n_base = len(cal.not_identified)
    lines += [
        f"not identifiable from case records: {n_base} parameters or groups keep the base values "
        "(effort hours, delays, staffing, in-case probabilities; see the report)"
    ]
    lines += [f"note: {c}" for c in cal.caveats]
    lines.append(f"wrote {out} (validated with its base)")
    return "\n".join(lines)


def _records_line(records: CaseRecords) -> str:
    synthetic = " [SYNTHETIC 合成数据]" if records.synthetic else ""
    return (
        f"read {records.source}: {records.n_rows} rows, {len(records.cases)} cases used, "
        f"{records.n_dropped} dropped; {records.period}{synthetic}"
    )


def _cleaning_lines(records: CaseRecords) -> list[str]:
    log = records.cleaning
    notes = [f"  file: {note}" for note in records.notes]
    if log.empty:
        return ["cleaning 数据清洗: nothing dropped or repaired", *notes]
    counts = log["action"].value_counts()
    lines = ["cleaning 数据清洗: " + ", ".join(f"{n} {action}" for action, n in counts.items())]
    for row in frames.rows(log.head(_SHOWN_CLEANING_ROWS)):
        lines.append(f"  row {row.row:>6} {row.case_no:<24} {row.field:<10} {row.action:<12} {row.reason}")
    if len(log) > _SHOWN_CLEANING_ROWS:
        lines.append(f"  … {len(log) - _SHOWN_CLEANING_ROWS} more in the report (or --cleaning FILE.csv)")
    return lines + notes
