"""Where a result came from: package and dependency versions, the git commit, the machine."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["environment", "git_commit"]

DEPENDENCIES = ("simpy", "numpy", "scipy", "pandas", "pydantic", "chinesecalendar", "pyarrow", "matplotlib")


def git_commit(where: Path | None = None) -> str | None:
    """The commit of the source tree (with ``+dirty`` if it has changes), or None outside git."""
    cwd = where or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """Versions, commit, machine and time, for manifests."""
    return {
        "courtsim": _version("courtsim"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "dependencies": {name: _version(name) for name in DEPENDENCIES},
        "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
