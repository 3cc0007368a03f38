"""``courtsim synth-records``, ``calibrate`` and ``check-fit`` end to end on a small court."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from sim.calibration.checkfit import km_distance
from sim.calibration.synth import COLUMNS
from sim.cli import build_parser, main
from sim.vocab import OUTCOME_ZH

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "dengzhou_2022.toml"
EXAMPLE = ROOT / "scenarios" / "records" / "example_synthetic.csv"
CASE_NO = re.compile(r"^（20\d\d）豫1381执(恢|保)?\d+号$")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A small court: the baseline at 1,000 cases a year."""
    path = tmp_path / "small.toml"
    base = os.path.relpath(BASE, tmp_path).replace(os.sep, "/")
    path.write_text(f'base = "{base}"\nname = "small"\n\n[arrivals]\ncases_per_year = 1000\n', encoding="utf-8")
    return path


def courtsim(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_commands_are_registered() -> None:
    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"calibrate", "check-fit", "synth-records"} <= set(choices)


def test_synthetic_records_look_like_an_export(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "records.csv"
    code, stdout, stderr = courtsim(
        capsys, "synth-records", str(small), "--years", "0.4", "--out", str(out), "--seed", "3"
    )
    assert (code, stderr) == (0, "")
    assert stdout.startswith("wrote ")
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("# 合成数据 SYNTHETIC")
    assert "extraction_date=" in lines[0]
    rows = list(csv.DictReader(lines[1:]))
    assert list(rows[0]) == COLUMNS
    assert all(CASE_NO.match(r["案号"]) for r in rows)
    assert len({r["案号"] for r in rows}) == len(rows)
    open_rows = [r for r in rows if not r["结案日期"]]
    assert open_rows
    assert all(r["结案方式"] == "" for r in open_rows)
    assert all(r["实际到位金额"] == "" for r in open_rows)
    assert {r["结案方式"] for r in rows} - {""} <= set(OUTCOME_ZH.values())
    assert all(float(r["申请执行标的"]) >= 0 for r in rows)
    assert all(r["synthetic"] == "1" for r in rows)
    again = tmp_path / "again.csv"
    assert courtsim(capsys, "synth-records", str(small), "--years", "0.4", "--out", str(again), "--seed", "3")[0] == 0
    assert again.read_bytes() == out.read_bytes()  # same seed, same records
    code, _, stderr = courtsim(capsys, "synth-records", str(small), "--years", "0.4", "--out", str(out))
    assert code == 2
    assert "--overwrite" in stderr


@pytest.mark.parametrize("years", ["0.001", "0", "21", "a year"])
def test_years_outside_what_the_help_allows_are_refused_by_the_option(
    small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], years: str
) -> None:
    """``--years 0.001`` (a third of a day) validated and then failed on ``run.horizon_days`` (issue 18 item 15)."""
    with pytest.raises(SystemExit) as stop:  # argparse refuses the option
        main(["synth-records", str(small), "--years", years, "--out", str(tmp_path / "r.csv")])
    stderr = capsys.readouterr().err
    assert stop.value.code == 2
    assert "--years" in stderr and "horizon_days" not in stderr
    assert not (tmp_path / "r.csv").exists()


def test_calibrate_then_check_fit(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "records.csv"
    assert courtsim(capsys, "synth-records", str(small), "--years", "0.5", "--out", str(records))[0] == 0
    calibrated = tmp_path / "calibrated.toml"
    code, stdout, stderr = courtsim(capsys, "calibrate", str(records), "--base", str(small), "--out", str(calibrated))
    assert (code, stderr) == (0, "")
    assert "[SYNTHETIC 合成数据]" in stdout
    assert "arrivals.cases_per_year" in stdout
    assert (tmp_path / "calibrated.calibration.html").read_text(encoding="utf-8").count("data:image/png") >= 5
    html = tmp_path / "check.html"
    code, stdout, stderr = courtsim(
        capsys, "check-fit", str(calibrated), str(records), "--reps", "2", "--html", str(html)
    )
    assert (code, stderr) == (0, "")
    for name in ("执行到位率", "终本率", "结案用时KM曲线最大差距", "月收案相对误差"):
        assert name in stdout
    # The columns are named as in Python's FitCheck.table, and every statistic has a verdict.
    header = next(line for line in stdout.splitlines() if line.strip().startswith("metric"))
    for column in ("records", "sim_mean", "sim_min", "sim_max", "gap", "chance", "limit", "verdict"):
        assert column in header
    assert re.search(r"verdict: \d+ of 10 pass", stdout)
    page = html.read_text(encoding="utf-8")
    assert page.count("data:image/png") == 3
    assert not re.search(r'(src|href)="https?:', page)  # self-contained: nothing loaded from the network


def test_check_fit_user_errors(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = courtsim(capsys, "check-fit", str(small), str(tmp_path / "missing.csv"))
    assert code == 2
    assert "no such file" in stderr
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "broken"\n', encoding="utf-8")
    code, _, stderr = courtsim(capsys, "check-fit", str(broken), str(EXAMPLE))
    assert code == 2
    assert "problem" in stderr
    code, _, stderr = courtsim(capsys, "check-fit", str(small), str(EXAMPLE), "--reps", "0")
    assert code == 2
    assert "--reps" in stderr


def test_shipped_example_is_small_marked_and_readable() -> None:
    from sim.calibration.records import load_records

    assert EXAMPLE.stat().st_size < 1_000_000
    records = load_records(EXAMPLE)
    assert records.synthetic
    assert records.cleaning.empty
    assert 300 <= (records.extraction_date - records.start_date).days <= 370


def test_km_distance_is_the_largest_vertical_gap() -> None:
    import numpy as np

    a = (np.array([1.0, 2.0, 3.0]), np.array([0.8, 0.5, 0.0]))
    b = (np.array([2.0, 4.0]), np.array([0.6, 0.1]))
    # At t in [3, 4): a is 0.0, b is 0.6.
    assert km_distance(a, b) == pytest.approx(0.6)
    assert km_distance(a, a) == 0.0
