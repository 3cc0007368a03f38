"""Results folders survive a kill: nothing half-written looks complete, and a rerun resumes.

``courtsim run --out DIR`` keeps each replication in ``DIR/.partial`` as it finishes
(:mod:`sim.experiments.resume`), then writes every final file under a temporary dot-name and renames it
into place, the manifest last (:mod:`sim.experiments.results`). The test kills real runs with SIGKILL — at
random moments, after the first replication is kept and, on purpose, in the middle of writing —
and then requires of the folder:

- no manifest, or a manifest whose every listed file is there and readable;
- every visible (non-dot) file is complete and readable: only temporary dot-files and the
  ``.partial`` area may be partial, and there every entry with its ``entry.json`` is whole;
- the same command into the same folder resumes: it says how many replications it found,
  simulates the rest and ends with the numbers of an undisturbed run (same seed), with no
  ``.partial`` left; ``--overwrite`` instead starts afresh, to the same numbers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
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

import sim.experiments.results
from sim.cli import main
from sim.config.load import load_scenario, with_overrides
from sim.experiments.results import TABLES, write_results
from sim.experiments.resume import ENTRY, PARTIAL, TABLE_SUFFIX, read_table
from sim.experiments.running import run_experiment
from sim.experiments.types import ExperimentResult
from sim.io import LOCK_NAME
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


def _command(scenario: Path, out: Path, *extra: str, reps: int = 2) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sim",
        "run",
        str(scenario),
        "--reps",
        str(reps),
        "--jobs",
        "1",
        "-q",
        "--out",
        str(out),
        *extra,
    ]


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
    hidden = [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name not in (PARTIAL, LOCK_NAME)]
    assert all(name.endswith(".tmp") for name in hidden), hidden
    _check_kept(folder / PARTIAL)
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


def _check_kept(partial: Path) -> None:
    """In the ``.partial`` area, an entry that has its ``entry.json`` has every table, whole."""
    for entry in partial.glob("*/*/rep*"):
        if (entry / ENTRY).exists():
            assert json.loads((entry / ENTRY).read_text(encoding="utf-8"))["tables"] == list(TABLES)
            for table in TABLES:
                read_table(entry / f"{table}{TABLE_SUFFIX}")


@pytest.fixture(scope="module")
def reference(scenario_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, float]:
    """An undisturbed run: its KPIs and how long it took (seconds)."""
    out = tmp_path_factory.mktemp("ref") / "run"
    wall = time.perf_counter()
    done = subprocess.run(
        _command(scenario_file, out), capture_output=True, text=True, timeout=300, cwd=ROOT, check=False
    )
    wall = time.perf_counter() - wall
    assert done.returncode == 0, done.stderr
    assert check_folder(out) == "complete"
    assert set(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]) == DOCUMENTED - {
        "manifest.json"
    }
    return pd.read_csv(out / "kpis_by_rep.csv"), wall


def _wait_for(process: subprocess.Popen[bytes], out: Path, visible: bool) -> None:
    """Until ``out`` holds a final file, temporary or, with ``visible``, visible (``.partial`` aside)."""
    begun = time.perf_counter()
    while process.poll() is None and time.perf_counter() - begun < 240:
        names = [p.name for p in out.iterdir() if p.name not in (PARTIAL, LOCK_NAME)] if out.exists() else []
        if any(not n.startswith(".") for n in names) if visible else names:
            return
        time.sleep(0.001)


def _kill_and_check(scenario: Path, out: Path, *, delay: float, when: str) -> str:
    """Start a run, SIGKILL it ``delay`` s after ``when`` ("start", "writing" or "visible"), check ``out``."""
    process = subprocess.Popen(_command(scenario, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if when != "start":
        _wait_for(process, out, visible=when == "visible")
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return check_folder(out)


def _rerun_matches(scenario: Path, out: Path, kpis: pd.DataFrame, *extra: str, reps: int = 2) -> str:
    """Run again into ``out``: it completes with ``kpis`` and no kept replications; returns stderr."""
    done = subprocess.run(
        _command(scenario, out, *extra, reps=reps), capture_output=True, text=True, timeout=300, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert check_folder(out) == "complete"
    assert not (out / PARTIAL).exists()
    pd.testing.assert_frame_equal(pd.read_csv(out / "kpis_by_rep.csv"), kpis, check_exact=True)
    return done.stderr


def test_killed_while_writing_leaves_no_complete_looking_folder(
    scenario_file: Path, reference: tuple[pd.DataFrame, float], tmp_path: Path
) -> None:
    rng = np.random.default_rng()
    kpis, wall = reference
    # Once at a random moment of the whole run; once just after its first file becomes visible,
    # where a writer without temporary names would leave that file half-written.
    plans = [(float(rng.uniform(0.3, 1.0) * wall), "start"), (float(rng.uniform(0, 0.01)), "visible")]
    states = [_kill_and_check(scenario_file, tmp_path / f"run{i}", delay=d, when=w) for i, (d, w) in enumerate(plans)]
    if states[1] == "complete":  # the kill came too late: nothing to resume, start afresh
        _rerun_matches(scenario_file, tmp_path / "run1", kpis, "--overwrite")
    else:  # killed while writing the final files: every replication is kept
        assert "resuming: 2 of 2 replications found" in _rerun_matches(scenario_file, tmp_path / "run1", kpis)
    print(f"states after the kills: {states}")


def test_a_run_killed_after_a_replication_resumes(tmp_path: Path) -> None:
    """SIGKILL once the first replication is kept; the rerun takes it and simulates only the rest."""
    scenario_file = tmp_path / "short.toml"  # shorter still: 4 replications of 30 days
    text = SHORT.format(base=(SCENARIOS / "dengzhou_2022.toml").as_posix())
    scenario_file.write_text(text.replace("horizon_days = 60", "horizon_days = 30"), encoding="utf-8")
    straight = tmp_path / "straight"
    assert main(_command(scenario_file, straight, reps=4)[3:]) == 0  # in this process: one start-up less
    out = tmp_path / "killed"
    process = subprocess.Popen(
        _command(scenario_file, out, reps=4), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    begun = time.perf_counter()
    while not any(out.glob(f"{PARTIAL}/*/*/rep*/{ENTRY}")) and time.perf_counter() - begun < 240:
        assert process.poll() is None, "the run ended before keeping a replication"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert check_folder(out) == "empty"  # kept replications only: nothing that looks like results
    assert not {"manifest.json", "kpis_by_rep.csv", "kpis_summary.csv"} & {p.name for p in out.iterdir()}
    stderr = _rerun_matches(scenario_file, out, pd.read_csv(straight / "kpis_by_rep.csv"), reps=4)
    found = re.search(r"resuming: (\d) of 4 replications found", stderr)
    assert found and int(found[1]) >= 1, stderr
    for name in (f"short.{table}.parquet" for table in TABLES):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(straight / name), check_exact=True)


@pytest.mark.slow
def test_many_kills_at_random_moments(
    scenario_file: Path, reference: tuple[pd.DataFrame, float], tmp_path: Path
) -> None:
    rng = np.random.default_rng()
    kpis, wall = reference
    states = []
    for i in range(9):
        when = ("start", "writing", "visible")[i % 3]
        delay = float(rng.uniform(0.2, 1.1) * wall) if when == "start" else float(rng.uniform(0, 0.3))
        states.append(_kill_and_check(scenario_file, tmp_path / f"run{i}", delay=delay, when=when))
    _rerun_matches(scenario_file, tmp_path / "run1", kpis, "--overwrite")
    unfinished = [i for i, state in enumerate(states) if state != "complete" and i != 1]
    if unfinished:
        _rerun_matches(scenario_file, tmp_path / f"run{unfinished[0]}", kpis)  # resumes
    print(f"states after the kills: {states}")


@pytest.fixture(scope="module")
def tiny_results() -> tuple[ExperimentResult, ExperimentResult]:
    """Two small experiments of one scenario: 1 and 2 replications."""
    scenario = with_overrides(
        load_scenario(SCENARIOS / "dengzhou_2022.toml"),
        {"run.warmup_days": 5, "run.horizon_days": 25, "run.cooldown_days": 0},
    )
    return (
        run_experiment({"short": scenario}, 1, keep_runs=True),
        run_experiment({"short": scenario}, 2, keep_runs=True),
    )


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
            if hasattr(path, "write"):  # an open handle (the CSV writer writes a header first)
                path.flush()
                cut(Path(path.name))
            else:
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
    tiny_results: tuple[ExperimentResult, ExperimentResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
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
    real, calls = sim.experiments.results.write_atomic, []

    def crash_after_two(path: Path, write: object) -> None:
        calls.append(path)
        if len(calls) > 2:
            raise OSError("disk full (simulated)")
        real(path, write)  # type: ignore[arg-type]

    monkeypatch.setattr(sim.experiments.results, "write_atomic", crash_after_two)
    with pytest.raises(OSError, match="simulated"):
        write_results(folder, newer, overwrite=True)
    monkeypatch.undo()
    # Either the folder does not look complete, or its manifest describes the new tables.
    check_folder(folder)
