"""The kept replications of an unfinished run (sim.experiments.resume): reused only when whole and this run's.

A short story per rule: an entry counts once its ``entry.json`` is written, last; a half-written
or unreadable entry is simulated again; another seed, another scenario or another model version
never reads it; and what a folder holds decides whether ``courtsim run`` resumes or refuses it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import sim.experiments.resume
from sim.commands.run import _warmup
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.experiments.backends import ProcessBackend
from sim.experiments.results import TABLES, write_results
from sim.experiments.resume import ENTRY, TABLE_SUFFIX, RunStore, folder_state, read_table
from sim.experiments.running import Precision, run_experiment, run_to_precision, stream_experiment
from sim.experiments.types import ExperimentResult, Output
from sim.io import checksum, sha256_file
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    """The baseline over 25 days: a replication in well under a second."""
    short = {"name": "tiny", "run.warmup_days": 5, "run.horizon_days": 25, "run.cooldown_days": 0}
    return with_overrides(load_scenario(SCENARIOS / "dengzhou_2022.toml"), short)


@pytest.fixture(scope="module")
def straight(tiny: Scenario) -> ExperimentResult:
    """Two replications, uninterrupted, nothing kept."""
    return run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True)


@pytest.fixture(scope="module")
def kept(tiny: Scenario, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExperimentResult]:
    """A folder keeping both replications, as a run killed before its final files leaves it."""
    folder = tmp_path_factory.mktemp("kept")
    store = RunStore(folder)
    store.begin(tiny, tiny.run.seed)
    return folder, run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store)


def _copy(kept: tuple[Path, ExperimentResult], folder: Path) -> RunStore:
    shutil.copytree(kept[0], folder)
    return RunStore(folder)


def _same(a: ExperimentResult, b: ExperimentResult) -> None:
    """KPIs bit for bit, and every table of every replication."""
    pd.testing.assert_frame_equal(a.kpis, b.kpis, check_exact=True)
    assert a.runs.keys() == b.runs.keys()
    for key, run in a.runs.items():
        for table in TABLES:
            pd.testing.assert_frame_equal(getattr(run, table), getattr(b.runs[key], table), check_exact=True)


def test_a_resumed_experiment_equals_an_uninterrupted_one(
    tiny: Scenario, straight: ExperimentResult, kept: tuple[Path, ExperimentResult]
) -> None:
    store, first = RunStore(kept[0]), kept[1]
    assert store.finished(tiny, tiny.run.seed, 2) == [0, 1] and first.computed == 2
    again = run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store)
    assert (again.computed, again.cached) == (0, 2)
    _same(again, straight)
    _same(first, straight)


def test_an_entry_without_its_marker_is_simulated_again(
    tiny: Scenario, straight: ExperimentResult, kept: tuple[Path, ExperimentResult], tmp_path: Path
) -> None:
    """Killed while keeping replication 1: its tables may be there, half of one, but no entry.json."""
    store = _copy(kept, tmp_path / "run")
    entry = store.run_folder(tiny, tiny.run.seed) / "rep1"
    (entry / ENTRY).unlink()
    steps = entry / f"steps{TABLE_SUFFIX}"
    steps.write_bytes(steps.read_bytes()[: steps.stat().st_size // 2])
    assert store.finished(tiny, tiny.run.seed, 2) == [0]
    again = run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store)
    assert (again.computed, again.cached) == (1, 1)
    _same(again, straight)
    assert store.finished(tiny, tiny.run.seed, 2) == [0, 1]  # and kept anew


@pytest.mark.parametrize("damage", ["garbled entry", "entry without tables", "cut table"])
def test_an_unreadable_entry_is_simulated_again(
    tiny: Scenario, straight: ExperimentResult, kept: tuple[Path, ExperimentResult], tmp_path: Path, damage: str
) -> None:
    store = _copy(kept, tmp_path / "run")
    entry = store.run_folder(tiny, tiny.run.seed) / "rep0"
    if damage == "garbled entry":
        (entry / ENTRY).write_text('{"kpis": {"fast45_rate": ', encoding="utf-8")
    elif damage == "entry without tables":
        (entry / ENTRY).write_text('{"kpis": {}, "meta": {}, "tables": []}', encoding="utf-8")
    else:
        cases = entry / f"cases{TABLE_SUFFIX}"
        cases.write_bytes(cases.read_bytes()[:100])
    again = run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store)
    assert (again.computed, again.cached) == (1, 1)
    _same(again, straight)


def test_another_seed_scenario_or_model_never_reads_the_entries(
    tiny: Scenario, kept: tuple[Path, ExperimentResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _copy(kept, tmp_path / "run")
    other_seed = run_experiment({"tiny": tiny}, 1, tiny.run.seed + 1, jobs=1, keep_runs=True, cache=store)
    busier = with_overrides(tiny, {"arrivals.cases_per_year": tiny.arrivals.cases_per_year + 1})
    other_scenario = run_experiment({"tiny": busier}, 1, jobs=1, keep_runs=True, cache=store)
    monkeypatch.setattr(sim.experiments.resume, "code_fingerprint", lambda: "another-model")
    other_code = run_experiment({"tiny": tiny}, 1, jobs=1, keep_runs=True, cache=RunStore(tmp_path / "run"))
    assert (other_seed.cached, other_scenario.cached, other_code.cached) == (0, 0, 0)


def test_kpis_alone_are_kept_and_read_without_tables(
    tiny: Scenario, straight: ExperimentResult, tmp_path: Path
) -> None:
    store = RunStore(tmp_path)
    run_experiment({"tiny": tiny}, 2, jobs=1, cache=store)
    kpis_only = run_experiment({"tiny": tiny}, 2, jobs=1, cache=store)
    assert kpis_only.cached == 2 and not kpis_only.runs
    pd.testing.assert_frame_equal(kpis_only.kpis, straight.kpis, check_exact=True)
    assert run_experiment({"tiny": tiny}, 1, jobs=1, keep_runs=True, cache=store).cached == 0


def test_what_a_folder_holds(
    tiny: Scenario, straight: ExperimentResult, kept: tuple[Path, ExperimentResult], tmp_path: Path
) -> None:
    seed = tiny.run.seed
    assert folder_state(tmp_path / "missing", [tiny], seed, 2).state == "new"
    assert folder_state(tmp_path, [tiny], seed, 2).state == "new"
    _copy(kept, tmp_path / "ours")
    ours = folder_state(tmp_path / "ours", [tiny], seed, 2)
    assert (ours.state, ours.found) == ("unfinished", 2)
    assert folder_state(tmp_path / "ours", [tiny], seed, 3).found == 2
    other = folder_state(tmp_path / "ours", [tiny], seed + 1, 2)
    assert other.state == "other" and "another run" in other.reason
    (tmp_path / "ours" / ".kpis_by_rep.csv.x1y2.tmp").write_text("half", encoding="utf-8")
    (tmp_path / "ours" / "kpis_by_rep.csv").write_text("killed while writing the final files", encoding="utf-8")
    assert folder_state(tmp_path / "ours", [tiny], seed, 2).state == "unfinished"
    (tmp_path / "ours" / "notes.txt").write_text("mine", encoding="utf-8")
    stranger = folder_state(tmp_path / "ours", [tiny], seed, 2)
    assert stranger.state == "other" and "notes.txt" in stranger.reason
    write_results(tmp_path / "done", straight)
    assert folder_state(tmp_path / "done", [tiny], seed, 2).state == "complete"
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert folder_state(tmp_path / "file", [tiny], seed, 2).state == "other"


def test_discarding_never_leaves_entries_without_their_tables(
    straight: ExperimentResult, kept: tuple[Path, ExperimentResult], tmp_path: Path
) -> None:
    """The area is renamed before it is removed; a rename left by a killed discard is cleared
    by the next discard and by writing the results."""
    store = _copy(kept, tmp_path / "a")
    interrupted = tmp_path / "a" / ".partial.discard.tmp" / "leftover"
    interrupted.mkdir(parents=True)
    store.discard()
    assert not [p.name for p in (tmp_path / "a").iterdir() if p.name.startswith(".partial")]
    folder = tmp_path / "b"
    (folder / ".partial.discard.tmp" / "leftover").mkdir(parents=True)
    write_results(folder, straight, overwrite=True)
    assert not (folder / ".partial.discard.tmp").exists()


# ---------------------------------------------------------------- a .partial that is not ours (issue 18, item 14)


def _tiny_file(folder: Path) -> Path:
    path = folder / "tiny.toml"
    base = (SCENARIOS / "dengzhou_2022.toml").as_posix()
    path.write_text(
        f'base = "{base}"\nname = "tiny"\n[run]\nwarmup_days = 5\nhorizon_days = 25\ncooldown_days = 0\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("kind", ["link to a folder", "link loop", "file"])
def test_a_partial_that_is_a_link_or_a_file_is_refused_then_removed_never_followed(
    tiny: Scenario, tmp_path: Path, kind: str
) -> None:
    """Before: ``run --overwrite`` into such a folder ended in ``NotADirectoryError`` (a link
    to a folder: ``rmtree`` refuses links, so the rename failed) or ``Too many levels of
    symbolic links``, with a traceback; what the link pointed at must survive."""
    folder, victim = tmp_path / "out", tmp_path / "victim"
    folder.mkdir()
    victim.mkdir()
    (victim / "keep.txt").write_text("keep", encoding="utf-8")
    partial = folder / ".partial"
    if kind == "link to a folder":
        partial.symlink_to(victim)
    elif kind == "link loop":
        partial.symlink_to(folder / "loop")
        (folder / "loop").symlink_to(partial)
    else:
        partial.write_text("", encoding="utf-8")
    found = folder_state(folder, [tiny], tiny.run.seed, 1)
    assert found.state == "other"
    assert ".partial is a" in found.reason
    RunStore(folder).discard()
    assert not partial.exists() and not partial.is_symlink()
    assert (victim / "keep.txt").read_text(encoding="utf-8") == "keep"


def test_run_overwrite_over_a_linked_partial_and_a_stray_folder_completes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole command: the link is removed, not followed; a folder the user left in ``--out``
    stays and is not listed in the manifest (before: ``sha256_file`` on it, IsADirectoryError)."""
    from sim.cli import main
    from sim.experiments.results import verify_folder

    scenario = _tiny_file(tmp_path)
    out, victim = tmp_path / "out", tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep", encoding="utf-8")
    out.mkdir()
    (out / ".partial").symlink_to(victim)
    (out / "notes").mkdir()
    argv = ["run", str(scenario), "--reps", "1", "--jobs", "1", "--out", str(out), "--quiet"]
    assert main(argv) == 2  # not without --overwrite
    assert ".partial is a symbolic link" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0, capsys.readouterr().err
    assert "Traceback" not in capsys.readouterr().err
    assert (victim / "keep.txt").read_text(encoding="utf-8") == "keep"
    assert (out / "notes").is_dir() and "notes" not in verify_folder(out)["files"]


def test_final_tables_read_back_from_the_kept_replications_equal_those_from_memory(
    tiny: Scenario, straight: ExperimentResult, kept: tuple[Path, ExperimentResult], tmp_path: Path
) -> None:
    """``courtsim run`` holds the KPIs only and writes the results folder's tables from ``.partial``
    one replication at a time (``hold_runs=False``, ``write_results(stored=...)``): the same files."""
    store = _copy(kept, tmp_path / "run")
    seed = tiny.run.seed
    lean = run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store, hold_runs=False)
    assert lean.runs == {} and lean.cached == 2
    _written_alike(tmp_path, lean, straight, store, tiny)
    damaged = store.table_paths(tiny, seed, 1)["steps"]
    damaged.write_bytes(damaged.read_bytes()[:-10])
    with pytest.raises(ValueError, match="checksum"):
        store.table_paths(tiny, seed, 1)


def _written_alike(
    folder: Path, lean: ExperimentResult, held: ExperimentResult, store: RunStore, scenario: Scenario
) -> None:
    """The results folder written from the store one replication at a time (``lean``) has the same
    tables as the one written from the runs held in memory (``held``), to the bit."""
    seed = scenario.run.seed
    (label,) = held.scenarios  # the one scenario, by the label its files are named after
    write_results(folder / "lean", lean, stored=lambda _, rep: store.table_paths(scenario, seed, rep))
    write_results(folder / "held", held)
    for table in TABLES:
        name = f"{label}.{table}.parquet"
        written, from_store = pd.read_parquet(folder / "held" / name), pd.read_parquet(folder / "lean" / name)
        pd.testing.assert_frame_equal(from_store, written, check_exact=True)
        assert sorted(set(written.replication)) == list(range(held.reps))


def _as_old_format(store: RunStore, scenario: Scenario) -> None:
    """Rewrite every kept entry as the version before Arrow kept it: ``<table>.parquet`` files and an
    ``entry.json`` without ``files`` (its checksum made as that version made it)."""
    seed = scenario.run.seed
    for entry in sorted(store.run_folder(scenario, seed).glob("rep*")):
        data = json.loads((entry / ENTRY).read_text(encoding="utf-8"))
        data.pop("entry_sha256")
        for table in data.pop("files"):
            arrow = entry / f"{table}{TABLE_SUFFIX}"
            read_table(arrow).to_parquet(entry / f"{table}.parquet")
            arrow.unlink()
            data["sha256"][table] = sha256_file(entry / f"{table}.parquet")
        replication = int(entry.name.removeprefix("rep"))
        data["entry_sha256"] = checksum([*store._key(scenario, seed), replication, data])
        (entry / ENTRY).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_entries_kept_as_parquet_by_an_older_version_are_still_resumed(
    tiny: Scenario, straight: ExperimentResult, kept: tuple[Path, ExperimentResult], tmp_path: Path
) -> None:
    """A run killed under the version that kept Parquet, resumed under this one: nothing recomputed,
    the same tables, the warm-up check and the final files read from the Parquet files."""
    store = _copy(kept, tmp_path / "run")
    seed = tiny.run.seed
    _as_old_format(store, tiny)
    entry = store.run_folder(tiny, seed) / "rep0"
    assert sorted(p.name for p in entry.iterdir()) == sorted([ENTRY, *(f"{t}.parquet" for t in TABLES)])
    assert store.finished(tiny, seed, 2) == [0, 1]
    again = run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store)
    assert (again.computed, again.cached) == (0, 2)
    _same(again, straight)
    lean = run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store, hold_runs=False)
    assert lean.runs == {} and lean.cached == 2
    assert store.table_paths(tiny, seed, 0)["steps"].name == "steps.parquet"
    from_disk, from_memory = _warmup(lean, tiny, store), _warmup(straight, tiny)
    assert from_disk is not None and from_memory is not None
    pd.testing.assert_frame_equal(from_disk.table, from_memory.table, check_exact=True)
    _written_alike(tmp_path, lean, straight, store, tiny)
    (entry / "cases.parquet").write_bytes((entry / "cases.parquet").read_bytes()[:-10])  # damaged: recomputed
    assert run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store).computed == 1


def test_a_kept_table_that_is_neither_arrow_nor_parquet_is_named(tmp_path: Path) -> None:
    path = tmp_path / "steps.arrow"
    path.write_bytes(b"PK\x03\x04 not a table")
    with pytest.raises(ValueError, match=r"steps\.arrow is neither an Arrow IPC file nor a Parquet file"):
        read_table(path)
    path.write_bytes(b"ARROW1" + bytes(40))
    with pytest.raises(ValueError, match=r"steps\.arrow cannot be read as an Arrow IPC file"):
        read_table(path)


def test_run_to_precision_can_hold_the_kpis_only(tiny: Scenario, straight: ExperimentResult, tmp_path: Path) -> None:
    """The page's run (``run_to_precision``) also keeps the tables on disk only (``hold_runs=False``):
    no run in memory, the same KPIs, and the store holds every table for the results folder."""
    store = RunStore(tmp_path)
    never = Precision("fast45_rate", 1e-9)  # never met: the cap of two replications stops it
    lean, _ = run_to_precision(
        {"tiny": tiny}, never, min_reps=2, max_reps=2, jobs=1, keep_runs=True, cache=store, hold_runs=False
    )
    assert lean.runs == {} and lean.computed == 2
    pd.testing.assert_frame_equal(lean.kpis, straight.kpis, check_exact=True)
    held, _ = run_to_precision({"tiny": tiny}, never, min_reps=2, max_reps=2, jobs=1, keep_runs=True, cache=store)
    assert held.cached == 2 and set(held.runs) == {("tiny", 0), ("tiny", 1)}
    _same(held, straight)


def test_stored_tables_are_written_a_row_group_at_a_time_as_arrow_or_pandas_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import sim.experiments.results as results

    monkeypatch.setattr(results, "ROW_GROUP_ROWS", 1000)
    frame = pd.DataFrame(
        {"case_id": range(2500), "team": pd.array(["fast_track", "records"] * 1250, dtype="str"), "end": 0.5}
    )
    frames = [frame.assign(replication=rep) for rep in (0, 1)]
    arrow = [pa.Table.from_pandas(frame).append_column("replication", pa.array([rep] * 2500)) for rep in (0, 1)]
    results._write_parts(tmp_path / "frames.parquet", iter(frames))
    results._write_parts(tmp_path / "arrow.parquet", iter(arrow))
    for name in ("frames", "arrow"):
        file = pq.ParquetFile(tmp_path / f"{name}.parquet")
        assert [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)] == [1000, 1000, 500] * 2
    same = pd.read_parquet(tmp_path / "arrow.parquet")
    pd.testing.assert_frame_equal(same, pd.read_parquet(tmp_path / "frames.parquet"), check_exact=True)
    pd.testing.assert_frame_equal(same, pd.concat(frames, ignore_index=True), check_exact=True)
    schemas = [pq.read_schema(tmp_path / f"{name}.parquet") for name in ("frames", "arrow")]
    assert schemas[0].equals(schemas[1], check_metadata=True)  # pandas' metadata as to_parquet writes it


def test_tables_kept_in_many_batches_give_the_same_warmup_check_and_final_files(
    tiny: Scenario, straight: ExperimentResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up check reads five columns of the kept step log and the results folder streams the
    kept tables a batch at a time (``arrow_parts``): with the tables kept in many small batches, the
    same MSER-5 table and the same final files as from the runs held in memory."""
    import sim.experiments.kept as kept_tables

    monkeypatch.setattr(kept_tables, "_BATCH_ROWS", 700)
    store = RunStore(tmp_path / "run")
    store.begin(tiny, tiny.run.seed)
    lean = run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=store, hold_runs=False)
    steps = store.table_paths(tiny, tiny.run.seed, 0)["steps"]
    parts = list(kept_tables.arrow_parts(steps))
    assert len(parts) > 2 and max(p.num_rows for p in parts) == 700
    from_disk, from_memory = _warmup(lean, tiny, store), _warmup(straight, tiny)
    assert from_disk is not None and from_memory is not None
    pd.testing.assert_frame_equal(from_disk.table, from_memory.table, check_exact=True)
    _written_alike(tmp_path, lean, straight, store, tiny)


def test_a_kept_table_read_by_columns_or_by_batches(tmp_path: Path) -> None:
    """``read_table(path, columns)`` gives those columns of the whole table, in the order asked, from
    an Arrow IPC file or Parquet alike, and names a column the table lacks; ``arrow_parts`` gives the
    batches in order (an empty table as one empty part with its schema)."""
    import pyarrow as pa

    from sim.experiments.kept import arrow_parts, encode_table

    frame = pd.DataFrame(
        {"case_id": range(70_000), "kind": pd.Categorical(["task", "mark"] * 35_000), "start": 0.25, "note": "x"}
    )
    with (tmp_path / "t.arrow").open("wb") as sink:
        encode_table(frame, sink)
    frame.to_parquet(tmp_path / "t.parquet")
    for name in ("t.arrow", "t.parquet"):
        got = read_table(tmp_path / name, ["start", "case_id"])
        pd.testing.assert_frame_equal(got, frame[["start", "case_id"]], check_exact=True)
        with pytest.raises(ValueError, match=r"t\.(arrow|parquet) has no column 'stage' \(it has case_id, kind"):
            read_table(tmp_path / name, ["case_id", "stage"])
    parts = list(arrow_parts(tmp_path / "t.arrow"))
    assert [p.num_rows for p in parts] == [65_536, 4_464]
    pd.testing.assert_frame_equal(pa.concat_tables(parts).to_pandas(), frame, check_exact=True)
    with (tmp_path / "empty.arrow").open("wb") as sink:
        encode_table(frame.iloc[:0], sink)
    (empty,) = arrow_parts(tmp_path / "empty.arrow")
    assert empty.num_rows == 0 and empty.schema.names == list(frame.columns)


def test_a_kept_table_is_the_same_file_whatever_the_frame_s_chunks(tmp_path: Path) -> None:
    """A step log fresh from a run is in the run's Arrow pieces; one unpickled in another process is
    whole. Kept by a worker or by the process it reported to, it must be the same file: the same
    batches of 65,536 rows, byte for byte."""
    import pyarrow as pa

    from sim.experiments.kept import arrow_parts, encode_table

    names = pa.chunked_array([["fast_track"] * 14, ["records"] * 70_000, ["intake"] * 31])
    pieces = pd.DataFrame({"team": pd.array(names, dtype=pd.ArrowDtype(pa.large_string())), "end": 0.5})
    whole = pieces.copy()
    whole["team"] = pd.array(names.combine_chunks(), dtype=pd.ArrowDtype(pa.large_string()))
    for name, frame in (("pieces", pieces), ("whole", whole)):
        with (tmp_path / f"{name}.arrow").open("wb") as sink:
            encode_table(frame, sink)
    assert (tmp_path / "pieces.arrow").read_bytes() == (tmp_path / "whole.arrow").read_bytes()
    assert [p.num_rows for p in arrow_parts(tmp_path / "pieces.arrow")] == [65_536, 4_509]
    pd.testing.assert_frame_equal(read_table(tmp_path / "pieces.arrow"), whole, check_exact=True)


class _WhoKeeps(RunStore):
    """A run store that notes, beside each entry, which process kept it and whether it had the tables."""

    def save(self, scenario: Scenario, seed: int, replication: int, output: Output) -> None:
        super().save(scenario, seed, replication, output)
        note = self.run_folder(scenario, seed) / f"rep{replication}" / "kept_by.txt"
        note.write_text(f"{os.getpid()} {output[1] is not None}", encoding="utf-8")


class _Remote(ProcessBackend):
    """A pool standing for workers on other machines: they do not see this process's files."""

    shares_files = False


@pytest.mark.parametrize(("backend", "kept_here"), [(ProcessBackend, False), (_Remote, True)])
def test_workers_that_see_the_folder_keep_their_own_replications(
    tiny: Scenario,
    straight: ExperimentResult,
    tmp_path: Path,
    backend: type[ProcessBackend],
    kept_here: bool,
) -> None:
    """With ``hold_runs=False`` a local pool's workers keep each replication in ``.partial``
    themselves and hand over its KPIs only, so its tables never travel to the parent; workers that
    do not share the files hand over the whole run, and the parent keeps it. Either way, the same
    entries, byte for byte, and the same results folder as from the runs held in memory."""
    store = _WhoKeeps(tmp_path / "run")
    seed = tiny.run.seed
    store.begin(tiny, seed)
    with backend(2) as pool:
        arrived = list(stream_experiment({"tiny": tiny}, 2, keep_runs=True, backend=pool, cache=store, hold_runs=False))
    assert sorted(f.replication for f in arrived) == [0, 1]
    assert all((f.run is None) is not kept_here for f in arrived)
    for rep in (0, 1):
        pid, had_tables = (store.run_folder(tiny, seed) / f"rep{rep}" / "kept_by.txt").read_text().split()
        assert (int(pid) == os.getpid()) is kept_here and had_tables == "True"
    lean = run_experiment({"tiny": tiny}, 2, keep_runs=True, cache=store, hold_runs=False)
    assert lean.cached == 2
    pd.testing.assert_frame_equal(lean.kpis, straight.kpis, check_exact=True)
    _written_alike(tmp_path, lean, straight, store, tiny)
    reference = RunStore(tmp_path / "serial")  # kept by this process, from a run held in memory
    reference.begin(tiny, seed)
    run_experiment({"tiny": tiny}, 2, jobs=1, keep_runs=True, cache=reference)
    for rep in (0, 1):
        for table, path in store.table_paths(tiny, seed, rep).items():
            assert path.read_bytes() == reference.table_paths(tiny, seed, rep)[table].read_bytes(), table
