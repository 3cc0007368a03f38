"""The replication cache: finished replications survive an interrupted experiment.

Like a docket that records each closed case as it closes, every replication's
KPIs are written as soon as they arrive, one small JSON file per
``(scenario hash, seed, replication)``, under a folder named after the code that
computed them. A rerun of the same experiment, or a longer one, takes what is
there and computes only the rest. Entries are written under a temporary name and
renamed into place, so a killed run leaves no half-written entry; an unreadable
entry is ignored and recomputed.

The code fingerprint hashes the model's source and the versions of the numerical
libraries, so a change to the model never serves stale numbers. Front-end
modules (command line, reports, searches) are left out: they do not change what
a replication computes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.config.load import scenario_hash
from sim.config.schema import Scenario

__all__ = ["DEFAULT_CACHE", "ReplicationCache", "code_fingerprint", "read_entry"]

logger = logging.getLogger(__name__)

DEFAULT_CACHE = Path("results") / ".cache"
"""Where the command line keeps it (relative to the working directory)."""

_FRONT_END = (
    "commands",
    "report",
    "api.py",
    "sweep.py",
    "capacity.py",
    "staffing_search.py",
    "cache.py",
    "backends.py",
    "cli.py",
    "results.py",
    "resume.py",
    "__main__.py",
)
_LIBRARIES = ("numpy", "scipy", "pandas", "simpy", "pydantic", "chinesecalendar")


@cache
def code_fingerprint() -> str:
    """16 hex digits over the model's source files and the numerical libraries' versions."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.split("/")[0] in _FRONT_END or relative.startswith("report"):
            continue
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}=={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}==?\0".encode())
    return digest.hexdigest()[:16]


class ReplicationCache:
    """KPI values of finished replications, on disk (``folder``) or in memory only (``None``).

    The memory layer means a search that revisits a staffing reads each entry
    from disk at most once.
    """

    def __init__(self, folder: str | Path | None = DEFAULT_CACHE) -> None:
        self.folder = None if folder is None else Path(folder) / code_fingerprint()
        self._memory: dict[tuple[str, int, int], dict[str, float]] = {}
        self.hits = 0
        self.stores = 0

    def __repr__(self) -> str:
        return f"ReplicationCache({str(self.folder) if self.folder else 'memory'})"

    def _path(self, key: tuple[str, int, int]) -> Path:
        assert self.folder is not None
        digest, seed, rep = key
        return self.folder / digest / f"seed{seed}-rep{rep}.json"

    def get(self, scenario: Scenario, seed: int, replication: int) -> dict[str, float] | None:
        """The stored KPIs of this replication, or ``None``."""
        key = (scenario_hash(scenario), seed, replication)
        values = self._memory.get(key)
        if values is None and self.folder is not None:
            values = self._read(self._path(key))
            if values is not None:
                self._memory[key] = values
        if values is not None:
            self.hits += 1
        return values

    def load(
        self, scenario: Scenario, seed: int, replication: int, keep_run: bool
    ) -> tuple[dict[str, float], None] | None:
        """:meth:`get` as a :class:`~sim.experiment.ReplicationStore`: never a hit when tables are wanted."""
        if keep_run:
            return None  # KPIs only: a run whose tables are kept is computed
        values = self.get(scenario, seed, replication)
        return None if values is None else (values, None)

    def save(self, scenario: Scenario, seed: int, replication: int, output: tuple[dict[str, float], object]) -> None:
        """:meth:`put` as a :class:`~sim.experiment.ReplicationStore`: the KPIs of ``output``."""
        self.put(scenario, seed, replication, output[0])

    def put(self, scenario: Scenario, seed: int, replication: int, values: dict[str, float]) -> None:
        """Store one replication's KPIs (atomically, on disk)."""
        key = (scenario_hash(scenario), seed, replication)
        self._memory[key] = dict(values)
        self.stores += 1
        if self.folder is not None:
            _write_atomic(self._path(key), json.dumps(values, allow_nan=True))

    @staticmethod
    def _read(path: Path) -> dict[str, float] | None:
        data = read_entry(path, "cache entry")
        if data is None:
            return None
        if not isinstance(data, dict) or not all(isinstance(v, int | float) for v in data.values()):
            logger.warning("ignoring malformed cache entry %s; it will be recomputed", path)
            return None
        return {str(k): float(v) for k, v in data.items()}


def _write_atomic(path: Path, text: str) -> None:
    # sim.results.write_atomic does the same, but importing it here would make the
    # experiment module import itself through sim.results.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def read_entry(path: Path, what: str) -> Any:
    """The JSON in ``path``; ``None`` when it is missing, or unreadable (then logged: the
    entry will be recomputed). Shared by this cache and :class:`sim.resume.RunStore`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable %s %s (%s); it will be recomputed", what, path, exc)
        return None
