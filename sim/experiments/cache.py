"""The replication cache: finished replications survive an interrupted experiment.

Like a docket that records each closed case as it closes, every replication's
KPIs are written as soon as they arrive, one small JSON file per
``(scenario hash, seed, replication)``, under a folder named after the code that
computed them. A rerun of the same experiment, or a longer one, takes what is
there and computes only the rest. Entries are written under a temporary name and
renamed into place, so a killed run leaves no half-written entry; an unreadable
entry is ignored and recomputed. Each entry carries the checksum of its key and
values (``{"kpis": ..., "sha256": ...}``, :func:`sim.io.checksum`): an entry damaged
or edited on disk, or moved to another key's place, fails it and is recomputed,
never used.

The code fingerprint hashes the model's source and the versions of the numerical
libraries, so a change to the model never serves stale numbers. Front-end
modules (command line, the what-if page, reports, the experiment machinery and its searches) are
left out: they do not change what a replication computes; of the experiment
package, only the function that turns a run into KPIs counts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from importlib import metadata
from pathlib import Path

from sim.config.load import scenario_hash
from sim.config.schema import Scenario
from sim.experiments.extensions import fingerprint as extensions_fingerprint
from sim.experiments.types import ExperimentResult, Output
from sim.io import checksum, read_json, write_text

__all__ = ["DEFAULT_CACHE", "ReplicationCache", "code_fingerprint", "fingerprinted_sources"]

logger = logging.getLogger(__name__)

DEFAULT_CACHE = Path("results") / ".cache"
"""Where the command line keeps it (relative to the working directory)."""

_FRONT_END = ("app/", "commands/", "report/", "experiments/", "api.py", "cli.py", "io.py", "__main__.py")
"""Paths under ``sim/`` left out of the fingerprint: they do not change what a replication computes."""

_COMPUTES = ("experiments/running.py",)
"""The part of the front end that does: :func:`~sim.experiments.running.replicate` (model, then KPIs)."""

_LIBRARIES = ("numpy", "scipy", "pandas", "simpy", "pydantic", "chinesecalendar")


def fingerprinted_sources() -> list[tuple[str, Path]]:
    """The source files the fingerprint covers, as (path relative to ``sim/``, path), sorted."""
    root = Path(__file__).resolve().parents[1]  # sim/
    sources = [(path.relative_to(root).as_posix(), path) for path in sorted(root.rglob("*.py"))]
    return [(rel, path) for rel, path in sources if not rel.startswith(_FRONT_END) or rel in _COMPUTES]


@cache
def code_fingerprint() -> str:
    """16 hex digits over the model's source files and the numerical libraries' versions."""
    digest = hashlib.sha256()
    for relative, path in fingerprinted_sources():
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}=={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}==?\0".encode())
    return digest.hexdigest()[:16]


def _digest(scenario: Scenario) -> str:
    """The key of a scenario's entries: its content, and the KPIs and extensions registered now.

    A KPI added (or removed) with ``register``, or a rule or distribution family of your own
    edited, changes :func:`sim.experiments.extensions.fingerprint`, so an entry computed
    without it is never served as if complete.
    """
    return f"{scenario_hash(scenario)}-{extensions_fingerprint()}"


class ReplicationCache:
    """KPI values of finished replications, on disk (``folder``) or in memory only (``None``).

    The memory layer means a search that revisits a staffing reads each entry
    from disk at most once.
    """

    def __init__(self, folder: str | Path | None = DEFAULT_CACHE) -> None:
        self.folder = None if folder is None else Path(folder) / code_fingerprint()
        self._memory: dict[tuple[str, int, int], dict[str, float]] = {}
        self._unwritable: str | None = None  # why the disk refused an entry (then memory only)
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
        key = (_digest(scenario), seed, replication)
        values = self._memory.get(key)
        if values is None and self.folder is not None:
            values = self._read(self._path(key), key)
            if values is not None:
                self._memory[key] = values
        if values is not None:
            self.hits += 1
        return values

    def load(
        self, scenario: Scenario, seed: int, replication: int, keep_run: bool
    ) -> tuple[dict[str, float], None] | None:
        """:meth:`get` as a :class:`~sim.experiments.types.ReplicationStore`: never a hit when tables are wanted."""
        if keep_run:
            return None  # KPIs only: a run whose tables are kept is computed
        values = self.get(scenario, seed, replication)
        return None if values is None else (values, None)

    def save(self, scenario: Scenario, seed: int, replication: int, output: Output) -> None:
        """:meth:`put` as a :class:`~sim.experiments.types.ReplicationStore`: the KPIs of ``output``."""
        self.put(scenario, seed, replication, output[0])

    def put(self, scenario: Scenario, seed: int, replication: int, values: dict[str, float]) -> None:
        """Store one replication's KPIs (atomically, on disk)."""
        key = (_digest(scenario), seed, replication)
        self._memory[key] = dict(values)
        self.stores += 1
        if self.folder is not None and self._unwritable is None:
            entry = {"kpis": values, "sha256": checksum([list(key), values])}
            try:
                write_text(self._path(key), json.dumps(entry, allow_nan=True))
            except OSError as exc:  # a full disk must not lose the experiment the cache serves
                self._unwritable = exc.strerror or str(exc)
                logger.warning(
                    "cannot write the replication cache %s (%s: %s); going on without writing it, "
                    "so a rerun will simulate these replications again",
                    self.folder,
                    exc.filename,
                    self._unwritable,
                )

    def put_result(self, result: ExperimentResult) -> None:
        """Store the KPIs of every replication of ``result``, as an evaluator would have.

        The same scenario, seed and replication give the same KPIs whichever command
        simulated them (common random numbers; the key holds the model code), so a search
        after ``courtsim run`` or a run on the what-if page starts from the replications made.
        """
        kpis = result.kpis
        for label, scenario in result.scenarios.items():
            mine = kpis[kpis["scenario"] == label]
            for rep in range(result.reps):
                rows = mine[mine["replication"] == rep]
                values = {str(k): float(v) for k, v in zip(rows["kpi"], rows["value"], strict=True)}
                self.put(scenario, result.seed, rep, values)

    @staticmethod
    def _read(path: Path, key: tuple[str, int, int]) -> dict[str, float] | None:
        data = read_json(path, "cache entry")
        if data is None:
            return None
        kpis = data.get("kpis") if isinstance(data, dict) else None
        if kpis is None and isinstance(data, dict) and "sha256" not in data:
            logger.debug("cache entry %s predates checksums; recomputing it", path)
            return None
        if not isinstance(kpis, dict) or not all(type(v) in (int, float) for v in kpis.values()):
            logger.warning("ignoring malformed cache entry %s; it will be recomputed", path)
            return None
        if data.get("sha256") != checksum([list(key), kpis]):
            logger.warning("ignoring cache entry %s: it fails its checksum (damaged or edited); recomputing", path)
            return None
        return {str(k): float(v) for k, v in kpis.items()}
