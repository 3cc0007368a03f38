"""Benchmark: each notebook of ``notebooks/`` run top to bottom in full mode, and how long it took.

Usage::

    .venv/bin/python bench/notebooks.py                      # every notebook, full mode
    .venv/bin/python bench/notebooks.py 01 03                # those whose name starts so
    .venv/bin/python bench/notebooks.py --smoke              # the suite's quick mode, for contrast

The suite (``tests/report/test_notebooks.py``) runs each notebook with
``COURTSIM_NOTEBOOK_SMOKE=1``: two replications and a short period. Here that variable is
removed, so a notebook runs the study it describes (its own ``REPS``, periods and search
options), with ``JOBS = 0``: all cores. Each notebook is executed by nbclient in a fresh
kernel from ``notebooks/`` (as the suite does); the time printed is the wall time of the
whole execution, kernel start included. A notebook that raises is reported with the cell's
error and the script exits 1. The outputs are not written back: the notebooks are stored
without them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SMOKE = "COURTSIM_NOTEBOOK_SMOKE"


def chosen(prefixes: list[str]) -> list[Path]:
    """The notebooks whose file name starts with one of ``prefixes`` (all when none is given)."""
    books = sorted(NOTEBOOKS.glob("*.ipynb"))
    picked = [p for p in books if not prefixes or any(p.name.startswith(x) for x in prefixes)]
    if not picked:
        names = ", ".join(p.stem for p in books)
        raise SystemExit(f"no notebook starts with {' or '.join(prefixes)} (notebooks: {names})")
    return picked


def run_notebook(path: Path, timeout_s: int) -> tuple[float, str]:
    """Execute one notebook in a fresh kernel: (wall seconds, "" or the error)."""
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    began = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        return time.perf_counter() - began, str(exc).strip().splitlines()[-1]
    return time.perf_counter() - began, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="run only the notebooks whose name starts so (e.g. 01 03)")
    parser.add_argument("--smoke", action="store_true", help="the suite's quick mode instead of the full one")
    parser.add_argument("--timeout", type=int, default=7200, help="seconds a cell may take (default 7200)")
    args = parser.parse_args()
    if args.smoke:
        os.environ[SMOKE] = "1"
    else:
        os.environ.pop(SMOKE, None)  # the kernel inherits the environment: no variable, full mode
    mode = "quick (COURTSIM_NOTEBOOK_SMOKE=1)" if args.smoke else "full"
    print(f"mode: {mode}; cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    failed = 0
    total = 0.0
    for path in chosen(args.prefixes):
        seconds, error = run_notebook(path, args.timeout)
        total += seconds
        load = os.getloadavg()[0]
        status = f"FAILED: {error}" if error else "ok"
        print(f"{path.stem:<26} {seconds:8.1f} s  (load average {load:.1f})  {status}", flush=True)
        failed += bool(error)
    print(f"{'total':<26} {total:8.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
