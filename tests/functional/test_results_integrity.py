"""Results folders survive a kill: nothing half-written looks complete, and a rerun completes.

``courtsim run --out DIR`` writes every file under a temporary dot-name and renames it into
place, the manifest last (:mod:`sim.results`). The test kills real runs with SIGKILL — at
random moments and, on purpose, in the middle of writing — and then requires of the folder:

- no manifest, or a manifest whose every listed file is there and readable;
- every visible (non-dot) file is complete and readable: only temporary dot-files may be partial;
- ``courtsim run ... --overwrite`` into the same folder then completes, with the same numbers
  as an undisturbed run (same seed).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim.results
from sim.config.load import load_scenario, with_overrides
from sim.experiment import ExperimentResult, run_experiment
from sim.results import write_results
from tests.conftest import ROOT, SCENARIOS

SHORT = """base = "{base}"
name = "short"
[run]
warmup_days = 10
horizon_days = 60
cooldown_days = 10
"""
DOCUMENTED = {"manifest.json", "kpis_by_rep.csv", "kpis_summary.csv"} | {
    f"short.{t}.parquet" for t in ("cases", "slas", "steps", "unfinished", "staff")
}


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scen") / "short.toml"
    path.write_text(SHORT.format(base=(SCENARIOS / "dengzhou_2022.toml").as_posix()), encoding="utf-8")
    return path


def _command(scenario: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "sim", "run", str(scenario), "--reps", "2", "--jobs", "1", "-q",
            "--out", str(out), *extra]  # fmt: skip


def _readable(path: Path) -> None:
    """A visible file must be whole: Parquet with its footer, CSV to its last newline, JSON parsed."""
    if path.suffix == ".parquet":
        pd.read_parquet(path)
    elif path.suffix == ".csv":
        assert path.read_bytes().endswith(b"\n"), f"{path.name} is cut short"
        table = pd.read_csv(path)
        assert len(table.columns) > 1 and not table.iloc[:, :2].isna().any().any(), f"{path.name} is cut short"
    elif path.suffix == ".json":
        json.loads(path.read_text(encoding="utf-8"))
    else:
        pytest.fail(f"unexpected file {path.name}")


def check_folder(folder: Path) -> str:
    """The folder's invariants after a kill; returns 'complete', 'partial' or 'empty'."""
    if not folder.exists():
        return "empty"
    visible = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    hidden = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert all(name.endswith(".tmp") for name in hidden), hidden
    assert visible <= DOCUMENTED, visible - DOCUMENTED
    for name in visible:
        _readable(folder / name)  # nothing visible is half-written
    if "manifest.json" not in visible:
        return "partial" if visible else "empty"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) <= visible, set(manifest["files"]) - visible
    reps = pd.read_csv(folder / "kpis_by_rep.csv").replication.nunique()
    assert reps == manifest["reps"]
    return "complete"


@pytest.fixture(scope="module")
def reference(scenario_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, float]:
    """An undisturbed run: its KPIs and how long it took (seconds)."""
    out = tmp_path_factory.mktemp("ref") / "run"
    wall = time.perf_counter()
    done = subprocess.run(_command(scenario_file, out), capture_output=True, text=True, timeout=300, cwd=ROOT,
                          check=False)  # fmt: skip
    wall = time.perf_counter() - wall
    assert done.returncode == 0, done.stderr
    assert check_folder(out) == "complete"
    assert set(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]) == DOCUMENTED - {
        "manifest.json"
    }
    return pd.read_csv(out / "kpis_by_rep.csv"), wall


def _wait_for(process: subprocess.Popen[bytes], out: Path, visible: bool) -> None:
    """Until ``out`` holds any entry (a temporary file) or, with ``visible``, a visible file."""
    begun = time.perf_counter()
    while process.poll() is None and time.perf_counter() - begun < 240:
        names = [p.name for p in out.iterdir()] if out.exists() else []
        if any(not n.startswith(".") for n in names) if visible else names:
            return
        time.sleep(0.001)


def _kill_and_check(scenario: Path, out: Path, *, delay: float, when: str) -> str:
    """Start a run, SIGKILL it ``delay`` s after ``when`` ("start", "writing" or "visible"), check ``out``."""
    process = subprocess.Popen(_command(scenario, out), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    if when != "start":
        _wait_for(process, out, visible=when == "visible")
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return check_folder(out)


def _rerun_matches(scenario: Path, out: Path, kpis: pd.DataFrame) -> None:
    done = subprocess.run(_command(scenario, out, "--overwrite"), capture_output=True, text=True, timeout=300,
                          cwd=ROOT, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert check_folder(out) == "complete"
    pd.testing.assert_frame_equal(pd.read_csv(out / "kpis_by_rep.csv"), kpis)


def test_killed_while_writing_leaves_no_complete_looking_folder(
    scenario_file: Path, reference: tuple[pd.DataFrame, float], tmp_path: Path
) -> None:
    rng = np.random.default_rng()
    kpis, wall = reference
    # Once at a random moment of the whole run; once just after its first file becomes visible,
    # where a writer without temporary names would leave that file half-written.
    plans = [(float(rng.uniform(0.3, 1.0) * wall), "start"), (float(rng.uniform(0, 0.01)), "visible")]
    states = [_kill_and_check(scenario_file, tmp_path / f"run{i}", delay=d, when=w) for i, (d, w) in enumerate(plans)]
    _rerun_matches(scenario_file, tmp_path / f"run{len(plans) - 1}", kpis)
    print(f"states after the kills: {states}")


@pytest.mark.slow
def test_many_kills_at_random_moments(scenario_file: Path, reference: tuple[pd.DataFrame, float],
                                      tmp_path: Path) -> None:  # fmt: skip
    rng = np.random.default_rng()
    kpis, wall = reference
    states = []
    for i in range(9):
        when = ("start", "writing", "visible")[i % 3]
        delay = float(rng.uniform(0.2, 1.1) * wall) if when == "start" else float(rng.uniform(0, 0.3))
        states.append(_kill_and_check(scenario_file, tmp_path / f"run{i}", delay=delay, when=when))
    _rerun_matches(scenario_file, tmp_path / "run1", kpis)
    print(f"states after the kills: {states}")


@pytest.fixture(scope="module")
def tiny_results() -> tuple[ExperimentResult, ExperimentResult]:
    """Two small experiments of one scenario: 1 and 2 replications."""
    scenario = with_overrides(load_scenario(SCENARIOS / "dengzhou_2022.toml"),
                              {"run.warmup_days": 5, "run.horizon_days": 25, "run.cooldown_days": 0})  # fmt: skip
    return (run_experiment({"short": scenario}, 1, keep_runs=True),
            run_experiment({"short": scenario}, 2, keep_runs=True))  # fmt: skip


def _dying_writers(monkeypatch: pytest.MonkeyPatch, die_at: int) -> list[str]:
    """Make the ``die_at``-th file write stop half-way and raise, as a killed process would."""
    written: list[str] = []

    def cut(target: Path) -> None:
        written.append(target.name)
        if len(written) == die_at:
            target.write_bytes(target.read_bytes()[: max(1, target.stat().st_size // 2)])
            raise KeyboardInterrupt("killed (simulated)")

    def frame_writer(method: Callable[..., Any]) -> Callable[..., Any]:
        def write(frame: pd.DataFrame, path: Any, *args: Any, **kwargs: Any) -> Any:
            out = method(frame, path, *args, **kwargs)
            cut(Path(path))
            return out

        return write

    def write_text(path: Path, *args: Any, **kwargs: Any) -> int:
        out = real_write_text(path, *args, **kwargs)
        cut(path)
        return out

    real_write_text = Path.write_text
    monkeypatch.setattr(pd.DataFrame, "to_csv", frame_writer(pd.DataFrame.to_csv))
    monkeypatch.setattr(pd.DataFrame, "to_parquet", frame_writer(pd.DataFrame.to_parquet))
    monkeypatch.setattr(Path, "write_text", write_text)
    return written


@pytest.mark.parametrize("die_at", range(1, 10))
def test_a_write_cut_short_is_never_visible(
    tiny_results: tuple[ExperimentResult, ExperimentResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    die_at: int,
) -> None:
    """Cut any one of the folder's files half-way: no visible file is partial, no manifest lies.

    The folder has 8 files; ``die_at = 9`` lets the write complete.
    """
    written = _dying_writers(monkeypatch, die_at)
    folder = tmp_path / "run"
    with contextlib.suppress(KeyboardInterrupt):
        write_results(folder, tiny_results[1])
    monkeypatch.undo()
    died = len(written) >= die_at
    assert check_folder(folder) == ("partial" if died and die_at > 1 else "empty" if died else "complete")


def test_a_crash_while_overwriting_leaves_no_stale_manifest(
    tiny_results: tuple[ExperimentResult, ExperimentResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "run"
    older, newer = tiny_results
    write_results(folder, older)
    real, calls = sim.results.write_atomic, []

    def crash_after_two(path: Path, write: object) -> None:
        calls.append(path)
        if len(calls) > 2:
            raise OSError("disk full (simulated)")
        real(path, write)  # type: ignore[arg-type]

    monkeypatch.setattr(sim.results, "write_atomic", crash_after_two)
    with pytest.raises(OSError, match="simulated"):
        write_results(folder, newer, overwrite=True)
    monkeypatch.undo()
    # Either the folder does not look complete, or its manifest describes the new tables.
    check_folder(folder)
