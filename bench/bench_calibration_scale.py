"""Benchmark: calibrating a large case export, its time and peak memory by the number of rows.

Usage::

    .venv/bin/python bench/bench_calibration_scale.py [--rows 100000,1000000] [--tree LABEL=PATH ...]
                                                      [--dirty 0.05] [--json]

Makes an export of each size from a synthetic one (``courtsim synth-records`` of two years
of the baseline, about 13,000 cases, made once and kept in the temporary folder): its rows
are repeated with the court code of the case numbers changed per copy (豫1381, 豫1382, …)
so that every case number is distinct, and a share ``--dirty`` of the rows is spoilt in
the ways the cleaning report lists (unreadable dates, closings before filings, unknown
outcomes, bad amounts, other case kinds, identical and conflicting repeats of a case
number, empty rows). Then, for every ``--tree`` (a source tree of courtsim; default this
checkout as ``here``; ``git archive <commit> sim | tar -x -C /tmp/before`` makes an
earlier one), in a fresh process with ``PYTHONPATH`` set to the tree::

    courtsim calibrate EXPORT --base scenarios/dengzhou_2022.toml --out OUT.toml --no-report \
        --cleaning CLEANING.csv

Printed per tree and size: wall and CPU seconds (user + system), peak RSS (``wait4``), the
cleaning report's rows, and the memory per million rows: the growth of the peak RSS
between the smallest and the largest size, per million rows. Wall time on a shared
machine measures the other jobs too; compare CPU seconds. The trees run interleaved, size
by size, so that a burst of load hits both.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "dengzhou_2022.toml"
WORK = Path(tempfile.gettempdir()) / "courtsim-bench-calibration"


def synthetic_export(work: Path) -> Path:
    """Two years of the baseline as a court's export (made once, then reused)."""
    path = work / "synthetic-2y.csv"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "sim", "synth-records", str(BASE), "--years", "2", "--out", str(path)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return path


def _spoil(row: list[str], index: dict[str, int], rnd: np.random.Generator) -> list[list[str]]:
    """The row, perhaps spoilt, and perhaps a repeat of it or an empty row after it."""
    row = list(row)
    spoil = int(rnd.integers(9))
    if spoil == 0:
        row[index["立案日期"]] = "2023/13/45"
    elif spoil == 1:
        row[index["结案日期"]] = "2020-01-01"
    elif spoil == 2:
        row[index["结案方式"]] = "不知道"
    elif spoil == 3:
        row[index["申请执行标的"]] = "abc"
    elif spoil == 4:
        row[index["案号"]] = row[index["案号"]].replace("执", "执异", 1)
    elif spoil == 5:
        row[index["结案方式"]] = "和解"
    out = [row]
    extra = int(rnd.integers(4))
    if extra == 0:
        out.append(list(row))  # an identical repeat
    elif extra == 1:
        repeat = list(row)
        repeat[index["结案日期"]], repeat[index["结案方式"]] = "", ""
        out.append(repeat)  # the same case, still open: a conflicting repeat
    elif extra == 2:
        out.append([""] * len(row))
    return out


def make_export(source: Path, rows: int, dirty: float, out: Path) -> Path:
    """``rows`` data rows made from ``source`` (see the module docstring)."""
    if out.exists():
        return out
    with source.open(encoding="utf-8-sig", newline="") as file:
        comment = file.readline()
        table = list(csv.reader(file))
    header, body = table[0], table[1:]
    index = {name: i for i, name in enumerate(header)}
    rnd = np.random.default_rng(20221)
    written = copy = 0
    with out.open("w", encoding="utf-8", newline="") as file:
        file.write(comment)
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        while written < rows:
            court = f"豫{1381 + copy}"
            for row in body:
                if written >= rows:
                    break
                row = [cell.replace("豫1381", court) for cell in row]
                for line in _spoil(row, index, rnd) if rnd.random() < dirty else [row]:
                    writer.writerow(line)
                    written += 1
            copy += 1
    return out


def calibrate(tree: Path, export: Path, work: Path) -> dict[str, Any]:
    """``courtsim calibrate`` of ``export`` on ``tree`` in a fresh process: seconds, peak MB, report rows."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    out, cleaning = work / "calibrated.toml", work / "cleaning.csv"
    argv = [sys.executable, "-m", "sim", "calibrate", str(export), "--base", str(BASE), "--out", str(out)]
    argv += ["--overwrite", "--no-report", "--cleaning", str(cleaning)]
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"calibrate {export.name} on {tree} failed:\n{stderr[-2000:]}")
    with cleaning.open(encoding="utf-8-sig") as file:
        report_rows = sum(1 for _ in file) - 1
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "cleaning_rows": report_rows,
        "progress_lines": sum(line.startswith("读取") for line in stderr.splitlines()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000", help="export sizes, comma-separated")
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=PATH", help="a source tree")
    parser.add_argument("--dirty", type=float, default=0.05, help="share of rows spoilt (default 0.05)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    trees = dict(item.split("=", 1) for item in args.tree) or {"here": str(ROOT)}
    sizes = sorted(int(n) for n in args.rows.split(","))
    WORK.mkdir(parents=True, exist_ok=True)
    source = synthetic_export(WORK)
    figures: dict[str, dict[int, dict[str, Any]]] = {label: {} for label in trees}
    for n in sizes:
        export = make_export(source, n, args.dirty, WORK / f"export-{n}-{args.dirty:g}.csv")
        for label, tree in trees.items():
            figures[label][n] = result = calibrate(Path(tree).resolve(), export, WORK)
            print(f"{label:>8} {n:>9,} rows: {json.dumps(result)}", file=sys.stderr, flush=True)
    slopes = {
        label: round((by_size[sizes[-1]]["peak_mb"] - by_size[sizes[0]]["peak_mb"]) / (sizes[-1] - sizes[0]) * 1e6)
        for label, by_size in figures.items()
        if len(sizes) > 1
    }
    if args.json:
        print(json.dumps({"figures": figures, "mb_per_million_rows": slopes}, indent=1))
        return
    print(f"{'tree':>8} {'rows':>10} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'cleaning rows':>14}")
    for label, by_size in figures.items():
        for n in sizes:
            r = by_size[n]
            print(f"{label:>8} {n:>10,} {r['wall_s']:>8} {r['cpu_s']:>8} {r['peak_mb']:>8} {r['cleaning_rows']:>14,}")
        if label in slopes:
            print(f"{label:>8} peak memory per million rows: {slopes[label]} MB")


if __name__ == "__main__":
    main()
