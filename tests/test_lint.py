"""The code is linted in CI with the rules in pyproject.toml (STYLE.md: ruff with NPY, T20, DTZ)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "sim", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_code_is_formatted_by_ruff() -> None:
    """``ruff format`` owns the layout (STYLE.md): no hand formatting, no ``# fmt: skip``."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "sim", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, "run `ruff format sim tests bench`:\n" + done.stdout + done.stderr


def test_types_check_under_mypy_strict() -> None:
    """``mypy --strict sim`` finds nothing (issue 12): configured in pyproject.toml ``[tool.mypy]``."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, "mypy --strict sim:\n" + done.stdout + done.stderr
