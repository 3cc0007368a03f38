"""The calibration figures, drawn with matplotlib's Agg canvas and returned as base64 PNG.

Figures carry English labels, with the Chinese beside them when a CJK font is
installed (Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei …); without one they
stay English-only, so matplotlib never draws a missing glyph. The HTML text
around them is bilingual either way. Nothing here touches pyplot's global state.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure

__all__ = ["bars_by_month", "cjk_font", "drawn", "label", "png", "step"]

logger = logging.getLogger(__name__)

_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


@cache
def cjk_font() -> str | None:
    """Name of an installed font with Chinese glyphs, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in _CJK_FONTS if name in installed), None)
    if found is None:
        found = next((name for name in sorted(installed) if "CJK" in name or "Hei" in name), None)
    logger.info("CJK font for figures: %s", found or "none (English labels)")
    return found


def label(en: str, zh: str) -> str:
    """``"Days to close 结案用时"`` with a CJK font, else ``"Days to close"``."""
    return f"{en} {zh}" if cjk_font() else en


@contextmanager
def _style() -> Iterator[None]:
    font = cjk_font()
    params: dict[str, Any] = {"font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
    if font:
        params |= {"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"]}
    with mpl.rc_context(params):  # type: ignore[arg-type]  # the keys are valid rcParams
        yield


def png(fig: Figure) -> str:
    """The figure as a base64 PNG string (for ``<img src="data:image/png;base64,…">``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def drawn(draw: Callable[[Figure], None], size: tuple[float, float] = (7.0, 3.6)) -> str:
    """Draw on a fresh figure in the house style; return it as base64 PNG."""
    with _style():
        fig = Figure(figsize=size, layout="constrained")
        draw(fig)
        return png(fig)


# ---------------------------------------------------------------- helpers used by the reports


def step(ax: object, days: np.ndarray, surv: np.ndarray, **kwargs: object) -> None:
    """A survival step curve starting at (0, 1)."""
    ax.step(np.concatenate([[0.0], days]), np.concatenate([[1.0], surv]), where="post", **kwargs)  # type: ignore[attr-defined]


def bars_by_month(fig: Figure, table: pd.DataFrame, title: str) -> None:
    """Observed filings per calendar month against the fitted expectation and its 95% range."""
    ax = fig.add_subplot()
    x = np.arange(len(table))
    ax.bar(x, table["filings"], color="#9ecae1", label=label("observed", "实际立案"))
    ax.plot(x, table["expected"], color="#d62728", marker="o", ms=3, label=label("fitted rate", "拟合"))
    ax.fill_between(
        x, table["low"], table["high"], color="#d62728", alpha=0.15, label=label("95% Poisson range", "95%范围")
    )
    ax.set_xticks(x, table["period"], rotation=60, fontsize=7)
    ax.set_ylabel(label("cases filed", "收案数"))
    ax.set_title(title)
    ax.legend(fontsize=7)
