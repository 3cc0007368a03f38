"""执恢 cases that resume the records' own 终本 cases are told apart; duplicates follow a stated rule.

Issue 19, defect 3: a calibration counted the model's own resumed cases as outside arrivals,
so ``cases_per_year`` and the 执恢 share came out too high (6635 [6539, 6732] against 6500)
for a model whose own resumptions come on top of the filings. Where they take the place of
filed 执恢 cases (``arrivals.own_resumptions_replace_filed``, the baseline since issue 13)
the mix is the whole intake and they are counted.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from sim.calibration.fit import calibrate
from sim.calibration.records import DUPLICATE_RULE, from_frame
from sim.calibration.synth import records_from_run
from sim.config.load import load_scenario, with_overrides
from sim.config.schema import Scenario
from sim.model import build_calendar

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "dengzhou_2022.toml"


def _on_top() -> Scenario:
    """The baseline with the model's own resumptions on top of the filed 执恢 cases."""
    return with_overrides(load_scenario(BASE), {"arrivals.own_resumptions_replace_filed": False})


def _rows(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows).fillna("")


CASES = [
    {
        "案号": "（2023）豫1381执1号",
        "立案日期": "2023-01-03",
        "结案日期": "2023-05-10",
        "结案方式": "终本",
        "申请执行标的": "5000",
    },
    {"案号": "（2023）豫1381执2号", "立案日期": "2023-01-04", "结案日期": "", "结案方式": "", "申请执行标的": "8000"},
    # resumes 执1号, a case of these records: made by the court's own 终本
    {"案号": "（2023）豫1381执恢1号", "原案号": "(2023)豫1381执1号", "立案日期": "2023-09-01", "申请执行标的": "5000"},
    # resumes a case of 2019: an outside filing
    {
        "案号": "（2023）豫1381执恢2号",
        "原案号": "（2019）豫1381执77号",
        "立案日期": "2023-09-02",
        "申请执行标的": "9000",
    },
]


def test_resumptions_of_the_records_own_cases_are_marked_and_left_out_of_the_mix() -> None:
    records = from_frame(_rows(CASES), "linked.csv", date(2023, 12, 31))
    own = records.cases.set_index("case_no")["resumes_own"]
    assert own.to_dict() == {
        "（2023）豫1381执1号": False,
        "（2023）豫1381执2号": False,
        "（2023）豫1381执恢1号": True,  # the 原案号 matches after normalising the brackets
        "（2023）豫1381执恢2号": False,
    }
    assert any("1 of 2 执恢 case(s) resume a 终本 case of these records" in n for n in records.notes)
    mix = calibrate(records, _on_top()).mix.set_index("case_type")["n"]
    assert mix["first"] == 2
    assert mix["resumed"] == 1


def test_without_a_link_column_the_records_say_they_cannot_separate() -> None:
    rows = _rows(CASES).drop(columns="原案号")
    records = from_frame(rows, "unlinked.csv", date(2023, 12, 31))
    assert not records.cases["resumes_own"].any()
    assert any("no 原案号 column" in n for n in records.notes)
    caveats = calibrate(records, _on_top()).caveats
    assert any("without a 原案号 column" in c for c in caveats)
    # where the model's own replace filed ones, counting them all is right: no caveat
    assert not any("原案号" in c for c in calibrate(records, load_scenario(BASE)).caveats)


def test_where_own_resumptions_replace_filed_ones_every_filing_is_in_the_mix() -> None:
    records = from_frame(_rows(CASES), "linked.csv", date(2023, 12, 31))
    mix = calibrate(records, load_scenario(BASE)).mix.set_index("case_type")["n"]
    assert (mix["first"], mix["resumed"]) == (2, 2)


def test_conflicting_duplicates_closed_beats_open_then_the_later_row_wins() -> None:
    rows = _rows(
        [
            {"案号": "（2023）豫1381执5号", "立案日期": "2023-02-01", "结案日期": "2023-03-01", "结案方式": "执行完毕"},
            {"案号": "（2023）豫1381执5号", "立案日期": "2023-02-01", "结案日期": "", "结案方式": ""},  # open: loses
            {"案号": "（2023）豫1381执6号", "立案日期": "2023-02-02", "结案日期": "2023-03-01", "结案方式": "终本"},
            {"案号": "（2023）豫1381执6号", "立案日期": "2023-02-02", "结案日期": "2023-06-01", "结案方式": "执行完毕"},
            {"案号": "（2023）豫1381执6号", "立案日期": "2023-02-02", "结案日期": "2023-06-01", "结案方式": "执行完毕"},
        ]
    )
    records = from_frame(rows, "dups.csv", date(2023, 12, 31))
    cases = records.cases.set_index("case_no")
    assert cases.loc["（2023）豫1381执5号", "status"] == "closed"
    assert cases.loc["（2023）豫1381执6号", "outcome"] == "completed"
    reasons = records.cleaning.set_index("row")["reason"].to_dict()
    assert reasons == {
        3: "duplicate case number (conflicts with row 2, which is kept: closed beats open)",
        4: "duplicate case number (conflicts with row 5, which is kept: the later row wins)",
        6: "duplicate case number (identical to row 5)",
    }
    assert any(DUPLICATE_RULE in n and n.startswith("2 row(s)") for n in records.notes)


def test_synthetic_records_name_the_case_each_resumed_case_resumes() -> None:
    cases = pd.DataFrame(
        {
            "case_id": [0, 1, 2, 103],
            "parent_id": [-1, -1, -1, 0],
            "case_type": ["first", "resumed", "first", "resumed"],
            "arrived": [1.0, 2.0, 3.0, 200.0],
            "closed": [100.0, float("nan"), float("nan"), float("nan")],
            "outcome": ["zhongben", "", "", ""],
            "claim_cny": [1000.0, 2000.0, 3000.0, 1000.0],
            "recovered_cny": [0.0, 0.0, 0.0, 0.0],
            "team": ["", "", "", ""],
            "unit": ["", "", "", ""],
            "handler": ["", "", "", ""],
        }
    )
    scenario = load_scenario(BASE)
    calendar = build_calendar(scenario)
    rows = records_from_run(cases, calendar, calendar.date_of(300.0))
    origin = dict(zip(rows["案号"], rows["原案号"], strict=True))
    year = calendar.date_of(0.0).year
    assert origin[f"（{year}）豫1381执恢2号"] == f"（{year}）豫1381执1号"  # resumed by the model itself
    outside = origin[f"（{year}）豫1381执恢1号"]
    assert outside.startswith("（") and int(outside[1:5]) < year  # a case from before the records
    assert origin[f"（{year}）豫1381执1号"] == ""
    records = from_frame(rows, "synthetic.csv", calendar.date_of(300.0))
    assert records.cases["resumes_own"].sum() == 1
