"""Log-densities of the candidate families in closed form, for fast maximum likelihood.

Each family has two "natural" parameters (exponential one), all positive, in
the unit of the data (days or yuan) except the unitless shapes:

=========== ======================== ===============================
family      natural parameters       scipy equivalent
=========== ======================== ===============================
lognormal   sigma, median            ``lognorm(sigma, 0, median)``
gamma       shape, scale             ``gamma(shape, 0, scale)``
weibull     shape, scale             ``weibull_min(shape, 0, scale)``
exponential mean                     ``expon(0, mean)``
=========== ======================== ===============================
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import special, stats

__all__ = ["FAMILIES", "logcdf", "logpdf", "logsf", "scipy_params", "start"]

FAMILIES: dict[str, stats.rv_continuous] = {
    "lognormal": stats.lognorm,
    "gamma": stats.gamma,
    "weibull": stats.weibull_min,
    "exponential": stats.expon,
}
"""Candidate families, all with location 0 (positive values)."""

Floats = npt.NDArray[np.float64]
"""Values of a fitted variable (days, amounts)."""

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def scipy_params(family: str, natural: np.ndarray) -> tuple[float, ...]:
    """scipy's (shapes..., loc=0, scale) from the natural parameters."""
    values = [float(v) for v in natural]
    return (0.0, values[0]) if family == "exponential" else (values[0], 0.0, values[1])


def logpdf(family: str, natural: np.ndarray, x: Floats) -> Floats:
    """Log-density at ``x`` (> 0)."""
    if family == "exponential":
        mean = float(natural[0])
        return np.asarray(-np.log(mean) - x / mean, dtype=np.float64)
    a, b = float(natural[0]), float(natural[1])
    if family == "lognormal":
        z = (np.log(x) - np.log(b)) / a
        return np.asarray(-np.log(x * a) - _LOG_SQRT_2PI - z * z / 2, dtype=np.float64)
    if family == "gamma":
        return np.asarray((a - 1) * np.log(x) - x / b - special.gammaln(a) - a * np.log(b), dtype=np.float64)
    return np.asarray(np.log(a / b) + (a - 1) * np.log(x / b) - (x / b) ** a, dtype=np.float64)


def logsf(family: str, natural: np.ndarray, x: Floats) -> Floats:
    """Log of P(X > x)."""
    if family == "exponential":
        return np.asarray(-x / float(natural[0]), dtype=np.float64)
    a, b = float(natural[0]), float(natural[1])
    if family == "lognormal":
        return np.asarray(special.log_ndtr(-(np.log(x) - np.log(b)) / a), dtype=np.float64)
    if family == "gamma":
        return np.asarray(np.log(special.gammaincc(a, x / b)), dtype=np.float64)
    return np.asarray(-((x / b) ** a), dtype=np.float64)


def logcdf(family: str, natural: np.ndarray, x: Floats) -> Floats:
    """Log of P(X <= x)."""
    if family == "exponential":
        return np.asarray(np.log(-np.expm1(-x / float(natural[0]))), dtype=np.float64)
    a, b = float(natural[0]), float(natural[1])
    if family == "lognormal":
        return np.asarray(special.log_ndtr((np.log(x) - np.log(b)) / a), dtype=np.float64)
    if family == "gamma":
        return np.asarray(np.log(special.gammainc(a, x / b)), dtype=np.float64)
    return np.asarray(np.log(-np.expm1(-((x / b) ** a))), dtype=np.float64)


def start(family: str, x: np.ndarray) -> np.ndarray:
    """Starting log-parameters from the moments of a sample (e.g. the closed cases)."""
    x = x[x > 0]
    if x.size < 2:
        x = np.array([1.0, 2.0]) if x.size == 0 else np.append(x, 2 * x[0])
    logs = np.log(x)
    sd_log = max(float(np.std(logs)), 1e-3)
    if family == "exponential":
        return np.log([float(np.mean(x))])
    if family == "lognormal":
        return np.log([sd_log, math.exp(float(np.mean(logs)))])
    if family == "gamma":
        mean, var = float(np.mean(x)), max(float(np.var(x)), 1e-12)
        return np.log([mean * mean / var, var / mean])
    shape = 1.2825 / sd_log  # π/√6 ÷ sd of log X, the Weibull's own relation
    return np.log([shape, math.exp(float(np.mean(logs)) + 0.5772 / shape)])
