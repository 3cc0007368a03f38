"""Textbook queueing formulas the model is checked against (validation only).

The model reduced through the ordinary scenario format — Poisson filings, the 24/7
calendar, one or a few desks with exponential or fixed effort — is a queue or a
network of queues whose mean waits are known exactly. Like a ruler laid against a
drawing, these formulas do not compute anything the model needs; they only tell
whether the model measures what it claims (``tests/validation``, ``docs/validation.md``).

All rates share one time unit (the tests use days); waits come back in that unit.
Sources: Erlang C and Jackson networks (Gross & Harris, *Fundamentals of Queueing
Theory*, §§2.3, 4.1); non-preemptive priorities (Cobham 1954; Kleinrock, *Queueing
Systems* II, §3.6); Pollaczek–Khinchine (Kleinrock I, §5.6); the FCFS recursion of
Lindley (1952) and Kiefer & Wolfowitz (1955).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "erlang_c",
    "fcfs_schedule",
    "jackson_arrival_rates",
    "jackson_mean_waits",
    "mg1_mean_wait",
    "mm1_priority_waits",
    "mmc_mean_wait",
    "mmc_priority_waits",
]


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang's C formula).

    Parameters
    ----------
    servers : int
        Number of servers ``c`` (>= 1).
    offered_load : float
        ``a = λ / μ`` in Erlangs; must be below ``servers`` for a steady state.
    """
    if servers < 1 or not 0 <= offered_load < servers:
        raise ValueError(f"need servers >= 1 and 0 <= load < servers (got {servers}, {offered_load})")
    rho = offered_load / servers
    # Sum a^k / k! iteratively to stay accurate for large c.
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= offered_load / k
        total += term
    last = term * offered_load / servers / (1.0 - rho)
    return last / (total + last)


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue ``W_q`` of an M/M/c queue, in the rates' time unit."""
    load = arrival_rate / service_rate
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate)


def mmc_priority_waits(servers: int, arrival_rates: Sequence[float], service_rate: float) -> list[float]:
    """Mean wait of each class in an M/M/c queue with non-preemptive priorities.

    Classes are given highest priority first and share one exponential service
    rate; within a class the order is first come, first served. Class ``k`` waits
    ``W_k = C(c, a) / (c μ) / ((1 - σ_{k-1}) (1 - σ_k))`` with ``σ_k`` the load of
    classes ``1..k`` per server (Cobham 1954; for c = 1 the residual work
    ``C / (c μ)`` is ``ρ / μ``).

    Parameters
    ----------
    servers : int
        Number of identical servers ``c``.
    arrival_rates : sequence of float
        Poisson arrival rate of each class, highest priority first.
    service_rate : float
        Service rate ``μ`` of one server, the same for every class.
    """
    total = math.fsum(arrival_rates)
    if min(arrival_rates, default=-1.0) < 0:
        raise ValueError(f"arrival rates must be >= 0 (got {list(arrival_rates)})")
    residual = erlang_c(servers, total / service_rate) / (servers * service_rate)
    waits, below = [], 0.0
    for rate in arrival_rates:
        above = below + rate / (servers * service_rate)
        waits.append(residual / ((1.0 - below) * (1.0 - above)))
        below = above
    return waits


def mm1_priority_waits(arrival_rates: Sequence[float], service_rate: float) -> list[float]:
    """Mean wait of each class of an M/M/1 queue with non-preemptive priorities (Cobham)."""
    return mmc_priority_waits(1, arrival_rates, service_rate)


def mg1_mean_wait(arrival_rate: float, mean_service: float, second_moment: float) -> float:
    """Mean wait of an M/G/1 queue (Pollaczek–Khinchine): ``λ E[S²] / (2 (1 - ρ))``.

    For fixed service ``s`` (M/D/1) pass ``second_moment = s²``; for exponential
    service ``2 s²`` gives back the M/M/1 wait.
    """
    rho = arrival_rate * mean_service
    if not 0 <= rho < 1:
        raise ValueError(f"need 0 <= load < 1 for a steady state (got {rho:g})")
    return arrival_rate * second_moment / (2.0 * (1.0 - rho))


def jackson_arrival_rates(external: Sequence[float], routing: Sequence[Sequence[float]]) -> np.ndarray:
    """Total arrival rate of each station of an open network: solve ``λ = γ + λ P``.

    Parameters
    ----------
    external : sequence of float
        ``γ_i``: arrivals from outside to station ``i``.
    routing : square matrix
        ``P[i][j]``: probability that a job leaving ``i`` goes next to ``j``; the rest of
        row ``i`` leaves the network. Every job must leave eventually.
    """
    gamma = np.asarray(external, dtype=float)
    p = np.asarray(routing, dtype=float)
    if p.shape != (gamma.size, gamma.size) or (p < 0).any() or (p.sum(axis=1) > 1 + 1e-12).any():
        raise ValueError("routing must be a square matrix of probabilities with rows summing to <= 1")
    return np.linalg.solve(np.eye(gamma.size) - p.T, gamma)


def jackson_mean_waits(
    external: Sequence[float],
    routing: Sequence[Sequence[float]],
    servers: Sequence[int],
    service_rates: Sequence[float],
    stations: Sequence[int] | None = None,
) -> np.ndarray:
    """Mean wait per visit at each node of an open Jackson (BCMP) network.

    By Jackson's theorem each station behaves as an M/M/c queue fed at its total rate
    (:func:`jackson_arrival_rates`), so its wait per visit is Erlang C's. Nodes with
    ``servers = 0`` are pure delays (infinite servers, any service law): wait 0.

    ``stations`` maps nodes to desks: nodes with the same number are visits of different
    kinds to one first-come-first-served desk (a returned filing checked a second time).
    Product form still holds when they share the exponential service rate (BCMP
    multi-class networks); the desk's rate is the sum over its nodes. Default: one desk
    per node. ``servers`` and ``service_rates`` are per node and must agree within a desk.
    """
    rates = jackson_arrival_rates(external, routing)
    desks = list(range(rates.size)) if stations is None else list(stations)
    load: dict[int, float] = {}
    for desk, lam in zip(desks, rates, strict=True):
        load[desk] = load.get(desk, 0.0) + float(lam)
    waits = []
    for desk, c, mu in zip(desks, servers, service_rates, strict=True):
        waits.append(0.0 if c == 0 else mmc_mean_wait(c, load[desk], mu))
    return np.array(waits)


def fcfs_schedule(
    arrivals: Sequence[float], services: Sequence[float], servers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Exact start and finish times of jobs at ``servers`` identical first-come-first-served servers.

    The Kiefer–Wolfowitz recursion (Lindley's for one server): job ``n`` starts at the
    later of its arrival and the earliest moment a server is free. It holds for any
    arrival and service sequence, so with fixed service it predicts a D/D/1 or M/D/c
    run job by job. ``arrivals`` must be sorted (ties keep their order).
    """
    if servers < 1:
        raise ValueError(f"servers must be >= 1 (got {servers})")
    free = [0.0] * servers  # a heap of the moments each server comes free
    start = np.empty(len(arrivals))
    finish = np.empty(len(arrivals))
    for n, (arrived, service) in enumerate(zip(arrivals, services, strict=True)):
        start[n] = max(arrived, heapq.heappop(free))
        finish[n] = start[n] + service
        heapq.heappush(free, finish[n])
    return start, finish
