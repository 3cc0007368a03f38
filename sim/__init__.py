"""courtsim: a discrete-event simulation of judgment enforcement (执行) at a basic-level court.

The notebook-facing API lives in :mod:`sim.api`; its main functions are re-exported here
lazily, so ``import sim`` (and the command line) stays light until one is used::

    import sim
    base = sim.load("scenarios/dengzhou_2022.toml")
    sim.run(base, reps=5)               # KPI table with 95% intervals
    sim.case_table(base, reps=1)        # every case, each deadline's due time and whether met
    sim.warmup(base, reps=3)            # MSER-5: is the warm-up long enough?
    sim.compare(base, other, reps=10)   # CRN-paired differences
    sim.attribute(other, base, reps=5)  # the difference taken apart into its parts
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = (
    "load",
    "experiment",
    "run",
    "series",
    "warmup",
    "case_table",
    "monthly",
    "precision",
    "compare",
    "attribute",
    "sweep",
    "capacity",
    "staff",
    "levers",
    "marginal",
    "sensitivity",
    "kpi_catalogue",
)

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module("sim.api"), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
