"""Worker processes die with their parent.

Before, a ``kill -9`` of ``courtsim run --jobs 2`` left its workers running for minutes
(210 MB each): each finished its replication for nobody. Now every worker watches its
parent (:func:`sim.experiments.backends.die_with_parent`) and exits within a second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, SCENARIOS

psutil = pytest.importorskip("psutil")


def test_workers_exit_when_their_parent_is_killed() -> None:
    # Two baseline replications on two workers: each takes far longer than the check below waits.
    command = [sys.executable, "-m", "sim", "run", str(SCENARIOS / "dengzhou_2022.toml")]
    command += ["--reps", "2", "--jobs", "2", "--no-save", "-q"]
    parent = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        begun = time.perf_counter()
        workers: list[psutil.Process] = []
        while len(workers) < 2:
            assert parent.poll() is None, "the run ended before its workers were seen"
            assert time.perf_counter() - begun < 120, "no workers started"
            workers = psutil.Process(parent.pid).children(recursive=True)
            time.sleep(0.05)
        time.sleep(1.0)  # the workers are busy with their replications
        assert all(w.is_running() for w in workers)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    for worker in alive:  # do not leave them behind even when the test fails
        worker.kill()
    assert not alive, f"{len(alive)} worker(s) outlived their parent by 10 s"
