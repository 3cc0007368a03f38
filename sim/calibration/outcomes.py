"""How cases end: outcome shares that allow for open cases, and the probabilities they identify.

An export made on one day sees quick outcomes (驳回 on the day of filing, 执行完毕
after a deduction) but not yet the slow ones (终本 waits at least three months).
Shares among the closed cases therefore overstate the quick outcomes. The shares
here are Aalen–Johansen cumulative incidences at the longest follow-up: each
outcome's chance of having happened by then, open cases counted as censored,
divided by their sum.

Only a few scenario probabilities are fixed by outcomes alone, because the model
decides them at a point every eligible case passes and nothing else leads to
the same outcome:

- ``filing_reject_rate``: 驳回申请 happens only at the filing check, for every case;
- ``termination_rate``, ``not_enforced_rate``, ``withdrawal_rate``: a money case that
  finds no way to full performance ends in 终结执行, 不予执行, 销案 or else 终本, so
  each rate is its outcome's share among those four (behaviour cases excluded);
- ``behaviour_success_rate``: a behaviour case (claim 0) ends 执行完毕 or 终本;
- ``behaviour_rate``: the share of 首执 cases with a claim of 0.

The split between 执行完毕 and 终本 depends on the freeze, investigation, settlement
and voluntary-payment probabilities together, so it is not written; check-fit
compares it instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.survival import aalen_johansen
from sim.vocab import CaseType, Outcome

__all__ = [
    "AMOUNT_BANDS",
    "MIN_N",
    "Estimate",
    "amount_band",
    "identified_rates",
    "outcome_shares",
    "recovery_rate",
    "wilson",
]

MIN_N = 30
"""A probability is written only if at least this many cases decide it."""

AMOUNT_BANDS: tuple[tuple[str, float, float], ...] = (
    ("<1万", 0.0, 1e4),
    ("1–10万", 1e4, 1e5),
    ("10–100万", 1e5, 1e6),
    ("≥100万", 1e6, math.inf),
)
"""Claim bands (yuan, [low, high)) for outcome shares; a claim of 0 is the behaviour band."""

OUTCOMES = tuple(o.value for o in Outcome)
_MONEY = (CaseType.FIRST.value, CaseType.RESUMED.value)


@dataclass(frozen=True)
class Estimate:
    """One fitted scenario quantity with its 95% interval and whether it is written."""

    group: str  # scenario group, e.g. "probabilities"
    field: str
    value: float
    low: float
    high: float
    n: int
    written: bool
    note: str = ""


def wilson(successes: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (NaN when n is 0)."""
    if n <= 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    phat = successes / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def amount_band(claim: pd.Series) -> pd.Series:
    """Band label of each claim: 行为类 for 0, a band of :data:`AMOUNT_BANDS`, "" when unknown."""
    labels = pd.Series("", index=claim.index, dtype=object)
    labels[claim == 0] = "行为类"
    for label, low, high in AMOUNT_BANDS:
        labels[(claim > 0) & (claim >= low) & (claim < high)] = label
    return labels


def _dated(cases: pd.DataFrame) -> pd.DataFrame:
    return cases[cases["follow_days"].notna()]


def _incidence(cases: pd.DataFrame, groups: tuple[tuple[str, ...], ...]) -> np.ndarray:
    """Final cumulative incidence of each outcome group (codes 1..len(groups)); other closures compete."""
    cases = _dated(cases)
    code = np.zeros(len(cases), int)
    closed = cases["event"].to_numpy()
    code[closed] = len(groups) + 1  # any other closure, including an unknown outcome
    for k, outcomes in enumerate(groups, start=1):
        code[closed & cases["outcome"].isin(outcomes).to_numpy()] = k
    if not closed.any():
        return np.zeros(len(groups) + 1)
    _, cif = aalen_johansen(cases["follow_days"].to_numpy(float), code, len(groups) + 1)
    return cif[-1] if len(cif) else np.zeros(len(groups) + 1)


def outcome_shares(cases: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    """Per group: cases, closed, open, and each outcome's share among known outcomes (censoring-aware).

    ``open_at_end`` is the estimated chance of being still open at the longest follow-up.
    """
    rows = []
    for label, group in cases.groupby(by, sort=False):
        if label == "":
            continue
        cif = _incidence(group, tuple((o,) for o in OUTCOMES))
        known = cif[:-1].sum()
        shares = cif[:-1] / known if known > 0 else np.full(len(OUTCOMES), np.nan)
        rows.append(
            {
                "group": label,
                "cases": len(group),
                "closed": int((group["status"] != "open").sum()),
                "open": int((group["status"] == "open").sum()),
                **dict(zip(OUTCOMES, shares, strict=True)),
                "open_at_end": float(1 - cif.sum()),
            }
        )
    return pd.DataFrame(rows, columns=["group", "cases", "closed", "open", *OUTCOMES, "open_at_end"])


def identified_rates(cases: pd.DataFrame, fields: tuple[str, ...] = ("outcome", "claim")) -> list[Estimate]:
    """The probabilities listed in the module docstring, each with its interval and n.

    ``fields`` are the columns the export has: without 结案方式 (``outcome``) no
    outcome probability is identified, without 申请执行标的 (``claim``) none that
    needs to know the behaviour cases.
    """
    estimates = [_reject(cases), *_endings(cases), _behaviour_success(cases), _behaviour_share(cases)]
    missing = {"outcome": "no 结案方式 (outcome) column", "claim": "no 申请执行标的 (claim) column"}
    needs = {
        "filing_reject_rate": ("outcome",),
        "termination_rate": ("outcome", "claim"),
        "not_enforced_rate": ("outcome", "claim"),
        "withdrawal_rate": ("outcome", "claim"),
        "behaviour_success_rate": ("outcome", "claim"),
        "behaviour_rate": ("claim",),
    }
    for i, e in enumerate(estimates):
        absent = [missing[f] for f in needs[e.field] if f not in fields]
        if absent:
            estimates[i] = Estimate(
                e.group,
                e.field,
                math.nan,
                math.nan,
                math.nan,
                0,
                False,
                f"{'; '.join(absent)} in the records: the base value is kept",
            )
    return estimates


def _estimate(group: str, field: str, value: float, n: float, note: str = "") -> Estimate:
    low, high = wilson(value * n, n)
    enough = n >= MIN_N and math.isfinite(value)
    why = note if enough else f"only {int(n)} cases decide it (fewer than {MIN_N}): the base value is kept"
    return Estimate(group, field, value, low, high, int(n), enough, why)


def _reject(cases: pd.DataFrame) -> Estimate:
    known = cases[(cases["status"] == "open") | (cases["outcome"] != "")]
    n_reject = int((known["outcome"] == Outcome.REJECTED.value).sum())
    value = n_reject / len(known) if len(known) else math.nan
    return _estimate(
        "probabilities",
        "filing_reject_rate",
        value,
        len(known),
        "驳回申请 among all cases (it is decided at the filing check)",
    )


def _endings(cases: pd.DataFrame) -> list[Estimate]:
    money = cases[cases["case_type"].isin(_MONEY) & (cases["claim_cny"] > 0)]
    kinds = (
        (Outcome.TERMINATED.value,),
        (Outcome.NOT_ENFORCED.value,),
        (Outcome.WITHDRAWN.value,),
        (Outcome.ZHONGBEN.value,),
    )
    cif = _incidence(money, kinds)[:4]
    reach = cif.sum()
    closed = _dated(money)
    n = int((closed["event"] & closed["outcome"].isin([k[0] for k in kinds])).sum())
    note = "share among money cases ending without performance (终结执行 + 不予执行 + 销案 + 终本), censoring-aware"
    fields = ("termination_rate", "not_enforced_rate", "withdrawal_rate")
    return [
        _estimate("probabilities", f, float(cif[i] / reach) if reach > 0 else math.nan, n, note)
        for i, f in enumerate(fields)
    ]


def _behaviour_success(cases: pd.DataFrame) -> Estimate:
    behaviour = cases[cases["case_type"].isin(_MONEY) & cases["behaviour"]]
    cif = _incidence(behaviour, ((Outcome.COMPLETED.value,), (Outcome.ZHONGBEN.value,)))[:2]
    closed = _dated(behaviour)
    n = int((closed["event"] & closed["outcome"].isin([Outcome.COMPLETED.value, Outcome.ZHONGBEN.value])).sum())
    value = float(cif[0] / cif.sum()) if cif.sum() > 0 else math.nan
    return _estimate(
        "probabilities",
        "behaviour_success_rate",
        value,
        n,
        "执行完毕 among behaviour cases (claim 0) ending 执行完毕 or 终本, censoring-aware",
    )


def _behaviour_share(cases: pd.DataFrame) -> Estimate:
    first = cases[(cases["case_type"] == CaseType.FIRST.value) & cases["claim_cny"].notna()]
    value = float(first["behaviour"].mean()) if len(first) else math.nan
    return _estimate(
        "arrivals",
        "behaviour_rate",
        value,
        len(first),
        "首执 cases with a claim of 0 (行为类); an empty claim counts as missing, not as 0",
    )


_BOOTSTRAP_CELLS = 2_000_000
"""Resampled cases drawn at a time by :func:`recovery_rate` (16 MB of indices)."""


def recovery_rate(cases: pd.DataFrame, resamples: int = 400) -> tuple[float, float, float, int]:
    """执行到位率: Σ recovered ÷ Σ claimed over closed 首执 + 执恢 money cases, with a bootstrap 95% CI.

    Returns (rate, low, high, n). Cases without a recovered amount are left out.
    """
    closed = cases[
        (cases["status"] != "open")
        & cases["case_type"].isin(_MONEY)
        & (cases["claim_cny"] > 0)
        & cases["recovered_cny"].notna()
    ]
    n = len(closed)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    claim, recovered = closed["claim_cny"].to_numpy(float), closed["recovered_cny"].to_numpy(float)
    rate = float(recovered.sum() / claim.sum())
    rng = np.random.default_rng(20220525)  # fixed: the interval is part of a reproducible report
    # The resamples a block at a time: all 400 at once held 400 × n indices and two gathers
    # of them (3 GB for a million rows). The generator continues its stream from call to
    # call and each resample is summed on its own, so the blocks give the same numbers.
    block = max(1, _BOOTSTRAP_CELLS // n)
    boot = np.empty(resamples)
    for start in range(0, resamples, block):
        picks = rng.integers(0, n, size=(min(block, resamples - start), n))
        boot[start : start + len(picks)] = recovered[picks].sum(axis=1) / claim[picks].sum(axis=1)
    low, high = np.quantile(boot, [0.025, 0.975])
    return rate, float(low), float(high), n
