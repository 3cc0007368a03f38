"""The file format of a kept table (a replication's table in ``.partial``, :mod:`sim.experiments.resume`).

One home for it, below both the store that writes the tables (:mod:`~sim.experiments.resume`)
and the results folder that reads them back one replication at a time
(:mod:`~sim.experiments.results`): an Arrow IPC file (Feather v2, LZ4), encoded once; an entry
kept by an older version is Parquet, and :func:`read_table` tells the two by their first bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa

__all__ = ["TABLE_SUFFIX", "arrow_parts", "encode_table", "read_arrow", "read_table"]

TABLE_SUFFIX = ".arrow"
"""The file name ending of a kept table (an Arrow IPC file); entries of older versions have ``.parquet``."""

_BATCH_ROWS = 65_536
_ARROW_MAGIC = b"ARROW1"
_PARQUET_MAGIC = b"PAR1"


def encode_table(frame: pd.DataFrame, sink: BinaryIO) -> None:
    """Write ``frame`` to ``sink`` as an Arrow IPC file (Feather v2, LZ4), pandas' metadata included.

    The same conversion to Arrow that ``to_parquet`` makes (:func:`read_table` restores the
    same dtypes and index), without Parquet's encoding: the kept tables are reread by this
    same run only. Written in batches of 65,536 rows, so that a batch, not the whole table,
    is held compressed at once. The batches are the same whatever the frame's own chunks (a
    step log fresh from a run is in the run's pieces, joined here; one that crossed a process
    boundary is whole), so a table kept by a worker or by the process it reported to is the
    same file.
    """
    # One chunk per column first (no copy for a column already whole): batches cut from it.
    table = pa.Table.from_pandas(frame).combine_chunks()
    with pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(table, max_chunksize=_BATCH_ROWS)


def read_table(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A kept table: an Arrow IPC file (:func:`encode_table`) or, from an older version, Parquet.

    ``columns`` reads only those (in that order): an Arrow IPC file then decompresses only
    their buffers, so a reader that needs five columns of the step log does not hold all
    of it. The format is told by the file's first bytes, not its name. Raises ``ValueError``
    naming the file when it is neither (e.g. cut short) or naming the columns it lacks,
    ``OSError`` when it cannot be read.
    """
    if _is_parquet(path):
        if columns is not None:
            _check_columns(path, columns, _parquet_names(path))
        return pd.read_parquet(path, columns=None if columns is None else list(columns))
    frame: pd.DataFrame = read_arrow(path, columns).to_pandas()
    return frame


def read_arrow(path: Path, columns: Sequence[str] | None = None) -> pa.Table:
    """A kept table as Arrow, pandas' metadata in its schema (``to_pandas()`` gives :func:`read_table`'s frame).

    For a caller that only passes the table on (the results folder's Parquet files), without a
    pandas copy. ``columns`` and errors as :func:`read_table`.
    """
    if _is_parquet(path):
        import pyarrow.parquet as pq

        if columns is not None:
            _check_columns(path, columns, _parquet_names(path))
        return pq.read_table(path, columns=None if columns is None else list(columns))
    try:
        with pa.OSFile(str(path)) as source:
            options = None
            if columns is not None:
                names = pa.ipc.open_file(source).schema.names
                _check_columns(path, columns, names)
                options = pa.ipc.IpcReadOptions(included_fields=[names.index(c) for c in columns])
                source.seek(0)
            table: pa.Table = pa.ipc.open_file(source, options=options).read_all()
    except pa.ArrowInvalid as exc:
        raise ValueError(f"{path} cannot be read as an Arrow IPC file ({exc})") from exc
    return table if columns is None else table.select(list(columns))


def arrow_parts(path: Path) -> Iterator[pa.Table]:
    """A kept table as Arrow, one record batch (up to 65,536 rows) at a time, in order.

    For a writer that streams the table on (the results folder's Parquet files): only one
    batch is decompressed and held at once. A Parquet table (an older version's entry)
    comes whole. Errors as :func:`read_table`.
    """
    if _is_parquet(path):
        yield read_arrow(path)
        return
    try:
        with pa.OSFile(str(path)) as source:
            reader = pa.ipc.open_file(source)
            if reader.num_record_batches == 0:  # an empty table: its schema still makes the file's
                yield reader.schema.empty_table()
            for i in range(reader.num_record_batches):
                yield pa.Table.from_batches([reader.get_batch(i)], schema=reader.schema)
    except pa.ArrowInvalid as exc:
        raise ValueError(f"{path} cannot be read as an Arrow IPC file ({exc})") from exc


def _parquet_names(path: Path) -> list[str]:
    """The column names of a Parquet file (its schema, without reading the data)."""
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _check_columns(path: Path, columns: Sequence[str], names: Sequence[str]) -> None:
    missing = [c for c in columns if c not in names]
    if missing:
        raise ValueError(f"{path} has no column {', '.join(map(repr, missing))} (it has {', '.join(names)})")


def _is_parquet(path: Path) -> bool:
    """True for Parquet, False for an Arrow IPC file; ``ValueError`` naming the file for anything else."""
    with path.open("rb") as handle:
        head = handle.read(len(_ARROW_MAGIC))
    if head.startswith(_PARQUET_MAGIC):
        return True
    if head != _ARROW_MAGIC:
        raise ValueError(f"{path} is neither an Arrow IPC file nor a Parquet file")
    return False
