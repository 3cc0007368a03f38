"""sim.io: a file is written whole or not at all; a JSON entry is read back, or None."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from sim.experiments.cache import fingerprinted_sources
from sim.io import read_json, write_atomic, write_text


def test_write_text_creates_the_folder_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "report.html"
    write_text(target, "报告 report")
    assert target.read_text(encoding="utf-8") == "报告 report"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # shared like any result, not mkstemp's 0600
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "kpis.csv"
    write_text(target, "old")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise OSError("disk full (simulated)")

    with pytest.raises(OSError, match="simulated"):
        write_atomic(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["kpis.csv"]


def test_read_json(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    entry = tmp_path / "entry.json"
    assert read_json(entry, "cache entry") is None  # missing: silently None
    write_text(entry, '{"fast45_rate": 0.5}')
    assert read_json(entry, "cache entry") == {"fast45_rate": 0.5}
    entry.write_text('{"fast45_rate": 0.', encoding="utf-8")  # cut off mid-write
    with caplog.at_level(logging.WARNING, logger="sim.io"):
        assert read_json(entry, "cache entry") is None
    assert "unreadable cache entry" in caplog.text and str(entry) in caplog.text


def test_the_code_fingerprint_covers_the_model_and_not_the_front_end() -> None:
    """What decides a replication's numbers is hashed; the machinery around it is not."""
    covered = {relative for relative, _ in fingerprinted_sources()}
    for model in ("model.py", "cases.py", "flow/intake.py", "metrics/kpis.py", "config/schema.py", "workcalendar.py"):
        assert model in covered, model
    assert "experiments/running.py" in covered  # replicate(): the run, then its KPIs
    for front in ("api.py", "cli.py", "io.py", "experiments/sweep.py", "experiments/cache.py", "commands/run.py"):
        assert front not in covered, front
    assert not any(r.startswith(("report/", "app/")) for r in covered)  # the page's edits reach it as a scenario
