"""The experiment commands as a user runs them: output, JSON, results folders, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from tests.conftest import SCENARIOS

TINY = "[run]\nwarmup_days = 10\nhorizon_days = 50\ncooldown_days = 10\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The baseline and fast_plus2 shortened to a few weeks, as scenario files."""
    folder = tmp_path_factory.mktemp("scenarios")
    paths = {}
    for name in ("dengzhou_2022", "fast_plus2"):
        path = folder / f"{name}.toml"
        path.write_text(f'base = "{(SCENARIOS / f"{name}.toml").as_posix()}"\n{TINY}', encoding="utf-8")
        paths[name] = str(path)
    return paths


def test_compare_prints_paired_differences_and_writes_a_folder(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache, out = str(tmp_path / "cache"), tmp_path / "out"
    argv = ["compare", files["dengzhou_2022"], files["fast_plus2"], "--reps", "2", "--jobs", "1", "--cache", cache]
    assert main([*argv, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "fast_plus2 − dengzhou_2022: 2 paired replications" in text
    first = next(line for line in text.splitlines() if "fast-track 45-day closure rate" in line)
    assert first.split()[0] == "简案45日内结案率"  # Chinese first, the English beside it
    assert "utilisation, fast_track officer" in text
    assert " pp [" in text
    assert {"paired_differences.csv", "kpis_by_rep.csv", "manifest.json"} <= {p.name for p in out.iterdir()}
    assert main([*argv, "--json", "-q"]) == 0  # all from the cache this time
    data = json.loads(capsys.readouterr().out)
    row = data["comparisons"]["fast_plus2"]["util_fast_track_officer"]
    assert row["mean_diff"] < 0
    assert row["ci_low"] <= row["mean_diff"] <= row["ci_high"]
    assert row["zh"] == "利用率·快执团队·执行员"
    assert data["base"] == "dengzhou_2022"


def test_sweep_capacity_and_staff_run_end_to_end(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--reps", "2", "--jobs", "1", "--cache", str(tmp_path / "cache"), "-q"]
    base = files["dengzhou_2022"]
    assert main(["sweep", base, "--set", "staffing.fast_track.officers=4,5", "--kpi", "fast45_rate", *common]) == 0
    text = capsys.readouterr().out
    assert "staffing.fast_track.officers" in text
    assert "简案45日内结案率" in text
    assert (
        main(["capacity", base, "--target", "util_intake_officer<=0.95", "--high", "1.5", "--tol", "0.3", *common]) == 0
    )
    text = capsys.readouterr().out
    assert "capacity of dengzhou_2022 for util_intake_officer<=0.95" in text
    assert "cases/year" in text
    assert main(["staff", base, "--target", "util_intake_officer<=0.5", "--add", "1", "--top-k", "2", *common]) == 0
    text = capsys.readouterr().out
    assert "+1 officer intake" in text
    assert "trade-off explored" in text
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:2] == ["岗位", "post"])
    assert lines[head].split()[-3:] == ["base", "proposed", "change"]  # headed columns
    assert lines[head + 1].split()[:3] == ["前置团队·执行员", "intake", "officer"] and lines[head + 1].endswith("+1")
    step = next(line for line in lines if line.split()[:3] == ["step", "change", "staff"])  # the path is headed too
    assert "util_intake_officer mean" in step and "status" in step


def test_staff_and_capacity_write_sealed_folders_with_reports(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.experiments.results import verify_folder

    common = ["--reps", "2", "--jobs", "1", "--cache", str(tmp_path / "cache"), "-q"]
    base = files["dengzhou_2022"]
    staff_out, capacity_out = tmp_path / "staff", tmp_path / "capacity"
    argv = ["staff", base, "--target", "util_intake_officer<=0.5", "--add", "1", "--top-k", "2", *common]
    assert main([*argv, "--out", str(staff_out)]) == 0
    manifest = verify_folder(staff_out)  # sealed: every file listed with its checksum
    assert manifest["command"] == "staff" and manifest["targets"] == ["util_intake_officer<=0.5"]
    assert {"staff_staffing.csv", "staff_path.csv", "staff.json", "kpis_by_rep.csv"} <= set(manifest["files"])
    assert main([*argv, "--out", str(staff_out)]) == 2  # not over a finished folder without --overwrite
    assert "--overwrite" in capsys.readouterr().err
    assert main(["report", str(staff_out)]) == 0
    page = (staff_out / "report.html").read_text(encoding="utf-8")
    assert "人员配置搜索报告" in page and "不稳定" in page and "courtsim staff" in page
    assert page.count("data:image/svg+xml;base64,") == 1
    argv = ["capacity", base, "--target", "util_intake_officer<=0.95", "--high", "1.5", "--tol", "0.3", *common]
    assert main([*argv, "--out", str(capacity_out)]) == 0
    manifest = verify_folder(capacity_out)
    assert manifest["command"] == "capacity" and "capacity_loads.csv" in manifest["files"]
    loads = (capacity_out / "capacity_loads.csv").read_text(encoding="utf-8").splitlines()[0]
    assert loads.endswith(",unstable")
    assert main(["report", str(capacity_out)]) == 0
    page = (capacity_out / "report.html").read_text(encoding="utf-8")
    assert "承载能力报告" in page and "所试负荷" in page and "courtsim capacity" in page


@pytest.mark.slow
def test_levers_runs_end_to_end_prints_json_and_writes_a_sealed_folder(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.experiments.results import verify_folder

    out = tmp_path / "levers"
    argv = ["levers", files["dengzhou_2022"], "--target", "fast45_rate>=0.9", "--reps", "2", "--jobs", "1"]
    argv += ["--cache", str(tmp_path / "cache"), "-q"]
    assert main([*argv, "--json", "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    kinds = {row["kind"] for row in data["levers"]}
    assert {"staffing", "triage_rules", "reform", "dispatch", "handlers"} <= kinds
    assert all(row["n"] == 2 for row in data["levers"]) and data["ceilings"][0]["target"] == "fast45_rate>=0.9"
    manifest = verify_folder(out)
    assert manifest["command"] == "levers" and {"levers.csv", "levers.json"} <= set(manifest["files"])
    assert main(["report", str(out)]) == 2  # no HTML report of its own, said in plain words
    assert "杠杆搜索的结果没有网页报告" in capsys.readouterr().err


def test_marginal_prints_the_verdict_and_a_table_and_writes_a_folder(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache, out = str(tmp_path / "cache"), tmp_path / "out"
    argv = ["marginal", files["dengzhou_2022"], "--post", "fast_track.officer", "--post", "intake.officer"]
    argv += ["--reps", "2", "--jobs", "1", "--cache", cache]
    assert main([*argv, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "6 replications: (1 + 2 posts × 1) × 2" in captured.err
    lines = captured.out.splitlines()
    verdict = next(i for i, line in enumerate(lines) if line.startswith("结论"))
    assert lines[verdict + 1].startswith("verdict: ")
    assert all(line.startswith("!!") or not line for line in lines[:verdict])  # only the instability warning before
    assert "简案45日内结案率 fast-track 45-day closure rate (fast45_rate)" in captured.out
    rows = [line for line in lines if "快执团队·执行员 fast_track.officer +1" in line]
    assert len(rows) == 4  # one per KPI printed
    assert "4→5" in rows[0] and " pp [" in rows[0] and "% → " in rows[0]
    header = next(line for line in lines if "岗位 post" in line)
    assert header.index("人数 n") > 0  # headed columns
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "marginal"
    assert set(manifest["variants"]) == {"fast_track.officer+1", "intake.officer+1"}
    assert {"marginal.csv", "kpis_by_rep.csv", "kpis_summary.csv"} <= set(manifest["files"])
    assert main(["report", str(out)]) == 2  # no HTML report of its own, said in plain words
    assert "增减一人的结果没有网页报告" in capsys.readouterr().err
    assert main([*argv, "--json", "-q"]) == 0  # all from the cache this time
    data = json.loads(capsys.readouterr().out)
    assert data["verdict_zh"].startswith("结论")
    row = next(r for r in data["table"] if r["kpi"] == "fast45_rate" and r["team"] == "fast_track")
    assert row["ci_low"] <= row["mean_diff"] <= row["ci_high"] and row["headcount"] == 4
    assert 0 < row["utilisation"] <= 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "{base}", "missing.toml"], "cannot read the file"),
        (["compare", "{base}", "{base}"], "also named 'dengzhou_2022'"),
        (["sweep", "{base}", "--set", "arrivals.cases_per_yr=6000"], "expected one of: behaviour_rate, case_mix"),
        (["sweep", "{base}", "--set", "staffing.fast_track.officers=-1"], "staffing.fast_track.officers"),
        (["capacity", "{base}", "--target", "fast_rate>=0.9"], "unknown KPI 'fast_rate'"),
        (
            ["staff", "{base}", "--target", "fast45_rate>=0.9", "--redistribute", "officer", "--confidence", "2"],
            "--confidence",
        ),
        (["compare", "{base}", "{other}", "--scheduler", "nowhere"], "cannot start the backend"),
        (["marginal", "{base}", "--post", "fast_track"], "expected TEAM.ROLE with TEAM one of"),
        (["marginal", "{base}", "--post", "fast_track.judges"], "ROLE one of judge, officer, clerk, bailiff"),
        (["marginal", "{base}", "--kpi", "fast_rate"], "unknown KPI fast_rate"),
        (["marginal", "{base}", "--reps", "1"], "at least 2"),
    ],
)
def test_user_errors_exit_2_with_a_message(
    files: dict[str, str], argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.format(base=files["dengzhou_2022"], other=files["fast_plus2"]) for a in argv]
    assert main([*args, "--no-cache", "-q"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_a_sweep_folder_keeps_the_seed_it_used(files: dict[str, str], tmp_path: Path) -> None:
    """Without --seed the manifest records the scenario's run.seed, not null (issue 14 item 7)."""
    out = tmp_path / "sweep"
    argv = ["sweep", files["dengzhou_2022"], "--set", "staffing.fast_track.officers=4,5", "--reps", "1"]
    assert main([*argv, "--jobs", "1", "--no-cache", "-q", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 20220525  # dengzhou_2022's run.seed
