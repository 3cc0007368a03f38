"""``courtsim run SCENARIO``: replications of one scenario, headline KPIs, a results folder.

An interrupted run resumes. Each replication is kept in the results folder as it
finishes (:mod:`sim.experiments.resume`), and the same command with the same ``--out DIR``
finds those, simulates only the rest and writes the final files. Resuming needs
``--out``: the default folder is new for every run (it carries the start time),
so a run without ``--out`` says at the start which ``--out`` resumes it. Guessing
"the latest unfinished folder of this scenario" instead would let two runs
started side by side write into one folder.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from sim import frames
from sim.commands import SUMMARIES, common
from sim.config.load import load_scenario
from sim.config.schema import Scenario
from sim.display import ljust, width
from sim.experiments.backends import Backend
from sim.experiments.cache import DEFAULT_CACHE, ReplicationCache
from sim.experiments.results import MANIFEST, default_folder, write_results
from sim.experiments.resume import RunStore, folder_state, read_table
from sim.experiments.running import Estimates, Precision, run_experiment, run_to_precision
from sim.experiments.types import ExperimentResult
from sim.lang import bi, lang
from sim.metrics import KPIS, Group, View, headline, in_order, in_range
from sim.metrics.registry import SHARE_UNITS, missing_reason
from sim.metrics.stability import (
    BALANCE_COLUMNS,
    case_balance,
    closed_case_kpi,
    instability_warning,
    unstable_replications,
)
from sim.metrics.warmup import CASE_COLUMNS, STEP_COLUMNS, WarmupCheck, warmup_check
from sim.report.targets import FAST45, FAST45_TARGET, VERDICT_HEADLINES, judge


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help=SUMMARIES["run"],
        description="Run replications of a scenario under common random numbers, print the headline "
        "KPIs (mean and 95% t-interval) and write a results folder (default results/<name>-<time>). "
        "Each replication is kept in the folder as it finishes, so an interrupted run resumes: rerun "
        "the same command with --out DIR and only the missing replications are simulated, with the "
        "numbers of an uninterrupted run. Each replication's KPIs are also left in the replication "
        "cache (--cache, default results/.cache), so compare, sweep, capacity and staff do not simulate "
        "them again; run itself never reads that cache (it holds KPIs only, not the tables a results "
        "folder needs).",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    common.add_run_options(parser)
    common.add_scheduler_option(parser)
    common.add_cache_options(
        parser,
        (
            f"每次重复的指标也存入此复用缓存，供 compare、sweep、capacity、staff 直接取用（默认 {DEFAULT_CACHE}）",
            "also leave each replication's KPIs in this replication cache, for compare, sweep, capacity "
            f"and staff to reuse (default {DEFAULT_CACHE})",
        ),
        ("不写复用缓存", "leave nothing in the replication cache"),
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default: results/<scenario>-<timestamp>); "
        "rerun with the same --out to resume an interrupted run",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace what a non-empty --out folder holds; simulate every replication anew",
    )
    parser.add_argument(
        "--until",
        metavar="KPI=HALF",
        help=bi(
            f"重复直到 KPI 的95%%置信区间窄于 ±HALF（如 within_limit_rate=0.02），至少 {UNTIL_MIN_REPS} 次，"
            f"最多 --reps 次（默认 {UNTIL_MAX_REPS}）",
            "replicate until the 95%% interval of KPI is within ±HALF in its own units (e.g. "
            f"within_limit_rate=0.02, ±2 points), at least {UNTIL_MIN_REPS} and at most --reps replications "
            f"(default {UNTIL_MAX_REPS} with --until); each interval is printed as it narrows",
        ),
    )
    parser.add_argument("--no-save", action="store_true", help="print only; write no results folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--report", action="store_true", help="also write report.html into the results folder")
    parser.set_defaults(func=run)


UNTIL_MIN_REPS = 5
"""The fewest replications ``--until`` stops at: Hoad, Robinson & Davies (2010) advise not
stopping at a first lucky narrow interval of a KPI whose spread is not known."""
UNTIL_MAX_REPS = 50
"""The most replications ``--until`` runs when ``--reps`` does not say."""


@common.guarded
def run(args: argparse.Namespace) -> int:
    """Check the folder, run (resuming what it holds), print, save."""
    scenario = load_scenario(args.scenario)
    until = None if args.until is None else Precision(*common.parse_precision(args.until, "--until"))
    reps = args.reps or (UNTIL_MAX_REPS if until else scenario.run.replications)
    if until is not None and reps < 2:
        raise common.CommandError(f"--until needs --reps of at least 2 (the most replications it may run; got {reps})")
    seed = scenario.run.seed if args.seed is None else args.seed
    if not args.no_cache:
        common.check_cache_folder(Path(args.cache))  # before any work
    out = None if args.no_save else _folder(args, scenario, seed, reps)
    store = None if out is None else RunStore(out)
    if store is not None:
        store.begin(scenario, seed)
    common.warn_of_load({scenario.name: scenario}, reps)
    # The tables of each replication stay on disk (.partial) and are read back one at a time, the
    # columns each reader needs (the warm-up check, --json's case balance, the results folder):
    # this process holds the KPIs only. Without a folder (--no-save) it holds the tables it reads.
    hold = store is None
    keep = out is not None or args.json  # the tables: also for the warm-up check
    try:
        with _backend(args) as backend:
            if until is None:
                result = run_experiment(
                    {scenario.name: scenario},
                    reps,
                    seed,
                    jobs=args.jobs,
                    backend=backend,
                    keep_runs=keep,
                    cache=store,
                    progress=common.progress_printer(args.quiet),
                    hold_runs=hold,
                )
            else:
                result, _ = run_to_precision(
                    {scenario.name: scenario},
                    until,
                    seed,
                    min_reps=min(UNTIL_MIN_REPS, reps),
                    max_reps=reps,
                    jobs=args.jobs,
                    backend=backend,
                    keep_runs=keep,
                    cache=store,
                    on_update=None if args.quiet else _narrowing(scenario.name, until, min(UNTIL_MIN_REPS, reps)),
                    hold_runs=hold,
                )
    except KeyboardInterrupt:
        if store is not None:
            kept = len(store.finished(scenario, seed, reps))
            print(
                bi(
                    f"{reps} 次重复中已保存 {kept} 次于 {out}；用 --out {out} 重跑即可接着算",
                    f"{kept} of {reps} replications kept in {out}; rerun with --out {out} to resume",
                ),
                file=sys.stderr,
            )
        raise
    if not args.no_cache:
        ReplicationCache(args.cache).put_result(result)  # for the searches after it
    on_disk = None if hold else store
    check = _warmup(result, scenario, on_disk)
    stop = None if until is None else until_payload(result, scenario.name, until, reps)
    if args.json:
        payload = summary_payload(result, scenario.name, on_disk)
        payload["warmup"] = warmup_payload(check)
        if stop is not None:
            payload["until"] = stop
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(format_table(result, scenario.name))
        if stop is not None:
            print(_until_line(stop))
        print(_warmup_lines(check))
    if out is not None and store is not None:
        write_results(
            out,
            result,
            sources={scenario.name: str(Path(args.scenario))},
            overwrite=True,
            stored=None if hold else lambda _, rep: store.table_paths(scenario, seed, rep),
            extra=None if stop is None else {"until": stop},
        )
        store.discard()  # after the manifest: until then the kept replications are the way back
        if args.report:
            from sim.report import write_run_report  # matplotlib: only with --report

            write_run_report(out)
        print(f"{bi('结果', 'results', ' ')}: {out}", file=sys.stderr)
    return 0


def _narrowing(label: str, until: Precision, least: int) -> Callable[[Estimates], None]:
    """Progress of ``--until`` on stderr: the interval of its KPI each time a replication is added.

    Every length in order, also when a late replication closes a gap of several, and none past
    the stop (the first length from ``least`` on whose interval is narrow enough), which
    :func:`~sim.experiments.running.run_to_precision` finds on the same estimates: the lines
    are the same on one worker or many.
    """
    shown, stopped = 0, False

    def show(estimates: Estimates) -> None:
        nonlocal shown, stopped
        for n in range(max(shown + 1, 2), estimates.n(label) + 1):
            if stopped:
                return
            estimate = estimates.estimate(label, until.kpi, n)
            stopped = n >= least and until.met(estimate)
            value = common.fmt_value(until.kpi, estimate.mean)
            half, asked = common.fmt_half(until.kpi, estimate.half_width), common.fmt_half(until.kpi, until.half_width)
            print(
                "  "
                + bi(
                    f"{n} 次重复：{until.kpi} {value} {half}（要求 {asked}）",
                    f"{n} replications: {until.kpi} {value} {half} (asked {asked})",
                ),
                file=sys.stderr,
                flush=True,
            )
        shown = max(shown, estimates.n(label))

    return show


def until_payload(result: ExperimentResult, label: str, until: Precision, most: int) -> dict[str, Any]:
    """What ``--until`` reached: its KPI, the half-width asked and got, the replications used and allowed.

    ``reached`` is whether the 95% interval over the replications kept is as narrow as asked;
    when not, the run stopped at its limit of ``most`` replications.
    """
    table = result.summary()
    row = table[(table.scenario == label) & (table.kpi == until.kpi)]
    mean, half = math.nan, math.nan
    if not row.empty and int(row["n"].iloc[0]) >= 2:
        mean = float(row["mean"].iloc[0])
        half = (float(row["ci_high"].iloc[0]) - float(row["ci_low"].iloc[0])) / 2
    return {
        "kpi": until.kpi,
        "half_width_asked": until.half_width,
        "half_width": _num(half),
        "mean": _num(mean),
        "reached": bool(half <= until.half_width),  # NaN (a KPI undefined here): not reached
        "replications": result.reps,
        "max_replications": most,
    }


def _until_line(stop: dict[str, Any]) -> str:
    kpi, n = stop["kpi"], stop["replications"]
    got = common.fmt_half(kpi, stop["half_width"])
    asked = common.fmt_half(kpi, stop["half_width_asked"])
    if stop["reached"]:
        return bi(
            f"精度：{n} 次重复后 {kpi} 的95%区间为 {got}，达到要求的 {asked}",
            f"precision: after {n} replications the 95% interval of {kpi} is {got}, as narrow as asked ({asked})",
        )
    return bi(
        f"未达到精度：已到上限 {n} 次重复，{kpi} 的95%区间仍为 {got}（要求 {asked}）；可提高 --reps",
        f"precision not reached: at the limit of {n} replications the 95% interval of {kpi} is {got} "
        f"(asked {asked}); raise --reps",
    )


def _warmup(result: ExperimentResult, scenario: Scenario, store: RunStore | None = None) -> WarmupCheck | None:
    """MSER-5 over the replications' outputs (:func:`sim.metrics.warmup.warmup_check`); None without tables.

    The tables are the result's when it holds them, else those ``store`` keeps on disk (a run
    with ``--out`` holds KPIs only), read back one replication at a time.
    """
    if not result.runs and store is None:
        return None
    return warmup_check(_tables(result, scenario.name, store, steps=STEP_COLUMNS, cases=CASE_COLUMNS), scenario)


def _tables(
    result: ExperimentResult, label: str, store: RunStore | None, **columns: Sequence[str]
) -> Iterator[tuple[int, Any]]:
    """``(replication, tables)`` of ``label`` in replication order: those the result holds, else
    those ``store`` keeps on disk, read back one replication at a time and only the ``columns``
    asked for per table (``steps=(...)``, ``cases=(...)``), as attributes of a namespace."""
    runs = sorted((rep, run) for (lab, rep), run in result.runs.items() if lab == label)
    if runs or store is None:
        yield from runs
        return
    scenario = result.scenarios[label]
    for rep in range(result.reps):
        paths = store.table_paths(scenario, result.seed, rep)
        yield rep, SimpleNamespace(**{table: read_table(paths[table], cols) for table, cols in columns.items()})


def _warmup_lines(check: WarmupCheck | None) -> str:
    if check is None:
        return "\n  预热未检验（--no-save 不保留数据表） / warm-up not checked (--no-save keeps no tables)"
    zh, en = check.message()
    mark = "  " if check.enough else "!! "
    return f"\n{mark}{zh}\n{mark}{en}"


def warmup_payload(check: WarmupCheck | None) -> dict[str, Any] | None:
    """The ``--json`` object's ``warmup``: the verdict, the longest truncation and each one (None: no tables)."""
    if check is None:
        return None
    zh, en = check.message()
    return {
        "warmup_days": check.warmup_days,
        "needed_days": _num(check.needed_days),
        "enough": check.enough,
        "steady": check.steady,
        "message": en,
        "message_zh": zh,
        "mser5": [
            {
                "replication": int(row.replication),
                "output": str(row.output),
                "truncation_days": _num(row.truncation_days),
                "steady": bool(row.steady),
            }
            for row in frames.rows(check.table)
        ],
    }


def _folder(args: argparse.Namespace, scenario: Scenario, seed: int, reps: int) -> Path:
    """The results folder, checked before any work; says so when it resumes one.

    A new or empty folder is used; an unfinished folder of this same run (scenario
    content, seed, model code) is resumed; anything else — complete results, another
    run's replications, other files — is refused unless ``--overwrite``, which
    empties the folder of its manifest and kept replications, so that nothing is reused.
    """
    out = Path(args.out) if args.out else default_folder(scenario.name)
    if out.exists() and not out.is_dir():
        raise common.CommandError(f"{out} is a file, not a folder; choose another --out")
    common.hold_folder(args, out)  # until the command ends: a second command into it is refused
    found = folder_state(out, [scenario], seed, reps)
    if args.overwrite and found.state != "new":
        (out / MANIFEST).unlink(missing_ok=True)  # from here on the folder does not look complete
        RunStore(out).discard()
    elif found.state in ("complete", "other"):
        raise common.CommandError(
            f"{out} exists and is not empty ({found.reason}); choose another --out or pass --overwrite"
        )
    elif found.found:
        zh_of, en_of = (f"最多 {reps} 次", f"of at most {reps}") if args.until else (f"{reps} 次", f"of {reps}")
        print(
            bi(
                f"接着算：{out} 中已有 {zh_of}重复中的 {found.found} 次",
                f"resuming: {found.found} {en_of} replications found in {out}",
            ),
            file=sys.stderr,
        )
    if not args.out and not args.quiet:
        print(
            bi(
                f"写入 {out}；若中断，用 --out {out} 重跑即可接着算",
                f"writing {out}; if interrupted, rerun with --out {out} to resume",
            ),
            file=sys.stderr,
        )
    return out


@contextmanager
def _backend(args: argparse.Namespace) -> Iterator[Backend | None]:
    """Dask when ``--scheduler`` asks for it, else ``None``: a local pool sized to the work left."""
    if args.scheduler is None:
        yield None
        return
    with common.open_backend(args) as backend:
        yield backend


def summary_payload(result: ExperimentResult, label: str, store: RunStore | None = None) -> dict[str, Any]:
    """The ``--json`` object: ``stability``, ``cases`` and ``kpis`` (id → mean, ci_low, ci_high, n).

    ``stability`` says how many replications were flagged unstable (the backlog still
    grows); when any was, every KPI computed over closed cases carries
    ``"misleading": true`` and ``stability.warning`` says why. ``cases`` is the case
    balance of the counting window [warm-up, horizon) over all cases
    (:func:`sim.metrics.stability.case_balance`), the mean per replication and each
    replication's own: ``open_start + arrived = closed + open_end``. Its tables are the
    result's, or (when it holds none) the two columns it needs read back from ``store``.
    """
    table = result.summary()
    table = table[table.scenario == label]
    flagged, reps = unstable_replications(result.kpis, label)
    kpis = {}
    for row in frames.rows(table):
        entry: dict[str, Any] = {
            "mean": _num(row.mean),
            "ci_low": _num(in_range(row.kpi, row.ci_low)),  # a share's interval within [0, 1]
            "ci_high": _num(in_range(row.kpi, row.ci_high)),
            "n": int(row.n),
        }
        if row.n == 0:
            entry["missing"] = missing_reason(row.kpi)
        if flagged and closed_case_kpi(row.kpi):
            entry["misleading"] = True
        kpis[row.kpi] = entry
    zh, en = instability_warning(flagged, reps)
    stability: dict[str, Any] = {"unstable_replications": flagged, "replications": reps, "unstable": bool(flagged)}
    if flagged:
        stability |= {"warning": en, "warning_zh": zh}
    return {
        "scenario": label,
        "reps": result.reps,
        "seed": result.seed,
        "stability": stability,
        "cases": case_balance_payload(result, label, store),
        "kpis": kpis,
    }


def case_balance_payload(result: ExperimentResult, label: str, store: RunStore | None = None) -> dict[str, Any]:
    """The window's case balance: mean per replication and each replication's counts.

    From the case tables the result holds, else from those ``store`` keeps (their arrival and
    close times only); with neither, no replication's.
    """
    scenario = result.scenarios[label]
    window = [scenario.run.warmup_days, scenario.run.horizon_days]
    runs = _tables(result, label, store, cases=BALANCE_COLUMNS)
    each = [{"replication": rep, **case_balance(run.cases, *window)} for rep, run in runs]
    keys = ("open_start", "arrived", "closed", "open_end")
    means = {k: sum(e[k] for e in each) / len(each) if each else None for k in keys}
    return {"window_days": window, **means, "per_replication": each}


def _num(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def format_table(result: ExperimentResult, label: str) -> str:
    """The verdict line, the headline KPIs (:attr:`View.TERMINAL`), then utilisation, as aligned text.

    Each row is the Chinese name, the English name (none under ``--lang en``), the mean and its
    95% interval; columns are padded by display width (:mod:`sim.display`), so they line up
    after Chinese names. An unstable run (the backlog still grows in any replication) is said
    first, and the KPIs over closed cases are marked as misleading.
    """
    table = result.summary()
    table = table[table.scenario == label].set_index("kpi")
    order = headline(View.TERMINAL, table.index)
    order += [k for k in in_order(table.index) if k in KPIS and KPIS[k].group is Group.UTILISATION]
    flagged, reps = unstable_replications(result.kpis, label)
    lines = []
    if flagged:
        zh, en = instability_warning(flagged, reps)
        lines += [f"!! {zh}", f"!! {en}", ""] if lang() == "zh" else [f"!! {en}", ""]
    lines += [
        bi(
            f"{label}：{result.reps} 次重复，随机种子 {result.seed}（平均 [95%置信区间]）",
            f"{result.reps} replications, seed {result.seed} (mean [95% CI])",
            " · ",
        ).replace(f"{label}：", f"{label}: ", 1)
        if lang() == "zh"
        else f"{label}: {result.reps} replications, seed {result.seed} (mean [95% CI])",
        "",
    ]
    names = {k: _names(k) for k in order}
    zh_width = max((width(zh) for zh, _ in names.values()), default=0)
    en_width = max((width(en) for _, en in names.values()), default=0)
    mark = bi("误导", "misleading (unstable)", " ")
    for kpi in order:
        row = frames.line(table, kpi)
        line = _line(kpi, row, names[kpi], zh_width, en_width)
        if row["n"] == 0:  # undefined in every replication: shown as missing, with why
            lines.append(line + f"  ← {missing_reason(kpi)}")
            continue
        lines.append(line + (f"  ← {mark}" if flagged and closed_case_kpi(kpi) else ""))
    verdict = verdict_line(table, flagged)
    if verdict:
        lines += ["", *verdict]
    return "\n".join(lines)


def verdict_line(table: pd.DataFrame, flagged: int = 0) -> list[str]:
    """The 45-day verdict as the report's page one words it, Chinese first (the English alone
    under ``--lang en``): met, not met or uncertain from the 95% interval against the target."""
    if FAST45 not in table.index:
        return []
    row = frames.line(table, FAST45)
    mean, low, high = (float(in_range(FAST45, row[c])) for c in ("mean", "ci_low", "ci_high"))
    status = judge(FAST45_TARGET, mean, low, high)
    zh, en = VERDICT_HEADLINES[status]

    def pct(value: float) -> str:
        return "n/a" if math.isnan(value) else f"{100 * value:.1f}%"

    target = FAST45_TARGET.label(percent=True)
    ci = f"{pct(low)}–{pct(high)}"
    closed_only = closed_case_kpi(FAST45)
    caveat_zh = (
        ("；积案仍在增长，此比率只计已结案件，会误导" if closed_only else "；积案仍在增长，见上") if flagged else ""
    )
    caveat_en = (
        (
            "; the backlog still grows, so this rate of closed cases misleads"
            if closed_only
            else "; the backlog still grows, see above"
        )
        if flagged
        else ""
    )
    line_zh = f"结论：{zh}（简案45日内结案率 {pct(mean)}，95%置信区间 {ci}，目标 {target}{caveat_zh}）"
    line_en = f"Verdict: {en} (fast-track 45-day rate {pct(mean)}, 95% CI {ci}, target {target}{caveat_en})"
    return [line_zh, line_en] if lang() == "zh" else [line_en]


def _names(kpi: str) -> tuple[str, str]:
    info = KPIS.get(kpi)
    return (info.zh, info.en) if info else (kpi, kpi)


def _line(kpi: str, row: pd.Series, names: tuple[str, str], zh_width: int, en_width: int) -> str:
    info = KPIS.get(kpi)
    zh, en = names
    percent = (info.unit if info else "") in SHARE_UNITS

    def fmt(value: float) -> str:
        if _num(value) is None:
            return "    n/a"
        return f"{100 * value:6.1f}%" if percent else f"{value:7.1f}"

    low, high = in_range(kpi, row.ci_low), in_range(kpi, row.ci_high)  # a share's within [0, 1], as the report
    ci = f"[{fmt(low).strip()}, {fmt(high).strip()}]" if _num(low) is not None else ""
    name = f"{ljust(zh, zh_width)}  {ljust(en, en_width)}" if lang() == "zh" else ljust(en, en_width)
    return f"  {name} {fmt(row['mean'])} {ci}".rstrip()
