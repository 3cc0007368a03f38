"""The one check every table of the vocabulary passes at import: it names each member once."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["require_complete"]


def require_complete(keys: Iterable[str], vocabulary: type[StrEnum], what: str) -> None:
    """Refuse, when the module is imported, a table whose keys are not exactly ``vocabulary``.

    A task without a team or a deadline without a name would otherwise surface as a
    ``KeyError`` in the middle of a run, or not at all.
    """
    keys = list(keys)
    known = {member.value for member in vocabulary}
    missing = [member.value for member in vocabulary if member.value not in keys]
    unknown = [str(key) for key in keys if key not in known]
    twice = sorted({str(key) for key in keys if keys.count(key) > 1})
    if missing or unknown or twice:
        raise TypeError(
            f"{what} must name every {vocabulary.__name__} once: missing {missing}, unknown {unknown}, repeated {twice}"
        )
