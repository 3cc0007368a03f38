"""The lock on a results folder in use (sim.io.folder_lock): one holder at a time, gone with its holder.

Two commands aimed at one ``--out`` used to overwrite each other and both exit 0. Now the
first holds an ``flock`` on ``DIR/.courtsim.lock`` until it ends; a second is refused at
once, naming the holder; a holder killed with SIGKILL leaves a lock file that the next
command simply takes over (the kernel released the lock with the process).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.io import LOCK_NAME, FolderInUseError, folder_lock

HOLD = """
import sys, time
from pathlib import Path
from sim.io import folder_lock
with folder_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_second_holder_is_refused_naming_the_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with folder_lock(out):
        assert (out / LOCK_NAME).read_text().strip() == str(os.getpid())
        with pytest.raises(FolderInUseError, match=rf"{out} is in use .*process {os.getpid()}"), folder_lock(out):
            pass
        assert (out / LOCK_NAME).exists()  # the refused one did not take the first one's file away
    assert not out.exists()  # created for nothing: removed, lock file and all


def test_the_lock_file_goes_and_a_used_folder_stays(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with folder_lock(out):
        (out / "kpis.csv").write_text("x\n")
    assert [p.name for p in out.iterdir()] == ["kpis.csv"]
    with folder_lock(out):  # and it can be taken again
        pass


def test_a_holder_killed_with_sigkill_releases_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(FolderInUseError, match=str(holder.pid)), folder_lock(out):
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        holder.stdout.close()
    assert (out / LOCK_NAME).exists()  # left behind by the dead holder ...
    begun = time.perf_counter()
    with folder_lock(out):  # ... and taken over at once
        assert (out / LOCK_NAME).read_text().strip() == str(os.getpid())
    assert time.perf_counter() - begun < 5
