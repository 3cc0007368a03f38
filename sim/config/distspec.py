"""How a scenario file writes down a random quantity: the distribution schema.

A distribution spec is like a line on a recipe card: "bake 20 to 30 minutes" says
what may happen, not what will. In a scenario TOML file it is an inline table whose
``dist`` key names the family, for example::

    hours = { dist = "triangular", low = 4, mode = 6, high = 8 }
    appraisal_days = { dist = "triangular", low = 10, mode = 20, high = 90, cap = 60 }

Every family is a frozen pydantic model that rejects unknown keys, NaN, infinities and
parameters that could produce a negative value, so a duration can never be negative by
construction. Units are those of the field that holds the spec (``_hours``, ``_days``, ...).

Besides the built-in families, a family registered by name (:data:`DISTRIBUTIONS`, see
docs/extending.md) may be written the same way, its parameters beside ``dist``::

    service_days = { dist = "pert", low = 2, mode = 6, high = 10 }

The optional ``cap`` on continuous families clips draws: a value above the cap becomes
the cap (it is *not* redrawn), which matches rules such as "appraisal within 60 days".
``mean()`` is the mean of the values actually drawn, so it accounts for the cap.

This module only describes distributions; :mod:`sim.distributions` builds samplers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, Literal, Protocol, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, model_validator
from scipy import special

from sim.rules.registry import Registry

MAX_DAYS = 36_500
"""A century of simulated time: the bound on any number of days (and any delay's mean) in a scenario."""

__all__ = [
    "BUILT_IN",
    "DISTRIBUTIONS",
    "DistSpec",
    "EmpiricalSpec",
    "ExponentialSpec",
    "FixedSpec",
    "GammaSpec",
    "LognormalSpec",
    "Probability",
    "RegisteredSpec",
    "Shares",
    "TriangularSpec",
    "UniformSpec",
    "WeibullSpec",
    "check_shares",
    "parse_distspec",
]

SHARES_TOLERANCE = 1e-6
"""How far a set of shares may sum from 1 (absolute); absorbs decimal rounding in files."""

# strict=True: a TOML string "4" or a boolean must not pass silently as a number;
# ints are still accepted (TOML writes 4, not 4.0).
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]

Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
"""A probability in [0, 1]; rejects NaN, infinities, strings and booleans."""


def _g(x: float) -> str:
    """Short number for messages and descriptions: 4.0 -> "4", 0.25 -> "0.25"."""
    return f"{x:g}"


def _cap_suffix(cap: float | None) -> str:
    return "" if cap is None else f"; cap {_g(cap)}"


def _one_pair(
    first: tuple[str, float | None, str, float | None],
    second: tuple[str, float | None, str, float | None],
) -> None:
    """Require exactly one complete pair of parameters, e.g. (median, sigma) or (mean, sd).

    Each argument is ``(name_a, value_a, name_b, value_b)``; ``None`` means "not given".
    """
    given = [any(v is not None for v in (p[1], p[3])) for p in (first, second)]
    either = f"give either {first[0]} and {first[2]}, or {second[0]} and {second[2]}"
    if all(given):
        raise ValueError(f"{either}, not both")
    if not any(given):
        raise ValueError(either)
    pair = first if given[0] else second
    if pair[1] is None or pair[3] is None:
        got = f"{pair[0]}={pair[1]}, {pair[2]}={pair[3]}"
        raise ValueError(f"{pair[0]} and {pair[2]} go together: give both (got {got})")


def _check_cap_above(cap: float | None, low: float) -> None:
    # A cap at or below `low` would turn the distribution into a constant: almost
    # certainly a typo, and `fixed` says it plainly if it is meant.
    if cap is not None and cap <= low:
        raise ValueError(f"cap must be greater than low (got low={_g(low)}, cap={_g(cap)})")


class _Spec(BaseModel):
    """Common configuration: immutable, unknown keys are errors, dumps use file names."""

    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True)

    def mean(self) -> float:
        """Mean of the values drawn, in the unit of the field holding the spec."""
        raise NotImplementedError

    def describe(self) -> str:
        """Short human form for reports, e.g. ``triangular(4, 6, 8)``."""
        raise NotImplementedError


class FixedSpec(_Spec):
    """Always the same value; the deterministic runs of the test suite use it."""

    dist: Literal["fixed"] = "fixed"
    value: NonNegative

    def mean(self) -> float:
        return self.value

    def describe(self) -> str:
        return f"fixed({_g(self.value)})"


class ExponentialSpec(_Spec):
    """Memoryless waits, e.g. gaps between arrivals; ``mean`` in the field's unit."""

    dist: Literal["exponential"] = "exponential"
    # Stored as `mean_value` because `mean()` is the method every spec shares.
    mean_value: Positive = Field(alias="mean")
    cap: Positive | None = None

    def mean(self) -> float:
        m, c = self.mean_value, self.cap
        # E[min(X, c)] = integral of the survival function exp(-x/m) over [0, c].
        return m if c is None else m * -math.expm1(-c / m)

    def describe(self) -> str:
        return f"exponential(mean={_g(self.mean_value)}{_cap_suffix(self.cap)})"


class UniformSpec(_Spec):
    """Any value between ``low`` and ``high`` equally likely."""

    dist: Literal["uniform"] = "uniform"
    low: NonNegative
    high: NonNegative
    cap: Positive | None = None

    @model_validator(mode="after")
    def _ordered(self) -> UniformSpec:
        if not self.low < self.high:
            raise ValueError(f"high must be greater than low (got low={_g(self.low)}, high={_g(self.high)})")
        _check_cap_above(self.cap, self.low)
        return self

    def mean(self) -> float:
        a, b, c = self.low, self.high, self.cap
        if c is None or c >= b:
            return (a + b) / 2
        # Values below c keep their own mean; the rest become c.
        return ((c * c - a * a) / 2 + c * (b - c)) / (b - a)

    def describe(self) -> str:
        return f"uniform({_g(self.low)}, {_g(self.high)}{_cap_suffix(self.cap)})"


class TriangularSpec(_Spec):
    """Three-point estimate: least, most likely and greatest value."""

    dist: Literal["triangular"] = "triangular"
    low: NonNegative
    mode: NonNegative
    high: NonNegative
    cap: Positive | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TriangularSpec:
        got = f"low={_g(self.low)}, mode={_g(self.mode)}, high={_g(self.high)}"
        if not self.low < self.high:
            raise ValueError(f"high must be greater than low (got {got})")
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"mode must lie between low and high (got {got})")
        _check_cap_above(self.cap, self.low)
        return self

    def mean(self) -> float:
        a, m, b, c = self.low, self.mode, self.high, self.cap
        if c is None or c >= b:
            return (a + m + b) / 3
        # E[min(X, c)] = c - integral of the CDF F over [a, c]; F is piecewise quadratic.
        if c <= m:
            area = (c - a) ** 3 / (3 * (b - a) * (m - a))
        else:
            area = (m - a) ** 2 / (3 * (b - a)) + (c - m)
            area -= ((b - m) ** 3 - (b - c) ** 3) / (3 * (b - a) * (b - m))
        return c - area

    def describe(self) -> str:
        body = f"{_g(self.low)}, {_g(self.mode)}, {_g(self.high)}"
        return f"triangular({body}{_cap_suffix(self.cap)})"


class LognormalSpec(_Spec):
    """Right-skewed positive durations: by ``median`` and ``sigma`` or by ``mean`` and ``sd``.

    ``sigma`` is the standard deviation of ln(X) (unitless); ``median``, ``mean`` and ``sd``
    are in the field's unit.
    """

    dist: Literal["lognormal"] = "lognormal"
    median: Positive | None = None
    sigma: Positive | None = None
    mean_value: Positive | None = Field(default=None, alias="mean")
    sd: Positive | None = None
    cap: Positive | None = None

    @model_validator(mode="after")
    def _one_parameterisation(self) -> LognormalSpec:
        _one_pair(
            ("median", self.median, "sigma", self.sigma),
            ("mean", self.mean_value, "sd", self.sd),
        )
        return self

    def log_params(self) -> tuple[float, float]:
        """(mu, sigma) of ln(X), whichever pair the file gave."""
        if self.median is not None and self.sigma is not None:
            return math.log(self.median), self.sigma
        m, s = self.mean_value, self.sd
        assert m is not None  # both guaranteed by the validator
        assert s is not None
        var_log = math.log1p((s / m) ** 2)
        return math.log(m) - var_log / 2, math.sqrt(var_log)

    def mean(self) -> float:
        mu, s = self.log_params()
        full = math.exp(mu + s * s / 2)
        if self.cap is None:
            return full
        z = (math.log(self.cap) - mu) / s
        # Partial expectation below the cap plus the cap times the chance of exceeding it.
        return full * float(special.ndtr(z - s)) + self.cap * float(special.ndtr(-z))

    def describe(self) -> str:
        if self.median is not None:
            body = f"median={_g(self.median)}, sigma={_g(self.sigma or 0)}"
        else:
            body = f"mean={_g(self.mean_value or 0)}, sd={_g(self.sd or 0)}"
        return f"lognormal({body}{_cap_suffix(self.cap)})"


class GammaSpec(_Spec):
    """Sums of exponential stages: by ``shape`` and ``scale`` or by ``mean`` and ``sd``.

    ``shape`` is unitless; ``scale``, ``mean`` and ``sd`` are in the field's unit.
    """

    dist: Literal["gamma"] = "gamma"
    shape: Positive | None = None
    scale: Positive | None = None
    mean_value: Positive | None = Field(default=None, alias="mean")
    sd: Positive | None = None
    cap: Positive | None = None

    @model_validator(mode="after")
    def _one_parameterisation(self) -> GammaSpec:
        _one_pair(
            ("shape", self.shape, "scale", self.scale),
            ("mean", self.mean_value, "sd", self.sd),
        )
        return self

    def shape_scale(self) -> tuple[float, float]:
        """(shape, scale), whichever pair the file gave."""
        if self.shape is not None and self.scale is not None:
            return self.shape, self.scale
        m, s = self.mean_value, self.sd
        assert m is not None  # both guaranteed by the validator
        assert s is not None
        return (m / s) ** 2, s * s / m

    def mean(self) -> float:
        k, theta = self.shape_scale()
        if self.cap is None:
            return k * theta
        x = self.cap / theta
        # E[X; X < c] = k*theta*P(k+1, c/theta); P, Q are the regularised incomplete gammas.
        below = k * theta * float(special.gammainc(k + 1, x))
        return below + self.cap * float(special.gammaincc(k, x))

    def describe(self) -> str:
        if self.shape is not None:
            body = f"shape={_g(self.shape)}, scale={_g(self.scale or 0)}"
        else:
            body = f"mean={_g(self.mean_value or 0)}, sd={_g(self.sd or 0)}"
        return f"gamma({body}{_cap_suffix(self.cap)})"


class EmpiricalSpec(_Spec):
    """Observed values drawn back uniformly with replacement (a bootstrap of the records)."""

    dist: Literal["empirical"] = "empirical"
    values: tuple[NonNegative, ...] = Field(min_length=1)

    def mean(self) -> float:
        return math.fsum(self.values) / len(self.values)

    def describe(self) -> str:
        if len(self.values) <= 5:
            return f"empirical({', '.join(_g(v) for v in self.values)})"
        lo, hi = min(self.values), max(self.values)
        return f"empirical({len(self.values)} values, {_g(lo)}-{_g(hi)})"


class WeibullSpec(_Spec):
    """Waits whose hazard rises (``shape`` > 1) or falls (< 1) with time: ``shape`` and ``scale``.

    ``shape`` is unitless, ``scale`` in the field's unit (63% of the values lie below it).
    The family the calibration's censored fits of outside delays often choose.
    """

    dist: Literal["weibull"] = "weibull"
    shape: Positive
    scale: Positive
    cap: Positive | None = None

    def mean(self) -> float:
        k, lam, c = self.shape, self.scale, self.cap
        full = lam * math.gamma(1 + 1 / k)
        if c is None:
            return full
        x = (c / lam) ** k
        # E[X; X < c] = λ Γ(1 + 1/k) P(1 + 1/k, (c/λ)^k); above the cap, c × P(X > c).
        return full * float(special.gammainc(1 + 1 / k, x)) + c * math.exp(-x)

    def describe(self) -> str:
        return f"weibull(shape={_g(self.shape)}, scale={_g(self.scale)}{_cap_suffix(self.cap)})"


class Quantiles(Protocol):
    """What a registered family's factory returns: an inverse CDF and a mean.

    A frozen ``scipy.stats`` distribution has both (``scipy.stats.weibull_min(1.5, scale=6)``).
    """

    def ppf(self, q: Any) -> Any: ...
    def mean(self) -> Any: ...


DISTRIBUTIONS: Registry[Callable[..., Quantiles]] = Registry("distribution")
"""Families registered by name: ``@DISTRIBUTIONS.register("pert")`` on a module-level function
of the family's parameters (numbers) that returns something with ``ppf`` and ``mean``; see
:func:`sim.distributions.register_distribution` and docs/extending.md."""

_PROBE = (0.0, 1e-6, 0.25, 0.5, 0.75, 1 - 1e-6)
"""Uniforms at which a registered family is checked when a scenario names it."""


class RegisteredSpec(_Spec):
    """A family registered by name (:data:`DISTRIBUTIONS`); its parameters are the other keys.

    Validation asks the family's factory for the distribution and checks, at a few
    quantiles, that its values are finite, never negative and non-decreasing, so a
    duration can never be negative here either.
    """

    model_config = ConfigDict(frozen=True, extra="allow", serialize_by_alias=True)

    dist: str

    @model_validator(mode="after")
    def _known(self) -> RegisteredSpec:
        if self.dist not in DISTRIBUTIONS:
            families = ", ".join((*BUILT_IN, *DISTRIBUTIONS.names()))
            raise ValueError(f"unknown distribution {self.dist!r} (expected one of: {families})")
        for key, value in self.params().items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{self.dist}: parameter {key!r} must be a finite number (got {value!r})")
        try:
            quantiles = self.quantiles()
            values = [float(v) for v in quantiles.ppf(list(_PROBE))]
            mean = float(quantiles.mean())
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"{self.dist}({self._args()}): {exc}") from None
        if not all(math.isfinite(v) and v >= 0 for v in values) or values != sorted(values):
            raise ValueError(
                f"{self.dist}({self._args()}): its quantiles must be finite, non-negative and non-decreasing "
                f"(got {', '.join(f'{v:g}' for v in values)} at u = {', '.join(f'{u:g}' for u in _PROBE)})"
            )
        if not (math.isfinite(mean) and mean >= 0):
            raise ValueError(f"{self.dist}({self._args()}): its mean must be finite and non-negative (got {mean})")
        return self

    def params(self) -> dict[str, float]:
        """The family's parameters as the file gives them."""
        return dict(self.model_extra or {})

    def quantiles(self) -> Quantiles:
        """The family's distribution for these parameters (from its registered factory)."""
        return DISTRIBUTIONS[self.dist](**self.params())

    def mean(self) -> float:
        return float(self.quantiles().mean())

    def describe(self) -> str:
        return f"{self.dist}({self._args()})"

    def _args(self) -> str:
        def show(v: object) -> str:
            return _g(v) if isinstance(v, int | float) and not isinstance(v, bool) else repr(v)

        return ", ".join(f"{k}={show(v)}" for k, v in self.params().items())


BUILT_IN = ("fixed", "exponential", "uniform", "triangular", "lognormal", "gamma", "weibull", "empirical")
"""The families every scenario may write without registering anything."""


_NO_FAMILY = f"a distribution needs its family: dist = one of {', '.join(BUILT_IN)} or a registered one"


def _family(data: Any) -> str | None:
    """Which member of :data:`DistSpec` reads ``data``: a built-in family by its ``dist``, else registered.

    ``None`` (no ``dist`` at all) makes pydantic report the missing family.
    """
    dist = data.get("dist") if isinstance(data, dict) else getattr(data, "dist", None)
    if dist is None:
        return None
    return dist if dist in BUILT_IN else "registered"


DistSpec = Annotated[
    Union[  # noqa: UP007 -- the discriminated union reads better spelled out
        Annotated[FixedSpec, Tag("fixed")],
        Annotated[ExponentialSpec, Tag("exponential")],
        Annotated[UniformSpec, Tag("uniform")],
        Annotated[TriangularSpec, Tag("triangular")],
        Annotated[LognormalSpec, Tag("lognormal")],
        Annotated[GammaSpec, Tag("gamma")],
        Annotated[WeibullSpec, Tag("weibull")],
        Annotated[EmpiricalSpec, Tag("empirical")],
        Annotated[RegisteredSpec, Tag("registered")],
    ],
    Discriminator(
        _family,
        custom_error_type="missing_dist",
        custom_error_message=_NO_FAMILY,
    ),
]
"""Any distribution a scenario may write; the ``dist`` key picks the family (a name that is not
built in is looked up among the registered families)."""


@cache
def _dist_adapter() -> TypeAdapter[DistSpec]:
    # Built on first use, not at import, and then reused; the title replaces pydantic's
    # generated "tagged-union[...]" heading in error messages.
    return TypeAdapter(DistSpec, config=ConfigDict(title="distribution"))


def parse_distspec(data: object) -> DistSpec:
    """Validate one distribution as read from TOML (a dict) into its spec model.

    Raises
    ------
    pydantic.ValidationError
        With the family and field in the error location, e.g. ``triangular.mode``.
    """
    return _dist_adapter().validate_python(data)


def check_shares(shares: Mapping[Any, float], path_hint: str = "") -> None:
    """Check that shares of a whole are valid: non-empty, each in [0, 1], summing to 1.

    Parameters
    ----------
    shares
        Category label (a string in scenario files; any hashable in code) -> share
        (a fraction, unitless).
    path_hint
        Where the shares come from (e.g. ``"routing.track_shares"``), put in front of
        the message so that the reader can find the line to fix.

    Raises
    ------
    ValueError
        If empty, if a share is not a finite number in [0, 1], or if the sum is more
        than ``SHARES_TOLERANCE`` away from 1.
    """
    where = f"{path_hint}: " if path_hint else ""
    if not shares:
        raise ValueError(f"{where}shares must not be empty")
    for label, share in shares.items():
        if not (math.isfinite(share) and 0 <= share <= 1):
            raise ValueError(f"{where}share of {label!r} must lie in [0, 1] (got {share})")
    total = math.fsum(shares.values())
    if abs(total - 1) > SHARES_TOLERANCE:
        raise ValueError(f"{where}shares must sum to 1 (got {total:.10g})")


def _shares_sum_to_one(shares: dict[str, float]) -> dict[str, float]:
    check_shares(shares)  # pydantic adds the field path itself
    return shares


Shares = Annotated[dict[str, Probability], AfterValidator(_shares_sum_to_one)]
"""Label -> share of a whole, e.g. ``{ simple = 0.7, complex = 0.3 }``; must sum to 1."""
