"""A deliberately dirty export: every dropped or repaired row is listed, a scenario is written, no traceback."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from sim.calibration.fit import calibrate as fit_records
from sim.calibration.records import load_records
from sim.calibration.scenario_out import write_scenario
from sim.commands import calibrate
from sim.config.load import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DIRTY = ROOT / "tests" / "data" / "dirty_records.csv"
BASE = ROOT / "scenarios" / "dengzhou_2022.toml"
EXTRACTION = "2023-04-30"

# (line in the file, case number, field, action): every problem planted in tests/data/dirty_records.csv.
EXPECTED = {
    (24, "（2023）豫1381执6号", "case_no", "dropped"),  # exact duplicate
    (10, "（2023）豫1381执7号", "case_no", "dropped"),  # conflicting duplicate: the later row 25 wins
    (26, "（2023）豫1381执901号", "closed", "repaired"),  # closing before filing
    (27, "（2023）豫1381执902号", "filed", "dropped"),  # no filing date
    (28, "（2023）豫1381执903号", "filed", "dropped"),  # 2023-02-30
    (29, "（2023）豫1381执904号", "closed", "partly used"),  # closing date 下周
    (30, "（2023）豫1381执905号", "outcome", "partly used"),  # unknown outcome
    (31, "（2023）豫1381执906号", "outcome", "repaired"),  # 和解 read as 执行完毕
    (32, "（2023）豫1381执异5号", "case_no", "dropped"),  # an objection case
    (57, "豫1381执-77", "case_no", "repaired"),  # malformed number, type from 案件类型
    (58, "", "case_no", "dropped"),  # no case number
    (59, "（2023）豫1381执907号", "claim", "partly used"),  # 约十万
    (60, "（2023）豫1381执908号", "closed", "partly used"),  # outcome without a closing date
    (60, "（2023）豫1381执908号", "claim", "partly used"),  # negative amount
    (61, "（2023）豫1381执909号", "outcome", "partly used"),  # closed without an outcome
    (62, "（2023）豫1381执910号", "filed", "dropped"),  # filed after the extraction date
    (63, "（2023）豫1381执911号", "closed", "repaired"),  # closed after the extraction date
    (64, "（2023）豫1381执保90号", "case_type", "repaired"),  # 案件类型 disagrees with the number
}


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="courtsim")
    calibrate.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["calibrate", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_every_planted_problem_is_in_the_cleaning_report() -> None:
    records = load_records(DIRTY, pd.Timestamp(EXTRACTION).date())
    listed = {(r.row, r.case_no, r.field, r.action) for r in records.cleaning.itertuples()}
    assert listed == EXPECTED
    assert records.n_rows == 61  # 62 data lines, one of them blank
    assert records.n_dropped == sum(1 for e in EXPECTED if e[3] == "dropped")
    assert any("承办人" in n and "empty in every row" in n for n in records.notes)


def test_values_are_repaired_as_documented() -> None:
    cases = load_records(DIRTY, pd.Timestamp(EXTRACTION).date()).cases.set_index("case_no")
    assert cases.loc["（2023）豫1381执1号", "claim_cny"] == pytest.approx(71600.0)  # 7.16万元
    assert cases.loc["（2023）豫1381执904号", "claim_cny"] == pytest.approx(1_234_567.0)  # 1,234,567元
    # Excel serial 44984 (45000 is 2023-03-15):
    assert cases.loc["（2023）豫1381执3号", "closed"] == pd.Timestamp("2023-02-27")
    assert cases.loc["（2023）豫1381执906号", "outcome"] == "completed"  # 和解
    assert cases.loc["（2023）豫1381执901号", "status"] == "closed_undated"  # closing before filing
    assert cases.loc["（2023）豫1381执911号", "status"] == "open"  # closed after the extraction date
    assert cases.loc["（2023）豫1381执保90号", "case_type"] == "preservation"
    assert cases.loc["（2023）豫1381执7号", "closed"] == pd.Timestamp("2023-03-30")  # the later of two closed rows


def test_dirty_file_gives_a_scenario_and_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = tmp_path / "dirty.toml", tmp_path / "dirty.html"
    code, stdout, stderr = call(
        capsys,
        str(DIRTY),
        "--base",
        str(BASE),
        "--out",
        str(out),
        "--report",
        str(report),
        "--extraction-date",
        EXTRACTION,
        "--cleaning",
        str(tmp_path / "cleaning.csv"),
    )
    assert (code, stderr) == (0, "")
    scenario = load_scenario(out)
    assert scenario.arrivals.source_of("cases_per_year").startswith("fitted from dirty_records.csv, n=54, ")
    assert scenario.tasks == load_scenario(BASE).tasks  # effort hours are not identifiable: inherited
    for line, case_no, _, _ in EXPECTED:
        assert f"row {line:>6} {case_no}" in stdout
    html = report.read_text(encoding="utf-8")
    for _, case_no, _, _ in EXPECTED:
        assert case_no in html
    assert "Traceback" not in stdout + stderr
    assert len(pd.read_csv(tmp_path / "cleaning.csv")) == len(EXPECTED)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        ("姓名,金额\n张三,5\n".encode(), "required column missing"),
        (
            "案号,立案日期\n（2023）豫1381执异1号,2023-01-05\n".encode(),
            "no usable case rows: all 1 dropped (commonest reasons: 1 × ",
        ),
        ("案号,立案日期,结案日期\n".encode(), "no case rows: the file has no rows below its header"),
        ("案号,立案日期,结案日期\n,,\n,,\n".encode(), "no case rows: the file has only empty rows below its header"),
    ],
)
def test_unusable_files_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, _, stderr = call(capsys, str(path), "--base", str(BASE), "--out", str(tmp_path / "x.toml"))
    assert code == 2
    assert message in stderr
    assert stderr.startswith("错误 error: ")
    assert "Traceback" not in stderr
    assert not (tmp_path / "x.toml").exists()


def test_export_without_outcomes_fits_only_what_it_can(tmp_path: Path) -> None:
    """Only 案号 and 立案日期: arrivals and mix are fitted; nothing about outcomes is made up."""
    path = tmp_path / "minimal.csv"
    days = [f"2023-{1 + i // 20:02d}-{1 + i % 20:02d}" for i in range(60)]
    lines = ["案号,立案日期"] + [f"（2023）豫1381执{i + 1}号,{day}" for i, day in enumerate(days)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cal = fit_records(load_records(path), load_scenario(BASE))
    assert {e.field for e in cal.written()} == {"cases_per_year", "case_mix"}
    reject = next(e for e in cal.estimates if e.field == "filing_reject_rate")
    assert "no 结案方式 (outcome) column" in reject.note


def test_existing_output_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine.toml"
    out.write_text("# hand edited\n")
    code, _, stderr = call(capsys, str(DIRTY), "--base", str(BASE), "--out", str(out), "--no-report")
    assert code == 2
    assert "--overwrite" in stderr
    assert out.read_text() == "# hand edited\n"


def test_an_absurd_claim_is_left_out_of_the_fit_and_the_scenario_still_writes(tmp_path: Path) -> None:
    """A claim of 1e308 among ordinary ones made the fitted scenario invalid (issue 18 item 15)."""
    path = tmp_path / "absurd.csv"
    days = [f"2023-{1 + i // 20:02d}-{1 + i % 20:02d}" for i in range(200)]
    claims = ["1e308" if i == 7 else str(5000 + 137 * i) for i in range(200)]
    lines = ["案号,立案日期,申请执行标的"]
    lines += [
        f"（2023）豫1381执{i + 1}号,{day},{claim}" for i, (day, claim) in enumerate(zip(days, claims, strict=True))
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = load_records(path, pd.Timestamp("2023-12-31").date())
    reasons = records.cleaning.set_index("row")["reason"]
    assert "implausible amount" in reasons[9]  # row 9 of the file: the header is row 1
    cal = fit_records(records, load_scenario(BASE))
    assert cal.amounts is not None and cal.amounts.values.size == 199
    base = tmp_path / "base.toml"
    base.write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
    write_scenario(cal, base, tmp_path / "out.toml")  # validated with its base
