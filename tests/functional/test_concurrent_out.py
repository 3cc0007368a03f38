"""Two commands into one ``--out``: one wins, the other is refused, nothing is mixed.

Before, ``run`` A and ``run`` B into one folder both exited 0 and left A's manifest
beside B's tables (the same with two ``compare``). Now the first command holds the
folder's lock (:func:`sim.io.folder_lock`) until it ends; the second is refused with
exit 2 and a message saying the folder is in use, and the folder holds the winner's
files only, each matching the checksum its manifest lists.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.results import verify_folder
from sim.io import LOCK_NAME
from tests.conftest import ROOT, SCENARIOS

SHORT = """base = "{base}"
name = "{name}"
[run]
warmup_days = 10
horizon_days = 60
cooldown_days = 10
seed = {seed}
"""


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("scen")
    paths = []
    for name, seed in (("alpha", 1), ("beta", 2)):
        path = folder / f"{name}.toml"
        base = (SCENARIOS / "dengzhou_2022.toml").as_posix()
        path.write_text(SHORT.format(base=base, name=name, seed=seed), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def _start(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "sim", *args, "--jobs", "1", "-q"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_lock(process: subprocess.Popen[str], out: Path) -> None:
    begun = time.perf_counter()
    while not (out / LOCK_NAME).exists():
        assert process.poll() is None, process.communicate()
        assert time.perf_counter() - begun < 120, "the first command never locked its folder"
        time.sleep(0.01)


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=600)
    return process.returncode, err


def _only_winners(out: Path, winner: str, loser: str) -> None:
    manifest = verify_folder(out)  # every listed file is as the winner wrote it
    assert list(manifest["scenarios"]) == [winner]
    assert set(pd.read_csv(out / "kpis_by_rep.csv")["scenario"]) == {winner}
    assert not [p.name for p in out.iterdir() if loser in p.name]
    assert not (out / LOCK_NAME).exists()  # released when the winner ended


def test_a_second_run_into_a_folder_in_use_is_refused(scenarios: tuple[Path, Path], tmp_path: Path) -> None:
    alpha, beta = scenarios
    out = tmp_path / "shared"
    first = _start("run", str(alpha), "--reps", "4", "--out", str(out))  # long enough to be caught running
    _wait_for_lock(first, out)
    second = _start("run", str(beta), "--reps", "2", "--out", str(out), "--overwrite")
    code, err = _finish(second)
    assert first.poll() is None, "the second command should be refused while the first is running"
    assert code == 2, err
    assert "in use by another courtsim command" in err and str(out) in err and "Traceback" not in err
    code, err = _finish(first)
    assert code == 0, err
    _only_winners(out, "alpha", "beta")


def test_two_runs_started_together_one_wins(scenarios: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "raced"
    processes = {
        name: _start("run", str(path), "--reps", "1", "--out", str(out))
        for name, path in zip(("alpha", "beta"), scenarios, strict=True)
    }
    results = {name: _finish(p) for name, p in processes.items()}
    codes = sorted(code for code, _ in results.values())
    assert codes == [0, 2], results
    winner = next(name for name, (code, _) in results.items() if code == 0)
    loser = "beta" if winner == "alpha" else "alpha"
    refusal = results[loser][1]
    assert "in use" in refusal or "exists and is not empty" in refusal, refusal
    _only_winners(out, winner, loser)


@pytest.mark.slow
def test_a_second_compare_into_a_folder_in_use_is_refused(scenarios: tuple[Path, Path], tmp_path: Path) -> None:
    alpha, beta = scenarios
    out = tmp_path / "compared"
    cache = tmp_path / "cache"
    first = _start("compare", str(alpha), str(beta), "--reps", "3", "--out", str(out), "--cache", str(cache))
    _wait_for_lock(first, out)
    second = _start("compare", str(beta), str(alpha), "--reps", "2", "--out", str(out), "--overwrite", "--no-cache")
    code, err = _finish(second)
    assert code == 2 and "in use by another courtsim command" in err, err
    code, err = _finish(first)
    assert code == 0, err
    manifest = verify_folder(out)
    assert manifest["base"] == "alpha"
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["command"] == "compare"
