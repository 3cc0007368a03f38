"""Are the baseline's numbers bit-identical to a reference? (refactors must not move them)

Usage::

    .venv/bin/python bench/identical.py            # run, compare with bench/identical_reference.json
    .venv/bin/python bench/identical.py --write    # run, record the digests as the new reference
    .venv/bin/python bench/identical.py --drop queue_at_request   # a new column left out of the digests

Runs ``courtsim run scenarios/dengzhou_2022.toml --reps 3 --seed 7`` into a temporary
folder and digests ``kpis_by_rep.csv``, the case table, the deadline clocks and the event
log (SHA-256 of every cell, in order, with column names and dtypes; pandas' own row
hashes, so a float that moves in its last bit changes the digest). A change of the
model's behaviour is expected to change them; a refactor is not. The reference file
records the commit it was written at. A change that only adds a column (the event log's
``queue_at_request``) is checked with ``--drop COLUMN``: the column is left out of every
table before digesting, so the rest must still match the reference made without it.
The reference also keeps each column's digest, so a table that differs is followed by the
columns that do (the case table's amounts, once, told a machine's AVX-512 kernels apart).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "bench" / "identical_reference.json"
COMMAND = ["run", "scenarios/dengzhou_2022.toml", "--reps", "3", "--seed", "7", "--jobs", "2"]
TABLES = ("kpis_by_rep.csv", "dengzhou_2022.cases.parquet", "dengzhou_2022.slas.parquet", "dengzhou_2022.steps.parquet")


def digest(table: pd.DataFrame) -> str:
    """SHA-256 of a table's columns, dtypes and every cell (row order matters)."""
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in table.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return h.hexdigest()


def read_tables(folder: Path, drop: tuple[str, ...] = ()) -> dict[str, pd.DataFrame]:
    """The compared tables of a results folder, without the columns ``drop``."""
    read = {".csv": pd.read_csv, ".parquet": pd.read_parquet}
    tables = {name: read[Path(name).suffix](folder / name) for name in TABLES}
    return {name: table.drop(columns=[c for c in drop if c in table]) for name, table in tables.items()}


def column_digests(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """Each table's columns, each digested alone (its dtype and cells)."""
    return {name: {str(c): digest(table[[c]]) for c in table.columns} for name, table in tables.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record this run as the reference")
    parser.add_argument("--folder", type=Path, help="digest this results folder instead of running")
    parser.add_argument(
        "--drop", action="append", default=[], metavar="COLUMN", help="leave this column out (a new column)"
    )
    args = parser.parse_args()
    if args.write and args.drop:
        parser.error("--write records every column: it cannot be combined with --drop")
    if args.folder is None:
        out = Path(tempfile.mkdtemp(prefix="courtsim_identical_")) / "run"
        cli = [sys.executable, "-m", "sim", *COMMAND, "--out", str(out)]
        subprocess.run(cli, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    else:
        out = args.folder
    tables = read_tables(out, tuple(args.drop))
    found = {name: digest(table) for name, table in tables.items()}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if args.write:
        record = {
            "command": "courtsim " + " ".join(COMMAND),
            "commit": commit.stdout.strip(),
            "digests": found,
            "columns": column_digests(tables),
        }
        REFERENCE.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"reference written: {REFERENCE.relative_to(ROOT)}")
        return 0
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    dropped = f" (without {', '.join(args.drop)})" if args.drop else ""
    print(f"reference: {reference['command']} at {reference['commit']}; now {commit.stdout.strip()}{dropped}")
    same = True
    for name, value in found.items():
        match = reference["digests"].get(name) == value
        same &= match
        print(f"  {'identical' if match else 'DIFFERENT'}  {name}")
        recorded = reference.get("columns", {}).get(name)
        if not match and recorded is not None:
            now = column_digests({name: tables[name]})[name]
            moved = [c for c in sorted(set(recorded) | set(now)) if recorded.get(c) != now.get(c)]
            print(f"      columns that differ: {', '.join(moved)}")
    print("bit-identical" if same else "NOT identical")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
