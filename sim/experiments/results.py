"""Results folders: everything a run printed, and what it takes to recompute it.

A folder holds ``manifest.json`` (the resolved scenarios, seeds, versions,
commit, wall time), ``kpis_by_rep.csv`` (long: scenario, replication, kpi,
value), ``kpis_summary.csv`` (mean, SD, interval per scenario and KPI) and,
per scenario, the case table, the deadline clocks, the event log, the work
unfinished at the end and the staff list as Parquet with a ``replication``
column. The case table has, besides the model's columns, ``due_<deadline>`` and
``met_<deadline>`` for each of the 22 deadlines (:func:`sim.metrics.case_deadlines`),
so one sheet answers "which cases missed which deadline". Every file is written
under a temporary name and renamed into place, the manifest last, so a run killed mid-way never leaves a file that looks
complete, and a folder without a manifest is not finished; an existing
non-empty folder is refused unless overwriting is asked.

While ``courtsim run`` works, the folder also holds ``.partial/``: each finished
replication, kept as it arrives (:mod:`sim.experiments.resume`). A run killed mid-way leaves
them there, and the same command into the same folder resumes from them; the
area is removed once the manifest is written. ``courtsim run`` writes the folder's
tables from there, one replication at a time (``stored``), so that the command
holds the KPIs of its replications, not their tables.

The manifest lists every file with its SHA-256 (``sha256``) and carries a checksum of
itself (``manifest_sha256``), so a reader can tell the folder as written from one whose
files were damaged (bit rot, a bad copy) or edited since: :func:`verify_folder` refuses
such a folder, naming the file, and ``courtsim report`` runs it before rendering. (A
checksum shows damage and careless edits; it is not a signature against a forger who
recomputes it.) While a command writes the folder it holds an OS lock on it
(:func:`sim.io.folder_lock`), so a second command aimed at the same folder is refused.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

from sim.config.load import scenario_hash
from sim.experiments.kept import arrow_parts, read_table
from sim.experiments.types import ExperimentResult
from sim.io import LOCK_NAME, checksum, sha256_file, write_atomic, write_csv
from sim.metrics import case_deadlines
from sim.metrics.registry import missing_reason
from sim.model import build_calendar
from sim.provenance import environment

__all__ = [
    "MANIFEST",
    "TABLES",
    "ResultsCorruptError",
    "ResultsExistError",
    "default_folder",
    "folder_files",
    "is_empty",
    "manifest",
    "verify_folder",
    "write_manifest",
    "write_results",
]

logger = logging.getLogger(__name__)

TABLES = ("cases", "slas", "steps", "unfinished", "staff")
"""The tables of a run (:class:`sim.model.RunResult`), one Parquet file each per scenario."""

MANIFEST = "manifest.json"
"""Written last: a folder with a manifest is complete."""


class ResultsExistError(Exception):
    """The results folder exists and is not empty."""


class ResultsCorruptError(ValueError):
    """A results folder's manifest, or a file it lists, is not as it was written."""


def is_empty(folder: Path) -> bool:
    """Whether ``folder`` holds nothing but (perhaps) the lock of the command now using it."""
    return all(path.name == LOCK_NAME for path in folder.iterdir())


def default_folder(name: str, root: Path = Path("results"), now: datetime | None = None) -> Path:
    """``results/<name>-<YYYYmmdd-HHMMSS>`` (local time: the folder is for people)."""
    stamp = (now or datetime.now().astimezone()).strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name)
    return root / f"{safe}-{stamp}"


def folder_files(labels: Iterable[str]) -> set[str]:
    """The names of the files :func:`write_results` writes for scenarios ``labels``."""
    tables = {f"{_slug(label)}.{table}.parquet" for label in labels for table in TABLES}
    return {MANIFEST, "kpis_by_rep.csv", "kpis_summary.csv"} | tables


def _text(content: str) -> Callable[[Path], object]:
    return lambda p: p.write_text(content, encoding="utf-8")


StoredTables = Callable[[str, int], Mapping[str, Path]]
"""(scenario label, replication) → that replication's kept tables on disk, by table name
(:meth:`sim.experiments.resume.RunStore.table_paths`)."""


def write_results(
    folder: Path,
    result: ExperimentResult,
    *,
    sources: Mapping[str, str] | None = None,
    overwrite: bool = False,
    extra: Mapping[str, Any] | None = None,
    stored: StoredTables | None = None,
) -> Path:
    """Write ``result`` into ``folder`` (see module docstring); returns the folder.

    The tables come from ``result.runs``; a scenario without runs there is read from
    ``stored``, one replication at a time, so a run of many replications never holds
    them all (``run_experiment(..., hold_runs=False)``).
    """
    if folder.exists() and not is_empty(folder) and not overwrite:
        raise ResultsExistError(f"{folder} exists and is not empty; choose another --out or pass --overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    # The old manifest goes first: until the new one is written, the folder is incomplete.
    (folder / MANIFEST).unlink(missing_ok=True)
    for stale in folder.glob(".*.tmp"):  # left by a run killed mid-write (or mid-discard: a folder)
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    summary = result.summary()
    # A KPI with no value in any replication is a row saying why, not a row left out.
    summary["missing"] = [
        missing_reason(k) if n == 0 else "" for k, n in zip(summary["kpi"], summary["n"], strict=True)
    ]
    write_csv(folder / "kpis_by_rep.csv", result.kpis)
    write_csv(folder / "kpis_summary.csv", summary)
    for label in result.scenarios:
        held = any(lab == label for lab, _ in result.runs)
        for table in TABLES:
            path = folder / f"{_slug(label)}.{table}.parquet"
            if held:
                parts = _held_parts(result, label, table)
            elif stored is not None:
                parts = _stored_parts(result, label, table, stored)
            else:
                continue
            write_atomic(path, partial(_write_parts, parts=parts))
    meta = manifest(result, sources)
    meta.update(extra or {})
    write_manifest(folder, meta)
    return folder


def write_manifest(folder: Path, meta: Mapping[str, Any]) -> None:
    """Write ``meta`` as the folder's manifest, last, with every visible file and its SHA-256.

    ``files`` lists the folder's regular files (dot-files, folders and links excluded), ``sha256`` their checksums and
    ``manifest_sha256`` the checksum of everything else in the manifest (:func:`sim.io.checksum`).
    """
    names = sorted(
        p.name
        for p in folder.iterdir()
        if not p.name.startswith(".") and p.name != MANIFEST and p.is_file() and not p.is_symlink()
    )  # a folder or link the user left there (kept by --overwrite) is not a result file
    sealed = {**meta, "files": names, "sha256": {name: sha256_file(folder / name) for name in names}}
    sealed = json.loads(json.dumps(sealed, ensure_ascii=False, default=str))  # as it will read back
    sealed["manifest_sha256"] = checksum(sealed)
    # The manifest goes last: a folder with a manifest is a complete folder.
    write_atomic(folder / MANIFEST, _text(json.dumps(sealed, ensure_ascii=False, indent=2)))


def verify_folder(folder: Path) -> dict[str, Any]:
    """The manifest of ``folder``, once it and every file it lists match their checksums.

    Raises :class:`ResultsCorruptError` naming the first file that is missing, damaged or
    changed since it was written. A folder written before manifests carried checksums is
    read unverified, with a warning.
    """
    path = folder / MANIFEST
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        msg = f"{path} cannot be read as a manifest ({exc}); rerun the command that wrote it"
        raise ResultsCorruptError(msg) from None
    if not isinstance(meta, dict):
        raise ResultsCorruptError(f"{path} holds {type(meta).__name__}, not a manifest (a JSON object)")
    if "manifest_sha256" not in meta and "sha256" not in meta:
        logger.warning("%s was written before results carried checksums: its files are not verified", path)
        return meta
    stated = meta.pop("manifest_sha256", None)
    sums = meta.get("sha256")
    if stated != checksum(meta) or not isinstance(sums, dict):
        raise ResultsCorruptError(f"{path} has been changed or damaged since it was written; rerun the command")
    for name, expected in sums.items():
        listed = folder / str(name)
        if not listed.is_file():
            raise ResultsCorruptError(f"{listed} is missing: the manifest lists it; rerun the command")
        if sha256_file(listed) != expected:
            raise ResultsCorruptError(
                f"{listed} does not match its checksum in {MANIFEST}: changed or damaged since it was "
                "written; rerun the command that wrote the folder"
            )
    return meta


def manifest(result: ExperimentResult, sources: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How the experiment was made: resolved scenarios, hashes, seeds, versions, wall time."""
    return {
        "seed": result.seed,
        "reps": result.reps,
        "scenarios": {
            label: {
                "hash": scenario_hash(s),
                "source": (sources or {}).get(label),
                "resolved": s.model_dump(mode="json"),
            }
            for label, s in result.scenarios.items()
        },
        "wall_seconds": round(result.wall_seconds, 3),
        **environment(),
    }


def _held_parts(result: ExperimentResult, label: str, table: str) -> Iterator[pd.DataFrame]:
    """Each held replication's ``table`` of scenario ``label``, in replication order.

    Written part by part like :func:`_stored_parts`, so a folder is the same file for file
    whether its tables were held or kept on disk, and no stack of every replication is made.
    """
    if table == "cases":  # the case table people open: each deadline's due time and whether it was met
        yield from result.case_parts(label)
        return
    for rep, run in sorted((rep, run) for (lab, rep), run in result.runs.items() if lab == label):
        yield getattr(run, table).assign(replication=rep)


def _stored_parts(
    result: ExperimentResult, label: str, table: str, stored: StoredTables
) -> Iterator[pd.DataFrame | pa.Table]:
    """Each replication's ``table`` of scenario ``label`` read back from ``stored``, as :func:`_held_parts` gives them.

    The case table is made in pandas (each deadline's due time and whether it was met); the
    others are passed on as Arrow, one kept batch (65,536 rows) at a time, with the replication
    column added, without a pandas copy.
    """
    import pyarrow as pa

    scenario = result.scenarios[label]
    calendar = build_calendar(scenario) if table == "cases" else None
    for rep in range(result.reps):
        paths = stored(label, rep)
        if calendar is not None:  # the case table people open, as ExperimentResult.case_table makes it
            cases, slas = read_table(paths["cases"]), read_table(paths["slas"])
            yield case_deadlines(cases, slas, scenario, calendar).assign(replication=rep)
        else:
            for kept in arrow_parts(paths[table]):  # one batch at a time, not the replication's whole table
                yield kept.append_column("replication", pa.repeat(pa.scalar(rep, pa.int64()), kept.num_rows))


ROW_GROUP_ROWS = 65_536
"""Rows per Parquet row group of a table written from the store: the writer holds one group's
encoded pages at a time, not a whole replication's."""


def _write_parts(path: Path, parts: Iterator[pd.DataFrame | pa.Table]) -> None:
    """One Parquet file of the replications' tables, written one replication at a time.

    The file's schema is the one ``to_parquet`` gives the first replication's frame (pandas'
    dtypes in its metadata), whether the parts come as frames or as Arrow tables.
    """
    import pyarrow as pa  # pandas' Parquet engine, imported by pandas anyway when it writes
    import pyarrow.parquet as pq

    writer = None
    try:
        for part in parts:
            if isinstance(part, pa.Table):
                table = part
                if writer is None:  # pandas' metadata for the frame this table stands for
                    table = table.cast(_pandas_schema(part))
            else:
                table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                schema = table.schema  # the first replication's, pandas' dtypes included
                writer = pq.ParquetWriter(path, schema)
            elif table.schema != schema:
                table = table.cast(schema)  # e.g. a column all missing in this replication
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
    finally:
        if writer is not None:
            writer.close()


def _pandas_schema(table: pa.Table) -> pa.Schema:
    """The schema ``pa.Table.from_pandas(table.to_pandas(), preserve_index=False)`` would have."""
    import pyarrow as pa

    schema: pa.Schema = pa.Table.from_pandas(table.slice(0, 0).to_pandas(), preserve_index=False).schema
    return schema


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", label)
