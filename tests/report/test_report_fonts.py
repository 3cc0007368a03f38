"""Chinese text in figures: a CJK font is found, and no glyph is ever reported missing."""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from collections.abc import Iterator

import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure

from sim.report import fonts
from sim.report.fonts import figure_style, find_cjk_font, save_svg

LABELS = ("简案45日内结案率", "快执团队·执行员", "终结本次执行程序", "利用率")


def _chinese_figure() -> Figure:
    fig = Figure(figsize=(4, 3))
    ax = fig.subplots()
    ax.bar(range(len(LABELS)), [0.5, 0.8, 0.3, 0.9])
    ax.set_xticks(range(len(LABELS)), LABELS)
    ax.set_title("各节点按期完成率 On-time rate per deadline")
    ax.set_ylabel("案件数 cases")
    return fig


def _render(fig: Figure, fmt: str) -> tuple[bytes, list[str]]:
    """Draw ``fig`` as ``fmt`` and return the bytes and every warning raised while drawing."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(buffer, format=fmt)
    return buffer.getvalue(), [str(w.message) for w in caught]


def _system_has_cjk_font() -> bool:
    """Ask the system (not our code) whether a Chinese font is installed."""
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
        return bool(out.stdout.strip())
    return any(hint in path.lower() for path in font_manager.findSystemFonts() for hint in ("cjk", "wqy"))


@pytest.fixture
def fresh_font_search() -> Iterator[None]:
    """Forget the cached font choice before and after the test."""
    find_cjk_font.cache_clear()
    yield
    find_cjk_font.cache_clear()


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_chinese_labels_render_without_missing_glyph_warnings(fmt: str) -> None:
    if not _system_has_cjk_font():  # `make system-packages` carries on without one where it may not install
        pytest.skip("no CJK font on this machine (Debian: apt-get install fonts-noto-cjk)")
    with figure_style():
        data, messages = _render(_chinese_figure(), fmt)
    missing = [m for m in messages if "missing from" in m]
    assert not missing, f"glyphs missing: {missing[:2]}"
    assert data


def test_a_cjk_font_is_found_when_one_is_installed(fresh_font_search: None) -> None:
    if not _system_has_cjk_font():
        pytest.skip("no CJK font on this machine (Debian: apt-get install fonts-noto-cjk)")
    family = find_cjk_font()
    assert family is not None
    font = font_manager.get_font(font_manager.findfont(family, fallback_to_default=False))
    assert all(font.get_char_index(ord(ch)) for ch in "".join(LABELS).replace("·", "")), family


def test_with_a_font_the_svg_draws_chinese_as_outlines(fresh_font_search: None) -> None:
    if find_cjk_font() is None:
        pytest.skip("no CJK font on this machine (Debian: apt-get install fonts-noto-cjk)")
    with figure_style() as choice:
        svg, _ = _render(_chinese_figure(), "svg")
    assert choice.embedded
    assert b"<text" not in svg  # outlines: the page does not depend on the reader's fonts


def test_without_a_font_the_browser_gets_the_text(fresh_font_search: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURTSIM_CJK_FONT", "none")
    buffer = io.BytesIO()
    with figure_style() as choice, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_svg(_chinese_figure(), buffer)
    svg, messages = buffer.getvalue(), [str(w.message) for w in caught]
    assert not choice.embedded
    assert not [m for m in messages if "missing from" in m]
    text = svg.decode("utf-8")
    assert "<text" in text
    assert LABELS[0] in text


def test_an_explicit_font_without_chinese_is_not_used(fresh_font_search: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURTSIM_CJK_FONT", "DejaVu Sans")
    assert find_cjk_font() != "DejaVu Sans"
    assert fonts.font_choice().family != "DejaVu Sans"
