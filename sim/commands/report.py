"""``courtsim report RESULTS_DIR``: the HTML report of a results folder."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.commands import SUMMARIES, common
from sim.lang import bi


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report",
        help=SUMMARIES["report"],
        description="Write one self-contained HTML file (figures inline, no network needed): for a "
        "one-scenario folder the run report (verdict on the 45-day target, staffing, KPIs against "
        "targets, deadlines, utilisation, bottlenecks, model description); for several scenarios "
        "the side-by-side comparison with paired differences.",
    )
    parser.add_argument("folder", metavar="RESULTS_DIR", help="a results folder written by courtsim run")
    parser.add_argument(
        "--out",
        metavar="FILE",
        help=bi(
            "写到哪里（默认 RESULTS_DIR/report.html；文件夹须已存在）",
            "where to write (default: RESULTS_DIR/report.html; the folder must exist)",
        ),
    )
    parser.add_argument("--scenario", metavar="LABEL", help="report on this scenario only (run report)")
    parser.add_argument("--base", metavar="LABEL", help="base scenario of a comparison (default: the first)")
    parser.add_argument(
        "--staff",
        metavar="STAFF_DIR",
        help=bi(
            "courtsim staff --out 的文件夹：运行报告第一页显示其建议的人员配置",
            "a `courtsim staff --out` folder: the run report's page one shows its recommended staffing",
        ),
    )
    parser.add_argument(
        "--brief",
        action="store_true",
        help=bi(
            "另写一页 A4 简报 brief.html（结论、原因、建议、注意事项），放在 report.html 旁",
            "also write brief.html beside report.html: one printable A4 page (answer, reasons, recommended "
            "change, caveats) for a court president",
        ),
    )
    parser.add_argument(
        "--marginal",
        metavar="DIR",
        help=bi(
            "courtsim marginal --out 的文件夹：简报的增人建议取自其 marginal.csv",
            "a courtsim marginal --out folder: the brief's recommended change comes from its marginal.csv",
        ),
    )
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        help="also save a 1280×2400 screenshot of the report's top (needs Chromium)",
    )
    parser.set_defaults(func=run)


@common.guarded
def run(args: argparse.Namespace) -> int:
    """Write the report (and the screenshot); print where."""
    # pandas and matplotlib load when the command runs, not for `courtsim report --help`
    from sim.experiments.results import ResultsCorruptError, verify_folder
    from sim.report import ReportDataError, write_brief, write_comparison_report, write_report, write_run_report
    from sim.report.brief import BRIEF_NAME
    from sim.report.brief import MARGINAL_FILE as BRIEF_MARGINAL
    from sim.report.browser import screenshot

    folder = Path(args.folder)
    out = common.file_in_existing_folder(args.out, "--out") if args.out else None
    if args.screenshot:
        common.file_in_existing_folder(args.screenshot, "--screenshot")
    if args.marginal and not (Path(args.marginal) / BRIEF_MARGINAL).is_file() and not Path(args.marginal).is_file():
        raise common.CommandError(
            bi(
                f"--marginal {args.marginal} 中没有 {BRIEF_MARGINAL}：请给出 courtsim marginal --out 写出的文件夹",
                f"--marginal {args.marginal} holds no {BRIEF_MARGINAL}: "
                "name a folder written by courtsim marginal --out",
            )
        )
    try:
        _hold(args, folder)
        staff = Path(args.staff) if args.staff else None
        if staff is not None:
            verify_folder(staff)  # a damaged or unfinished staff folder is refused, naming the file
        if args.scenario:
            path = write_run_report(folder, out, label=args.scenario, staff=staff)
        elif args.base:
            path = write_comparison_report(folder, out, base=args.base)
        else:
            path = write_report(folder, out, staff=staff)
    except (ReportDataError, ResultsCorruptError, KeyError, ValueError, common.CommandError) as exc:
        print(f"{common.ERROR}: {exc}", file=sys.stderr)
        return common.EXIT_USAGE
    print(f"{bi('报告', 'report', ' ')}: {path}", file=sys.stderr)
    if args.brief:
        try:
            brief = write_brief(folder, path.parent / BRIEF_NAME, label=args.scenario, marginal=args.marginal)
        except (ReportDataError, KeyError, ValueError) as exc:
            print(f"{common.ERROR}: {exc}", file=sys.stderr)
            return common.EXIT_USAGE
        print(f"{bi('简报', 'brief', ' ')}: {brief}", file=sys.stderr)
    if args.screenshot:
        try:
            shot = screenshot(path, Path(args.screenshot))
        except (FileNotFoundError, RuntimeError) as exc:
            print(f"{common.ERROR}: {exc}", file=sys.stderr)
            return 1
        print(f"screenshot: {shot}", file=sys.stderr)
    return 0


def _hold(args: argparse.Namespace, folder: Path) -> None:
    """Lock the folder while reading it: a folder another command is still writing is refused, not read.

    A folder we may not write (an archive on a read-only disk) is read without the lock.
    """
    if not folder.is_dir():
        return
    try:
        common.hold_folder(args, folder)
    except common.CommandError:
        if os.access(folder, os.W_OK):
            raise
