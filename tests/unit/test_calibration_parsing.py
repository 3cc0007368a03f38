"""Reading the cells of a case export: dates, amounts, case numbers, outcomes, headers, files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from sim.calibration import parsing as p
from sim.calibration.records import RecordsError, load_records
from sim.calibration.table import map_columns, read_table
from sim.vocab import CaseType, Outcome


@pytest.mark.parametrize(
    "cell",
    [
        "2022-05-25",
        "2022/5/25",
        "2022年5月25日",
        "2022.05.25",
        "20220525",
        "2022-05-25 14:30:00",
        "２０２２年５月２５日",
        44706,
        44706.0,
        "44706",
        datetime(2022, 5, 25, 9, 0),  # noqa: DTZ001 -- spreadsheet cells are naive
        date(2022, 5, 25),
    ],
)
def test_every_common_date_form_reads_as_the_same_day(cell: object) -> None:
    assert p.parse_date(cell) == (date(2022, 5, 25), "")


@pytest.mark.parametrize("cell", ["2022-02-30", "5/25/2022", "下周", "12345", "1899-01-01"])
def test_unreadable_dates_give_a_reason_not_a_guess(cell: str) -> None:
    value, problem = p.parse_date(cell)
    assert value is None
    assert problem


def test_blank_cells_are_missing_without_a_problem() -> None:
    assert p.parse_date("") == (None, "")
    assert p.parse_date(None) == (None, "")
    assert p.parse_amount(float("nan")) == (None, "")


@pytest.mark.parametrize(
    ("cell", "unit", "yuan"),
    [
        ("12,345.6", 1.0, 12345.6),
        ("12345元", 1.0, 12345.0),
        ("1.2万元", 1.0, 12000.0),
        ("3万", 1.0, 30000.0),
        ("¥3,000", 1.0, 3000.0),
        ("￥3，000", 1.0, 3000.0),
        ("0.5亿元", 1.0, 5e7),
        ("2.5", 1e4, 25000.0),
        (7, 1.0, 7.0),
        ("0", 1.0, 0.0),
    ],
)
def test_amounts_in_yuan_wan_and_with_separators(cell: object, unit: float, yuan: float) -> None:
    value, problem = p.parse_amount(cell, unit)
    assert problem == ""
    assert value == pytest.approx(yuan)


@pytest.mark.parametrize("cell", ["约十万", "-500", "1e400", "1e308", 1e308, "2000000亿元"])
def test_bad_amounts_are_refused(cell: str) -> None:
    value, problem = p.parse_amount(cell)
    assert value is None
    assert problem


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("（2023）豫1381执1234号", CaseType.FIRST),
        ("(2023)豫1381执恢12号", CaseType.RESUMED),
        ("〔2022〕豫1381执保7号", CaseType.PRESERVATION),
        ("（2023） 豫1381 执 5 号", CaseType.FIRST),
    ],
)
def test_case_number_prefix_gives_the_type(text: str, kind: CaseType) -> None:
    number, problem = p.parse_case_number(text)
    assert problem == ""
    assert number is not None
    assert p.CASE_KINDS[number.kind] is kind


def test_objections_and_civil_cases_are_not_implementation_cases() -> None:
    assert "objection" in p.parse_case_number("（2023）豫1381执异5号")[1]
    assert "not an enforcement case" in p.parse_case_number("（2023）豫1381民初5号")[1]
    assert p.parse_case_number("豫1381执-77") == (None, p.parse_case_number("豫1381执-77")[1])


@pytest.mark.parametrize(
    ("label", "outcome", "noted"),
    [
        ("执行完毕", Outcome.COMPLETED, False),
        ("终结本次执行程序", Outcome.ZHONGBEN, False),
        ("终本", Outcome.ZHONGBEN, False),
        ("终结执行", Outcome.TERMINATED, False),
        ("不予执行", Outcome.NOT_ENFORCED, False),
        ("驳回申请", Outcome.REJECTED, False),
        ("驳回", Outcome.REJECTED, False),
        ("销案", Outcome.WITHDRAWN, False),
        ("和解", Outcome.COMPLETED, True),
        ("撤回申请", Outcome.TERMINATED, True),
        ("completed", Outcome.COMPLETED, False),
    ],
)
def test_outcome_labels(label: str, outcome: Outcome, noted: bool) -> None:
    got, note, problem = p.parse_outcome(label)
    assert (got, bool(note), problem) == (outcome, noted, "")


def test_unknown_outcome_is_a_problem() -> None:
    assert p.parse_outcome("移送破产审查")[2] == "unknown outcome '移送破产审查'"


@pytest.mark.parametrize(
    ("team", "track"),
    [
        ("快执团队", "fast"),
        ("执行三团队", "standard"),
        ("精执团队", "standard"),
        ("“三统一”管理团队", "oversight"),
        ("执行指挥中心", "none"),
        ("综合科", ""),
    ],
)
def test_team_names_point_to_tracks(team: str, track: str) -> None:
    assert p.track_of_team(team) == track


def test_english_headers_and_a_unit_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "en.csv"
    path.write_text(
        "case_no;filed;closed;outcome;claim (万元);recovered\n"
        "(2023)豫1381执1号;2023-01-05;2023-02-01;completed;1.5;15000\n",
        encoding="utf-8",
    )
    columns, units, _ = map_columns(read_table(path))
    assert set(columns) == {"case_no", "filed", "closed", "outcome", "claim", "recovered"}
    assert units == {"claim": 1e4}
    records = load_records(path)
    assert records.cases.loc[0, "claim_cny"] == pytest.approx(15000.0)


def test_gbk_encoded_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        "案号,立案日期,结案日期,结案方式\n（2023）豫1381执1号,2023-01-05,2023-02-01,执行完毕\n".encode("gbk")
    )
    records = load_records(path)
    assert records.cases.loc[0, "outcome"] == "completed"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02garbage\xff\xfe", "NUL bytes"),
        (b"\x81\x30\xff\xff,\x80", "not text in UTF-8 or GB18030"),
        ("姓名,金额\n张三,5\n".encode(), "required column missing"),
        (b"# only a comment\n", "no header row"),
        (b"PK\x03\x04rest", "give it the .xlsx extension"),
    ],
)
def test_unreadable_files_name_the_problem(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(RecordsError, match=message):
        load_records(path)


def test_utf16_tab_separated_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("案号\t立案日期\n（2023）豫1381执1号\t2023/1/5\n".encode("utf-16"))
    assert load_records(path).cases.loc[0, "filed"].date() == date(2023, 1, 5)


def test_missing_file_and_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(RecordsError, match="no such file"):
        load_records(tmp_path / "nothing.csv")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(RecordsError, match="unknown file type"):
        load_records(tmp_path / "x.json")


def test_xlsx_is_read_with_openpyxl(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["# exported 2023-03-01"])
    sheet.append(["案号", "立案日期", "结案日期", "结案方式", "申请执行标的（万元）"])
    sheet.append(["（2023）豫1381执1号", datetime(2023, 1, 5), 44958, "执行完毕", 2.5])  # noqa: DTZ001 -- as Excel stores it
    path = tmp_path / "cases.xlsx"
    book.save(path)
    records = load_records(path)
    row = records.cases.iloc[0]
    assert (row["row"], row["filed"].date(), row["closed"].date()) == (3, date(2023, 1, 5), date(2023, 2, 1))
    assert row["claim_cny"] == pytest.approx(25000.0)


def test_xlsx_without_openpyxl_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_openpyxl(name: str, *args: object, **kwargs: object) -> object:
        if name == "openpyxl":
            raise ImportError("no openpyxl")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_openpyxl)
    path = tmp_path / "cases.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(RecordsError, match="pip install openpyxl"):
        load_records(path)
