"""Chinese text in figures: find a CJK font, or leave the text to the browser.

Like a printer checking the type case before setting a page in Chinese: the
default matplotlib font (DejaVu Sans) has no Chinese glyphs, so a figure drawn
with it shows empty boxes and matplotlib warns ``Glyph … missing from font``.
This module looks for an installed CJK font (Noto Sans CJK on Debian's
``fonts-noto-cjk``, Source Han, WenQuanYi, AR PL, the Windows and macOS system
fonts), registers it with matplotlib even when matplotlib's font cache predates
the install, and checks that it really has the glyphs. When none is found,
figures are written as SVG whose text is left to the browser
(``svg.fonttype = 'none'``): the browser draws the Chinese with its own fonts,
so the missing-glyph warnings of the layout pass are expected and dropped
(:func:`save_svg`).

Set ``COURTSIM_CJK_FONT`` to a font file or family name to choose a font, or to
``none`` to force the fallback.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure

__all__ = [
    "FontChoice",
    "chinese_ok",
    "figure_style",
    "find_cjk_font",
    "font_choice",
    "save_svg",
    "use_cjk_font",
]

logger = logging.getLogger(__name__)

PREFERRED = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "SimHei",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK HK",
    "Noto Sans CJK JP",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
    "SimSun",
    "Arial Unicode MS",
)
"""Families tried in order: simplified-Chinese sans fonts first (they suit labels best)."""

FILE_HINTS = (
    "cjk",
    "wqy",
    "wenquanyi",
    "sourcehan",
    "uming",
    "ukai",
    "droidsansfallback",
    "msyh",
    "simhei",
    "simsun",
    "pingfang",
    "hiragino",
    "stheiti",
    "notosanssc",
    "notoserifsc",
)
"""Parts of font file names that suggest CJK coverage (matched in lower case)."""

SAMPLE = "执行法院终本结案率团队员额书记法警快精简繁利用未结"
"""Characters a font must have to be used: the ones the reports print most."""

MISSING_GLYPH = r"Glyph \d+ .*missing from (current )?font"
"""The message matplotlib warns with when a font lacks a character."""


@dataclass(frozen=True)
class FontChoice:
    """How figures will show Chinese: with ``family`` (a CJK font), or through the browser."""

    family: str | None

    @property
    def embedded(self) -> bool:
        """True when Chinese is drawn by matplotlib itself (text as paths, PNG works)."""
        return self.family is not None

    def describe(self) -> str:
        """One line for the report's implementation section."""
        if self.family:
            return f"CJK font: {self.family} (text drawn as outlines in the SVG figures)"
        return "no CJK font found: figure text is left to the browser (SVG text)"


def _covers(family: str) -> bool:
    """True when ``family`` resolves to a font file that has every character of ``SAMPLE``."""
    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        font = font_manager.get_font(path)
    except (ValueError, RuntimeError, OSError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in SAMPLE)


def _registered() -> list[str]:
    """CJK-looking family names matplotlib knows, preferred ones first."""
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    ordered = [name for name in PREFERRED if name in names]
    extra = sorted(n for n in names if n not in ordered and any(k in n for k in ("CJK", "Han", "WenQuanYi")))
    return ordered + extra


def _first_covering() -> str | None:
    return next((name for name in _registered() if _covers(name)), None)


def _add_font_file(path: str) -> None:
    try:
        font_manager.fontManager.addfont(path)
    except (OSError, RuntimeError, ValueError) as exc:  # a broken file must not stop a report
        logger.debug("cannot load font %s: %s", path, exc)


def _scan_system() -> None:
    """Register CJK-looking font files that matplotlib's (possibly stale) cache does not list."""
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower().replace("-", "").replace("_", "")
        if path not in known and any(hint in name for hint in FILE_HINTS):
            _add_font_file(path)


@cache
def find_cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None.

    Looks at ``COURTSIM_CJK_FONT`` first (a file, a family, or ``none``), then at
    the fonts matplotlib knows, then at the system's font files. The result is
    cached for the process; call ``find_cjk_font.cache_clear()`` after installing a font.
    """
    override = os.environ.get("COURTSIM_CJK_FONT", "").strip()
    if override.lower() == "none":
        return None
    if override:
        if Path(override).is_file():
            _add_font_file(override)
            family = font_manager.get_font(override).family_name
            return family if _covers(family) else None
        if _covers(override):
            return override
        logger.warning("COURTSIM_CJK_FONT=%s has no Chinese glyphs; looking for another font", override)
    found = _first_covering()
    if found is None:
        _scan_system()
        found = _first_covering()
    if found is None:
        logger.warning("no CJK font found (install fonts-noto-cjk); figure text is left to the browser")
    return found


def font_choice() -> FontChoice:
    """The :class:`FontChoice` for this machine."""
    return FontChoice(find_cjk_font())


def chinese_ok() -> bool:
    """True when matplotlib itself can draw Chinese (PNG figures, notebooks)."""
    return find_cjk_font() is not None


def _rc(choice: FontChoice) -> dict[str, Any]:
    rc: dict[str, Any] = {
        "axes.unicode_minus": False,  # CJK fonts often lack U+2212
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 11,
        "axes.labelsize": 9,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 8,
        "svg.hashsalt": "courtsim",  # stable ids: the same run gives the same file
    }
    if choice.family:
        rc.update(
            {
                "font.family": "sans-serif",
                "font.sans-serif": [choice.family, "DejaVu Sans"],
                "svg.fonttype": "path",
            }
        )
    else:
        rc["svg.fonttype"] = "none"
    return rc


@contextmanager
def figure_style(choice: FontChoice | None = None) -> Iterator[FontChoice]:
    """Matplotlib settings for report figures, within a ``with`` block.

    With a CJK font, text is drawn with it (outlines in SVG). Without one, SVG
    text is left to the browser: save such figures with :func:`save_svg`.
    """
    choice = choice or font_choice()
    with matplotlib.rc_context(_rc(choice)):  # type: ignore[arg-type]  # keys are valid rcParams
        yield choice


def save_svg(fig: Figure, target: Any, **kwargs: Any) -> None:
    """``fig.savefig(target, format="svg")``, quiet about glyphs the browser will draw.

    When SVG text is left to the browser (``svg.fonttype = 'none'``), the layout
    pass still measures the text with matplotlib's font and warns about every
    Chinese character; the page is not missing them, so those warnings are
    dropped here, right around the drawing. With outlines they are kept.
    """
    with warnings.catch_warnings():
        if matplotlib.rcParams["svg.fonttype"] == "none":
            warnings.filterwarnings("ignore", message=MISSING_GLYPH, category=UserWarning)
        fig.savefig(target, format="svg", **kwargs)


def use_cjk_font() -> str | None:
    """Make a CJK font the default for all matplotlib figures (for notebooks).

    Returns the family, or None when there is none (then label figures in English).
    """
    family = find_cjk_font()
    if family:
        matplotlib.rcParams["font.sans-serif"] = [family, *matplotlib.rcParams["font.sans-serif"]]
        matplotlib.rcParams["font.family"] = "sans-serif"
        matplotlib.rcParams["axes.unicode_minus"] = False
    return family
