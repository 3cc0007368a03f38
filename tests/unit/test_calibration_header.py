"""A title row above the header is skipped (detected, or ``--header-row``), and the report says so."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pytest

from sim.calibration.records import load_records
from sim.calibration.table import RecordsError, read_table

HEADER = "案号,立案日期,结案日期,结案方式,申请执行标的"
ROWS = [
    "（2023）豫1381执1号,2023-01-03,2023-02-10,执行完毕,5000",
    "（2023）豫1381执2号,2023-01-04,,,8000",
]


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_title_row_above_the_header_is_detected_and_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "邓州市人民法院执行案件一览表（2023年）", "导出时间：2024-01-02", HEADER, *ROWS)
    records = load_records(path, date(2023, 12, 31))
    assert records.cases["case_no"].tolist() == ["（2023）豫1381执1号", "（2023）豫1381执2号"]
    assert records.cases["row"].tolist() == [4, 5]  # line numbers of the file
    assert records.notes[0].startswith("2 row(s) above the header skipped as a title: '邓州市人民法院执行案件一览表")


def test_the_header_row_can_be_given(tmp_path: Path) -> None:
    # A second header-like row above the real one: detection would take the first.
    path = _write(tmp_path, "案号,立案日期", HEADER, *ROWS)
    assert read_table(path).header == ["案号", "立案日期"]
    table = read_table(path, header_row=2)
    assert table.header == HEADER.split(",")
    assert table.row_numbers == [3, 4]
    with pytest.raises(RecordsError, match="--header-row 9 is not a row of the table"):
        read_table(path, header_row=9)
    with pytest.raises(RecordsError, match="the header row must be 1 or more"):
        read_table(path, header_row=0)


def test_without_a_header_in_the_top_rows_the_missing_columns_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "标题", "a,b,c", "1,2,3")
    with pytest.raises(RecordsError, match=r"required column missing \(case_no: one of 案号"):
        load_records(path)


def test_an_xlsx_title_row_in_a_merged_cell_is_skipped(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["邓州市人民法院执行案件（2023年）"])
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(HEADER.split(","))
    for row in ROWS:
        sheet.append(row.split(","))
    path = tmp_path / "export.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.header == HEADER.split(",")
    assert table.title_rows == ["邓州市人民法院执行案件（2023年）"]
    assert table.row_numbers == [4, 5]
    assert read_table(path, header_row=3).header == HEADER.split(",")


def test_the_commands_take_header_row() -> None:
    from sim.cli import build_parser

    parser = build_parser()
    for command in ("calibrate", "check-fit"):
        argv = (
            [command, "x.toml", "y.csv"]
            if command == "check-fit"
            else [command, "y.csv", "--base", "x.toml", "--out", "z.toml"]
        )
        args = parser.parse_args([*argv, "--header-row", "3"])
        assert isinstance(args, argparse.Namespace)
        assert args.header_row == 3
