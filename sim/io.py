"""Files written whole or not at all, and JSON entries read back: the library's only file plumbing.

Like a clerk who drafts on a loose sheet and files it only once it is signed, every file
the library writes (results folders, cache entries, reports, calibrated scenarios,
synthetic records) is written under a temporary dot-name beside its place, flushed to
disk, and renamed into place: a reader, or a run killed mid-write, never sees half a
file. A leaf: it imports nothing from :mod:`sim`, so any layer may use it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["read_json", "write_atomic", "write_text"]

logger = logging.getLogger(__name__)


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    The temporary file is ``.<name>.<random>.tmp`` in the same folder (so the rename is
    atomic), readable by everyone like any other result, and on disk before the rename
    makes it visible. If ``write`` raises, the temporary file is removed and ``path`` is
    untouched. Missing parent folders are created.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp makes it private; results are for sharing
        with tmp.open("rb") as handle:  # on disk before the rename makes it visible
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
