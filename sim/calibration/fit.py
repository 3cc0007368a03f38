"""From cleaned case records to fitted scenario parameters, each with its uncertainty.

What the records identify and what is written into the calibrated scenario:

- ``arrivals.cases_per_year`` and ``monthly_multipliers``: Poisson rate per working
  day by month (:mod:`sim.calibration.arrivals`) of the outside filings;
- ``arrivals.case_mix``: shares of 首执/执恢/执保 by case number, Wilson intervals, of
  the filings the scenario's mix stands for. A 执恢 case whose 原案号 is a case of the
  same records resumes the court's own 终本 case, which the model makes itself
  (``resume_within_5y_rate``). With ``arrivals.own_resumptions_replace_filed`` (the
  default) each of those takes the place of a filed 执恢, so the mix is the court's
  whole intake and both fits count every filing; without it the model's own come on
  top, so both fits leave them out (without a 原案号 column they cannot, and a caveat
  says so);
- ``arrivals.behaviour_rate`` and four probabilities fixed by outcomes alone
  (:mod:`sim.calibration.outcomes`);
- ``amounts.claim_cny``: lognormal, gamma, Weibull and exponential fitted to the
  首执 money claims and compared by AIC (KS and AD statistics beside), the best
  family a scenario can express is written;
- ``delays.<delay>`` where the export dates a step's request and answer: the days
  between, open requests right-censored, fitted by Weibull, lognormal, gamma and
  exponential, the best AIC written (:mod:`sim.calibration.steps`).

Durations to closure are fitted too (censoring-aware, by case type, track and
outcome) but not written: in the model they are an *output* of delays, effort and
queues. They are the target ``check-fit`` compares with. Everything else keeps the
base scenario's value, listed with the reason in :func:`not_identified`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from sim import frames
from sim.calibration.arrivals import ArrivalFit, fit_arrivals
from sim.calibration.outcomes import (
    Estimate,
    amount_band,
    identified_rates,
    outcome_shares,
    recovery_rate,
    wilson,
)
from sim.calibration.records import CaseRecords
from sim.calibration.steps import DelayFit, delay_estimates, fit_delays
from sim.calibration.survival import (
    ParametricFit,
    aalen_johansen,
    ad_statistic,
    fit_censored,
    fit_complete,
    fit_truncated,
    kaplan_meier,
    ks_statistic,
)
from sim.config.schema import Scenario
from sim.vocab import CaseType, Outcome

__all__ = ["AmountFit", "Calibration", "DurationGroup", "calibrate", "case_mix", "fit_amounts", "fit_durations"]

logger = logging.getLogger(__name__)

WRITABLE = ("lognormal", "gamma", "exponential")
"""Families a scenario's DistSpec can express (Weibull is compared, not written)."""
MIN_AMOUNTS = 30
MIN_DURATIONS = 20


@dataclass(frozen=True)
class AmountFit:
    """Claim amounts of 首执 money cases (yuan): candidate fits, their statistics, the written spec."""

    values: np.ndarray
    fits: list[ParametricFit]
    table: pd.DataFrame  # family, k, loglik, aic, delta_aic, ks_d, ks_p, ad
    spec: dict[str, object] | None  # the DistSpec written, or None (too few claims)
    chosen: ParametricFit | None


@dataclass(frozen=True)
class DurationGroup:
    """Days to close of one group of cases: Kaplan–Meier (or conditional incidence) and fits."""

    kind: str  # all, case_type, track, outcome
    label: str
    n: int
    n_closed: int
    curve: tuple[np.ndarray, np.ndarray]  # days, P(not yet closed) (for an outcome: given that outcome)
    fits: list[ParametricFit]  # best AIC first
    naive: ParametricFit | None  # the best family fitted to closed cases only (biased; shown for contrast)
    note: str = ""

    @property
    def median_days(self) -> float:
        """Empirical median: first day the curve reaches 0.5 (NaN if it never does)."""
        days, surv = self.curve
        below = np.flatnonzero(surv <= 0.5)
        return float(days[below[0]]) if below.size else math.nan


@dataclass(frozen=True)
class Calibration:
    """Everything fitted from one set of records against one base scenario."""

    records: CaseRecords
    base: Scenario
    arrivals: ArrivalFit
    mix: pd.DataFrame  # case_type, n, share, low, high
    estimates: list[Estimate]
    amounts: AmountFit | None
    durations: list[DurationGroup]
    shares_by_type: pd.DataFrame
    shares_by_band: pd.DataFrame
    recovery: tuple[float, float, float, int]
    not_identified: pd.DataFrame  # parameter, base value, reason
    caveats: list[str] = field(default_factory=list)
    delays: list[DelayFit] = field(default_factory=list)  # outside delays fitted from dated steps

    def written(self) -> list[Estimate]:
        """The estimates that go into the scenario file."""
        return [e for e in self.estimates if e.written]

    def estimates_table(self) -> pd.DataFrame:
        """Every estimate with its 95% interval, one row per number: ``group, field, part,
        value, low, high, n, written, note``.

        The vector and distribution estimates are spelled out: the monthly multipliers by
        month (± 1.96 SE), the case mix by case type (Wilson), the claim distribution by
        parameter of the chosen family (± 1.96 SE). ``part`` is empty for a scalar.
        """
        z = 1.959964
        rows = []
        for e in self.estimates:
            base = {"group": e.group, "field": e.field, "n": e.n, "written": e.written, "note": e.note}
            if e.field == "monthly_multipliers":
                monthly = self.arrivals.monthly
                for month, m, se in zip(monthly.index, monthly["multiplier"], monthly["multiplier_se"], strict=True):
                    rows.append({**base, "part": f"month {month}", "value": m, "low": m - z * se, "high": m + z * se})
            elif e.field == "case_mix":
                for r in self.mix.itertuples():
                    rows.append({**base, "part": r.case_type, "value": r.share, "low": r.low, "high": r.high})
            elif e.field == "claim_cny" and self.amounts is not None and self.amounts.chosen is not None:
                chosen = self.amounts.chosen
                names = {"lognormal": ("sigma", "median"), "exponential": ("mean",)}.get(
                    chosen.family, ("shape", "scale")
                )
                for name, value, se in zip(names, chosen.natural, chosen.se, strict=True):
                    part = f"{chosen.family} {name}"
                    rows.append({**base, "part": part, "value": value, "low": value - z * se, "high": value + z * se})
            else:
                rows.append({**base, "part": "", "value": e.value, "low": e.low, "high": e.high})
        columns = ["group", "field", "part", "value", "low", "high", "n", "written", "note"]
        return pd.DataFrame(rows, columns=columns)

    def value_text(self, estimate: Estimate) -> str:
        """An estimate's value as short text (the vector and distribution ones spelled out)."""
        if estimate.field == "monthly_multipliers":
            return ", ".join(f"{m:.3f}" for m in self.arrivals.multipliers)
        if estimate.field == "case_mix":
            return ", ".join(f"{r.case_type} {r.share:.4f}" for r in frames.rows(self.mix))
        if estimate.field == "claim_cny" and self.amounts is not None and self.amounts.chosen is not None:
            return self.amounts.chosen.describe()
        if estimate.group == "delays":
            fitted = next(f for f in self.delays if f.delay.value == estimate.field)
            return f"{fitted.fit.describe()}, median {estimate.value:.4g} days"
        return "n/a" if math.isnan(estimate.value) else f"{estimate.value:.4g}"


def calibrate(records: CaseRecords, base: Scenario) -> Calibration:
    """Fit every identifiable parameter of ``base`` from ``records`` (see the module docstring)."""
    cases = records.cases
    # The model resumes its own 终本 cases (resume_within_5y_rate). Where they replace filed
    # 执恢 cases the mix is the whole intake and they are counted; where they come on top
    # they are no filing of the mix, and counting them would inflate the rate and the 执恢 share.
    outside = cases if base.arrivals.own_resumptions_replace_filed else cases.loc[~cases["resumes_own"]]
    arrivals = fit_arrivals(outside["filed"], records.start_date, records.extraction_date, base)
    mix = case_mix(outside)
    amounts = fit_amounts(cases)
    estimates = [*_arrival_estimates(arrivals, mix, len(outside)), *identified_rates(cases, records.fields)]
    if amounts is not None and amounts.chosen is not None:
        estimates.append(
            Estimate(
                "amounts", "claim_cny", math.nan, math.nan, math.nan, amounts.values.size, True, _amount_note(amounts)
            )
        )
    delays = fit_delays(records.steps, base)
    estimates += delay_estimates(delays)
    first = cases["case_type"] == CaseType.FIRST.value
    by_band = outcome_shares(cases[first], amount_band(cases.loc[first, "claim_cny"]))
    return Calibration(
        records,
        base,
        arrivals,
        mix,
        estimates,
        amounts,
        fit_durations(cases, records.extraction_date),
        outcome_shares(cases, cases["case_type"]),
        by_band,
        recovery_rate(cases),
        not_identified(base, estimates),
        _caveats(records, arrivals, base),
        delays,
    )


# ---------------------------------------------------------------- arrivals and mix


def case_mix(cases: pd.DataFrame) -> pd.DataFrame:
    """Shares of 首执, 执恢 and 执保 with 95% Wilson intervals."""
    n = len(cases)
    rows = []
    for kind in CaseType:
        k = int((cases["case_type"] == kind.value).sum())
        low, high = wilson(k, n)
        rows.append({"case_type": kind.value, "n": k, "share": k / n if n else math.nan, "low": low, "high": high})
    return pd.DataFrame(rows)


def _arrival_estimates(arrivals: ArrivalFit, mix: pd.DataFrame, n: int) -> list[Estimate]:
    z = 1.959964
    per_year = arrivals.cases_per_year
    half = z * arrivals.cases_per_year_se
    level = Estimate(
        "arrivals",
        "cases_per_year",
        per_year,
        per_year - half,
        per_year + half,
        arrivals.n,
        arrivals.n >= MIN_AMOUNTS,
        "expected filings in the scenario's first year at the fitted rates per working day",
    )
    pattern = Estimate(
        "arrivals",
        "monthly_multipliers",
        math.nan,
        math.nan,
        math.nan,
        arrivals.n,
        arrivals.months_identified and arrivals.n >= MIN_AMOUNTS,
        "filings per working day by month ÷ their mean"
        if arrivals.months_identified
        else "some month of the year is not covered by the records: the base pattern is kept",
    )
    shares = Estimate(
        "arrivals",
        "case_mix",
        math.nan,
        math.nan,
        math.nan,
        n,
        n >= MIN_AMOUNTS,
        ", ".join(f"{r.case_type} {r.share:.3f} [{r.low:.3f}, {r.high:.3f}]" for r in frames.rows(mix)),
    )
    return [level, pattern, shares]


# ---------------------------------------------------------------- amounts


def fit_amounts(cases: pd.DataFrame) -> AmountFit | None:
    """Fit the claims of 首执 money cases; None if fewer than :data:`MIN_AMOUNTS` claims."""
    money = (cases["case_type"] == CaseType.FIRST.value) & (cases["claim_cny"] > 0)
    values = cases.loc[money, "claim_cny"].to_numpy(float)
    if values.size < MIN_AMOUNTS:
        return None
    fits = fit_complete(values)
    best_aic = fits[0].aic if fits else math.nan
    rows = []
    for fit in fits:
        d, pvalue = ks_statistic(values, fit)
        rows.append(
            {
                "family": fit.family,
                "k": fit.k,
                "loglik": fit.loglik,
                "aic": fit.aic,
                "delta_aic": fit.aic - best_aic,
                "ks_d": d,
                "ks_p": pvalue,
                "ad": ad_statistic(values, fit),
                "describe": fit.describe(),
                "written": False,
            }
        )
    table = pd.DataFrame(rows)
    chosen = next((f for f in fits if f.family in WRITABLE), None)
    if chosen is not None:
        table.loc[table["family"] == chosen.family, "written"] = True
    return AmountFit(values, fits, table, _spec(chosen) if chosen else None, chosen)


def _amount_note(amounts: AmountFit) -> str:
    """Which family was written, its fit statistics, and how it ranked by AIC."""
    row = amounts.table[amounts.table["written"]].iloc[0]
    se = amounts.chosen.describe_se() if amounts.chosen is not None else ""
    text = f"{row['describe']} ({se}); KS D={row['ks_d']:.3f}, AD A²={row['ad']:.2f}; "
    best = amounts.table.iloc[0]
    if best["family"] == row["family"]:
        return text + f"best AIC of {len(amounts.table)} families"
    return text + (
        f"best AIC among the families a scenario can write; {best['family']} fits better by "
        f"ΔAIC {row['delta_aic']:.1f} but cannot be written"
    )


def _spec(fit: ParametricFit) -> dict[str, object]:
    """The scenario's DistSpec for a fitted family (yuan, rounded to 4 significant figures)."""
    if fit.family == "lognormal":
        return {"dist": "lognormal", "median": _sig(fit.params[2]), "sigma": round(fit.params[0], 4)}
    if fit.family == "gamma":
        return {"dist": "gamma", "shape": round(fit.params[0], 4), "scale": _sig(fit.params[2])}
    return {"dist": "exponential", "mean": _sig(fit.params[1])}


def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


# ---------------------------------------------------------------- durations


def fit_durations(cases: pd.DataFrame, extraction: date) -> list[DurationGroup]:
    """Days to close: all cases, by case type and by track (censored), by outcome (truncated).

    ``extraction`` is the extraction date: a case filed c days before it could only
    be seen closed within c + 0.5 days (the truncation limit of the outcome fits).
    """
    dated = cases[cases["follow_days"].notna()]
    groups = [_censored_group("all", "all", dated)]
    for kind in ("case_type", "track"):
        for label, group in dated.groupby(kind, sort=True):
            if label and len(group) >= MIN_DURATIONS:
                groups.append(_censored_group(kind, str(label), group))
    for outcome in Outcome:
        given = _outcome_group(dated, outcome.value, extraction)
        if given is not None:
            groups.append(given)
    return groups


def _censored_group(kind: str, label: str, group: pd.DataFrame) -> DurationGroup:
    time, event = group["follow_days"].to_numpy(float), group["event"].to_numpy(bool)
    fits = fit_censored(time, event) if event.sum() >= MIN_DURATIONS else []
    naive_all = fit_complete(time[event], (fits[0].family,)) if fits else []
    note = "" if fits else f"fewer than {MIN_DURATIONS} closures: no parametric fit"
    return DurationGroup(
        kind,
        label,
        len(group),
        int(event.sum()),
        kaplan_meier(time, event),
        fits,
        naive_all[0] if naive_all else None,
        note,
    )


def _outcome_group(dated: pd.DataFrame, outcome: str, extraction: date) -> DurationGroup | None:
    """Days to close given the outcome: conditional incidence and right-truncated fits."""
    mask = dated["event"].to_numpy() & (dated["outcome"] == outcome).to_numpy()
    if mask.sum() < MIN_DURATIONS:
        return None
    code = np.where(dated["event"].to_numpy(), 2, 0)
    code[mask] = 1
    days, cif = aalen_johansen(dated["follow_days"].to_numpy(float), code, 2)
    conditional = 1 - cif[:, 0] / cif[-1, 0]
    time = dated.loc[mask, "follow_days"].to_numpy(float)
    if np.ptp(time) < 1:
        return DurationGroup(
            "outcome",
            outcome,
            int(mask.sum()),
            int(mask.sum()),
            (days, conditional),
            [],
            None,
            f"all close within a day (median {np.median(time):g} days): no parametric fit",
        )
    limit = (pd.Timestamp(extraction) - dated.loc[mask, "filed"]).dt.days.to_numpy(float) + 0.5
    limit = np.maximum(limit, time)
    fits = sorted(
        (f for f in (fit_truncated(time, limit, fam) for fam in ("lognormal", "gamma", "weibull")) if f is not None),
        key=lambda f: f.aic,
    )
    naive = fit_complete(time, (fits[0].family,)) if fits else []
    return DurationGroup(
        "outcome",
        outcome,
        int(mask.sum()),
        int(mask.sum()),
        (days, conditional),
        fits,
        naive[0] if naive else None,
        "given the outcome (right-truncated fit)",
    )


# ---------------------------------------------------------------- what is not identified


_REASONS: dict[str, str] = {
    "run": "how long to simulate: a choice of the study, not a property of the court",
    "calendar": "the official working calendar; not estimated from cases",
    "arrivals.related_rate": "needs the debtor's identity to link related cases; not in a case export",
    "arrivals.labelled_rate": "special labels (营商环境, 党政机关, 涉黑恶) are not in the export",
    "amounts.partial_freeze_share": "needs the amounts frozen online per case (网络查控 results)",
    "amounts.property_value_ratio": "needs the value of the property found per case",
    "amounts.settlement_share": "needs the settlement amounts; a performed settlement closes as 执行完毕 like "
    "full performance",
    "probabilities": "decided inside a case (freeze, investigation, measures, disposal, auction); a case "
    "export has only filing and closing, so the node log (节点信息) or the auction "
    "platform's records would be needed",
    "probabilities.filing_error_rate": "a filing returned for correction and then accepted leaves no trace in "
    "the export",
    "probabilities.voluntary_payment_rate": "a voluntary payment closes as 执行完毕 like any other full "
    "performance; the export does not tell them apart",
    "probabilities.settlement_rate": "a performed settlement closes as 执行完毕 (or 终结执行 when the application "
    "is withdrawn); the export does not tell it apart",
    "probabilities.resume_within_5y_rate": "needs the link between a 执恢 case and its earlier 终本 case",
    "probabilities.resumed_property_rate": "needs the link between a 执恢 case and its earlier 终本 case",
    "delays": "waits on outside parties are steps inside a case; the export dates no step (<delay>_requested and "
    "_answered columns, sim.calibration.steps)",
    "tasks": "staff effort hours appear in no case record (time sheets or a work study would be needed)",
    "deadlines": "rules of the plan and the statutes, not quantities to estimate",
    "policy": "choices of the court, not quantities to estimate",
    "organisation": "the court's organisation, not estimated from cases",
    "side_streams": "commissioned matters, petitions and supervision cases are other case kinds (执协, 信访, 执监)",
    "staffing": "from the court's establishment (编制), not from case records",
}


def not_identified(base: Scenario, estimates: list[Estimate]) -> pd.DataFrame:
    """Every scenario parameter not written, with the base value kept and why."""
    written = {f"{e.group}.{e.field}" for e in estimates if e.written}
    fitted_not_written = {f"{e.group}.{e.field}": e.note for e in estimates if not e.written}
    rows = []
    for group in ("arrivals", "amounts", "probabilities"):
        section = getattr(base, group)
        for name in type(section).model_fields:
            path = f"{group}.{name}"
            if name in ("source", "sources") or path in written:
                continue
            reason = fitted_not_written.get(path) or _REASONS.get(path) or _REASONS.get(group, "")
            rows.append({"parameter": path, "base": _show(getattr(section, name)), "reason": reason})
    if any(e.group == "delays" and e.written for e in estimates):
        rows.append(
            {
                "parameter": "delays.*",
                "base": "kept from the base",
                "reason": "the delays the export dates no steps of (or too few answers): kept from the base",
            }
        )
    for group in (
        *(() if any(e.group == "delays" and e.written for e in estimates) else ("delays",)),
        "tasks",
        "staffing",
        "deadlines",
        "policy",
        "organisation",
        "side_streams",
        "calendar",
        "run",
    ):
        rows.append({"parameter": f"{group}.*", "base": "kept from the base", "reason": _REASONS[group]})
    return pd.DataFrame(rows, columns=["parameter", "base", "reason"])


def _show(value: object) -> str:
    if hasattr(value, "describe"):
        return str(value.describe())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _caveats(records: CaseRecords, arrivals: ArrivalFit, base: Scenario) -> list[str]:
    notes = []
    if records.synthetic:
        notes.append("these records are SYNTHETIC (合成数据): generated by the simulator, not a court's cases")
    if arrivals.dispersion > 1.5:
        notes.append(
            f"daily filings vary {arrivals.dispersion:.1f}× more than a Poisson count: the intervals "
            "are widened accordingly, and the model's Poisson arrivals will look smoother than the court"
        )
    if arrivals.rest_day_filings:
        notes.append(
            f"{arrivals.rest_day_filings} filings dated on rest days were counted on the next working "
            "day (the model files on working days only)"
        )
    cases = records.cases
    on_top = not base.arrivals.own_resumptions_replace_filed
    if on_top and cases["case_type"].eq("resumed").any() and "origin" not in records.fields:
        resumed = float(base.probabilities.resume_within_5y_rate)
        notes.append(
            "the model also creates 执恢 cases from its own 终本 cases (resume_within_5y_rate = "
            f"{resumed:g}); without a 原案号 column the records cannot tell those from outside filings, "
            "so the fitted rate and 执恢 share include them and a run counts them twice"
        )
    return notes
