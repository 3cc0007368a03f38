"""HTML building blocks: one self-contained page with inline styles, figures and a check script.

Like the typesetting rules of a court's printed report: a page skeleton with
its own stylesheet (print-friendly, Chinese fonts first), sections with a
Chinese heading and its English translation, tables and figures. Sections are
numbered by :func:`page`, in the order they are given; text that cites a
section writes :func:`ref` and gets its number when the page is built. Nothing
refers to the network: figures are ``data:`` URIs, and the one script only
records, for the browser test, that the page loaded without errors and that
every figure decoded (``data-figures`` / ``data-figures-ok`` / ``data-errors``
on ``<body>``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Cell",
    "Section",
    "badge",
    "bi",
    "esc",
    "figure",
    "hd",
    "num",
    "page",
    "paragraphs",
    "ref",
    "table",
]

CSS = """
:root { --ink: #1d2430; --muted: #5b6573; --line: #d9dee5; --bg: #f6f8fa;
        --red: #c0392b; --amber: #b9770e; --green: #2e7d4f; --blue: #2c6fbb; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: white; line-height: 1.6;
       font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
                    "WenQuanYi Micro Hei", "Hiragino Sans GB", "Heiti SC", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 10px; border-top: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 20px 0 6px; }
.en { color: var(--muted); font-weight: normal; font-size: 0.86em; }
p.en { margin-top: -4px; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
nav { background: var(--bg); border: 1px solid var(--line); padding: 8px 14px; font-size: 14px; }
nav a { margin-right: 14px; white-space: nowrap; color: var(--blue); text-decoration: none; }
.verdict { border: 2px solid var(--ink); border-radius: 6px; padding: 14px 18px; margin: 16px 0; }
.verdict.not_met { border-color: var(--red); } .verdict.met { border-color: var(--green); }
.verdict.uncertain { border-color: var(--amber); }
.headline { font-size: 22px; font-weight: bold; margin: 0 0 8px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
         color: white; background: var(--muted); white-space: nowrap; }
.badge.not_met, .badge.est { background: var(--red); }
.badge.above, .badge.below, .badge.worse { background: var(--amber); }
.badge.better { background: var(--blue); }
.badge.met, .badge.inside { background: var(--green); }
.badge.uncertain { background: var(--amber); }
.badge.est { background: #8e44ad; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
         vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.name { white-space: nowrap; }
td.param code { word-break: normal; overflow-wrap: normal; }
td.zhname { min-width: 7em; word-break: keep-all; overflow-wrap: anywhere; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; border-top: 2px solid var(--ink); }
tr.est td { background: #fbf5ff; }
figure { margin: 12px 0 18px; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13px; }
.note { background: #fff8e6; border-left: 4px solid var(--amber); padding: 8px 14px;
         margin: 12px 0; }
.small { font-size: 12px; color: var(--muted); }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
pre { background: var(--bg); border: 1px solid var(--line); padding: 8px 12px;
      white-space: pre-wrap; }
@media print { nav { display: none; } h2 { break-before: page; }
                figure, table { break-inside: avoid; } }
"""

SCRIPT = """
(function () {
  var SEP = '\\u241e';
  function record(message) {
    var root = document.documentElement;
    root.setAttribute('data-errors', (root.getAttribute('data-errors') || '') + message + SEP);
  }
  window.addEventListener('error', function (e) {
    var t = e.target;
    record(t && t.tagName ? 'failed to load ' + t.tagName.toLowerCase() : String(e.message));
  }, true);
  window.addEventListener('load', function () {
    var images = Array.prototype.slice.call(document.images);
    var ok = images.filter(function (i) { return i.complete && i.naturalWidth > 0; });
    document.body.setAttribute('data-figures', String(images.length));
    document.body.setAttribute('data-figures-ok', String(ok.length));
    document.body.setAttribute('data-loaded', 'yes');
  });
})();
"""


def esc(text: object) -> str:
    """HTML-escape ``text`` (quotes too)."""
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class Cell:
    """A table cell: already-escaped ``html`` and a CSS class (``num`` for numbers)."""

    html: str
    css: str = ""


def _cell(value: object, tag: str) -> str:
    if isinstance(value, Cell):
        css = f' class="{value.css}"' if value.css else ""
        return f"<{tag}{css}>{value.html}</{tag}>"
    return f"<{tag}>{esc(value)}</{tag}>"


def table(header: Sequence[object], rows: Iterable[Sequence[object]], row_css: Sequence[str] | None = None) -> str:
    """A table; plain values are escaped, :class:`Cell` values are inserted as they are."""
    head = "".join(_cell(h, "th") for h in header)
    body = []
    for i, row in enumerate(rows):
        css = f' class="{row_css[i]}"' if row_css and row_css[i] else ""
        body.append(f"<tr{css}>" + "".join(_cell(v, "td") for v in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bi(zh: str, en: str, css: str = "") -> Cell:
    """Chinese above, English below in grey: the cell every bilingual table uses."""
    return Cell(f'{esc(zh)}<br><span class="en">{esc(en)}</span>', css)


def hd(zh: str, en: str, numeric: bool = False) -> Cell:
    """A bilingual column header (right-aligned over numbers)."""
    return bi(zh, en, "num" if numeric else "")


def num(text: str) -> Cell:
    """A right-aligned number cell (``text`` is escaped)."""
    return Cell(esc(text), "num")


def badge(text: str, css: str) -> Cell:
    """A coloured label (``达标 met``, ``EST``)."""
    return Cell(f'<span class="badge {esc(css)}">{esc(text)}</span>')


def figure(uri: str, alt: str, caption_zh: str, caption_en: str) -> str:
    """An inline figure with a bilingual caption."""
    return (
        f'<figure><img src="{uri}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption_zh)}<br>"
        f'<span class="en">{esc(caption_en)}</span></figcaption></figure>'
    )


def paragraphs(zh: str, en: str) -> str:
    """A Chinese paragraph and its English version below it (both escaped)."""
    return f'<p>{esc(zh)}</p><p class="en">{esc(en)}</p>'


@dataclass(frozen=True)
class Section:
    """A part of the report: anchor id, Chinese and English titles (without a number), body HTML.

    :func:`page` numbers the sections in the order it is given them.
    """

    id: str
    zh: str
    en: str
    body: str

    def render(self, number: int) -> str:
        """``<section>`` with its numbered ``<h2>``."""
        return (
            f'<section id="{esc(self.id)}"><h2>{number} {esc(self.zh)} '
            f'<span class="en">{esc(self.en)}</span></h2>'
            f"{self.body}</section>"
        )


_REF = re.compile(r"⟦§([^⟧]*)⟧")


def ref(section_id: str) -> str:
    """The number of section ``section_id``, in text (escaped or not): :func:`page` fills it in.

    ``f"见第{ref('kpis')}节"`` reads ``见第3节`` when the indicators are the third
    section of the page; a page without that section is an error, not a wrong number.
    """
    return f"⟦§{section_id}⟧"


def page(title: str, subtitle: str, sections: Sequence[Section], lead: str = "") -> str:
    """The whole document: head with styles and the check script, title, contents, sections.

    The sections are numbered 1, 2, … in the order given, in their headings and in
    the contents; every :func:`ref` in the page gets its section's number.
    """
    numbers = {s.id: n for n, s in enumerate(sections, start=1)}
    if len(numbers) != len(sections):
        raise ValueError(f"two sections share an id: {[s.id for s in sections]}")
    links = "".join(f'<a href="#{esc(s.id)}">{numbers[s.id]} {esc(s.zh)}</a>' for s in sections)
    document = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style><script>{SCRIPT}</script></head>"
        f'<body><main><h1>{esc(title)}</h1><p class="subtitle">{esc(subtitle)}</p>'
        f"{lead}<nav>{links}</nav>{''.join(s.render(numbers[s.id]) for s in sections)}</main></body></html>\n"
    )

    def number(match: re.Match[str]) -> str:
        cited = match.group(1)
        if cited not in numbers:
            raise ValueError(f"the page cites section {cited!r}, which it does not have (sections: {list(numbers)})")
        return str(numbers[cited])

    return _REF.sub(number, document)
