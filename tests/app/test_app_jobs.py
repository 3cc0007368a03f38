"""Background runs and the page's tables without a browser: streaming, cancel, cache, verdicts, pairs."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

import sim.app.jobs
from sim.app.edits import build_variant
from sim.app.jobs import Job, Jobs, MarginalJob, MarginalSettings, RunSettings, one_at_a_time
from sim.app.summaries import comparison, utilisation_grid, verdicts
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.experiments.cache import ReplicationCache
from sim.experiments.marginal import marginal_cost
from sim.experiments.running import Evaluator
from sim.experiments.statistics import summarise
from sim.metrics.stability import closed_case_kpi
from sim.report.analysis import RunAnalysis, analyse_run
from sim.report.data import load_results

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    """The short test scenario cut further: a replication in about a second."""
    short = load_scenario(ROOT / "tests" / "data" / "app_short.toml")
    return with_overrides(short, {"run.warmup_days": 10, "run.horizon_days": 50, "run.cooldown_days": 10})


def _variant(tiny: Scenario) -> Scenario:
    built = build_variant(tiny, {"staffing.fast_track.officers": tiny.staffing.fast_track.officers + 2})
    assert built.scenario is not None
    return built.scenario


@pytest.mark.slow  # 5 s on a quiet machine, 30 s under the shared load: six replications and a results folder
def test_a_job_streams_then_finishes_with_a_results_folder(tiny: Scenario, tmp_path: Path) -> None:
    scenarios = {tiny.name: tiny, "more": _variant(tiny)}
    settings = RunSettings(seed=5, min_reps=2, max_reps=3, half_width=1e-9, jobs=1)
    job = Job(scenarios, settings, tmp_path).start()
    assert job.wait(120), "the job did not end"
    snap = job.snapshot()
    assert snap.state == "finished", snap.message
    assert snap.done == {tiny.name: 3, "more": 3}  # the precision was never met: the cap
    assert snap.first_result is not None and snap.first_estimate is not None and snap.stopped is not None
    assert snap.first_result <= snap.first_estimate <= snap.stopped
    assert job.outcome is not None
    assert (job.outcome.folder / "manifest.json").is_file()
    assert job.outcome.archive.is_file() and job.outcome.archive.suffix == ".zip"
    assert set(job.outcome.analyses) == {"more"}  # the page's tables are the variant's
    assert job.outcome.result.runs == {}  # the page's process holds the KPIs only; the tables are on disk
    _same_analysis(job.outcome.analyses["more"], analyse_run(load_results(job.outcome.folder), "more"))
    assert "limit of 3" in job.outcome.reason
    report = job.report()
    assert report.is_file() and "快执团队" in report.read_text(encoding="utf-8")


@pytest.mark.slow  # 2 s on a quiet machine, 15 s under load: two replications and two results folders
def test_an_earlier_run_is_instant_and_nothing_is_simulated_twice(tiny: Scenario, tmp_path: Path) -> None:
    jobs = Jobs(tmp_path)
    settings = RunSettings(seed=6, min_reps=2, max_reps=2, jobs=1)
    first = jobs.run({tiny.name: tiny}, settings)
    assert first.wait(120) and first.state == "finished"
    assert jobs.run({tiny.name: tiny}, settings) is first  # the same finished job, at once
    again = Job({tiny.name: tiny}, settings, tmp_path).start()  # a new page process: the store
    assert again.wait(120) and again.state == "finished"
    assert again.outcome is not None and first.outcome is not None
    assert again.outcome.result.computed == 0 and again.outcome.result.cached == 2
    pd.testing.assert_frame_equal(again.outcome.result.kpis, first.outcome.result.kpis)


@pytest.mark.slow  # 3 s on a quiet machine, 20 s under load: four replications
def test_the_page_leaves_its_kpis_for_the_command_line_and_reads_the_command_lines(
    tiny: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search after the page (``courtsim staff``, ``capacity``: an evaluator on the command
    line's cache) simulates none of the replications the page made; the page's bottleneck job
    reads, after its run store, the replications the command line made."""
    shared = tmp_path / "cache"
    jobs = Jobs(tmp_path / "app", shared)
    run = jobs.run({tiny.name: tiny}, RunSettings(seed=6, min_reps=2, max_reps=2, jobs=1))
    assert run.wait(120) and run.state == "finished" and run.outcome is not None
    search = Evaluator(6, cache=ReplicationCache(shared))
    table = search({tiny.name: tiny}, 2)
    assert search.computed == 0 and search.cached == 2
    mine = run.outcome.result.kpis
    columns = ["replication", "kpi", "value"]
    pd.testing.assert_frame_equal(
        table.sort_values(columns[:2]).reset_index(drop=True)[columns],
        mine.sort_values(columns[:2]).reset_index(drop=True)[columns],
        check_exact=True,
    )
    assert not (tmp_path / "app" / ".kpis").exists()  # one cache, the command line's

    def base_only(scenario: Scenario, evaluator: Evaluator, reps: int) -> None:  # the job's reads, not its table
        evaluator({scenario.name: scenario}, reps)

    monkeypatch.setattr(sim.app.jobs, "marginal_staffing", base_only)
    settings = MarginalSettings(seed=6, reps=2, jobs=1)
    elsewhere = MarginalJob(tiny, settings, tmp_path / "another page", shared).start()  # not in its run store
    assert elsewhere.wait(120) and elsewhere.state == "finished", elsewhere.snapshot().message
    assert elsewhere.computed == 0 and elsewhere.cached == 2
    alone = MarginalJob(tiny, settings, tmp_path / "a third page").start()  # no shared cache: its own .kpis
    assert alone.wait(120) and alone.state == "finished" and alone.computed == 2
    assert (tmp_path / "a third page" / ".kpis").is_dir()


def test_cancel_stops_the_run_early(tiny: Scenario, tmp_path: Path) -> None:
    settings = RunSettings(seed=7, min_reps=2, max_reps=60, half_width=1e-9, jobs=1)
    job = Job({tiny.name: tiny}, settings, tmp_path).start()
    deadline = time.monotonic() + 60
    while job.snapshot().done[tiny.name] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    job.cancel()
    assert job.state in ("cancelling", "cancelled")
    assert job.wait(60)
    snap = job.snapshot()
    assert snap.state == "cancelled"
    assert snap.done[tiny.name] < 60 and job.outcome is None


def _kpis(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    rows = [
        (label, rep, kpi, value)
        for label, kpis in values.items()
        for kpi, series in kpis.items()
        for rep, value in enumerate(series)
    ]
    return pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])


def test_verdicts_judge_the_interval_and_say_unstable_first() -> None:
    kpis = _kpis(
        {
            "s": {
                "fast45_rate": [0.95, 0.96, 0.94],
                "property_within_limit_rate": [0.5, 0.52, 0.48],
                "unstable": [0.0, 0.0, 0.0],
            }
        }
    )
    table = verdicts(summarise(kpis), kpis, "s").set_index("kpi")
    assert table.loc["fast45_rate", "status"] == "met"
    assert table.loc["property_within_limit_rate", "status"] == "not_met"
    assert table.loc["fast45_rate", "n"] == 3
    wobbly = kpis.assign(value=kpis["value"].where(~((kpis["kpi"] == "unstable") & (kpis["replication"] == 1)), 1.0))
    flagged = verdicts(summarise(wobbly), wobbly, "s").set_index("kpi")
    for kpi in ("fast45_rate", "property_within_limit_rate"):
        expected = "unstable" if closed_case_kpi(kpi) else table.loc[kpi, "status"]
        assert flagged.loc[kpi, "status"] == expected
    assert (flagged["unstable_replications"] == 1).all()


def test_the_comparison_pairs_replications_and_finds_a_real_difference() -> None:
    kpis = _kpis(
        {
            "base": {"fast45_rate": [0.30, 0.40, 0.35, 0.32]},
            "more": {"fast45_rate": [0.35, 0.45, 0.40]},  # one replication fewer: three pairs
        }
    )
    table = comparison(kpis, {}, "base", 1).set_index("kpi")
    row = table.loc["fast45_rate"]
    assert row["n"] == 3
    assert row["mean_diff"] == pytest.approx(0.05)
    assert bool(row["significant"])  # the same +5 points in every pair: no spread at all
    assert comparison(_kpis({"base": {"fast45_rate": [0.3]}, "more": {"fast45_rate": [0.4]}}), {}, "base", 1).empty


def test_utilisation_is_a_team_by_role_grid() -> None:
    kpis = _kpis({"s": {"util_fast_track_officer": [0.8, 0.9], "util_intake_clerk": [0.5, 0.5]}})
    grid = utilisation_grid(summarise(kpis), "s")
    assert grid.shape == (7, 4)
    assert grid.loc["快执团队 fast_track", "执行员 officer"] == pytest.approx(0.85)
    assert grid.loc["前置团队 intake", "书记员 clerk"] == pytest.approx(0.5)
    assert grid.isna().sum().sum() == 26


def _same_analysis(lean: RunAnalysis, held: RunAnalysis) -> None:
    """Every table of two analyses, bit for bit (one read a replication at a time, one all at once)."""
    assert lean.reps == held.reps and lean.label == held.label
    for name in ("kpis", "slas", "bottlenecks", "backlog", "stages", "days_to_close", "caseload", "zhongben"):
        pd.testing.assert_frame_equal(getattr(lean, name), getattr(held, name), check_exact=True, obj=name)
    for name in ("why_late", "monthly"):
        pd.testing.assert_frame_equal(getattr(lean, name), getattr(held, name), check_exact=True, obj=name)
    assert (lean.warmup is None) == (held.warmup is None)


@pytest.mark.slow  # 3 s on a quiet machine: two replications and a results folder
def test_the_analyses_read_one_replication_at_a_time_equal_those_read_at_once(tiny: Scenario, tmp_path: Path) -> None:
    job = Job({tiny.name: tiny}, RunSettings(seed=8, min_reps=2, max_reps=2, jobs=1), tmp_path).start()
    assert job.wait(120) and job.outcome is not None, job.snapshot().message
    results = load_results(job.outcome.folder)
    lean = one_at_a_time(results, tiny.name)
    assert type(lean.runs[tiny.name]).__name__ == "StoredRun" and lean.runs[tiny.name].replications == [0, 1]
    _same_analysis(analyse_run(lean, tiny.name), analyse_run(results, tiny.name))


@pytest.fixture(scope="module")
def tinier(tiny: Scenario) -> Scenario:
    """Shorter still for the bottleneck by effect, which runs (1 + posts) × reps replications."""
    return with_overrides(tiny, {"run.warmup_days": 5, "run.horizon_days": 25, "run.cooldown_days": 0})


@pytest.mark.slow  # 25 s on a quiet machine: (1 + 21 posts) × 2 replications, then the same from the cache
def test_the_bottleneck_job_runs_marginal_after_the_run_and_is_cached(tinier: Scenario, tmp_path: Path) -> None:
    jobs = Jobs(tmp_path)
    run = jobs.run({tinier.name: tinier}, RunSettings(seed=9, min_reps=2, max_reps=2, jobs=1))
    assert run.wait(120) and run.state == "finished"
    settings = MarginalSettings(seed=9, reps=2, jobs=1)
    job = jobs.marginal(tinier, settings)
    assert jobs.marginal(tinier, settings) is job  # the same job while it runs and once finished
    assert job.wait(300), "the bottleneck job did not end"
    snap = job.snapshot()
    assert snap.state == "finished", snap.message
    assert snap.done == snap.total == marginal_cost(tinier, 2)
    assert job.cached == 2  # the run's own replications, from its store
    assert job.computed == snap.total - 2
    assert job.result is not None
    ranking = job.result.ranking("fast45_rate")
    assert len(ranking) and list(ranking["gain"].dropna()) == sorted(ranking["gain"].dropna(), reverse=True)
    again = MarginalJob(tinier, settings, tmp_path).start()  # a new page process: every KPI from the caches
    assert again.wait(120) and again.state == "finished" and again.result is not None
    assert again.computed == 0 and again.cached == snap.total
    pd.testing.assert_frame_equal(again.result.table, job.result.table, check_exact=True)


def test_the_bottleneck_job_cancels(tinier: Scenario, tmp_path: Path) -> None:
    job = MarginalJob(tinier, MarginalSettings(seed=10, reps=2, jobs=1), tmp_path).start()
    deadline = time.monotonic() + 60
    while job.snapshot().done < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    job.cancel()
    assert job.wait(60)
    snap = job.snapshot()
    assert snap.state == "cancelled" and snap.done < snap.total and job.result is None
