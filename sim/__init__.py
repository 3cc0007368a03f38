"""courtsim: a discrete-event simulation of judgment enforcement (执行) at a basic-level court.

The public API for notebooks and scripts is re-exported here; see README.md.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
