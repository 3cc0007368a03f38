"""``courtsim check-fit SCENARIO RECORDS``: simulate the records' period and compare with the history."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.calibration.records import RecordsError, load_records
from sim.commands import SUMMARIES, common
from sim.commands.calibrate import iso_date, reading_progress
from sim.config.load import load_scenario


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``check-fit`` subcommand."""
    parser = subparsers.add_parser(
        "check-fit",
        help=SUMMARIES["check-fit"],
        description="Run the scenario over the records' dates (from an empty court), export each replication "
        "like the records, and compare: Kaplan–Meier curves of days to close (largest gap), outcome shares, "
        "monthly filings, 终本率, 执行完毕率, 执行到位率. The 'chance' column is the spread between replications.",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file (e.g. a calibrated one)")
    parser.add_argument("records", metavar="RECORDS", help="case export: .csv or .xlsx")
    parser.add_argument("--reps", type=int, default=3, metavar="N", help="replications (default 3)")
    parser.add_argument("--seed", type=int, metavar="S", help="base seed (default: the scenario's run.seed)")
    parser.add_argument(
        "--extraction-date",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="day the export was made (default as for calibrate)",
    )
    parser.add_argument(
        "--header-row",
        type=int,
        metavar="N",
        help="line (CSV) or sheet row (xlsx) of the header, 1-based (default: found below any title rows)",
    )
    parser.add_argument("--html", metavar="FILE.html", help="also write an HTML page with figures")
    parser.set_defaults(func=run)


@common.guarded
def run(args: argparse.Namespace) -> int:
    """Simulate, compare, print (and write the page)."""
    from sim.calibration.checkfit import check_fit  # simulation and fitting: loaded when used
    from sim.calibration.checkfit_report import check_table_text, write_check_report

    if args.reps < 1:
        raise common.CommandError(f"--reps must be at least 1 (got {args.reps})")
    scenario = load_scenario(args.scenario)
    try:
        records = load_records(
            args.records, args.extraction_date, args.header_row, progress=reading_progress(args.records)
        )
    except RecordsError as exc:
        raise common.CommandError(str(exc)) from None
    # A ScenarioError here: the records' period does not fit the scenario's run settings.
    check = check_fit(scenario, records, args.reps, args.seed)
    print(check_table_text(check))
    if args.html:
        write_check_report(check, Path(args.html), scenario.name)
        print(f"report: {args.html}")
    return 0
