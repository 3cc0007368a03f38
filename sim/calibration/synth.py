"""Synthetic case records: a simulation written out the way a court's system exports cases.

Like a fire drill, the synthetic export has every feature of the real thing
(case numbers such as （2023）豫1381执123号, Chinese headers, dates, amounts in
元, outcomes in Chinese, open cases with an empty 结案日期) and is clearly not
real: its first line is a comment saying 合成数据 SYNTHETIC and every row carries
``synthetic = 1``. It serves the demos, the tests of the calibration (whose
true parameters are known), and ``check-fit``, which compares a court's records
with simulated records cut on the same extraction date.

With ``steps`` the export also dates the outside delays of :data:`SYNTH_STEPS`: for each case
the first such wait's start and end as ``<名>_发出`` / ``<名>_回复`` (the Chinese name of the
delay, ``sim.vocab.DELAY_ZH``), the answer empty while the wait was still running at the end
of the extraction date. The run then goes on :data:`STEP_MARGIN_DAYS` past the extraction
date (a wait is logged when it ends, so only a longer run knows which were still running);
the period exported is the same, but the sample path is not that of a run without steps
(the draws of the longer run differ), so the two files are different draws of the court.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.io import write_csv
from sim.model import RunResult, build_calendar, run_replication
from sim.vocab import DELAY_ZH, OUTCOME_ZH, ROLE_ZH, TEAM_ZH, CaseType, Delay, Outcome, Role, Team
from sim.workcalendar import WorkCalendar

__all__ = [
    "COLUMNS",
    "STEP_MARGIN_DAYS",
    "SYNTHETIC_MARK",
    "SYNTH_STEPS",
    "records_from_run",
    "simulate_records",
    "step_dates",
    "write_records",
]

logger = logging.getLogger(__name__)

COLUMNS = [
    "案号",
    "原案号",
    "案件类型",
    "立案日期",
    "结案日期",
    "结案方式",
    "申请执行标的",
    "实际到位金额",
    "承办部门",
    "承办人",
    "synthetic",
]
"""Headers of the synthetic export, in order (amounts in 元, dates as 2023-01-05).

``原案号`` is given for every 执恢 case: the case number of the 终本 case it resumes. For a
case the model resumed itself that is a case of the same records; for an outside 执恢
filing it is a case of a year before the records (the model does not simulate it)."""

_PLAIN_WAITS = (
    Delay.ONLINE_INQUIRY_DAYS,
    Delay.SERVICE_DAYS,
    Delay.DEBTOR_SEARCH_DAYS,
    Delay.VOLUNTARY_PAYMENT_DAYS,
    Delay.PAYOUT_DAYS,
    Delay.ZHONGBEN_RULING_DAYS,
)
SYNTH_STEPS: dict[str, Delay] = {
    **{delay.removesuffix("_days"): delay for delay in _PLAIN_WAITS},  # logged under the delay's name
    "registry_answers": Delay.INVESTIGATION_DAYS,
}
"""Event-log wait steps → the delay each is a plain draw of (``sim.flow.handling``, ``intake``):
the waits exported with ``steps``. Waits whose days are set otherwise (an e-service's, a capped
re-listing) are not draws of their delay and are left out."""
STEP_MARGIN_DAYS = 365
"""Days simulated past the extraction date with ``steps``: the waits still running at the
extraction date end within them (the longest base delay, a stay, is capped at 365 days)."""

SYNTHETIC_MARK = "合成数据 SYNTHETIC"
_KIND = {CaseType.FIRST.value: "执", CaseType.RESUMED.value: "执恢", CaseType.PRESERVATION.value: "执保"}
_TYPE_ZH = {CaseType.FIRST.value: "首执", CaseType.RESUMED.value: "执恢", CaseType.PRESERVATION.value: "执保"}


def records_from_run(
    cases: pd.DataFrame,
    calendar: WorkCalendar,
    extraction: date,
    court: str = "豫1381",
    steps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The export of a run's case table as it stood at the end of ``extraction``.

    Parameters
    ----------
    cases
        ``RunResult.cases`` (times in days since the run's start).
    calendar
        The run's calendar (turns times into dates).
    extraction
        Cases filed after this date are left out; cases closed after it are open.
    court
        Court code in the case numbers (豫1381 is Dengzhou).
    steps
        ``RunResult.steps``: given, the dated steps of :data:`SYNTH_STEPS` are added
        (:func:`step_dates`).
    """
    end = calendar.time_of(extraction) + 1.0
    filed = cases[cases["arrived"] < end].sort_values(["arrived", "case_id"], kind="stable")
    closed = filed["closed"].notna() & (filed["closed"] < end) & (filed["outcome"] != "")
    filed_dates = [calendar.date_of(t) for t in filed["arrived"]]
    numbers = _case_numbers(filed["case_type"].tolist(), filed_dates, court)
    rows = pd.DataFrame(
        {
            "案号": numbers,
            "原案号": _origins(filed, numbers, filed_dates, court),
            "案件类型": filed["case_type"].map(_TYPE_ZH).to_numpy(),
            "立案日期": [d.isoformat() for d in filed_dates],
            "结案日期": [
                calendar.date_of(t).isoformat() if c else "" for t, c in zip(filed["closed"], closed, strict=True)
            ],
            "结案方式": [OUTCOME_ZH[Outcome(o)] if c else "" for o, c in zip(filed["outcome"], closed, strict=True)],
            "申请执行标的": [f"{v:.2f}" for v in filed["claim_cny"]],
            "实际到位金额": [f"{v:.2f}" if c else "" for v, c in zip(filed["recovered_cny"], closed, strict=True)],
            "承办部门": [_team_zh(t, u) for t, u in zip(filed["team"], filed["unit"], strict=True)],
            "承办人": [_handler_zh(h) for h in filed["handler"]],
            "synthetic": 1,
        }
    )
    rows = rows[COLUMNS].reset_index(drop=True)
    if steps is None:
        return rows
    dated = step_dates(steps, filed["case_id"].to_numpy(), calendar, end)
    return pd.concat([rows, dated], axis=1)


def step_dates(steps: pd.DataFrame, case_ids: Any, calendar: WorkCalendar, end: float) -> pd.DataFrame:
    """``<名>_发出`` and ``<名>_回复`` of each case (in ``case_ids`` order) for :data:`SYNTH_STEPS`.

    The first such wait of a case that started before ``end`` (the end of the extraction
    date); its answer is empty if it ended after ``end``. A case without the wait has both empty.
    """
    waits = steps.loc[(steps["kind"] == "wait") & steps["step"].isin(list(SYNTH_STEPS)) & (steps["start"] < end)]
    first = waits.sort_values(["start"], kind="stable").drop_duplicates(["case_id", "step"])
    columns: dict[str, list[str]] = {}
    for step, delay in SYNTH_STEPS.items():
        mine = first.loc[first["step"] == step].set_index("case_id")
        asked = mine["start"].reindex(case_ids)
        answered = mine["end"].reindex(case_ids)
        name = DELAY_ZH[delay]
        columns[f"{name}_发出"] = ["" if a != a else calendar.date_of(a).isoformat() for a in asked]
        columns[f"{name}_回复"] = ["" if e != e or e >= end else calendar.date_of(e).isoformat() for e in answered]
    return pd.DataFrame(columns)


def _case_numbers(types: list[str], dates: list[date], court: str) -> list[str]:
    """（year）court kind seq 号, numbered from 1 per year and kind in filing order."""
    counters: dict[tuple[int, str], int] = {}
    numbers = []
    for case_type, day in zip(types, dates, strict=True):
        key = (day.year, _KIND[case_type])
        counters[key] = counters.get(key, 0) + 1
        numbers.append(f"（{day.year}）{court}{key[1]}{counters[key]}号")
    return numbers


def _origins(filed: pd.DataFrame, numbers: list[str], dates: list[date], court: str) -> list[str]:
    """The 原案号 of each 执恢 case ("" for the others).

    A case the model resumed names its parent's number; an outside 执恢 filing names a
    首执 case of one of the five years before the records, numbered in filing order, so
    it never coincides with a case of the records.
    """
    number_of = dict(zip(filed["case_id"].tolist(), numbers, strict=True))
    first_year = min(d.year for d in dates) if dates else 0
    origins, outside = [], 0
    for case_type, parent in zip(filed["case_type"], filed["parent_id"], strict=True):
        if case_type != CaseType.RESUMED.value:
            origins.append("")
        elif parent >= 0 and parent in number_of:
            origins.append(number_of[parent])
        else:
            outside += 1
            origins.append(f"（{first_year - 1 - outside % 5}）{court}执{outside}号")
    return origins


def _team_zh(team: str, unit: str) -> str:
    if unit:
        return unit
    if not team:
        return "执行指挥中心"
    return TEAM_ZH[Team(team)]


def _handler_zh(name: str) -> str:
    """``complex_track/执行二团队/officer/3`` → ``执行二团队执行员3``."""
    if not name:
        return ""
    parts = name.split("/")
    where = parts[1] if len(parts) == 4 else TEAM_ZH[Team(parts[0])]
    return f"{where}{ROLE_ZH[Role(parts[-2])]}{parts[-1]}"


def simulate_records(
    scenario: Scenario,
    years: float,
    seed: int | None = None,
    replication: int = 0,
    court: str = "豫1381",
    *,
    steps: bool = False,
) -> tuple[pd.DataFrame, date, RunResult]:
    """Simulate ``years`` years from an empty court and export the records at the end.

    ``steps``: date the outside delays of :data:`SYNTH_STEPS` too (the run goes on
    :data:`STEP_MARGIN_DAYS` past the extraction date; see the module docstring).
    Returns the records, the extraction date (the last day of the ``years``) and the run.
    """
    if not years > 0:
        raise ValueError(f"years must be positive (got {years})")
    horizon = round(365.0 * years)
    margin = STEP_MARGIN_DAYS if steps else 0
    run = with_overrides(scenario, {"run.warmup_days": 0, "run.horizon_days": horizon, "run.cooldown_days": margin})
    result = run_replication(run, replication, seed)
    calendar = build_calendar(run)
    extraction = calendar.date_of(horizon - 0.5)
    log = result.steps if steps else None
    return records_from_run(result.cases, calendar, extraction, court, log), extraction, result


def write_records(records: pd.DataFrame, path: str | Path, *, scenario: str, seed: int, extraction: date) -> None:
    """Write synthetic records as UTF-8 CSV (with BOM, for Excel) under a comment line marking them."""
    path = Path(path)
    comment = (
        f"# {SYNTHETIC_MARK}: generated by courtsim synth-records from scenario {scenario} "
        f"(seed {seed}); not real cases. extraction_date={extraction.isoformat()}\n"
    )

    write_csv(path, records, header=comment, encoding="utf-8-sig")  # cells from --court made safe too
    logger.info("wrote %d synthetic records to %s", len(records), path)
