"""The two base classes of every scenario table: frozen, strict, and able to cite a source.

Kept apart from :mod:`sim.config.schema` so that the tables of other modules
(:mod:`sim.config.reform`) share them without importing the whole schema.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.config.frozen import FrozenDict, ReadOnly

__all__ = ["Frozen", "Sourced"]


class Frozen(BaseModel):
    """Base of every scenario model: immutable, and a misspelt key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Sourced(Frozen):
    """A parameter group that can say where its numbers come from.

    ``source`` applies to the whole group; ``sources`` names a source per field
    where they differ (for example one probability sourced, the rest ``EST``).
    """

    source: str | None = None
    sources: Annotated[dict[str, str], ReadOnly] = Field(default_factory=FrozenDict)

    @model_validator(mode="after")
    def _sources_name_fields(self) -> Sourced:
        unknown = sorted(set(self.sources) - set(type(self).model_fields))
        if unknown:
            allowed = ", ".join(f for f in type(self).model_fields if f not in ("source", "sources"))
            raise ValueError(f"sources names unknown fields {unknown}; expected some of: {allowed}")
        return self

    def source_of(self, field: str) -> str:
        """The citation for ``field``: its own, else the group's, else ``"unsourced"``."""
        return self.sources.get(field) or self.source or "unsourced"
