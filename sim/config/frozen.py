"""A mapping that cannot change: the scenario's tables (case mix, roles, sources) are read-only.

Like a certified copy of a ruling, a validated scenario is read, never written on: a
frozen pydantic model refuses ``s.run = ...``, and :class:`FrozenDict` does the same for
the tables inside it, so ``s.arrivals.case_mix["first"] = 5.0`` fails at once, in plain
words, instead of much later deep inside a run. A variant is a new validated scenario
(:func:`sim.config.load.with_overrides`).

Why a ``dict`` subclass and not :class:`types.MappingProxyType`: a proxy cannot be pickled,
and a scenario travels to worker processes and Dask workers by pickle; a ``dict``
subclass also keeps the C-speed reads of the hot path and serialises like any dict, so
scenario hashes (and the cache entries and results they name) do not change.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from pydantic import AfterValidator

__all__ = ["FrozenDict", "ReadOnly"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(dict[K, V]):
    """A ``dict`` whose every changing method raises :class:`TypeError` (reads are a dict's)."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(
            "a validated scenario is read-only; make a variant instead, e.g. "
            "sim.config.load.with_overrides(scenario, {'arrivals.case_mix.first': 0.7, ...})"
        )

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __reduce__(self) -> tuple[type[FrozenDict[K, V]], tuple[dict[K, V]]]:
        # The default reduction would rebuild it item by item, through __setitem__.
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict[K, V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict[K, V]:
        return self  # its keys and values are immutable (names, numbers, enums)

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


def _freeze(value: dict[Any, Any]) -> FrozenDict[Any, Any]:
    return value if isinstance(value, FrozenDict) else FrozenDict(value)


ReadOnly = AfterValidator(_freeze)
"""Put in an ``Annotated[dict[...], ReadOnly]`` field: the validated table is a :class:`FrozenDict`."""
