"""``courtsim app [SCENARIO]``: the administrator's what-if page, served on this machine.

Starts Streamlit on :mod:`sim.app.page` in a child process and prints the address. Streamlit
is imported only there (and only when this command runs), so ``courtsim --help`` stays fast.
The page works without the internet: Streamlit serves its scripts, styles and fonts from its
own package, usage statistics are off, and the server is headless (it opens no browser).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from sim.commands import SUMMARIES, common
from sim.config.load import load_scenario

DEFAULT_SCENARIO = Path("scenarios") / "dengzhou_2022.toml"
PAGE = Path(__file__).resolve().parents[1] / "app" / "page.py"

STREAMLIT_OPTIONS = (
    "--server.headless=true",
    "--browser.gatherUsageStats=false",
    "--server.fileWatcherType=none",
    "--server.runOnSave=false",
    "--global.developmentMode=false",
    "--client.toolbarMode=minimal",
    "--theme.base=light",
)
"""Streamlit's options: no browser opened, no usage statistics, no file watcher, no developer menu."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``app`` subcommand."""
    parser = subparsers.add_parser(
        "app",
        help=SUMMARIES["app"],
        description="Serve the what-if page on this machine: edit staffing (teams × roles), the load, "
        "the policy switches and the reform's mechanisms; run in the background until the 45-day "
        "rate is within ± the precision asked (or a cap); read the verdict per target, why cases "
        "are late, utilisation, on-time rates, the monthly view and the CRN-paired comparison with "
        "the baseline; download the variant as TOML, the HTML report and the results folder. "
        "Needs the app extra: pip install 'courtsim[app]'.",
    )
    parser.add_argument(
        "scenario",
        nargs="?",
        default=str(DEFAULT_SCENARIO),
        metavar="SCENARIO",
        help=f"base scenario (default {DEFAULT_SCENARIO})",
    )
    parser.add_argument("--port", type=int, default=8501, metavar="N", help="port to serve on (default 8501)")
    parser.add_argument(
        "--address",
        default="127.0.0.1",
        metavar="ADDR",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument(
        "--results",
        default=str(Path("results") / "app"),
        metavar="DIR",
        help="where the page keeps its replications and results folders (default results/app)",
    )
    parser.add_argument(
        "--jobs", type=int, default=0, metavar="J", help="worker processes per run; 0 = all cores (default)"
    )
    common.add_cache_options(
        parser,
        (
            "页面每次重复的 KPI 也写入此复用缓存，供之后的 staff、capacity、marginal 等命令使用"
            "（默认 results/.cache），页面的瓶颈分析也从中读取命令行已算过的重复",
            "also leave the KPIs of the page's replications in this replication cache, for staff, "
            "capacity, marginal and the other commands after it (default results/.cache); the page's "
            "bottleneck by effect reads the replications the commands made from it too",
        ),
        (
            "不与命令行共用缓存（页面的 KPI 只记在 --results 下的 .kpis/）",
            "share no cache with the command line (the page keeps its KPIs in .kpis/ under --results)",
        ),
    )
    parser.set_defaults(func=run)


def streamlit_command(args: argparse.Namespace) -> list[str]:
    """The command line that serves the page."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PAGE),
        *STREAMLIT_OPTIONS,
        f"--server.port={args.port}",
        f"--server.address={args.address}",
    ]


def page_environment(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the page: this one, and the scenario, results folder and workers it serves."""
    return {
        **os.environ,
        "COURTSIM_APP_SCENARIO": str(Path(args.scenario).resolve()),
        "COURTSIM_APP_ROOT": str(Path(args.results).resolve()),
        "COURTSIM_APP_JOBS": str(args.jobs),
        "COURTSIM_APP_CACHE": "" if args.no_cache else str(Path(args.cache).resolve()),
    }


@common.guarded
def run(args: argparse.Namespace) -> int:
    """Check the scenario, then serve the page until Ctrl-C."""
    if not 1 <= args.port <= 65535:
        raise common.CommandError(f"--port must be between 1 and 65535 (got {args.port})")
    if args.jobs < 0:
        raise common.CommandError(f"--jobs must be 0 (all cores) or more (got {args.jobs})")
    if importlib.util.find_spec("streamlit") is None:
        raise common.CommandError("the page needs Streamlit: pip install 'courtsim[app]' (or make app)")
    load_scenario(args.scenario)  # a bad file is refused here, with every problem, not in the browser
    if not args.no_cache:
        common.check_cache_folder(Path(args.cache))
    print(f"courtsim app: http://{args.address}:{args.port}/  (Ctrl-C 停止 to stop)", file=sys.stderr, flush=True)
    return serve(args)


def serve(args: argparse.Namespace) -> int:
    """Run the Streamlit server in a child process until it ends (Ctrl-C); its exit code."""
    return subprocess.call(streamlit_command(args), env=page_environment(args))
