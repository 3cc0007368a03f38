"""Reading a case export a chunk at a time gives what reading it whole gives (issue 18 item 11).

A million-row export is read and cleaned in chunks (``sim.calibration.table.CHUNK_ROWS``)
so that its raw cells are never all in memory. Nothing may depend on where a chunk ends:
duplicates across chunks, empty columns, the extraction date and every fitted number
are the same with a chunk of 7 rows as with the whole file at once.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.fit import calibrate
from sim.calibration.records import clean, load_records
from sim.calibration.table import CHUNK_ROWS, open_table, read_table
from sim.cli import main
from sim.commands import calibrate as command
from sim.config.load import load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scenarios" / "records" / "example_synthetic.csv"
BASE = ROOT / "scenarios" / "dengzhou_2022.toml"


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 rows of the example export, spoilt in every way the cleaning report lists,
    with repeats of a case number far apart (in different chunks)."""
    with EXAMPLE.open(encoding="utf-8-sig", newline="") as file:
        comment = file.readline()
        table = list(csv.reader(file))
    header, body = table[0], table[1:3000]
    at = {name: i for i, name in enumerate(header)}
    rnd = np.random.default_rng(11)
    rows: list[list[str]] = []
    for row in body:
        row = [*row, "", "已核对" if not rows else ""]  # a column empty throughout, one filled once
        spoil = int(rnd.integers(20))
        if spoil == 0:
            row[at["立案日期"]] = "2023/13/45"
        elif spoil == 1:
            row[at["结案日期"]] = "2020-01-01"
        elif spoil == 2:
            row[at["结案方式"]] = "和解"
        elif spoil == 3:
            row[at["案号"]] = row[at["案号"]].replace("执", "执异", 1)
        elif spoil == 4:
            row[at["申请执行标的"]] = "=HYPERLINK(1)"
        elif spoil == 5:
            row[at["立案日期"]] = "2031-01-01"  # after the extraction date
        rows.append(row)
        if spoil == 6:
            rows.append([""] * len(row))
    for pick in rnd.choice(1500, size=60, replace=False):  # repeats 1,500 rows or more after the first
        row = rows[int(pick)]
        repeat = list(row)
        if rnd.random() < 0.5:
            repeat[at["结案日期"]], repeat[at["结案方式"]] = "", ""
        rows.append(repeat)
    path = tmp_path_factory.mktemp("chunks") / "dirty.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(comment)
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow([*header, "空列", "备注"])
        writer.writerows(rows)
    return path


def test_tiny_chunks_clean_and_fit_as_the_whole_file(dirty: Path) -> None:
    whole = load_records(dirty, chunk_rows=10**9)
    chunked = load_records(dirty, chunk_rows=7)
    table = read_table(dirty)
    in_memory = clean(table, date.fromisoformat(table.comment_extraction_date() or ""))
    assert len(whole.cleaning) > 300 and set(whole.cleaning["action"]) == {"dropped", "repaired", "partly used"}
    assert any("conflicts with row" in r for r in whole.cleaning["reason"])
    assert any("identical to row" in r for r in whole.cleaning["reason"])
    for other in (chunked, in_memory):
        pd.testing.assert_frame_equal(other.cases, whole.cases)
        pd.testing.assert_frame_equal(other.cleaning, whole.cleaning)
        assert other.notes == whole.notes
        assert (other.n_rows, other.extraction_date, other.fields) == (
            whole.n_rows,
            whole.extraction_date,
            whole.fields,
        )
    empty = [note for note in whole.notes if "empty in every row" in note]
    assert any("'空列'" in note for note in empty) and not any("'备注'" in note for note in empty)
    assert any("empty row(s) skipped" in note for note in whole.notes)
    base = load_scenario(BASE)
    fitted = [calibrate(records, base) for records in (whole, chunked)]
    pd.testing.assert_frame_equal(fitted[1].estimates_table(), fitted[0].estimates_table())
    assert fitted[1].recovery == fitted[0].recovery
    assert [fitted[1].value_text(e) for e in fitted[1].written()] == [
        fitted[0].value_text(e) for e in fitted[0].written()
    ]


def test_chunks_hold_at_most_their_size_and_number_every_row(dirty: Path) -> None:
    stream = open_table(dirty)
    sizes, numbers = [], []
    for rows, row_numbers in stream.chunks(500):
        sizes.append(len(rows))
        numbers += row_numbers
    assert max(sizes) == 500 and len(sizes) > 3
    assert numbers == read_table(dirty).row_numbers == list(range(3, 3 + len(numbers)))  # comment, header
    with pytest.raises(ValueError, match="chunk size"):
        next(stream.chunks(0))


def test_progress_is_reported_per_chunk(dirty: Path) -> None:
    seen: list[int] = []
    load_records(dirty, chunk_rows=1000, progress=seen.append)
    total = len(read_table(dirty).rows)
    assert seen == [*range(1000, total, 1000), total]


def test_cr_only_line_endings_are_read(tmp_path: Path) -> None:
    """An export whose lines end in a lone CR (old Mac) was refused in Python's own words
    ("new-line character seen in unquoted field"; issue 18 item 15)."""
    path = tmp_path / "cr.csv"
    path.write_bytes("案号,立案日期\r（2023）豫1381执1号,2023-01-03\r（2023）豫1381执2号,2023-01-04\r".encode())
    records = load_records(path)
    assert list(records.cases["case_no"]) == ["（2023）豫1381执1号", "（2023）豫1381执2号"]
    assert list(records.cases["row"]) == [2, 3]


def test_calibrate_prints_a_progress_line_per_chunk_of_a_large_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stderr is not a terminal here: the lines are printed all the same."""
    monkeypatch.setattr(command, "CHUNK_ROWS", 2000)
    out = tmp_path / "cal.toml"
    code = main(["calibrate", str(EXAMPLE), "--base", str(BASE), "--out", str(out), "--no-report"])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("读取 reading")]
    assert lines[0].startswith("读取 reading example_synthetic.csv: 2,000 行 rows")
    assert len(lines) == 4 and "6,450 行 rows" in lines[-1]
    assert "拟合 fitting" in err
    assert CHUNK_ROWS > 6450  # the shipped example prints nothing (tests/unit/test_calibration_cli.py)
