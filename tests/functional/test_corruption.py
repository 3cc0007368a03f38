"""Flip bytes in every file of a results folder, of the replication cache and of ``.partial``: each is detected.

Before, a cache entry with one KPI changed moved a compare's difference from 0.004 to
−0.248 with exit 0, and zeroed bytes in a ``.partial`` Parquet were reused into the final
tables. Now every such file carries a checksum (:mod:`sim.experiments.results`,
:mod:`sim.experiments.cache`, :mod:`sim.experiments.resume`): a damaged cache or
``.partial`` entry is recomputed, to the numbers of an undisturbed run, and a damaged
results folder is refused by ``courtsim report``, naming the file, never rendered.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.experiments.cache import ReplicationCache
from sim.experiments.results import TABLES, ResultsCorruptError, verify_folder, write_results
from sim.experiments.resume import ENTRY, TABLE_SUFFIX, RunStore
from sim.experiments.running import run_experiment
from sim.experiments.types import ExperimentResult
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    short = {"name": "tiny", "run.warmup_days": 5, "run.horizon_days": 25, "run.cooldown_days": 0}
    return with_overrides(load_scenario(SCENARIOS / "dengzhou_2022.toml"), short)


@pytest.fixture(scope="module")
def straight(tiny: Scenario) -> ExperimentResult:
    return run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True)


def flip(path: Path, where: float) -> None:
    """Invert the bits of one byte, ``where`` of the way into the file (0 first byte, 1 last)."""
    data = bytearray(path.read_bytes())
    at = min(len(data) - 1, int(where * len(data)))
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


WHERE = (0.0, 0.5, 1.0)


# ---------------------------------------------------------------- a results folder


@pytest.fixture(scope="module")
def folder(straight: ExperimentResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("results") / "run"
    write_results(out, straight)
    verify_folder(out)  # as written, it verifies
    return out


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_manifest_lists_a_checksum_per_file(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["sha256"]) == sorted(set(_files(folder)) - {"manifest.json"}) == sorted(manifest["files"])
    assert all(len(digest) == 64 for digest in manifest["sha256"].values())
    assert len(manifest["manifest_sha256"]) == 64


@pytest.mark.parametrize("where", WHERE)
def test_every_damaged_file_of_a_results_folder_is_refused(
    folder: Path, tmp_path: Path, where: float, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in _files(folder):
        copy = tmp_path / name / "run"
        shutil.copytree(folder, copy)
        flip(copy / name, where)
        with pytest.raises(ResultsCorruptError, match=name):
            verify_folder(copy)
        assert main(["report", str(copy)]) == 2
        err = capsys.readouterr().err
        assert name in err and "Traceback" not in err
        assert not (copy / "report.html").exists()


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["scenarios"]["tiny"]["resolved"]["arrivals"].update(cases_per_year=1.0),
        lambda m: m.update(seed=m["seed"] + 1),
        lambda m: m["sha256"].update({"kpis_summary.csv": "0" * 64}),
        lambda m: m.pop("manifest_sha256"),
    ],
    ids=["scenario", "seed", "a listed checksum", "its own checksum"],
)
def test_an_edited_manifest_that_still_parses_is_refused(folder: Path, tmp_path: Path, edit: object) -> None:
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    edit(manifest)  # type: ignore[operator]
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ResultsCorruptError, match=r"manifest\.json|kpis_summary\.csv"):
        verify_folder(copy)


def test_a_manifest_that_is_not_an_object_is_refused_in_plain_words(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    (copy / "manifest.json").write_text("[]", encoding="utf-8")
    assert main(["report", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "manifest.json holds list, not a manifest" in err and "Traceback" not in err


# ---------------------------------------------------------------- the replication cache


def test_every_damaged_cache_entry_is_recomputed(tiny: Scenario, straight: ExperimentResult, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    run_experiment({"tiny": tiny}, 2, jobs=1, cache=ReplicationCache(root))
    entries = sorted(root.rglob("*.json"))
    assert len(entries) == 2
    pristine = {path: path.read_bytes() for path in entries}
    for path in entries:
        for where in WHERE[1:] if path == entries[0] else WHERE[:1]:  # first byte, middle, last
            flip(path, where)
            again = run_experiment({"tiny": tiny}, 2, jobs=1, cache=ReplicationCache(root))
            assert (again.computed, again.cached) == (1, 1), (path.name, where)
            pd.testing.assert_frame_equal(again.kpis, straight.kpis, check_exact=True)
            assert path.read_bytes() == pristine[path]  # and written anew


def test_a_cache_entry_with_one_kpi_edited_is_recomputed(
    tiny: Scenario, straight: ExperimentResult, tmp_path: Path
) -> None:
    """The attack of the issue: one KPI changed, the JSON still valid."""
    root = tmp_path / "cache"
    run_experiment({"tiny": tiny}, 2, jobs=1, cache=ReplicationCache(root))
    path = sorted(root.rglob("*.json"))[0]
    entry = json.loads(path.read_text(encoding="utf-8"))
    entry["kpis"]["received_cases"] += 1.0
    path.write_text(json.dumps(entry), encoding="utf-8")
    again = run_experiment({"tiny": tiny}, 2, jobs=1, cache=ReplicationCache(root))
    assert again.computed == 1
    pd.testing.assert_frame_equal(again.kpis, straight.kpis, check_exact=True)


def test_a_cache_entry_moved_to_another_replication_is_recomputed(
    tiny: Scenario, straight: ExperimentResult, tmp_path: Path
) -> None:
    root = tmp_path / "cache"
    run_experiment({"tiny": tiny}, 2, jobs=1, cache=ReplicationCache(root))
    rep0, rep1 = sorted(root.rglob("*.json"))
    shutil.copyfile(rep0, rep1)
    again = run_experiment({"tiny": tiny}, 2, jobs=1, cache=ReplicationCache(root))
    assert again.computed == 1
    pd.testing.assert_frame_equal(again.kpis, straight.kpis, check_exact=True)


# ---------------------------------------------------------------- .partial


@pytest.fixture(scope="module")
def kept(tiny: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kept")
    store = RunStore(folder)
    store.begin(tiny, tiny.run.seed)
    run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store)
    return folder


def _same(a: ExperimentResult, b: ExperimentResult) -> None:
    pd.testing.assert_frame_equal(a.kpis, b.kpis, check_exact=True)
    for key, run in a.runs.items():
        for table in TABLES:
            pd.testing.assert_frame_equal(getattr(run, table), getattr(b.runs[key], table), check_exact=True)


@pytest.mark.parametrize(
    ("name", "where"), [(name, WHERE[i % 3]) for i, name in enumerate([ENTRY, *(f"{t}{TABLE_SUFFIX}" for t in TABLES)])]
)
def test_every_damaged_file_of_a_kept_replication_is_recomputed(
    tiny: Scenario, straight: ExperimentResult, kept: Path, tmp_path: Path, name: str, where: float
) -> None:
    shutil.copytree(kept, tmp_path / "run")
    store = RunStore(tmp_path / "run")
    flip(store.run_folder(tiny, tiny.run.seed) / "rep1" / name, where)
    assert store.finished(tiny, tiny.run.seed, 2) == ([0] if name == ENTRY else [0, 1])
    again = run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store)
    assert (again.computed, again.cached) == (1, 1)
    _same(again, straight)


def test_zeroed_bytes_in_a_kept_parquet_are_not_reused(
    tiny: Scenario, straight: ExperimentResult, kept: Path, tmp_path: Path
) -> None:
    """The attack of the issue: a run of zeroed bytes in the middle of a table (it may still parse)."""
    shutil.copytree(kept, tmp_path / "run")
    store = RunStore(tmp_path / "run")
    path = store.run_folder(tiny, tiny.run.seed) / "rep0" / f"cases{TABLE_SUFFIX}"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(16)
    path.write_bytes(bytes(data))
    again = run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store)
    assert again.computed == 1
    _same(again, straight)
