"""`courtsim run`: printed numbers, --json, a results folder that can recompute them, and its options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim.commands.run
from sim.cli import main
from sim.config.load import load_scenario, parse_scenario
from sim.config.schema import Deadlines
from sim.experiments.results import TABLES, write_results
from sim.experiments.resume import PARTIAL, RunStore
from sim.experiments.running import run_experiment
from sim.experiments.types import ExperimentResult
from sim.metrics import kpi_values
from sim.model import RunResult, build_calendar

SHORT = """base = "{base}"
name = "short"
[run]
warmup_days = 30
horizon_days = 120
cooldown_days = 30
"""


@pytest.fixture(scope="module")
def short_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scen")
    base = (Path(__file__).resolve().parents[2] / "scenarios" / "dengzhou_2022.toml").as_posix()
    path = folder / "short.toml"
    path.write_text(SHORT.format(base=base), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_folder(short_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("res") / "run"
    assert main(["run", str(short_file), "--reps", "2", "--jobs", "1", "--out", str(out), "-q"]) == 0
    return out


def test_folder_holds_the_documented_files(run_folder: Path) -> None:
    names = {p.name for p in run_folder.iterdir()}
    assert {
        "manifest.json",
        "kpis_by_rep.csv",
        "kpis_summary.csv",
        "short.cases.parquet",
        "short.slas.parquet",
        "short.steps.parquet",
        "short.staff.parquet",
    } <= names
    manifest = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reps"] == 2 and manifest["seed"] == 20220525
    assert set(manifest["files"]) <= names
    assert manifest["dependencies"]["simpy"]


def test_case_table_has_each_deadline_due_and_met(run_folder: Path) -> None:
    cases = pd.read_parquet(run_folder / "short.cases.parquet")
    for sla in Deadlines.model_fields:
        assert f"due_{sla}" in cases and f"met_{sla}" in cases
    closed = cases[cases.counted & cases.closed.notna()]
    assert closed["met_verify_filing"].notna().all()  # a closed case had its filing checked
    assert closed["met_execution_limit"].notna().all() and cases["due_execution_limit"].notna().all()


def test_every_printed_number_can_be_recomputed(run_folder: Path) -> None:
    """KPIs recomputed from the Parquet tables and the manifest equal the stored ones."""
    manifest = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
    scenario = parse_scenario(manifest["scenarios"]["short"]["resolved"])
    tables = {t: pd.read_parquet(run_folder / f"short.{t}.parquet") for t in ("steps", "slas", "cases", "staff")}
    stored = pd.read_csv(run_folder / "kpis_by_rep.csv")
    for rep in (0, 1):
        parts = {
            t: f[f.replication == rep].drop(columns="replication").reset_index(drop=True) for t, f in tables.items()
        }
        result = RunResult(parts["steps"], parts["slas"], parts["cases"], parts["staff"], {})
        values = kpi_values(result, scenario, build_calendar(scenario))
        mine = stored[stored.replication == rep].set_index("kpi").value
        for kpi, value in values.items():
            np.testing.assert_allclose(value, mine[kpi], rtol=1e-9, equal_nan=True, err_msg=kpi)


def test_json_output_carries_the_kpi_ids(short_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(short_file), "--reps", "2", "--jobs", "1", "--no-save", "--json", "-q"]) == 0
    payload = json.loads(capsys.readouterr().out)
    for kpi in (
        "fast45_rate",
        "within_limit_rate",
        "completion_rate",
        "zhongben_rate",
        "recovery_rate",
        "mean_days_to_close",
    ):
        entry = payload["kpis"][kpi]
        assert set(entry) - {"misleading"} == {"mean", "ci_low", "ci_high", "n"}
    assert payload["cases"]["arrived"] > 0
    # The case balance of the counted window adds up, in every replication and on average.
    cases = payload["cases"]
    assert len(cases["per_replication"]) == 2
    for rep in cases["per_replication"]:
        assert rep["open_start"] + rep["arrived"] == rep["closed"] + rep["open_end"], rep
        assert rep["open_start"] > 0 and rep["closed"] > 0
    assert cases["open_start"] + cases["arrived"] == pytest.approx(cases["closed"] + cases["open_end"])
    assert cases["arrived"] == pytest.approx(payload["kpis"]["received_cases"]["mean"])  # filed in the window
    assert payload["stability"]["replications"] == 2


def test_an_unstable_run_says_so_first_and_marks_means_of_closed_cases(
    tmp_path: Path, short_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overloaded = tmp_path / "overloaded.toml"
    overloaded.write_text(
        f'base = "{short_file.as_posix()}"\nname = "overloaded"\n[arrivals]\ncases_per_year = 20000\n',
        encoding="utf-8",
    )
    assert main(["run", str(overloaded), "--reps", "1", "--jobs", "1", "--no-save", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("!! 不稳定：1/1次重复中未结案件持续增长"), lines[:3]
    assert lines[1].startswith("!! UNSTABLE")
    days = next(line for line in lines if "mean days to close " in line)
    assert days.endswith("← 误导 misleading (unstable)")
    rate = next(line for line in lines if "fast-track 45-day closure rate" in line)
    assert "misleading" not in rate  # a rate over cases received is not a mean of closed cases
    assert main(["run", str(overloaded), "--reps", "1", "--jobs", "1", "--no-save", "--json", "-q"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["stability"]["unstable"] and "UNSTABLE" in payload["stability"]["warning"]
    assert payload["kpis"]["mean_days_to_close"]["misleading"] is True
    assert "misleading" not in payload["kpis"]["fast45_rate"]


def test_existing_folder_is_not_overwritten_silently(
    short_file: Path, run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(short_file), "--reps", "1", "--out", str(run_folder), "-q"]) == 2
    assert "exists" in capsys.readouterr().err


def test_a_bad_scenario_is_a_message_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[run]\nstart_date = 2023-01-01\n', encoding="utf-8")
    assert main(["run", str(bad), "--no-save"]) == 2
    err = capsys.readouterr().err
    assert "required field is missing" in err and "Traceback" not in err


def test_another_runs_kept_replications_are_refused_then_overwritten(
    short_file: Path, run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder left by a killed run of another seed is not resumed; --overwrite starts afresh."""
    out = tmp_path / "run"
    RunStore(out).begin(load_scenario(short_file), 1)
    assert main(["run", str(short_file), "--reps", "1", "--jobs", "1", "--out", str(out), "-q"]) == 2
    assert "unfinished replications of another run" in capsys.readouterr().err
    assert main(["run", str(short_file), "--reps", "1", "--jobs", "1", "--out", str(out), "-q", "--overwrite"]) == 0
    assert "resuming" not in capsys.readouterr().err
    assert (out / "manifest.json").exists() and not (out / PARTIAL).exists()
    mine = pd.read_csv(out / "kpis_by_rep.csv")
    pd.testing.assert_frame_equal(
        mine, pd.read_csv(run_folder / "kpis_by_rep.csv").query("replication == 0"), check_exact=True
    )


def test_without_out_the_run_says_how_to_resume(
    short_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Resuming needs --out; a run in the default folder names it at the start and when interrupted."""

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sim.commands.run, "run_experiment", interrupted)
    assert main(["run", str(short_file), "--reps", "3"]) == 130
    err = capsys.readouterr().err
    folder = next((tmp_path / "results").iterdir())
    assert f"writing {Path('results') / folder.name}; if interrupted, rerun with --out" in err
    assert f"0 of 3 replications kept in {Path('results') / folder.name}; rerun with --out" in err


def test_a_bad_scheduler_address_is_a_message(short_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(short_file), "--reps", "1", "--no-save", "--scheduler", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler must be 'local' or an address" in err and "Traceback" not in err


def test_on_a_dask_cluster_the_folder_is_the_same(short_file: Path, run_folder: Path, tmp_path: Path) -> None:
    """A LocalCluster's workers keep their own replications in .partial (they see its folder): the
    results folder is the one-process run's, its tables byte for byte."""
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    assert (
        main(["run", str(short_file), "--reps", "2", "--jobs", "2", "--scheduler", "local", "--out", str(out), "-q"])
        == 0
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "kpis_by_rep.csv"), pd.read_csv(run_folder / "kpis_by_rep.csv"), check_exact=True
    )
    for table in TABLES:
        name = f"short.{table}.parquet"
        assert (out / name).read_bytes() == (run_folder / name).read_bytes(), name


def test_a_machine_without_avx_gives_the_same_folder(
    short_file: Path, run_folder: Path, tmp_path: Path, plain_cpu_env: dict[str, str]
) -> None:
    """The same run in a process whose numpy has no dispatched CPU kernels (as on a machine
    without AVX2 or AVX-512) gives the same folder byte for byte: a replication is a function
    of the scenario, its number and the seed, not of the machine (a mixed Dask cluster)."""
    out = tmp_path / "plain"
    command = [sys.executable, "-m", "sim", "run", str(short_file), "--reps", "2", "--jobs", "1", "--out", str(out)]
    subprocess.run([*command, "-q", "--no-cache"], check=True, env=plain_cpu_env, capture_output=True)
    for name in ["kpis_by_rep.csv", *(f"short.{table}.parquet" for table in TABLES)]:
        assert (out / name).read_bytes() == (run_folder / name).read_bytes(), name


def test_a_result_holding_its_tables_writes_the_folder_run_writes(
    run_folder: Path, short_file: Path, tmp_path: Path
) -> None:
    """``write_results`` of a result that holds its runs (the Python API, keep_runs=True) writes each
    table part by part as ``courtsim run`` writes it from the kept files: the same bytes, not
    only the same values, so a folder's checksums do not depend on which path wrote it."""
    scenario = load_scenario(short_file)
    held = run_experiment({scenario.name: scenario}, 2, scenario.run.seed, jobs=1, keep_runs=True)
    assert len(held.runs) == 2
    folder = write_results(tmp_path / "held", held)
    for name in ["kpis_by_rep.csv", *(f"short.{table}.parquet" for table in TABLES)]:
        assert (folder / name).read_bytes() == (run_folder / name).read_bytes(), name


def test_overwrite_never_reuses_kept_replications(
    short_file: Path, run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unfinished folder of this very run, rerun with --overwrite: simulated anew, not resumed."""
    scenario, out = load_scenario(short_file), tmp_path / "run"
    tables = {
        t: pd.read_parquet(run_folder / f"short.{t}.parquet")
        .query("replication == 0")
        .drop(columns="replication")
        .reset_index(drop=True)
        for t in TABLES
    }
    kept = RunResult(tables["steps"], tables["slas"], tables["cases"], tables["staff"], {}, tables["unfinished"])
    store = RunStore(out)
    store.begin(scenario, scenario.run.seed)
    store.save(scenario, scenario.run.seed, 0, ({"fast45_rate": 99.0}, kept))  # a value no run gives
    assert main(["run", str(short_file), "--reps", "1", "--jobs", "1", "--out", str(out), "-q", "--overwrite"]) == 0
    assert "resuming" not in capsys.readouterr().err
    mine = pd.read_csv(out / "kpis_by_rep.csv")
    pd.testing.assert_frame_equal(
        mine, pd.read_csv(run_folder / "kpis_by_rep.csv").query("replication == 0"), check_exact=True
    )


def test_the_run_says_whether_its_warm_up_is_long_enough(
    tmp_path: Path, short_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A light court started empty without a warm-up: it fills for months (MSER-5 cuts them).
    light = tmp_path / "light.toml"
    light.write_text(
        f'base = "{short_file.as_posix()}"\nname = "light"\n[run]\nwarmup_days = 0\nhorizon_days = 500\n'
        "cooldown_days = 0\n[arrivals]\ncases_per_year = 1500\n",
        encoding="utf-8",
    )
    assert main(["run", str(light), "--reps", "2", "--jobs", "1", "--no-save", "--json", "-q"]) == 0
    warmup = json.loads(capsys.readouterr().out)["warmup"]
    assert warmup["steady"] and not warmup["enough"]
    assert warmup["needed_days"] > 30
    assert "too short" in warmup["message"] and "预热不足" in warmup["message_zh"]
    outputs = {m["output"] for m in warmup["mser5"]}
    assert {"open_cases", "closures", "wip:fast_track"} <= outputs
    assert max(m["truncation_days"] for m in warmup["mser5"]) == warmup["needed_days"]
    # The overloaded baseline has no steady state: said instead of a truncation point.
    assert main(["run", str(short_file), "--reps", "1", "--jobs", "1", "--no-save", "--json", "-q"]) == 0
    unsteady = json.loads(capsys.readouterr().out)["warmup"]
    assert not unsteady["steady"] and unsteady["needed_days"] is None and "no steady state" in unsteady["message"]
    # Without tables (--no-save, no --json) the terminal says the check was not made.
    assert main(["run", str(short_file), "--reps", "1", "--jobs", "1", "--no-save", "-q"]) == 0
    assert "warm-up not checked" in capsys.readouterr().out


def test_a_run_with_a_results_folder_checks_its_warm_up_from_the_kept_tables(
    tmp_path: Path, short_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --out the parent holds KPIs only (the tables stay in .partial): the warm-up check
    reads them back from there, and says the same as the run that holds its tables (--json)."""
    out = tmp_path / "out"
    assert main(["run", str(short_file), "--reps", "2", "--jobs", "1", "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "warm-up not checked" not in printed
    assert main(["run", str(short_file), "--reps", "2", "--jobs", "1", "--no-save", "--json", "-q"]) == 0
    held = json.loads(capsys.readouterr().out)["warmup"]
    assert held["message"] in printed and held["message_zh"] in printed


def test_json_with_a_results_folder_reads_the_case_balance_from_the_kept_tables(
    tmp_path: Path, short_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--json --out``: the parent holds KPIs only, as without ``--json``; the case balance and the
    warm-up check read the two and five columns they need back from the kept tables, and the
    object is the one a run holding its tables (``--no-save``) prints."""
    seen: list[tuple[int, bool]] = []
    balance = sim.commands.run.case_balance_payload

    def spy(result: ExperimentResult, label: str, store: RunStore | None = None) -> dict[str, Any]:
        seen.append((len(result.runs), store is not None))
        return balance(result, label, store)

    monkeypatch.setattr(sim.commands.run, "case_balance_payload", spy)
    out = tmp_path / "out"
    assert main(["run", str(short_file), "--reps", "2", "--jobs", "1", "--out", str(out), "--json", "-q"]) == 0
    kept = json.loads(capsys.readouterr().out)
    assert main(["run", str(short_file), "--reps", "2", "--jobs", "1", "--no-save", "--json", "-q"]) == 0
    held = json.loads(capsys.readouterr().out)
    assert seen == [(0, True), (2, False)]
    assert [r["replication"] for r in kept["cases"]["per_replication"]] == [0, 1]
    assert kept["cases"]["arrived"] > 0
    assert kept == held


def test_a_run_leaves_its_kpis_for_the_searches(short_file: Path, tmp_path: Path) -> None:
    """``courtsim run`` fills the replication cache (``--cache``): a search on the same scenario and
    seed then simulates none of those replications and sees the KPIs a simulation gives, bit for
    bit; ``--no-cache`` leaves nothing."""
    from sim.experiments.cache import ReplicationCache
    from sim.experiments.running import Evaluator

    cache = tmp_path / "cache"
    out = tmp_path / "run"
    assert (
        main(["run", str(short_file), "--reps", "2", "--jobs", "1", "--out", str(out), "-q", "--cache", str(cache)])
        == 0
    )
    scenario = load_scenario(short_file)
    reuse = Evaluator(cache=ReplicationCache(cache))
    table = reuse({"short": scenario}, 2)
    assert (reuse.computed, reuse.cached) == (0, 2)
    fresh = Evaluator(cache=ReplicationCache(None))
    pd.testing.assert_frame_equal(table, fresh({"short": scenario}, 2), check_exact=True)
    assert fresh.computed == 2
    by_rep = pd.read_csv(out / "kpis_by_rep.csv")
    assert len(by_rep) == len(table)
    empty = tmp_path / "none"
    assert (
        main(
            [
                "run",
                str(short_file),
                "--reps",
                "1",
                "--jobs",
                "1",
                "--no-save",
                "-q",
                "--cache",
                str(empty),
                "--no-cache",
            ]
        )
        == 0
    )
    assert not empty.exists()


def test_a_run_refuses_a_cache_that_is_a_file_before_any_work(
    short_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "file"
    path.write_text("x", encoding="utf-8")
    assert main(["run", str(short_file), "--reps", "1", "--no-save", "-q", "--cache", str(path)]) == 2
    assert f"--cache {path} is a file, not a folder" in capsys.readouterr().err


def test_until_stops_at_the_first_interval_as_narrow_as_asked_from_five_replications(
    short_file: Path, run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--until KPI=HALF``: replications until the KPI's 95% interval is within ±HALF, never fewer
    than 5 (an interval this wide holds at once, so it stops at 5 of the 7 allowed). The folder holds
    those 5, with the numbers of a plain run's; the interval is printed as it narrows, and the stop
    is in the output and the manifest."""
    out = tmp_path / "until"
    argv = ["run", str(short_file), "--until", "fast45_rate=0.5", "--reps", "7", "--jobs", "2", "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    stop = json.loads(captured.out)["until"]
    assert stop["kpi"] == "fast45_rate" and stop["half_width_asked"] == 0.5 and stop["reached"] is True
    assert (stop["replications"], stop["max_replications"]) == (5, 7) and 0 <= stop["half_width"] <= 0.5
    for n in (2, 3, 4, 5):  # each length once, none past the stop, whichever worker finished first
        assert captured.err.count(f"{n} replications: fast45_rate") == 1
    assert "6 replications" not in captured.err
    by_rep = pd.read_csv(out / "kpis_by_rep.csv")
    assert sorted(set(by_rep["replication"])) == [0, 1, 2, 3, 4]
    plain = pd.read_csv(run_folder / "kpis_by_rep.csv")  # a plain run of 2 replications
    pd.testing.assert_frame_equal(by_rep[by_rep["replication"] < 2].reset_index(drop=True), plain, check_exact=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reps"] == 5 and manifest["until"] == stop


def test_until_at_its_limit_says_the_precision_was_not_reached(
    short_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(short_file), "--until", "fast45_rate=1e-9", "--reps", "2", "--no-save", "-q"]) == 0
    out = capsys.readouterr().out
    assert "precision not reached: at the limit of 2 replications the 95% interval of fast45_rate is ±" in out
    assert "raise --reps" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--until", "fast45=0.01"], "--until 'fast45=0.01': expected KPI=HALF_WIDTH with a known KPI"),
        (["--until", "fast45_rate=0"], "--until 'fast45_rate=0': expected KPI=HALF_WIDTH"),
        (["--until", "fast45_rate"], "--until 'fast45_rate': expected KPI=HALF_WIDTH"),
        (["--until", "fast45_rate=nan"], "--until 'fast45_rate=nan': expected KPI=HALF_WIDTH"),
        (["--until", "fast45_rate=0.01", "--reps", "1"], "--until needs --reps of at least 2"),
    ],
)
def test_a_bad_until_is_a_message_before_any_work(
    short_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out = tmp_path / "never"
    assert main(["run", str(short_file), *extra, "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_an_interrupted_until_run_resumes_and_stops_at_the_same_replication(
    short_file: Path, run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three replications kept in ``.partial`` (a run killed after them): the ``--until`` run resumes
    from them, simulates the rest, and stops at 5 with the numbers of an uninterrupted run."""
    scenario, out = load_scenario(short_file), tmp_path / "until"
    store = RunStore(out)
    store.begin(scenario, scenario.run.seed)
    run_experiment({scenario.name: scenario}, 3, keep_runs=True, cache=store)
    argv = ["run", str(short_file), "--until", "fast45_rate=0.5", "--reps", "7", "--jobs", "1", "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    assert "resuming: 3 of at most 7 replications found" in captured.err
    assert json.loads(captured.out)["until"]["replications"] == 5
    by_rep = pd.read_csv(out / "kpis_by_rep.csv")
    assert sorted(set(by_rep["replication"])) == [0, 1, 2, 3, 4] and not (out / PARTIAL).exists()
    plain = pd.read_csv(run_folder / "kpis_by_rep.csv")
    pd.testing.assert_frame_equal(by_rep[by_rep["replication"] < 2].reset_index(drop=True), plain, check_exact=True)
