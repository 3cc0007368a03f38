"""The legal-state audit of issue 13 (§3, §4): figures recomputed from one run's tables.

Usage::

    .venv/bin/python bench/audit_legal.py [SCENARIO] [--rep R] [--seed S]

Runs one replication (default: the baseline, replication 0, the scenario's seed) and
prints, from the case table, the event log and the deadline clocks only (so it reads
a run of any version of the model that writes those tables):

- 纳失: standard-track cases with property, how many were listed, how many of those
  were later paid in full, and how many of them without a settlement (the money came
  from what the court already held: 失信规定 art. 3 bars listing them); fast-track
  终本 cases listed (终本规定 art. 1(2) asks for it where grounds exist);
- missing debtors (served by 公告) and how many were still interviewed;
- resumptions (执恢): the share with property, the model's own and the filed ones apart;
- the 6-month limit: closed within it (exclusions applied);
- re-auctions: the 2nd auction within 30 days of the 1st failing (网拍规定 art. 26);
- the 45-day rate from 立案 and from the fast track's receipt (收案);
- each deadline's on-time rate (a rate of exactly 100% is flagged);
- report service measured to delivery.

The counts cover every case of the run (warm-up and cool-down included), as the audit
did; rates marked "counted" use the KPI window.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.config.load import load_scenario  # noqa: E402
from sim.metrics import kpi_values, sla_compliance  # noqa: E402
from sim.model import build_calendar, run_replication  # noqa: E402


def _ids(steps: pd.DataFrame, step: str, kind: str | None = None) -> set[int]:
    own = steps["step"] == step
    if kind is not None:
        own &= steps["kind"] == kind
    return set(steps.loc[own, "case_id"].astype(int))


def dishonest(cases: pd.DataFrame, steps: pd.DataFrame) -> dict[str, int]:
    """纳失 against its grounds and art. 3's bar."""
    listed = _ids(steps, "dishonest_listing", "task")
    settled = _ids(steps, "settlement_record", "task")
    c = cases.loc[cases["counted"]].set_index("case_id")
    found = _ids(steps, "property_found", "mark")
    standard = c.loc[(c["track"] == "standard") & c.index.isin(found)]
    std_listed = standard.loc[standard.index.isin(listed)]
    full = std_listed["recovered_cny"] >= std_listed["claim_cny"] - 0.5
    paid = std_listed.loc[(std_listed["outcome"] == "completed") & full]
    fast_zb = c.loc[(c["track"] == "fast") & (c["outcome"] == "zhongben")]
    restricted = _ids(steps, "consumption_restriction", "task")
    all_listed = c.loc[c.index.isin(listed)]
    all_paid = all_listed.loc[(all_listed["outcome"] == "completed")]
    return {
        "standard cases with property found (counted)": len(standard),
        "  of which listed (纳失)": len(std_listed),
        "  listed, later closed 执行完毕": int((std_listed["outcome"] == "completed").sum()),
        "  listed, later paid in full": len(paid),
        "  listed, later paid in full without a settlement": int((~paid.index.isin(settled)).sum()),
        "all listed cases": len(all_listed),
        "  listed, later closed 执行完毕 without a settlement": int((~all_paid.index.isin(settled)).sum()),
        "fast-track 终本 cases": len(fast_zb),
        "  of which listed": int(fast_zb.index.isin(listed).sum()),
        "  of which consumption-restricted (限消)": int(fast_zb.index.isin(restricted).sum()),
    }


def missing(cases: pd.DataFrame, steps: pd.DataFrame) -> dict[str, int]:
    """Debtors served by public notice, and what happened to them afterwards."""
    waits = steps.loc[steps["kind"] == "wait"]
    notice = set(waits.loc[waits["step"] == "public_notice", "case_id"].astype(int))
    old = waits.loc[(waits["step"] == "service") & ((waits["end"] - waits["start"]) >= 29.99), "case_id"]
    notice |= set(old.astype(int))
    interviewed = _ids(steps, "debtor_interview", "task")
    searched = _ids(steps, "debtor_search", "task")
    return {
        "debtors served by 公告": len(notice),
        "  of which interviewed": len(notice & interviewed),
        "  of which searched for": len(notice & searched),
    }


def resumptions(cases: pd.DataFrame) -> dict[str, float]:
    """执恢 cases: the share with property (found or frozen), own and filed apart."""
    resumed = cases.loc[cases["case_type"] == "resumed"]
    own = resumed.loc[resumed["parent_id"] >= 0]
    filed = resumed.loc[resumed["parent_id"] < 0]
    out: dict[str, float] = {}
    for name, part in (("all", resumed), ("model's own", own), ("filed (case mix)", filed)):
        closed = part.loc[part["outcome"] != ""]
        out[f"执恢 {name}: cases"] = len(part)
        out[f"执恢 {name}: share with property"] = float(part["has_property"].mean()) if len(part) else math.nan
        completed = float((closed["outcome"] == "completed").mean()) if len(closed) else math.nan
        out[f"执恢 {name}: closed 执行完毕"] = completed
    return out


def reauctions(steps: pd.DataFrame, calendar) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """2nd auctions and whether each began within 30 days of the 1st failing (art. 26)."""
    waits = steps.loc[steps["kind"] == "wait"]
    first = waits.loc[waits["step"] == "auction_1"].groupby("case_id")["end"].first()
    second = waits.loc[waits["step"] == "auction_2"].groupby("case_id")["start"].first()
    both = pd.concat([first.rename("failed"), second.rename("second")], axis=1, join="inner")
    due = np.array([calendar.due_time(float(t), 30, "days") for t in both["failed"]])
    late = both["second"].to_numpy() > due
    return {"2nd auctions": len(both), "  begun more than 30 days after the 1st failed": int(late.sum())}


def fast45(cases: pd.DataFrame, steps: pd.DataFrame, calendar) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The 45-day rate of counted simple cases, from 立案 and from the fast track's receipt."""
    simple = cases.loc[cases["counted"] & (cases["track"] == "fast") & cases["case_type"].isin(["first", "resumed"])]
    marks = steps.loc[(steps["kind"] == "mark") & (steps["step"] == "received") & (steps["team"] == "fast_track")]
    receipt = simple["case_id"].map(marks.groupby("case_id")["start"].first()).to_numpy(dtype=float)
    closed = simple["closed"].to_numpy(dtype=float)
    out = {}
    for name, start in (("立案 filing", simple["arrived"].to_numpy(dtype=float)), ("快执收案 receipt", receipt)):
        due = np.array([calendar.due_time(float(s), 45, "days") for s in start])
        within = ~np.isnan(closed) & (closed <= due)
        out[f"45-day rate from {name}"] = float(within.mean()) if len(within) else math.nan
        zb = (simple["outcome"] == "zhongben").to_numpy()
        out[f"  终本 cases within 45 days from {name}"] = float(within[zb].mean()) if zb.any() else math.nan
    return out


def report_delivery(cases: pd.DataFrame, steps: pd.DataFrame, slas: pd.DataFrame) -> dict[str, float]:
    """The price report's 3 days measured to delivery (the end of its delivery wait), counted cases."""
    counted = slas["case_id"].isin(cases.loc[cases["counted"], "case_id"])
    clocks = slas.loc[counted & (slas["sla"] == "report_service")].groupby("case_id")[["start", "due", "end"]].first()
    waits = steps.loc[(steps["kind"] == "wait") & steps["step"].isin(["report_delivery", "report_service"])]
    delivered = waits.groupby("case_id")["end"].max()
    joined = clocks.join(delivered.rename("delivered"), how="inner")
    end = np.fmax(joined["end"].to_numpy(), joined["delivered"].to_numpy())
    return {
        "price reports served (counted)": len(clocks),
        "  on time measured to delivery": float((end <= joined["due"].to_numpy()).mean()) if len(joined) else math.nan,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "dengzhou_2022.toml"))
    parser.add_argument("--rep", type=int, default=0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    scenario = load_scenario(Path(args.scenario))
    calendar = build_calendar(scenario)
    result = run_replication(scenario, args.rep, args.seed)
    cases, steps, slas = result.cases, result.steps, result.slas
    sections = {
        "纳失 (失信规定 arts. 1, 3; 终本规定 art. 1(2))": dishonest(cases, steps),
        "missing debtors (CPL art. 95)": missing(cases, steps),
        "resumptions (执恢)": resumptions(cases),
        "re-auctions (网拍规定 art. 26)": reauctions(steps, calendar),
        "45-day rate, counted simple cases (方案 三(二)1)": fast45(cases, steps, calendar),
        "report service (方案 三(一)2)": report_delivery(cases, steps, slas),
    }
    kpis = kpi_values(result, scenario, calendar)
    sections["6-month limit, counted (审限规定 arts. 5, 9)"] = {
        "within_limit_rate": kpis["within_limit_rate"],
        "property_within_limit_rate": kpis["property_within_limit_rate"],
    }
    table = sla_compliance(slas, cases, scenario, calendar)

    def flag(rate: float) -> str:
        return "  <-- 100%" if rate == 1.0 else ""

    sections["deadlines, counted: on-time rate (100% flagged)"] = {
        f"{row.sla} ({int(row.n_ended)} ended){flag(row.on_time_rate)}": float(row.on_time_rate)
        for row in table.itertuples()
    }
    print(f"{scenario.name}, replication {args.rep}, seed {args.seed if args.seed is not None else scenario.run.seed}")
    for title, values in sections.items():
        print(f"\n{title}")
        for name, value in values.items():
            shown = str(value) if isinstance(value, int) else f"{value:.1%}"
            print(f"  {name}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
