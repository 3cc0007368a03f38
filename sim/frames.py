"""Typed reading of our own tables' rows and cells (for mypy; no behaviour of its own).

pandas-stubs types every field of ``itertuples()`` rows and every ``.loc``/``.at`` cell as the union
of all pandas scalars (str, bytes, date, NaT, Interval, …), so ``float(row.mean)`` fails to type
check although the column is float. Our tables have fixed columns and dtypes, checked by their
own tests; these helpers say so once instead of a cast at every call site.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

import pandas as pd


def rows(frame: pd.DataFrame, *, index: bool = True) -> Iterator[Any]:
    """``frame.itertuples(index=index)``, each row's fields typed ``Any``."""
    return iter(frame.itertuples(index=index))


def cell(frame: pd.DataFrame, row: Hashable, column: Hashable) -> Any:
    """The scalar ``frame.at[row, column]``."""
    value: Any = frame.at[row, column]
    return value


def line(frame: pd.DataFrame, row: Hashable) -> Any:
    """The row ``frame.loc[row]`` of a frame with a unique index (a Series, typed ``Any``)."""
    value: Any = frame.loc[row]  # type: ignore[call-overload]  # stubs refuse a Hashable label
    return value
