"""The textbook formulas themselves (sim/queueing.py), against independent forms and hand values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.queueing import (
    erlang_c,
    fcfs_schedule,
    jackson_arrival_rates,
    jackson_mean_waits,
    mg1_mean_wait,
    mm1_priority_waits,
    mmc_mean_wait,
    mmc_priority_waits,
)


def _erlang_c_by_factorials(c: int, a: float) -> float:
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.validation
@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (2, 1.0), (3, 2.7), (10, 8.0), (25, 24.0)])
def test_erlang_c_matches_its_factorial_form(c: int, a: float) -> None:
    assert erlang_c(c, a) == pytest.approx(_erlang_c_by_factorials(c, a), rel=1e-12)


@pytest.mark.validation
def test_erlang_c_hand_values() -> None:
    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_mean_wait(1, 0.9, 1.0) == pytest.approx(9.0)  # rho / (mu - lambda)
    with pytest.raises(ValueError, match="load"):
        erlang_c(2, 2.0)


@pytest.mark.validation
def test_pollaczek_khinchine() -> None:
    lam, s = 0.8, 1.0
    assert mg1_mean_wait(lam, s, 2 * s**2) == pytest.approx(mmc_mean_wait(1, lam, 1 / s))  # exponential = M/M/1
    assert mg1_mean_wait(lam, s, s**2) == pytest.approx(mmc_mean_wait(1, lam, 1 / s) / 2)  # M/D/1 waits half
    with pytest.raises(ValueError, match="load"):
        mg1_mean_wait(1.0, 1.0, 1.0)


@pytest.mark.validation
@pytest.mark.parametrize("servers", [1, 2, 5])
def test_priority_waits_conserve_the_fcfs_wait(servers: int) -> None:
    """Kleinrock's conservation law: the rate-weighted mean of the class waits is the FCFS wait."""
    rates, mu = [0.3 * servers, 0.25 * servers, 0.3 * servers], 1.0
    waits = mmc_priority_waits(servers, rates, mu)
    fcfs = mmc_mean_wait(servers, sum(rates), mu)
    assert np.dot(rates, waits) / sum(rates) == pytest.approx(fcfs)
    assert waits == sorted(waits)  # higher priority waits less
    assert mmc_priority_waits(servers, [sum(rates)], mu)[0] == pytest.approx(fcfs)


@pytest.mark.validation
def test_cobham_hand_values() -> None:
    # rho = 0.8, mu = 1: W0 = 0.8; sigma_1 = 0.2
    w1, w2 = mm1_priority_waits([0.2, 0.6], 1.0)
    assert w1 == pytest.approx(0.8 / 0.8)
    assert w2 == pytest.approx(0.8 / (0.8 * 0.2))


@pytest.mark.validation
def test_jackson_traffic_equations() -> None:
    # Feedback: a station returning a share p of its jobs sees lambda / (1 - p).
    assert jackson_arrival_rates([2.0], [[0.25]])[0] == pytest.approx(2.0 / 0.75)
    # Tandem with a branch.
    rates = jackson_arrival_rates([3.0, 0, 0], [[0, 0.4, 0.6], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(rates, [3.0, 1.2, 1.8])
    waits = jackson_mean_waits([3.0, 0, 0], [[0, 0.4, 0.6], [0, 0, 0], [0, 0, 0]], [2, 1, 0], [2.0, 2.0, 1.0])
    np.testing.assert_allclose(waits, [mmc_mean_wait(2, 3.0, 2.0), mmc_mean_wait(1, 1.2, 2.0), 0.0])
    # Two kinds of visit to one desk add up.
    shared = jackson_mean_waits([1.0, 0], [[0, 0.5], [0, 0]], [1, 1], [3.0, 3.0], stations=[0, 0])
    np.testing.assert_allclose(shared, mmc_mean_wait(1, 1.5, 3.0))


@pytest.mark.validation
def test_fcfs_schedule_by_hand() -> None:
    start, finish = fcfs_schedule([0.0, 0.5, 0.6, 5.0], [1.0, 1.0, 1.0, 1.0], servers=1)
    np.testing.assert_allclose(start, [0.0, 1.0, 2.0, 5.0])
    np.testing.assert_allclose(finish, [1.0, 2.0, 3.0, 6.0])
    start, _ = fcfs_schedule([0.0, 0.5, 0.6, 0.7], [1.0, 1.0, 1.0, 1.0], servers=2)
    np.testing.assert_allclose(start, [0.0, 0.5, 1.0, 1.5])
    # D/D/1 below capacity never waits.
    arrivals = np.arange(100.0)
    start, _ = fcfs_schedule(arrivals, np.full(100, 0.9))
    np.testing.assert_array_equal(start, arrivals)
