"""Does the calibrated model reproduce the history? Simulate the records' period and compare.

Like a back-test, the scenario is run over the same dates as the records (from
the first filing to the extraction date, starting from an empty court), each
replication is exported as synthetic records cut on the same extraction date, and
both sides go through the same cleaning and the same statistics. So the
comparison is like with like: the same censoring, the same day rounding.

Compared: cases filed and their monthly pattern, the Kaplan–Meier curve of days
to close (distance: the largest vertical gap), the share closed by the extraction
date, mean days to close, outcome shares among closed cases (total-variation
distance), 终本率 and 执行完毕率 of 首执, and the 执行到位率. The spread between
replications shows how large a gap chance alone produces.

Each statistic gets a verdict against its chance level (the columns are named the same
here and on the command line: ``records, sim_mean, sim_min, sim_max, gap, chance, limit,
verdict``):

- a scalar statistic passes when ``|gap|`` (records − simulated mean) is within its 95%
  prediction interval, ``limit = t(0.975, reps − 1) × chance × √(1 + 1/reps)``, where
  ``chance`` is the SD between replications: the records are judged as one more
  replication would be;
- a distance (KM gap, outcome shares' total variation, monthly filings' error) passes
  when it is at most ``limit = 2 × chance``, twice the distance chance alone gives
  between replications (a rule of thumb: with a handful of replications no exact test
  of a distance exists).

With one replication there is no chance level and the verdict is ``n/a``.

Known limits: the simulated court starts empty (a real court carries a backlog
and earlier 终本 cases that resume), so the first months are lighter in the model.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.records import CaseRecords, from_frame
from sim.calibration.survival import kaplan_meier
from sim.calibration.synth import records_from_run
from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.model import build_calendar, run_replication
from sim.vocab import CaseType, Outcome

__all__ = [
    "DISTANCES",
    "METRICS",
    "FitCheck",
    "check_fit",
    "km_curve",
    "km_distance",
    "period_scenario",
    "summary_values",
]

logger = logging.getLogger(__name__)

_MONEY = (CaseType.FIRST.value, CaseType.RESUMED.value)
METRICS: dict[str, tuple[str, str]] = {
    "cases_filed": ("收案数", "cases filed"),
    "closed_share": ("提取日已结比例", "share closed by the extraction date"),
    "mean_days_to_close": ("结案平均用时（天）", "mean days to close, closed cases"),
    "km_median_days": ("结案用时中位数（KM，天）", "median days to close (Kaplan–Meier)"),
    "zhongben_rate": ("终本率（首执）", "zhongben share of closed first cases"),
    "completion_rate": ("执行完毕率（首执）", "completed share of closed first cases"),
    "recovery_rate": ("执行到位率", "recovered ÷ claimed, closed money cases"),
}
"""Scalar statistics compared, with their Chinese and English names."""


@dataclass(frozen=True)
class FitCheck:
    """Records against simulated replications of the same period."""

    records: CaseRecords
    simulated: list[CaseRecords]
    table: pd.DataFrame  # metric, zh, en, records, sim_mean, sim_min, sim_max, gap, chance, limit, verdict
    monthly: pd.DataFrame  # period, records, sim_mean, sim_min, sim_max
    shares: pd.DataFrame  # outcome, records, sim_mean, sim_min, sim_max (among closed cases)


def period_scenario(scenario: Scenario, records: CaseRecords) -> Scenario:
    """``scenario`` run over the records' period from an empty court, every filing counted."""
    days = (records.extraction_date - records.start_date).days + 1
    return with_overrides(
        scenario,
        {
            "run.start_date": records.start_date.isoformat(),
            "run.warmup_days": 0,
            "run.horizon_days": days,
            "run.cooldown_days": 0,
        },
    )


def check_fit(scenario: Scenario, records: CaseRecords, reps: int = 3, seed: int | None = None) -> FitCheck:
    """Simulate ``reps`` replications of the records' period and compare (see the module docstring)."""
    if reps < 1:
        raise ValueError(f"reps must be at least 1 (got {reps})")
    run = period_scenario(scenario, records)
    calendar = build_calendar(run)
    simulated = []
    for rep in range(reps):
        result = run_replication(run, rep, seed)
        export = records_from_run(result.cases, calendar, records.extraction_date)
        simulated.append(from_frame(export, f"simulated replication {rep}", records.extraction_date))
        logger.info("check-fit: replication %d done", rep)
    monthly, shares = _monthly(records, simulated), _shares(records, simulated)
    extra = pd.DataFrame(_distance_rows(records, simulated, monthly, shares))
    table = _judged(pd.concat([_table(records, simulated), extra], ignore_index=True), reps)
    return FitCheck(records, simulated, table, monthly, shares)


DISTANCES = ("km_distance", "outcome_shares_tv", "monthly_filings_error")
"""The statistics that are distances (judged against twice their chance level)."""


def _judged(table: pd.DataFrame, reps: int) -> pd.DataFrame:
    """Add ``limit`` and ``verdict`` (pass / fail / n/a) to each statistic (see the module docstring)."""
    t = float(stats.t.ppf(0.975, reps - 1)) if reps >= 2 else math.nan
    limits, verdicts = [], []
    for metric, gap, chance in zip(table["metric"], table["gap"], table["chance"], strict=True):
        distance = metric in DISTANCES
        limit = 2.0 * chance if distance else t * chance * math.sqrt(1 + 1 / reps)
        limits.append(limit)
        if not (math.isfinite(limit) and math.isfinite(gap)):
            verdicts.append("n/a")
        else:
            verdicts.append("pass" if (gap if distance else abs(gap)) <= limit else "fail")
    return table.assign(limit=limits, verdict=verdicts)


# ---------------------------------------------------------------- statistics of one set of records


def summary_values(records: CaseRecords) -> dict[str, float]:
    """The scalar statistics of :data:`METRICS` for one set of records."""
    cases = records.cases
    closed = cases[cases["status"] != "open"]
    dated = cases[cases["event"]]
    first = closed[(closed["case_type"] == CaseType.FIRST.value) & (closed["outcome"] != "")]
    money = closed[closed["case_type"].isin(_MONEY) & (closed["claim_cny"] > 0) & closed["recovered_cny"].notna()]
    return {
        "cases_filed": float(len(cases)),
        "closed_share": _ratio(len(closed), len(cases)),
        "mean_days_to_close": float(dated["follow_days"].mean()) if len(dated) else math.nan,
        "km_median_days": _km_median(cases),
        "zhongben_rate": _ratio((first["outcome"] == Outcome.ZHONGBEN.value).sum(), len(first)),
        "completion_rate": _ratio((first["outcome"] == Outcome.COMPLETED.value).sum(), len(first)),
        "recovery_rate": _ratio(money["recovered_cny"].sum(), money["claim_cny"].sum()),
    }


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else math.nan


def km_curve(records: CaseRecords) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier of days to close over the records' dated cases."""
    dated = records.cases[records.cases["follow_days"].notna()]
    return kaplan_meier(dated["follow_days"].to_numpy(float), dated["event"].to_numpy(bool))


def _km_median(cases: pd.DataFrame) -> float:
    dated = cases[cases["follow_days"].notna()]
    days, surv = kaplan_meier(dated["follow_days"].to_numpy(float), dated["event"].to_numpy(bool))
    below = np.flatnonzero(surv <= 0.5)
    return float(days[below[0]]) if below.size else math.nan


def km_distance(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Largest vertical gap between two Kaplan–Meier step curves (days, survival)."""
    grid = np.union1d(a[0], b[0])
    if grid.size == 0:
        return math.nan
    return float(np.max(np.abs(_step_at(a, grid) - _step_at(b, grid))))


def _step_at(curve: tuple[np.ndarray, np.ndarray], t: np.ndarray) -> np.ndarray:
    days, surv = curve
    if days.size == 0:  # nothing closed: everything still open
        return np.ones(t.size)
    index = np.searchsorted(days, t, side="right") - 1
    return np.where(index >= 0, surv[np.maximum(index, 0)], 1.0)


# ---------------------------------------------------------------- comparisons


def _table(records: CaseRecords, simulated: list[CaseRecords]) -> pd.DataFrame:
    observed = summary_values(records)
    sims = pd.DataFrame([summary_values(s) for s in simulated])
    rows = []
    for key, (zh, en) in METRICS.items():
        values = sims[key].to_numpy(float)
        mean = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
        rows.append(
            {
                "metric": key,
                "zh": zh,
                "en": en,
                "records": observed[key],
                "sim_mean": mean,
                "sim_min": float(np.nanmin(values)) if np.isfinite(values).any() else math.nan,
                "sim_max": float(np.nanmax(values)) if np.isfinite(values).any() else math.nan,
                "gap": observed[key] - mean,
                "chance": float(np.nanstd(values, ddof=1)) if np.isfinite(values).sum() >= 2 else math.nan,
            }
        )
    rows.append(_km_row(records, simulated))
    return pd.DataFrame(rows)


def _km_row(records: CaseRecords, simulated: list[CaseRecords]) -> dict[str, object]:
    """The KM gap between the records and each replication; reference: the gaps between replications."""
    curve = km_curve(records)
    sims = [km_curve(s) for s in simulated]
    gaps = np.array([km_distance(curve, s) for s in sims])
    between = [km_distance(a, b) for i, a in enumerate(sims) for b in sims[i + 1 :]]
    return {
        "metric": "km_distance",
        "zh": "结案用时KM曲线最大差距",
        "en": "days-to-close KM: largest gap",
        "records": math.nan,
        "sim_mean": math.nan,
        "sim_min": float(gaps.min()),
        "sim_max": float(gaps.max()),
        "gap": float(gaps.mean()),
        "chance": float(np.mean(between)) if between else math.nan,
    }


def _month_counts(records: CaseRecords) -> pd.Series:
    counts: pd.Series = records.cases["filed"].dt.strftime("%Y-%m").value_counts().sort_index()
    return counts


def _monthly(records: CaseRecords, simulated: list[CaseRecords]) -> pd.DataFrame:
    sims = pd.DataFrame([_month_counts(s) for s in simulated]).fillna(0)
    table = (
        pd.DataFrame({"records": _month_counts(records)})
        .join(sims.agg(["mean", "min", "max"]).T.rename(columns=lambda c: f"sim_{c}"), how="outer")
        .fillna(0)
    )
    return table.rename_axis("period").reset_index()


def _closed_shares(records: CaseRecords) -> pd.Series:
    closed = records.cases[(records.cases["status"] != "open") & (records.cases["outcome"] != "")]
    counts = closed["outcome"].value_counts()
    if counts.sum() == 0:
        return pd.Series(math.nan, index=[o.value for o in Outcome])
    return (counts / counts.sum()).reindex([o.value for o in Outcome], fill_value=0.0)


def _shares(records: CaseRecords, simulated: list[CaseRecords]) -> pd.DataFrame:
    sims = pd.DataFrame([_closed_shares(s) for s in simulated])
    table = pd.DataFrame(
        {"records": _closed_shares(records), "sim_mean": sims.mean(), "sim_min": sims.min(), "sim_max": sims.max()}
    )
    return table.rename_axis("outcome").reset_index()


def _tv(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> float:
    gap = np.abs(np.asarray(a, float) - np.asarray(b, float))
    return float(0.5 * gap.sum()) if np.isfinite(gap).all() else math.nan


def _mare(observed: np.ndarray, expected: np.ndarray) -> float:
    ok = expected > 0
    return float(np.mean(np.abs(observed[ok] - expected[ok]) / expected[ok])) if ok.any() else math.nan


def _leave_one_out(matrix: np.ndarray, distance: Callable[[np.ndarray, np.ndarray], float]) -> float:
    """Mean distance of each replication from the mean of the others: the gap chance alone makes."""
    if matrix.shape[0] < 2:
        return math.nan
    others = (matrix.sum(axis=0) - matrix) / (matrix.shape[0] - 1)
    return float(np.mean([distance(matrix[i], others[i]) for i in range(matrix.shape[0])]))


def _distance_rows(
    records: CaseRecords, simulated: list[CaseRecords], monthly: pd.DataFrame, shares: pd.DataFrame
) -> list[dict[str, object]]:
    share_matrix = np.array([_closed_shares(s).to_numpy(float) for s in simulated])
    months = monthly["period"].tolist()
    month_matrix = np.array([_month_counts(s).reindex(months, fill_value=0).to_numpy(float) for s in simulated])
    tv = {
        "metric": "outcome_shares_tv",
        "zh": "结案方式构成差距（TV）",
        "en": "outcome shares: total variation",
        "gap": _tv(shares["records"], shares["sim_mean"]),
        "chance": _leave_one_out(share_matrix, _tv),
    }
    mare = {
        "metric": "monthly_filings_error",
        "zh": "月收案相对误差",
        "en": "monthly filings: mean relative error",
        "gap": _mare(monthly["records"].to_numpy(float), monthly["sim_mean"].to_numpy(float)),
        "chance": _leave_one_out(month_matrix, _mare),
    }
    return [tv, mare]
