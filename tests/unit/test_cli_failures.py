"""The file system refusing, and a reader that stops reading: a message, never a traceback.

Issue 18 item 14, as reproduced with ``courtsim`` before the fix: a read-only ``--out`` ended in
four chained exceptions (the lock's clean-up failing while the first error was handled), a full
disk (``Errno 28`` from pyarrow, naming no file) and a folder where a file should be
(``schema -o DIR``, ``report --out DIR``, ``calibrate --out DIR --overwrite``, ``--report DIR``,
``--cleaning DIR``: ``IsADirectoryError`` on the temporary name) in a traceback, exit 1;
``compare --cache FILE`` simulated, then failed with ``NotADirectoryError``; ``schema | head -1``
and ``deadline … | head -0`` printed a ``BrokenPipeError`` traceback. The handler in
:func:`sim.cli.main` names the file and the option that gave it, says what to do and exits 2; a
closed pipe ends quietly with 141 (128 + SIGPIPE, as 130 is for Ctrl-C).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim.experiments.running
import sim.io
from sim.cli import EXIT_PIPE_CLOSED, describe_os_error, main
from sim.config.schema import Scenario
from sim.experiments.cache import ReplicationCache
from sim.experiments.resume import RunStore
from sim.io import folder_lock, write_atomic, write_text
from tests.conftest import ROOT, SCENARIOS

BASE = str(SCENARIOS / "dengzhou_2022.toml")
RECORDS = str(SCENARIOS / "records" / "example_synthetic.csv")


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _refused(argv: list[str], *words: str) -> str:
    code, _, err = _cli(argv)
    assert code == 2, err
    assert "Traceback" not in err and "During handling" not in err, err
    assert err.startswith("错误 error: "), err
    for word in words:
        assert word in err, err
    return err


@pytest.fixture
def never_simulate(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated before refusing")

    monkeypatch.setattr(sim.experiments.running, "replicate", refuse)


# ---------------------------------------------------------------- a folder where a file should be


def test_schema_into_a_folder_names_it_and_the_option(tmp_path: Path) -> None:
    _refused(["schema", "-o", str(tmp_path)], str(tmp_path), "--output", "folder", "name a file")
    assert not [p for p in tmp_path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("option", ["--out", "--report", "--cleaning"])
def test_calibrate_refuses_a_folder_for_any_output_before_fitting(tmp_path: Path, option: str) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    out = folder if option == "--out" else tmp_path / "calibrated.toml"
    argv = ["calibrate", RECORDS, "--base", BASE, "--out", str(out), "--overwrite"]
    if option != "--out":
        argv += [option, str(folder)]
    _refused(argv, option, str(folder), "folder")
    assert not (tmp_path / "calibrated.toml").exists()  # refused before anything was written


def test_compare_with_a_file_as_cache_is_refused_before_simulating(tmp_path: Path, never_simulate: None) -> None:
    cache = tmp_path / "cache.txt"
    cache.write_text("not a folder\n", encoding="utf-8")
    other = str(SCENARIOS / "fast_plus2.toml")
    _refused(["compare", BASE, other, "--reps", "1", "--cache", str(cache)], "--cache", str(cache), "--no-cache")
    _refused(["compare", BASE, other, "--reps", "1", "--cache", str(cache / "sub")], "--cache", "is a file")


# ---------------------------------------------------------------- disk full, read-only


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fsync`` reporting ENOSPC, as a full disk does when the written blocks reach it."""

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sim.io.os, "fsync", full)


def test_a_full_disk_names_the_file_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _disk_full(monkeypatch)
    target = tmp_path / "schema.json"
    _refused(["schema", "-o", str(target)], str(target), "--output", "No space left on device", "free some space")
    assert list(tmp_path.iterdir()) == []


def test_a_library_error_without_a_file_name_is_named_by_write_atomic(tmp_path: Path) -> None:
    """pyarrow reports a full disk as ``[Errno 28] Error writing bytes to file``, naming no file."""

    def arrow_like(tmp: Path) -> None:
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    target = tmp_path / "cases.parquet"
    with pytest.raises(OSError, match="No space left on device") as caught:
        write_atomic(target, arrow_like)
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(target)
    assert "No space left on device" in describe_os_error(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_during_run_names_the_file_under_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, never_simulate: None
) -> None:
    """The first replication is kept in ``--out`` as it finishes: a full disk there is named."""
    out = tmp_path / "results"

    def save(self: RunStore, *args: object) -> None:
        write_text(self.root / "rep0" / "entry.json", "{}")

    monkeypatch.setattr(RunStore, "save", save)
    monkeypatch.setattr(sim.experiments.running, "replicate", lambda *a, **k: ({"x": 1.0}, None))
    _disk_full(monkeypatch)
    err = _refused(["run", BASE, "--reps", "1", "--jobs", "1", "--out", str(out)], "(--out)", "No space left")
    assert str(out / ".partial") in err


def test_a_read_only_folder_gives_one_message_not_four_chained_exceptions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, never_simulate: None
) -> None:
    """Before: ``mkdir .partial`` failed, and the lock's clean-up failed again while that was
    handled (the unlink of the lock file in a folder made read-only): a chained traceback."""
    out = tmp_path / "results"

    def read_only(self: RunStore, *args: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self.folder / ".partial"))

    original_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == sim.io.LOCK_NAME:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        original_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(RunStore, "begin", read_only)
    monkeypatch.setattr(Path, "unlink", unlink)
    err = _refused(["run", BASE, "--reps", "1", "--out", str(out)], f"{out / '.partial'} (--out)", "Permission denied")
    assert err.count("\n") == 1


def test_the_lock_is_released_even_when_its_file_cannot_be_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == sim.io.LOCK_NAME:
            raise PermissionError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        original_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(KeyError, match="the body's own error"), folder_lock(tmp_path):
        raise KeyError("the body's own error")
    with folder_lock(tmp_path):  # released: it can be taken again at once
        pass


def test_every_kind_of_refusal_says_what_to_do() -> None:
    for code, words in [
        (errno.ENOSPC, "free some space"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permissions"),
        (errno.EISDIR, "name a file"),
        (errno.ELOOP, "symbolic link"),
        (errno.ENAMETOOLONG, "shorter name"),
    ]:
        text = describe_os_error(OSError(code, os.strerror(code), "out/x.csv"), {"out": "--out"})
        assert text.startswith("out/x.csv (--out): "), text
        assert words in text, text


# ---------------------------------------------------------------- a reader that stops reading


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def test_a_closed_stdout_ends_quietly_with_141() -> None:
    err = io.StringIO()
    with contextlib.redirect_stdout(_ClosedPipe()), contextlib.redirect_stderr(err):
        code = main(["deadline", "2024-01-01", "--days", "10"])
    assert code == EXIT_PIPE_CLOSED == 141
    assert err.getvalue() == ""


@pytest.mark.parametrize(
    "command",
    ["schema | head -1", "deadline 2024-01-01 --days 10 | head -0", "deadline 2024-01-01 --days 10 --json | head -0"],
)
def test_a_pipe_closed_by_head_prints_no_traceback(command: str) -> None:
    """The real thing: ``python -m sim …`` writing into ``head``, which exits early."""
    script = f'{sys.executable} -m sim {command}; echo "rc=${{PIPESTATUS[0]}}" >&2'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1] in ("rc=141", "rc=0"), done.stderr  # 0: head read it all


def test_a_full_disk_under_the_cache_warns_and_the_experiment_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, baseline: Scenario
) -> None:
    """The replication cache only saves a rerun's work: a disk that refuses it must not cost the
    experiment it serves (one warning, then memory only)."""
    import sim.experiments.cache as cache_module

    attempts = []

    def full(path: Path, text: str) -> None:
        attempts.append(path)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(cache_module, "write_text", full)
    cache = ReplicationCache(tmp_path / "cache")
    with caplog.at_level("WARNING", logger="sim.experiments.cache"):
        cache.put(baseline, 1, 0, {"fast45_rate": 0.5})
        cache.put(baseline, 1, 1, {"fast45_rate": 0.6})
    assert len(attempts) == 1
    assert cache.get(baseline, 1, 1) == {"fast45_rate": 0.6}
    assert "No space left on device" in caplog.text and "a rerun will simulate" in caplog.text


def test_a_missing_folder_in_a_file_option_is_refused_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``schema -o`` and ``report --out`` do not create a mistyped folder silently (issue 14 item 7):
    exit 2, the folder named with the command that makes it, nothing created."""
    missing = tmp_path / "no" / "such"
    assert main(["schema", "-o", str(missing / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and f"mkdir -p {missing}" in err and "Traceback" not in err
    assert main(["report", str(tmp_path), "--out", str(missing / "r.html")]) == 2
    assert "the folder" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
    assert main(["schema", "-o", str(tmp_path / "x.json")]) == 0 and (tmp_path / "x.json").is_file()
