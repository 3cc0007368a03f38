"""Sensitivity indices on models whose answer is known, through the same sampling, backend and analysis.

- a linear function: Morris ``mu_star`` is ``|a|·(high − low)``; Sobol's first-order and
  total indices are ``a²·Var(X) / Σ a²·Var(X)`` (uniform or triangular inputs);
- an M/M/2 queue's mean wait (Erlang C) as a function of arrival and service rates, whose
  indices are computed by quadrature on a fine grid;
- a parameter the model ignores gets an index indistinguishable from zero, and with common
  random numbers the noise of the replications cancels out of the elementary effects.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from sim.experiments.backends import ProcessBackend
from sim.experiments.sensitivity import Factor, FunctionModel, analyse, morris, select, sobol
from sim.queueing import mmc_mean_wait

COEFFICIENTS = {"a": 4.0, "b": -2.0, "c": 1.0, "ignored": 0.0}
LINEAR = [
    Factor("a", 0.0, 1.0, 0.5, "first"),
    Factor("b", 1.0, 3.0, 2.0, "first"),
    Factor("c", -1.0, 1.0, 0.5, "second"),
    Factor("ignored", 0.0, 10.0, 5.0, "second"),
]


def linear(values: Mapping[str, float], rng: np.random.Generator) -> dict[str, float]:
    """A linear function plus noise that does not depend on the inputs (cancelled by CRN)."""
    y = sum(COEFFICIENTS[name] * value for name, value in values.items())
    return {"y": y + rng.normal(0.0, 5.0), "constant": 1.0}


def noisy_without_crn(values: Mapping[str, float], rng: np.random.Generator) -> dict[str, float]:
    """The same function with noise drawn afresh for every input (what CRN avoids)."""
    fresh = np.random.default_rng([int(1000 * v) % 2**32 for v in values.values()])
    return {"y": sum(COEFFICIENTS[name] * value for name, value in values.items()) + fresh.normal(0.0, 5.0)}


def _variance(f: Factor, distribution: str) -> float:
    if distribution == "uniform":
        return (f.high - f.low) ** 2 / 12
    a, c, b = f.low, f.likely, f.high
    return (a * a + b * b + c * c - a * b - a * c - b * c) / 18


def _rows(result: object, kpi: str = "y") -> dict[str, Mapping[str, float]]:
    table = result.indices  # type: ignore[attr-defined]
    return {row["parameter"]: row for row in table[table["kpi"] == kpi].to_dict(orient="records")}


def test_morris_recovers_the_effects_of_a_linear_function() -> None:
    result = morris(FunctionModel(linear, LINEAR, reps=2, seed=11), trajectories=8, seed=3)
    rows = _rows(result)
    for f in LINEAR:
        assert rows[f.name]["mu_star"] == pytest.approx(abs(COEFFICIENTS[f.name]) * (f.high - f.low), abs=1e-9)
    # Common random numbers: the noise (sd 5) cancels, the ignored parameter's effect is exactly nil.
    assert rows["ignored"]["mu_star"] == pytest.approx(0.0, abs=1e-9)
    assert rows["ignored"]["mu_star_conf"] == pytest.approx(0.0, abs=1e-9)
    assert set(result.indices.columns) >= {"parameter", "kpi", "mu_star", "mu_star_conf", "sigma"}
    assert set(select(result, ["y"], top=2)) == {"a", "b"}  # both move y by 4 over their range
    assert select(result, ["y"], top=4)[2:] == ["c"]  # and never one that does nothing


def test_without_common_random_numbers_noise_would_pass_for_an_effect() -> None:
    result = morris(FunctionModel(noisy_without_crn, LINEAR, reps=1, seed=11), trajectories=8, seed=3)
    assert _rows(result)["ignored"]["mu_star"] > 1.0  # what CRN removes in the test above


def test_morris_by_groups_moves_a_table_together() -> None:
    result = morris(FunctionModel(linear, LINEAR, seed=11), trajectories=8, grouped=True, seed=3)
    rows = _rows(result)
    assert list(rows) == ["first", "second"]
    # |4·1 − 2·2| of the first group's joint move can cancel; its mu_star is at most the sum.
    assert 0 <= rows["first"]["mu_star"] <= 4 * 1 + 2 * 2 + 1e-9
    assert rows["second"]["mu_star"] == pytest.approx(1 * 2, abs=1e-9)  # `ignored` adds nothing


@pytest.mark.parametrize("distribution", ["uniform", "triangular"])
def test_sobol_matches_the_analytic_indices_of_a_linear_function(distribution: str) -> None:
    model = FunctionModel(linear, LINEAR, seed=5)
    result = sobol(model, n=512, distribution=distribution, seed=7)
    parts = {f.name: COEFFICIENTS[f.name] ** 2 * _variance(f, distribution) for f in LINEAR}
    total = sum(parts.values())
    rows = _rows(result)
    for name, part in parts.items():
        expected = part / total  # additive: first order = total
        for index in ("S1", "ST"):
            assert abs(rows[name][index] - expected) <= max(rows[name][f"{index}_conf"], 0.02), (name, index)
    assert abs(rows["ignored"]["S1"]) <= rows["ignored"]["S1_conf"] + 1e-12
    assert rows["ignored"]["ST"] == pytest.approx(0.0, abs=1e-12)
    assert "constant" not in set(result.indices["kpi"])  # no variance to apportion


MMC = [Factor("arrival_rate", 0.8, 1.6, 1.2), Factor("service_rate", 1.0, 1.4, 1.2), Factor("unused", 0, 1, 0.5)]


def mm2_wait(values: Mapping[str, float], rng: np.random.Generator) -> dict[str, float]:
    """Mean wait in queue of an M/M/2 (Erlang C): stable over the whole box (λ < 2μ)."""
    return {"wait": mmc_mean_wait(2, values["arrival_rate"], values["service_rate"])}


def _mm2_first_order(points: int = 801) -> tuple[float, float]:
    """Sobol first-order indices of λ and μ (uniform inputs) by the midpoint rule on a fine grid."""
    lam = np.linspace(0.8, 1.6, points)
    mu = np.linspace(1.0, 1.4, points)
    grid = np.array([[mmc_mean_wait(2, x, y) for y in mu] for x in lam])
    variance = grid.var()
    return grid.mean(axis=1).var() / variance, grid.mean(axis=0).var() / variance


@pytest.fixture(scope="module")
def mm2_reference() -> tuple[float, float]:
    return _mm2_first_order(201)


def test_sobol_of_an_mmc_queue_matches_quadrature(mm2_reference: tuple[float, float]) -> None:
    s_lambda, s_mu = mm2_reference
    result = sobol(FunctionModel(mm2_wait, MMC), n=1024, distribution="uniform", seed=2, kpis=["wait"])
    rows = _rows(result, "wait")
    assert abs(rows["arrival_rate"]["S1"] - s_lambda) <= rows["arrival_rate"]["S1_conf"]
    assert abs(rows["service_rate"]["S1"] - s_mu) <= rows["service_rate"]["S1_conf"]
    assert rows["arrival_rate"]["ST"] >= rows["arrival_rate"]["S1"] - rows["arrival_rate"]["ST_conf"]
    assert rows["unused"]["ST"] == pytest.approx(0.0, abs=1e-12)
    assert s_lambda > s_mu > 0.05  # the load drives the wait, the service rate matters too


@pytest.mark.slow
def test_a_process_pool_gives_the_same_indices_bit_for_bit() -> None:
    serial = morris(FunctionModel(linear, LINEAR, reps=2, seed=11), trajectories=6, seed=3)
    with ProcessBackend(2) as pool:
        parallel = morris(FunctionModel(linear, LINEAR, reps=2, seed=11, backend=pool), trajectories=6, seed=3)
    assert serial.outputs.equals(parallel.outputs)
    assert serial.indices.equals(parallel.indices)


WEIGHTS = {f"a{i}": 3.0 - i for i in range(4)} | {f"b{i}": 0.1 for i in range(4)} | {f"c{i}": 0.0 for i in range(4)}
TABLES = [Factor(name, 0.0, 1.0, 0.5, name[0]) for name in WEIGHTS]


def weighted(values: Mapping[str, float], rng: np.random.Generator) -> dict[str, float]:
    return {"y": sum(WEIGHTS[name] * value for name, value in values.items())}


def test_a_small_budget_screens_the_tables_then_the_parameters_of_the_one_that_matters() -> None:
    model = FunctionModel(weighted, TABLES)
    analysis = analyse(model, budget=30, focus=["y"], seed=4)
    assert analysis.groups is not None and analysis.screening is not None and analysis.sobol is None
    assert _rows(analysis.groups)["a"]["mu_star"] > _rows(analysis.groups)["b"]["mu_star"] > 0
    assert [f.name for f in analysis.screening.factors] == ["a0", "a1", "a2", "a3"]  # only table a is refined
    assert analysis.runs <= 30
    assert analysis.selected[:3] == ["a0", "a1", "a2"]


def test_sobol_follows_the_screening_on_the_few_that_matter() -> None:
    model = FunctionModel(weighted, TABLES)
    analysis = analyse(model, method="sobol", budget=400, focus=["y"], top=3, seed=4)
    assert analysis.groups is None  # the budget screens every parameter at once
    assert analysis.selected == ["a0", "a1", "a2"]
    rows = _rows(analysis.sobol)
    assert list(rows) == ["a0", "a1", "a2"]
    total = sum(w * w for w in (3.0, 2.0, 1.0))  # uniform inputs, same variance: shares of w²
    for name, w in (("a0", 3.0), ("a1", 2.0), ("a2", 1.0)):
        assert abs(rows[name]["S1"] - w * w / total) <= max(rows[name]["S1_conf"], 0.05)
    assert analysis.runs <= 400


def test_a_budget_too_small_says_what_it_needs() -> None:
    with pytest.raises(ValueError, match="too small"):
        analyse(FunctionModel(weighted, TABLES), budget=10, focus=["y"])
