"""Options, messages and formatting shared by the subcommands (not a subcommand itself).

Every simulating command takes ``--reps --seed --jobs --quiet`` (:func:`add_run_options`)
and ``--scheduler`` (:func:`add_scheduler_option`, a Dask cluster). The experiment
commands (compare, sweep, capacity, staff) also keep finished replications in the
replication cache (``--cache --no-cache``, :func:`add_experiment_options`) and get
their backend and cache from :func:`session`. User errors raise
:class:`CommandError`; :func:`guarded` turns them into a message and exit code 2.
A command that writes a results folder holds its lock until it ends (:func:`hold_folder`),
so two commands aimed at one ``--out`` never mix their files: the second is refused.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.config.errors import ScenarioError
from sim.config.schema import MAX_REPLICATIONS, Scenario
from sim.experiments.backends import Backend, make_backend
from sim.experiments.cache import DEFAULT_CACHE, ReplicationCache
from sim.experiments.load_forecast import forecast_load
from sim.experiments.results import ResultsExistError, is_empty
from sim.experiments.running import Evaluator
from sim.io import FolderInUseError, folder_lock
from sim.lang import bi, lang
from sim.metrics.registry import SHARE_UNITS

if TYPE_CHECKING:  # annotations only: the ceilings are computed by the searches that print them
    from sim.experiments.ceilings import CeilingCheck

__all__ = [
    "ERROR",
    "EXIT_USAGE",
    "CommandError",
    "add_cache_options",
    "add_experiment_options",
    "add_run_options",
    "add_scheduler_option",
    "ceiling_lines",
    "ceiling_payload",
    "check_cache_folder",
    "file_in_existing_folder",
    "finite_number",
    "fmt_diff",
    "fmt_half",
    "fmt_value",
    "guarded",
    "hold_folder",
    "open_backend",
    "out_folder",
    "parse_precision",
    "print_scenario_error",
    "progress_printer",
    "report_usage",
    "session",
    "set_reps_help",
]

EXIT_USAGE = 2


class _Error:
    """The word that begins an error message: ``错误 error`` (``error`` under ``--lang en``), read when printed."""

    def __format__(self, spec: str) -> str:
        return format(bi("错误", "error", " "), spec)

    def __str__(self) -> str:
        return bi("错误", "error", " ")


ERROR = _Error()


class CommandError(Exception):
    """A user error: the message is printed and the command exits 2."""


# ---------------------------------------------------------------- options


def _whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                bi(f"应为整数，得到 {text!r}", f"expected a whole number, got {text!r}")
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                bi(f"应 ≥ {minimum}，得到 {value}", f"expected a number >= {minimum}, got {value}")
            )
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(
                bi(f"应 ≤ {maximum:,}，得到 {value:,}", f"expected a number <= {maximum:,}, got {value:,}")
            )
        return value

    return parse


_positive = _whole_number(1)
_non_negative = _whole_number(0)
_replications = _whole_number(1, MAX_REPLICATIONS)
_seed = _whole_number(0, 2**63 - 1)


def finite_number(text: str) -> float:
    """An argparse type: a finite number (``inf`` and ``nan`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(bi(f"应为数字，得到 {text!r}", f"expected a number, got {text!r}")) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(bi(f"应为有限的数，得到 {text!r}", f"expected a finite number, got {text!r}"))
    return value


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--reps, --seed, --jobs, --quiet."""
    parser.add_argument(
        "--reps",
        type=_replications,
        metavar="N",
        help=bi("重复次数（默认：情景的 run.replications）", "replications (default: the scenario's run.replications)"),
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        metavar="S",
        help=bi("基础随机种子（默认：情景的 run.seed）", "base seed (default: the scenario's run.seed)"),
    )
    parser.add_argument(
        "--jobs",
        type=_non_negative,
        default=0,
        metavar="J",
        help=bi(
            "并行进程数；0 = 全部核心（默认）。结果与此无关",
            "worker processes; 0 = all cores (default). Results do not depend on it",
        ),
    )
    parser.add_argument("-q", "--quiet", action="store_true", help=bi("不显示进度", "no progress output"))


def add_scheduler_option(parser: argparse.ArgumentParser) -> None:
    """--scheduler: run the replications on Dask instead of the local process pool."""
    parser.add_argument(
        "--scheduler",
        metavar="ADDR",
        help=bi(
            "在 Dask 上运行：local 为本机 --jobs 个进程的集群，或 tcp://HOST:PORT",
            "run on Dask: 'local' for a LocalCluster of --jobs workers, or tcp://HOST:PORT",
        ),
    )


def add_experiment_options(parser: argparse.ArgumentParser) -> None:
    """--reps --seed --jobs --quiet, and --scheduler --cache --no-cache."""
    add_run_options(parser)
    add_scheduler_option(parser)
    add_cache_options(
        parser,
        (
            f"已完成的重复保存在此，重跑时接着算（默认 {DEFAULT_CACHE}）",
            f"keep finished replications here so a rerun resumes (default {DEFAULT_CACHE})",
        ),
        ("不读也不写缓存", "neither read nor write the cache"),
    )


def add_cache_options(parser: argparse.ArgumentParser, cache: tuple[str, str], no_cache: tuple[str, str]) -> None:
    """``--cache DIR`` (default the replication cache's folder) and ``--no-cache``, with these helps (zh, en)."""
    parser.add_argument("--cache", metavar="DIR", default=str(DEFAULT_CACHE), help=bi(*cache))
    parser.add_argument("--no-cache", action="store_true", help=bi(*no_cache))


def set_reps_help(parser: argparse.ArgumentParser, text: str) -> None:
    """Say what ``--reps`` means for this command (searches have their own default)."""
    for action in parser._actions:
        if action.dest == "reps":
            action.help = text


# ---------------------------------------------------------------- backend and cache


def open_backend(args: argparse.Namespace) -> Backend:
    """The backend ``--jobs`` and ``--scheduler`` ask for; a bad address is a :class:`CommandError`."""
    try:
        return make_backend(args.jobs, args.scheduler)
    except (ValueError, OSError, TimeoutError) as exc:
        raise CommandError(bi(f"无法启动计算后端：{exc}", f"cannot start the backend: {exc}")) from None


@contextmanager
def session(args: argparse.Namespace) -> Iterator[tuple[Backend, Evaluator]]:
    """The backend and an evaluator (seed, cache, progress) for this command; closed at the end."""
    if not args.no_cache:
        check_cache_folder(Path(args.cache))
    cache = ReplicationCache(None if args.no_cache else args.cache)
    with open_backend(args) as backend:
        yield backend, Evaluator(args.seed, backend=backend, cache=cache, progress=progress_printer(args.quiet))


def check_cache_folder(folder: Path) -> None:
    """``--cache`` names a folder that is, or can become, the replication cache: refused before
    any work when it, or the nearest part of its path that exists, is a file or not writable."""
    for part in (folder, *folder.parents):
        if not part.exists():
            continue
        if not part.is_dir():
            what = "is a file" if part == folder else f"lies under {part}, which is a file"
            raise CommandError(f"--cache {folder} {what}, not a folder; name a folder, or pass --no-cache")
        if not os.access(part, os.W_OK | os.X_OK):
            raise CommandError(f"--cache {folder}: {part} is not writable; choose another folder, or pass --no-cache")
        return


def report_usage(args: argparse.Namespace, backend: Backend, evaluator: Evaluator) -> None:
    """One line on stderr: replications simulated and reused, where, on what."""
    if args.quiet:
        return
    cache = evaluator.cache
    where = f"cache {cache.folder}" if cache.folder is not None else "no disk cache"
    print(
        bi(
            f"模拟 {evaluator.computed} 次重复，{evaluator.cached} 次取自缓存；"
            f"后端 {backend.name}，{backend.workers} 个进程",
            f"simulated {evaluator.computed} replication(s), {evaluator.cached} from the cache ({where}); "
            f"backend: {backend.name}, {backend.workers} worker(s)",
        ),
        file=sys.stderr,
    )


# ---------------------------------------------------------------- errors and messages


def warn_of_load(scenarios: Mapping[str, Scenario], reps: int) -> None:
    """Before simulating: a warning on stderr for each scenario whose filings are far beyond its
    staffing, with the cases, CPU time and memory a run will take (:mod:`sim.experiments.load_forecast`)."""
    for label, scenario in scenarios.items():
        forecast = forecast_load(scenario)
        if forecast is not None and forecast.overloaded:
            print(forecast.warning(label, reps), file=sys.stderr, flush=True)


def guarded(body: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn user errors (bad scenario, target, path, backend) into a message and exit code 2."""

    def wrapper(args: argparse.Namespace) -> int:
        with ExitStack() as held:  # the folder locks the command takes, released when it ends
            vars(args)["_held"] = held
            try:
                return body(args)
            except ScenarioError as exc:
                return print_scenario_error(exc)
            except (CommandError, ResultsExistError, ValueError) as exc:
                print(f"{ERROR}: {exc}", file=sys.stderr)
                return EXIT_USAGE

    return wrapper


def hold_folder(args: argparse.Namespace, out: Path) -> None:
    """Lock the results folder ``out`` until the command ends (:func:`sim.io.folder_lock`).

    Another command holding it, or a folder that cannot be made or locked (a file in the
    way, no permission), is a :class:`CommandError` saying so, before any work.
    """
    held = vars(args).get("_held")
    if not isinstance(held, ExitStack):
        raise RuntimeError("hold_folder needs a command run through guarded()")
    try:
        held.enter_context(folder_lock(out))
    except FolderInUseError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot use {out} as a results folder: {exc.strerror or exc}") from None


def out_folder(args: argparse.Namespace) -> Path | None:
    """``--out`` locked and checked before any work: an existing non-empty folder needs ``--overwrite``."""
    if not getattr(args, "out", None):
        return None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CommandError(f"{out} is a file, not a folder; choose another --out")
    hold_folder(args, out)
    if not is_empty(out) and not args.overwrite:
        raise CommandError(f"{out} exists and is not empty; choose another --out or pass --overwrite")
    return out


def file_in_existing_folder(path: str | Path, option: str) -> Path:
    """The file an option names, refused (a :class:`CommandError`) when its folder does not exist:
    a mistyped folder in ``--out`` must not be created silently with the file put out of sight."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        zh, en = ("不是文件夹", "is not a folder") if folder.exists() else ("不存在", "does not exist")
        raise CommandError(
            bi(
                f"{option} {target}：文件夹 {folder} {zh}；请先建好它（mkdir -p {folder}）或选一个已有的文件夹",
                f"{option} {target}: the folder {folder} {en}; create it first (mkdir -p {folder}) "
                "or choose an existing folder",
            )
        )
    return target


def print_scenario_error(exc: ScenarioError) -> int:
    """Print every problem of a scenario file; return the usage exit code."""
    print(f"{exc.source}: {bi(f'{len(exc.problems)} 个问题', f'{len(exc.problems)} problem(s)')}", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem.describe(lang() == 'zh')}", file=sys.stderr)
    return EXIT_USAGE


def progress_printer(quiet: bool, interval: float = 10.0) -> Callable[[int, int], None] | None:
    """Progress on stderr: a bar redrawn in place on a terminal; otherwise (a log file, a CI job,
    ``2> run.log``) a line at each tenth of the replications, at most one per ``interval`` seconds
    (the first after ``interval``),
    so that a command running for minutes still shows it is alive."""
    if quiet:
        return None
    if not sys.stderr.isatty():
        return _progress_lines(interval)

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        print(
            f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {bi('次重复', 'replications', ' ')}",
            end="",
            file=sys.stderr,
            flush=True,
        )
        if done == total:
            print(file=sys.stderr)

    return show


def _progress_lines(interval: float) -> Callable[[int, int], None]:
    start = time.monotonic()
    last = start  # a command done within the first interval prints no progress at all

    def show(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        step = max(1, total // 10)
        if (done % step == 0 or done == total) and now - last >= interval:
            last = now
            print(
                bi(
                    f"进度：已完成 {done}/{total} 次重复（{now - start:.0f} 秒）",
                    f"progress: {done}/{total} replications done ({now - start:.0f} s)",
                ),
                file=sys.stderr,
                flush=True,
            )

    return show


# ---------------------------------------------------------------- formatting


def _percent(kpi: str) -> bool:
    from sim.api import kpi_info  # not at import: the API loads every experiment module

    info = kpi_info(kpi)
    return info is not None and info.unit in SHARE_UNITS


def parse_precision(text: str, option: str) -> tuple[str, float]:
    """``KPI=HALF_WIDTH`` (e.g. ``fast45_rate=0.01``): a known KPI id and a positive, finite
    half-width in the KPI's own units (a share's 0.01 is one percentage point); else a
    :class:`CommandError` naming ``option`` and saying what is expected."""
    from sim.api import kpi_info  # not at import: the API loads every experiment module

    kpi, sep, half = text.partition("=")
    try:
        value = float(half)
    except ValueError:
        value = -1.0
    if not sep or not (math.isfinite(value) and value > 0) or kpi_info(kpi.strip()) is None:
        raise CommandError(
            f"{option} {text!r}: expected KPI=HALF_WIDTH with a known KPI, e.g. fast45_rate=0.01 "
            "(±1 percentage point) or mean_days_to_close=5 (±5 days); `courtsim run --json` lists the KPIs"
        )
    return kpi.strip(), value


def fmt_half(kpi: str, value: float | None) -> str:
    """The half-width of an interval of a KPI: ``±1.2 pp`` for shares, ``±3.4`` otherwise."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"±{100 * value:.1f} pp" if _percent(kpi) else f"±{value:,.1f}"


def fmt_value(kpi: str, value: float | None) -> str:
    """A KPI value for people: shares as percentages, others with one decimal."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{100 * value:.1f}%" if _percent(kpi) else f"{value:,.1f}"


def fmt_diff(kpi: str, value: float | None) -> str:
    """A difference of KPI values: percentage points for shares."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{100 * value:+.1f} pp" if _percent(kpi) else f"{value:+,.1f}"


def ceiling_lines(checks: Sequence[CeilingCheck]) -> list[str]:
    """上限 ceiling: per target that has one, Chinese then English (``staff``, ``capacity``)."""
    lines = []
    for check in checks:
        zh, en = check.sentence()
        lines += [f"上限 ceiling ({check.target}): {zh}", f"  {en}"]
    return lines


def ceiling_payload(checks: Sequence[CeilingCheck]) -> list[dict[str, Any]]:
    """The ceilings as JSON records (NaN as null)."""

    def num(v: float) -> float | None:
        return None if math.isnan(v) else v

    records = []
    for c in checks:
        zh, en = c.sentence()
        records.append(
            {
                "target": str(c.target),
                "kpi": c.kpi,
                "reachable": c.reachable,
                "n": c.n,
                "mean": num(c.mean),
                "ci_low": num(c.ci_low),
                "ci_high": num(c.ci_high),
                "upper_bound": num(c.bound),
                "confidence": c.confidence,
                "reasons": c.reasons,
                "zh": zh,
                "en": en,
            }
        )
    return records
