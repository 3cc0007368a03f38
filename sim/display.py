"""Text columns that line up in a terminal when they hold Chinese.

A CJK character takes two terminal columns, a Latin letter one, so ``f"{text:<20}"``
(which counts characters) pushes every column after a Chinese name to the right.
These helpers count display columns instead, by ``unicodedata.east_asian_width``
(``W`` and ``F`` are two columns; combining marks none), and every table the
commands print pads its cells with them.
"""

from __future__ import annotations

import unicodedata

__all__ = ["clip", "ljust", "rjust", "width"]


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def width(text: str) -> int:
    """The columns ``text`` takes in a terminal (a CJK character two, a Latin letter one)."""
    return sum(_char_width(c) for c in text)


def clip(text: str, columns: int) -> str:
    """``text`` cut to at most ``columns`` display columns (never half a wide character)."""
    out, used = [], 0
    for char in text:
        w = _char_width(char)
        if used + w > columns:
            break
        out.append(char)
        used += w
    return "".join(out)


def ljust(text: str, columns: int) -> str:
    """``text`` padded on the right with spaces to ``columns`` display columns."""
    return text + " " * max(0, columns - width(text))


def rjust(text: str, columns: int) -> str:
    """``text`` padded on the left with spaces to ``columns`` display columns."""
    return " " * max(0, columns - width(text)) + text
