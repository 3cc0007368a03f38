"""Samplers for the distributions a scenario writes down.

A spec (:mod:`sim.config.distspec`) is the recipe; a sampler built from it is the cook
who turns random numbers into durations, amounts or counts. Samplers own no random
state: the caller passes a :class:`numpy.random.Generator` from :mod:`sim.streams`.

Every sampler works by inversion: ``sample(rng, size)`` is exactly
``ppf(rng.random(size))``. Inversion is slower only for gamma (about 0.5-1 us a value
against 0.04 us for ``rng.gamma``) and means the same uniforms give the same case
attributes in every scenario
(common random numbers), and a comparison between scenarios can feed one set of
uniforms to different distributions. Draw in bulk, one call for all cases: 10,000
triangular values take about 0.13 ms in one call and about 120 ms in 10,000 calls of
one value each (numpy call overhead dominates single draws).

Values are in the unit of the scenario field that holds the spec (hours, days, CNY).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, assert_never, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from sim.config.distspec import (
    DISTRIBUTIONS,
    DistSpec,
    EmpiricalSpec,
    ExponentialSpec,
    FixedSpec,
    GammaSpec,
    LognormalSpec,
    Quantiles,
    RegisteredSpec,
    TriangularSpec,
    UniformSpec,
    WeibullSpec,
    check_shares,
)

__all__ = [
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Registered",
    "Triangular",
    "Uniform",
    "Weibull",
    "build",
    "categorical_ppf",
    "register_distribution",
]

FloatArray = NDArray[np.float64]
L = TypeVar("L")


@runtime_checkable
class Distribution(Protocol):
    """What the model needs from a random quantity: bulk draws, inversion and a mean."""

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` values (float64, never negative) from ``rng``."""
        ...

    def ppf(self, u: ArrayLike) -> FloatArray:
        """Inverse CDF of uniforms in [0, 1); non-decreasing in ``u``."""
        ...

    def mean(self) -> float:
        """Mean of the values drawn (after any cap)."""
        ...


class _SpecLike(Protocol):
    def mean(self) -> float: ...
    def describe(self) -> str: ...


class _ByInversion:
    """Shared behaviour: sampling by inversion, mean and description from the spec."""

    __slots__ = ()
    spec: _SpecLike

    def ppf(self, u: ArrayLike) -> FloatArray:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` values in one vectorised call.

        Parameters
        ----------
        rng
            The stream to draw from; it advances by ``size`` uniforms.
        size
            Number of values.

        Returns
        -------
        numpy.ndarray
            float64 values, in the unit of the field holding the spec.
        """
        return self.ppf(rng.random(size))

    def mean(self) -> float:
        return self.spec.mean()

    def describe(self) -> str:
        return self.spec.describe()


def _uniforms(u: ArrayLike) -> FloatArray:
    return np.asarray(u, dtype=np.float64)


def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:  # numpy's exp gives inf there
        return math.inf


def _log1p(v: float) -> float:
    try:
        return math.log1p(v)
    except ValueError:  # numpy's log1p gives -inf at -1 and nan below it
        return -math.inf if v == -1.0 else math.nan


def _pow(v: float, p: float) -> float:
    try:
        return math.pow(v, p)
    except (ValueError, OverflowError):  # a negative base; a result beyond float64
        return math.nan if v < 0 else math.inf


def _elementwise(fn: Callable[[float], float], x: ArrayLike) -> FloatArray:
    """``fn`` of each value, by the C library, so that a draw does not depend on the CPU.

    numpy's ``exp``, ``log1p`` and ``power`` take AVX-512 kernels where the CPU has them;
    those differ from the C library (which numpy calls elsewhere) in the last bit of one value
    in twenty, so a scenario's amounts and durations would depend on the machine that drew
    them (a Dask cluster of mixed machines, a researcher's laptop against CI). One value costs
    about 0.1 us this way, on draws made once per replication. Another C library (another
    platform's libm) may still round differently in the last bit.
    """
    a = np.asarray(x, dtype=np.float64)
    return np.fromiter(map(fn, a.ravel().tolist()), dtype=np.float64, count=a.size).reshape(a.shape)


def _clip(x: FloatArray, cap: float | None) -> FloatArray:
    # Clip rather than redraw: a cap models a deadline that ends the wait, so the
    # probability mass above it lands on the cap itself.
    return x if cap is None else np.minimum(x, cap)


@dataclass(frozen=True, slots=True)
class Fixed(_ByInversion):
    """Always ``spec.value``; the uniforms are consumed but ignored."""

    spec: FixedSpec

    def ppf(self, u: ArrayLike) -> FloatArray:
        return np.full(np.shape(u), self.spec.value, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Exponential(_ByInversion):
    """Exponential with mean ``spec.mean_value``."""

    spec: ExponentialSpec

    def ppf(self, u: ArrayLike) -> FloatArray:
        # log1p keeps precision for small u, where most of the short waits are.
        x = -self.spec.mean_value * _elementwise(_log1p, -_uniforms(u))
        return _clip(x, self.spec.cap)


@dataclass(frozen=True, slots=True)
class Uniform(_ByInversion):
    """Uniform on [``spec.low``, ``spec.high``)."""

    spec: UniformSpec

    def ppf(self, u: ArrayLike) -> FloatArray:
        s = self.spec
        return _clip(s.low + _uniforms(u) * (s.high - s.low), s.cap)


@dataclass(frozen=True, slots=True)
class Triangular(_ByInversion):
    """Triangular on [low, high] with peak at mode."""

    spec: TriangularSpec

    def ppf(self, u: ArrayLike) -> FloatArray:
        a, m, b = self.spec.low, self.spec.mode, self.spec.high
        uu = _uniforms(u)
        width = b - a
        # Left of the mode the CDF is (x-a)^2 / ((b-a)(m-a)); right of it, mirrored.
        left = a + np.sqrt(uu * width * (m - a))
        right = b - np.sqrt((1.0 - uu) * width * (b - m))
        # Each branch is monotone; pinning it to its side of the mode keeps the whole
        # ppf monotone where rounding (1 - u close to 1) would let the branches cross.
        x = np.where(uu < (m - a) / width, np.minimum(left, m), np.maximum(right, m))
        return _clip(x, self.spec.cap)


@dataclass(frozen=True, slots=True)
class Lognormal(_ByInversion):
    """Lognormal: ln(X) is normal with the spec's (mu, sigma)."""

    spec: LognormalSpec

    def ppf(self, u: ArrayLike) -> FloatArray:
        mu, sigma = self.spec.log_params()
        # special.ndtri is what scipy.stats.lognorm.ppf computes, without the
        # per-call overhead of the frozen-distribution machinery.
        x = _elementwise(_exp, mu + sigma * special.ndtri(_uniforms(u)))
        return _clip(x, self.spec.cap)


@dataclass(frozen=True, slots=True)
class Gamma(_ByInversion):
    """Gamma with the spec's (shape, scale)."""

    spec: GammaSpec

    def ppf(self, u: ArrayLike) -> FloatArray:
        shape, scale = self.spec.shape_scale()
        # Inverse of the regularised lower incomplete gamma = scipy.stats.gamma.ppf.
        x = scale * special.gammaincinv(shape, _uniforms(u))
        return _clip(np.asarray(x, dtype=np.float64), self.spec.cap)


@dataclass(frozen=True, slots=True)
class Weibull(_ByInversion):
    """Weibull with the spec's (shape, scale)."""

    spec: WeibullSpec

    def ppf(self, u: ArrayLike) -> FloatArray:
        # F(x) = 1 - exp(-(x/λ)^k) inverted; log1p keeps precision for small u.
        power = 1.0 / self.spec.shape
        x = self.spec.scale * _elementwise(lambda v: _pow(-_log1p(-v), power), _uniforms(u))
        return _clip(x, self.spec.cap)


@dataclass(frozen=True, slots=True)
class Registered(_ByInversion):
    """A family registered by name (:func:`register_distribution`): its factory's ``ppf``.

    The factory is asked once, when the sampler is built; values are float64, and a
    negative value (which validation rules out at a few quantiles) is an error.
    """

    spec: RegisteredSpec
    _quantiles: Quantiles = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_quantiles", self.spec.quantiles())

    def ppf(self, u: ArrayLike) -> FloatArray:
        x = np.asarray(self._quantiles.ppf(_uniforms(u)), dtype=np.float64)
        if x.size and not np.nanmin(x) >= 0:
            raise ValueError(f"distribution {self.spec.describe()} gave a negative value")
        return x


def register_distribution(name: str) -> Callable[[Callable[..., Quantiles]], Callable[..., Quantiles]]:
    """Decorator: register a module-level function as the distribution family ``name``.

    The function takes the family's parameters (numbers, as a scenario writes them beside
    ``dist = "name"``) and returns an object with ``ppf`` (inverse CDF of uniforms in
    [0, 1)) and ``mean``, e.g. a frozen ``scipy.stats`` distribution::

        @register_distribution("weibull_min")
        def weibull_min(shape: float, scale: float):
            return scipy.stats.weibull_min(shape, scale=scale)

    Draws stay common random numbers: the model maps its own uniforms through ``ppf``.
    """
    return DISTRIBUTIONS.register(name)


@dataclass(frozen=True, slots=True)
class Empirical(_ByInversion):
    """Resample the listed values uniformly with replacement.

    The values are sorted once so that ``ppf`` is a true inverse CDF (non-decreasing),
    whatever order the file lists them in.
    """

    spec: EmpiricalSpec
    # Converted once: the spec keeps a tuple (hashable, frozen), draws need an array.
    _values: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = np.sort(np.array(self.spec.values, dtype=np.float64))
        values.setflags(write=False)
        object.__setattr__(self, "_values", values)

    def ppf(self, u: ArrayLike) -> FloatArray:
        n = len(self._values)
        # floor(u*n) is uniform on 0..n-1; the minimum guards u rounding up to n.
        index = np.minimum((_uniforms(u) * n).astype(np.intp), n - 1)
        return self._values[index]


def build(spec: DistSpec) -> Distribution:
    """Build the sampler for a validated distribution spec.

    Parameters
    ----------
    spec
        Any member of :data:`sim.config.distspec.DistSpec`.

    Returns
    -------
    Distribution
        A frozen sampler; it holds no random state and can be shared freely.
    """
    match spec:
        case FixedSpec():
            return Fixed(spec)
        case ExponentialSpec():
            return Exponential(spec)
        case UniformSpec():
            return Uniform(spec)
        case TriangularSpec():
            return Triangular(spec)
        case LognormalSpec():
            return Lognormal(spec)
        case GammaSpec():
            return Gamma(spec)
        case WeibullSpec():
            return Weibull(spec)
        case EmpiricalSpec():
            return Empirical(spec)
        case RegisteredSpec():
            return Registered(spec)
        case _:
            assert_never(spec)


def categorical_ppf(shares: Mapping[L, float], u: ArrayLike) -> NDArray[np.object_]:
    """Map uniforms to category labels so that each label's frequency is its share.

    Categories take consecutive slices of [0, 1) in the mapping's insertion order, so a
    small ``u`` always picks an early category: with common random numbers, a case keeps
    its category when another scenario changes the shares only slightly.

    Parameters
    ----------
    shares
        Label -> share (unitless fraction); must pass
        :func:`sim.config.distspec.check_shares`. Labels may be any objects (e.g. enums).
    u
        Uniforms in [0, 1).

    Returns
    -------
    numpy.ndarray
        Object array of labels, the shape of ``u``.

    Raises
    ------
    ValueError
        If the shares are empty, outside [0, 1] or do not sum to 1.
    """
    check_shares(shares, "categorical_ppf")
    labels = np.empty(len(shares), dtype=object)
    labels[:] = list(shares)  # element-wise, so tuple labels are not unpacked
    cumulative = np.cumsum(np.fromiter(shares.values(), dtype=np.float64, count=len(shares)))
    # Normalise so the last edge is exactly 1: no u < 1 can fall off the end, and a
    # trailing zero share keeps an empty slice.
    cumulative /= cumulative[-1]
    index = np.searchsorted(cumulative, _uniforms(u), side="right")
    return labels[np.minimum(index, len(shares) - 1)]
