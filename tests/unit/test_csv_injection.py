"""CSV formula injection: no cell the tool writes is run by a spreadsheet as a formula.

Before, the calibration cleaning report and ``synth-records`` wrote cells such as
``=HYPERLINK("http://evil","click")`` from their input unescaped. Every CSV now goes
through :func:`sim.io.write_csv`, which prefixes such text with an apostrophe (OWASP).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.calibration import load_records
from sim.cli import main
from sim.io import safe_cell, safe_table, write_csv
from tests.conftest import SCENARIOS

PAYLOADS = ['=HYPERLINK("http://evil","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "＝1+1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_is_shown_not_run(payload: str) -> None:
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["-3", "-0.25", "+4", "-1e5", "abc", "", "a=b", 7, -3.5, None])
def test_numbers_and_plain_text_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value


def test_a_table_is_escaped_cell_by_cell_and_unchanged_when_clean(tmp_path: Path) -> None:
    clean = pd.DataFrame({"scenario": ["a", "b"], "value": [-1.5, 2.0]})
    assert safe_table(clean) is clean
    dirty = pd.DataFrame({"=evil": PAYLOADS, "n": range(len(PAYLOADS))})
    dirty["kind"] = pd.Categorical(["@x"] * len(PAYLOADS))
    write_csv(tmp_path / "t.csv", dirty)
    back = pd.read_csv(tmp_path / "t.csv", keep_default_na=False)
    assert list(back.columns) == ["'=evil", "n", "kind"]
    assert all(cell.startswith("'") for cell in back["'=evil"]) and set(back["kind"]) == {"'@x"}
    assert back["n"].tolist() == list(range(len(PAYLOADS)))
    assert dirty.iloc[0, 0] == PAYLOADS[0]  # the caller's table is not changed


def test_synth_records_escape_a_hostile_court_code(tmp_path: Path) -> None:
    out = tmp_path / "records.csv"
    scenario = str(SCENARIOS / "dengzhou_2022.toml")
    assert main(["synth-records", scenario, "--years", "0.1", "--out", str(out), "--court", "=HYPERLINK(1)"]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "=HYPERLINK" in text
    assert all(not cell.startswith("=") for line in text.splitlines()[1:] for cell in line.split(","))


def test_the_cleaning_report_escapes_values_from_the_records(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    header = "案号,案件类型,立案日期,结案日期,结案方式,申请执行标的,实际到位金额,承办部门,承办人,备注\n"
    rows = ['=HYPERLINK("http://evil"),首执,2024-01-05,,,1000,,,,\n', "(2024)豫1381执1号,首执,2024-01-05,,,1000,,,,\n"]
    records.write_text(header + "".join(rows), encoding="utf-8")
    cleaning = load_records(records).cleaning
    assert cleaning["case_no"].astype(str).str.startswith("=").any()  # the payload did reach the report
    write_csv(tmp_path / "cleaning.csv", cleaning, encoding="utf-8-sig")
    back = pd.read_csv(tmp_path / "cleaning.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert not any(cell.startswith(("=", "+", "@")) for column in back for cell in back[column])
