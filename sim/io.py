"""Files written whole or not at all, and JSON entries read back: the library's only file plumbing.

Like a clerk who drafts on a loose sheet and files it only once it is signed, every file
the library writes (results folders, cache entries, reports, calibrated scenarios,
synthetic records) is written under a temporary dot-name beside its place, flushed to
disk, and renamed into place: a reader, or a run killed mid-write, never sees half a
file. A leaf: it imports nothing from :mod:`sim`, so any layer may use it.

The rest of the clerk's desk is here too: the lock on a results folder in use
(:func:`folder_lock`, an OS lock the kernel drops when its holder dies), the checksums
that let a reader tell a file from a damaged or edited copy (:func:`sha256_file`,
:func:`checksum`), and the escaping that keeps a spreadsheet from running a cell as a
formula (:func:`safe_cell`, :func:`safe_table`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_NAME",
    "FolderInUseError",
    "checksum",
    "folder_lock",
    "read_json",
    "safe_cell",
    "safe_table",
    "sha256_file",
    "write_atomic",
    "write_csv",
    "write_text",
]

logger = logging.getLogger(__name__)


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    The temporary file is ``.<name>.<random>.tmp`` in the same folder (so the rename is
    atomic), readable by everyone like any other result, and on disk before the rename
    makes it visible. If ``write`` raises, the temporary file is removed and ``path`` is
    untouched. Missing parent folders are created.

    A failure of the file system (disk full, read-only, no permission, a folder where the
    file should be) is an :class:`OSError` whose ``filename`` is ``path`` itself, not the
    temporary name nor a library's anonymous stream, so that the command line can say
    which file could not be written (:func:`sim.cli.main`).
    """
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _naming(exc, path) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp makes it private; results are for sharing
        with tmp.open("rb") as handle:  # on disk before the rename makes it visible
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise _naming(exc, path) from exc
    finally:
        with suppress(OSError):  # never hide the write's own error behind the cleanup's
            tmp.unlink(missing_ok=True)


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` as an error of writing ``path``: same kind and errno, ``path`` as its file.

    pyarrow reports a full disk as ``OSError: [Errno 28] Error writing bytes to file``
    with no file name; the system's own words for the errno are used when there is one.
    """
    reason = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))
    return OSError(exc.errno, reason, str(path))  # OSError picks the subclass of the errno


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (:func:`write_atomic`)."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding=encoding))


def read_json(path: Path, what: str) -> Any:
    """The JSON in ``path``; ``None`` when it is missing, or unreadable (then logged as a
    ``what`` that will be recomputed). The reader of the replication cache's entries and of
    a results folder's kept replications."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable %s %s (%s); it will be recomputed", what, path, exc)
        return None


# ---------------------------------------------------------------- checksums


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB blocks (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum(data: Any) -> str:
    """The SHA-256 of ``data``'s canonical JSON (sorted keys, NaN allowed): what a JSON
    entry says about itself, so that any change of a value, a key or a number's last digit
    shows. Objects JSON cannot hold are taken as their ``str``, as they are written."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- the lock on a folder in use

LOCK_NAME = ".courtsim.lock"
"""The lock file a command holds inside the results folder it writes (it says who holds it)."""


class FolderInUseError(Exception):
    """Another process holds the lock on a results folder."""


@contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (created if missing) while the body runs.

    Like the sign on a courtroom door: a second command that wants the same results
    folder is refused at once (:class:`FolderInUseError`, naming the holder's process id)
    instead of mixing its files with the first one's. The lock is ``flock`` on
    :data:`LOCK_NAME` inside the folder, so the kernel releases it when the holder ends,
    however it ends (``kill -9`` included); a lock file left by a dead holder is simply
    taken over. On leaving, the lock file is removed, and so is the folder if the body
    left it empty. Platforms without ``fcntl`` (Windows) are not locked.
    """
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    fd = _acquire(lock) if fcntl is not None else None
    try:
        yield lock
    finally:
        if fd is not None:
            with suppress(OSError):  # a folder made read-only meanwhile: the release still happens
                lock.unlink(missing_ok=True)  # before the release: a newcomer never locks a doomed file
            os.close(fd)
        if created:
            with suppress(OSError):
                folder.rmdir()  # only if empty: a refused command leaves no trace


def _acquire(lock: Path) -> int:
    """Lock ``lock`` (creating it); retry when its holder removed it in between."""
    assert fcntl is not None
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise FolderInUseError(
                f"{lock.parent} is in use by another courtsim command (process {holder}); "
                "wait for it to finish, or choose another --out"
            ) from None
        except OSError:
            os.close(fd)
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)  # the holder removed this file as we locked it: lock the new one


# ---------------------------------------------------------------- cells a spreadsheet would run

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP's list,
with the full-width forms that some locales accept as well)."""


def safe_cell(value: Any) -> Any:
    """``value``, with a leading apostrophe when it is text a spreadsheet would run as a formula.

    ``=HYPERLINK("http://evil", "click")`` from a records file becomes
    ``'=HYPERLINK(...)`` and is shown, not run (OWASP, "CSV Injection"). Numbers,
    including negative ones, are left alone: ``-3`` is a number, not a formula.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_STARTS):
        return value
    if _is_number(value):
        return value
    return "'" + value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_table(frame: Any) -> Any:
    """A copy of a pandas DataFrame whose text cells and column names are :func:`safe_cell`
    (the frame itself when nothing needs escaping; numbers are never touched)."""
    out = None
    for column in frame.columns:
        dtype = str(frame[column].dtype)
        if dtype not in ("object", "string", "str", "category"):
            continue
        series = frame[column]
        values = series.cat.categories if dtype == "category" else series
        if not any(isinstance(v, str) and v.startswith(_FORMULA_STARTS) and not _is_number(v) for v in values):
            continue
        out = frame.copy() if out is None else out
        if dtype == "category":
            out[column] = series.cat.rename_categories(safe_cell)
        else:
            out[column] = series.map(safe_cell)
    names = [safe_cell(c) for c in frame.columns]
    if names != list(frame.columns):
        out = frame.copy() if out is None else out
        out.columns = names
    return frame if out is None else out


def write_csv(path: Path, frame: Any, *, header: str = "", encoding: str = "utf-8", **options: Any) -> None:
    """Write a pandas table as CSV, atomically, every cell safe to open in a spreadsheet.

    The one CSV writer of the tool: results folders, sweeps, comparisons, synthetic
    records, the calibration cleaning report. Text cells a spreadsheet would run as a
    formula get a leading apostrophe (:func:`safe_table`); ``header`` is written first
    (a comment line); ``options`` go to :meth:`pandas.DataFrame.to_csv`.
    """
    safe = safe_table(frame)

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding=encoding, newline="") as handle:
            handle.write(header)
            safe.to_csv(handle, lineterminator="\n", **{"index": False, **options})

    write_atomic(path, write)
