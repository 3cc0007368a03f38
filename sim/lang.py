"""The language of the terminal: Chinese first with English beside it, or English only.

``courtsim --lang zh|en`` or the environment variable ``COURTSIM_LANG`` chooses it
(the option wins); the default is ``zh``: every message, help text and table heading
is printed Chinese first with its English beside it (:func:`bi`), which is what a
court's staff read and what a reviewer who reads no Chinese can still follow. ``en``
prints the English alone, for logs and tools that match English text. Reports (HTML)
are always bilingual: this only changes the terminal.
"""

from __future__ import annotations

import os

__all__ = ["ENV", "LANGS", "bi", "lang"]

ENV = "COURTSIM_LANG"
LANGS = ("zh", "en")


def lang() -> str:
    """``"zh"`` (the default: Chinese first, English beside) or ``"en"`` (English only)."""
    chosen = os.environ.get(ENV, "zh").strip().lower()
    return "en" if chosen.startswith("en") else "zh"


def bi(zh: str, en: str, sep: str = " / ") -> str:
    """``zh`` and ``en`` side by side, Chinese first; only ``en`` under ``--lang en``."""
    return en if lang() == "en" else f"{zh}{sep}{en}"
