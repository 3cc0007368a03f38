"""Resuming ``courtsim run``: each finished replication is kept in its results folder.

Like a clerk who files each hearing's minutes as the hearing ends, instead of
writing up the whole day at closing time, a run keeps every replication as soon
as it arrives, in a hidden area of its results folder::

    DIR/.partial/<code fingerprint>/<scenario hash>-seed<S>/rep<k>/
        cases.arrow  slas.arrow  steps.arrow  unfinished.arrow  staff.arrow
        entry.json   KPI values, run metadata, the tables' files and checksums: written last

Each table is encoded once, as an Arrow IPC file (Feather v2, LZ4-compressed; about half
the CPU of Parquet), written in batches, and its SHA-256 taken from the bytes as they are
written, not read back from the disk. The final results folder is still Parquet: the kept tables are
read back (:func:`read_table`) and written out one replication at a time. An entry written
before this (its tables ``<table>.parquet``, its ``entry.json`` without ``files``) is still
read: :func:`read_table` tells the two formats by their first bytes.

Every file is written under a temporary name and renamed (:func:`sim.io.write_atomic`),
``entry.json`` last, so an entry without it is unfinished and is computed again; an
unreadable entry too. ``entry.json`` lists the SHA-256 of each table and carries a
checksum of itself and of where it belongs (:func:`sim.io.checksum`): an entry or a
table damaged or edited on disk fails them and is computed again, never reused.
The path holds everything that decides a replication's numbers (the model code,
the resolved scenario, the seed, the replication), so nothing is
reused across any of them, and a resumed run's tables and KPIs are those of an
uninterrupted one, bit for bit. The area is removed once the final files and
``manifest.json`` are written.

:func:`folder_state` tells a command what a folder holds before it starts: nothing, a
complete results folder, an unfinished folder of this very run (resume it), or
something else (refuse it).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pandas as pd

from sim.config.load import scenario_hash
from sim.config.schema import Scenario
from sim.experiments.cache import code_fingerprint
from sim.experiments.kept import TABLE_SUFFIX, encode_table, read_table
from sim.experiments.results import MANIFEST, TABLES, folder_files
from sim.experiments.types import Output
from sim.io import LOCK_NAME, checksum, read_json, sha256_file, write_atomic, write_text
from sim.model import RunResult

__all__ = ["PARTIAL", "TABLE_SUFFIX", "FolderState", "RunStore", "encode_table", "folder_state", "read_table"]

logger = logging.getLogger(__name__)

PARTIAL = ".partial"
"""The hidden area of a results folder that holds the finished replications of an unfinished run."""

ENTRY = "entry.json"
"""An entry's last file: without it the entry does not count."""


State = Literal["new", "complete", "unfinished", "other"]


@dataclass(frozen=True)
class FolderState:
    """What a results folder holds, seen from one run (:func:`folder_state`).

    ``state`` is ``"new"`` (missing or empty), ``"complete"`` (it has a manifest),
    ``"unfinished"`` (this run's replications and files only: resume it) or
    ``"other"`` (anything else; ``reason`` says what). ``found`` counts this run's
    finished replications in the folder.
    """

    state: State
    found: int = 0
    reason: str = ""


class RunStore:
    """Whole replications (KPIs and tables) in ``folder/.partial``.

    A :class:`~sim.experiments.types.ReplicationStore`, like the replication cache. A worker
    process that sees this folder may keep its own replications here (``workers_may_save``):
    each entry is its own folder, written file by file under temporary names, so workers
    never write the same file, and the tables then never travel to the process that asked.
    """

    workers_may_save = True

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        # Absolute, so a worker started in another directory writes to the same place.
        self.root = self.folder.absolute() / PARTIAL / code_fingerprint()

    def __repr__(self) -> str:
        return f"RunStore({self.root!s})"

    def run_folder(self, scenario: Scenario, seed: int) -> Path:
        """Where the replications of ``scenario`` under ``seed`` (and this code) are kept."""
        return self.root / f"{scenario_hash(scenario)}-seed{seed}"

    def begin(self, scenario: Scenario, seed: int) -> None:
        """Mark the folder as this run's before the first replication finishes."""
        self.run_folder(scenario, seed).mkdir(parents=True, exist_ok=True)

    def finished(self, scenario: Scenario, seed: int, reps: int) -> list[int]:
        """The replications ``0 .. reps-1`` whose entry is complete (a sound ``entry.json``)."""
        run = self.run_folder(scenario, seed)
        key = self._key(scenario, seed)
        return [rep for rep in range(reps) if (run / f"rep{rep}" / ENTRY).is_file() and self._entry(key, rep, run)]

    def _key(self, scenario: Scenario, seed: int) -> list[Any]:
        return [code_fingerprint(), scenario_hash(scenario), seed]

    @staticmethod
    def _entry(key: list[Any], replication: int, run: Path) -> dict[str, Any] | None:
        return _read_entry(run / f"rep{replication}" / ENTRY, [*key, replication])

    def load(self, scenario: Scenario, seed: int, replication: int, keep_run: bool) -> Output | None:
        """The kept replication, tables included when ``keep_run``; ``None`` if absent, unreadable or damaged."""
        entry = self.run_folder(scenario, seed) / f"rep{replication}"
        data = self._entry(self._key(scenario, seed), replication, entry.parent)
        if data is None:
            return None
        values = {str(k): float(v) for k, v in data["kpis"].items()}
        if not keep_run:
            return values, None
        if sorted(data["tables"]) != sorted(TABLES):
            return None  # kept without its tables: compute it again
        paths = _table_paths(entry, data)
        damaged = [t for t in TABLES if not _matches(paths[t], data["sha256"].get(t))]
        if damaged:
            logger.warning(
                "ignoring replication %s: %s fail their checksums (damaged or edited); it will be recomputed",
                entry,
                ", ".join(paths[t].name for t in damaged),
            )
            return None
        try:
            frames = {table: read_table(paths[table]) for table in TABLES}
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable replication %s (%s); it will be recomputed", entry, exc)
            return None
        run = RunResult(
            steps=frames["steps"],
            slas=frames["slas"],
            cases=frames["cases"],
            staff=frames["staff"],
            unfinished=frames["unfinished"],
            meta=dict(data["meta"]),
        )
        return values, run

    def table_paths(self, scenario: Scenario, seed: int, replication: int) -> dict[str, Path]:
        """The kept tables of a replication, by table name, each checked against its checksum.

        For writing the final files from the disk rather than from memory
        (:func:`~sim.experiments.results.write_results`'s ``stored``); raises ``ValueError``
        naming the replication when one is missing or damaged. Read each with :func:`read_table`.
        """
        entry = self.run_folder(scenario, seed) / f"rep{replication}"
        data = self._entry(self._key(scenario, seed), replication, entry.parent)
        if data is None or sorted(data["tables"]) != sorted(TABLES):
            raise ValueError(f"replication {replication} is not kept whole in {entry}; run the command again")
        paths = _table_paths(entry, data)
        damaged = [p.name for t, p in paths.items() if not _matches(p, data["sha256"].get(t))]
        if damaged:
            raise ValueError(f"{entry}: {', '.join(damaged)} fail their checksums (damaged or edited); run again")
        return paths

    def save(self, scenario: Scenario, seed: int, replication: int, output: Output) -> None:
        """Keep one replication: its tables (if any), then ``entry.json``, each atomically."""
        values, run = output
        entry = self.run_folder(scenario, seed) / f"rep{replication}"
        (entry / ENTRY).unlink(missing_ok=True)  # the tables below may replace older ones
        tables = TABLES if run is not None else ()
        files, sums = {}, {}
        for table in tables:
            files[table] = f"{table}{TABLE_SUFFIX}"
            digest = hashlib.sha256()  # of the bytes as they are written: never read back
            write_atomic(entry / files[table], partial(_write_table, frame=getattr(run, table), digest=digest))
            sums[table] = digest.hexdigest()
        data: dict[str, Any] = {
            "kpis": values,
            "meta": run.meta if run is not None else {},
            "tables": list(tables),
            "files": files,
            "sha256": sums,
        }
        data = json.loads(json.dumps(data, ensure_ascii=False, default=str))  # as it will read back
        data["entry_sha256"] = checksum([*self._key(scenario, seed), replication, data])
        write_text(entry / ENTRY, json.dumps(data, ensure_ascii=False))

    def discard(self) -> None:
        """Remove the whole hidden area (every run's entries): the folder's files are final.

        The area is first renamed to a temporary name, so that a kill during the removal
        never leaves a ``.partial`` whose entries have lost some of their tables.
        """
        partial, doomed = self.folder / PARTIAL, self.folder / f"{PARTIAL}.discard.tmp"
        _remove(doomed)  # left by a kill during an earlier discard
        if partial.is_symlink() or (partial.exists() and not partial.is_dir()):
            partial.unlink()  # not ours: a link is removed, never followed into what it points at
        elif partial.exists():
            partial.rename(doomed)
        _remove(doomed)


def _table_paths(entry: Path, data: dict[str, Any]) -> dict[str, Path]:
    """Each table's file in ``entry``: as its ``entry.json`` names it, else (an older entry) ``<table>.parquet``."""
    files = data.get("files")
    named = files if isinstance(files, dict) else {}
    return {table: entry / str(named.get(table, f"{table}.parquet")) for table in TABLES}


class _Hashing(io.RawIOBase):
    """A file open for writing that also feeds every byte written to ``digest``."""

    def __init__(self, handle: BinaryIO, digest: Any) -> None:
        self.handle, self.digest = handle, digest

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.digest.update(data)
        return self.handle.write(data)


def _write_table(path: Path, frame: pd.DataFrame, digest: Any) -> None:
    with path.open("wb") as handle:
        encode_table(frame, _Hashing(handle, digest))  # type: ignore[arg-type]


def _remove(path: Path) -> None:
    """Remove the folder ``path`` with everything in it; a link or a file in its place is
    unlinked (``rmtree`` refuses a link, and must never delete what one points at)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _read_entry(path: Path, key: list[Any]) -> dict[str, Any] | None:
    """The entry at ``path`` if it is whole and its checksum says it belongs to ``key``."""
    data = read_json(path, "replication entry")
    if data is None:
        return None
    stated = data.pop("entry_sha256", None) if isinstance(data, dict) else None
    kpis = data.get("kpis") if isinstance(data, dict) else None
    if (
        not isinstance(kpis, dict)
        or not all(type(v) in (int, float) for v in kpis.values())
        or not isinstance(data.get("tables"), list)
        or not isinstance(data.get("meta"), dict)
        or not isinstance(data.get("sha256"), dict)
    ):
        logger.warning("ignoring malformed replication entry %s; it will be recomputed", path)
        return None
    if stated != checksum([*key, data]):
        logger.warning("ignoring replication entry %s: it fails its checksum (damaged or edited); recomputing", path)
        return None
    entry: dict[str, Any] = data
    return entry


def _matches(path: Path, expected: object) -> bool:
    try:
        return sha256_file(path) == expected
    except OSError:
        return False


def folder_state(folder: Path, scenarios: Iterable[Scenario], seed: int, reps: int) -> FolderState:
    """What ``folder`` holds for a run of ``scenarios`` (label = name) under ``seed``.

    A folder is this run's, and unfinished, when it has no manifest, holds this
    run's entries (begun under the same code, scenario content and seed), and
    otherwise only files this run writes (the final tables, a report) and
    temporary dot-files. Anything else is ``"other"``: a command should refuse it
    unless asked to overwrite.
    """
    scenarios = list(scenarios)
    if not folder.exists():
        return FolderState("new")
    if not folder.is_dir():
        return FolderState("other", reason="it is a file, not a folder")
    names = {path.name for path in folder.iterdir()} - {LOCK_NAME}  # the lock of the command asking
    if not names:
        return FolderState("new")
    if MANIFEST in names:
        return FolderState("complete", reason="it holds complete results")
    partial = folder / PARTIAL
    if partial.is_symlink() or (partial.exists() and not partial.is_dir()):
        kind = "a symbolic link" if partial.is_symlink() else "a file"
        return FolderState("other", reason=f"its {PARTIAL} is {kind}, not the folder of kept replications")
    store = RunStore(folder)
    if not all(store.run_folder(s, seed).is_dir() for s in scenarios):
        if PARTIAL in names:
            return FolderState(
                "other",
                reason="it holds unfinished replications of another run (another scenario, seed or model version)",
            )
        return FolderState("other", reason=f"it holds {_listing(names)}")
    ours = folder_files(s.name for s in scenarios) | {PARTIAL, "report.html"}
    strangers = {n for n in names - ours if not (n.startswith(".") and n.endswith(".tmp"))}
    if strangers:
        return FolderState("other", reason=f"it also holds {_listing(strangers)}")
    found = sum(len(store.finished(s, seed, reps)) for s in scenarios)
    return FolderState("unfinished", found=found)


def _listing(names: set[str]) -> str:
    shown = sorted(names)[:3]
    return ", ".join(shown) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
