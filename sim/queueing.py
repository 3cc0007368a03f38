"""Textbook queueing formulas the model is checked against (validation only).

The reduced model — one team, exponential effort, Poisson filings, the 24/7
calendar — is an M/M/c queue, whose mean wait is known exactly (Erlang C).
"""

from __future__ import annotations

import math

__all__ = ["erlang_c", "mmc_mean_wait"]


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
