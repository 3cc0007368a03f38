"""The file format of a kept table (a replication's table in ``.partial``, :mod:`sim.experiments.resume`).

One home for it, below both the store that writes the tables (:mod:`~sim.experiments.resume`)
and the results folder that reads them back one replication at a time
(:mod:`~sim.experiments.results`): an Arrow IPC file (Feather v2, LZ4), encoded once; an entry
kept by an older version is Parquet, and :func:`read_table` tells the two by their first bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa

__all__ = ["TABLE_SUFFIX", "encode_table", "read_arrow", "read_table"]

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
    is held compressed at once.
    """
    table = pa.Table.from_pandas(frame)
    with pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(table, max_chunksize=_BATCH_ROWS)


def read_table(path: Path) -> pd.DataFrame:
    """A kept table: an Arrow IPC file (:func:`encode_table`) or, from an older version, Parquet.

    The format is told by the file's first bytes, not its name. Raises ``ValueError`` naming
    the file when it is neither (e.g. cut short), ``OSError`` when it cannot be read.
    """
    if _is_parquet(path):
        return pd.read_parquet(path)
    frame: pd.DataFrame = read_arrow(path).to_pandas()
    return frame


def read_arrow(path: Path) -> pa.Table:
    """A kept table as Arrow, pandas' metadata in its schema (``to_pandas()`` gives :func:`read_table`'s frame).

    For a caller that only passes the table on (the results folder's Parquet files), without a
    pandas copy. Errors as :func:`read_table`.
    """
    if _is_parquet(path):
        import pyarrow.parquet as pq

        return pq.read_table(path)
    try:
        with pa.OSFile(str(path)) as source:
            return pa.ipc.open_file(source).read_all()
    except pa.ArrowInvalid as exc:
        raise ValueError(f"{path} cannot be read as an Arrow IPC file ({exc})") from exc


def _is_parquet(path: Path) -> bool:
    """True for Parquet, False for an Arrow IPC file; ``ValueError`` naming the file for anything else."""
    with path.open("rb") as handle:
        head = handle.read(len(_ARROW_MAGIC))
    if head.startswith(_PARQUET_MAGIC):
        return True
    if head != _ARROW_MAGIC:
        raise ValueError(f"{path} is neither an Arrow IPC file nor a Parquet file")
    return False
