"""Reports number their sections when the page is built, not in the titles.

A section is an id, two titles and a body; :func:`sim.report.html.page` numbers the
list it is given, and text that cites a section writes ``ref(id)``. So a section
added, dropped or moved renumbers the headings, the contents and every citation.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sim.report import html as h

REPORT = Path(__file__).resolve().parents[2] / "sim" / "report"


def _sections(page: str) -> list[tuple[str, str]]:
    """(id, number) of each section of a page, in order."""
    return re.findall(r'<section id="([^"]+)"><h2>(\d+) ', page)


def test_page_numbers_the_sections_it_is_given() -> None:
    parts = [h.Section(key, f"第{key}部分", key, f"<p>见第{h.ref('c')}节</p>") for key in ("a", "b", "c")]
    page = h.page("t", "s", parts)
    assert _sections(page) == [("a", "1"), ("b", "2"), ("c", "3")]
    assert '<a href="#b">2 第b部分</a>' in page
    assert page.count("见第3节") == 3
    moved = h.page("t", "s", [parts[2], parts[0]])
    assert _sections(moved) == [("c", "1"), ("a", "2")]
    assert moved.count("见第1节") == 2 and "⟦" not in moved


def test_a_citation_of_a_missing_section_is_an_error() -> None:
    with pytest.raises(ValueError, match="cites section 'kpis', which it does not have"):
        h.page("t", "s", [h.Section("a", "一", "one", f"section {h.ref('kpis')}")])
    with pytest.raises(ValueError, match="two sections share an id"):
        h.page("t", "s", [h.Section("a", "一", "one", ""), h.Section("a", "二", "two", "")])


def test_no_title_carries_a_number_and_nothing_finds_a_section_by_its_title() -> None:
    typed, prefixes = [], []
    for path in sorted(REPORT.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if name == "Section" and any(
                re.match(r"\d+(\.\d+)*(\.?\s|、)", s)
                for s in strings[1:3]  # "3 ", "2.1 ", "4、"; not "45日…"
            ):
                typed.append(f"{path.name}:{node.lineno}")
            if name == "startswith" and any(re.match(r"\d+ ", s) for s in strings):
                prefixes.append(f"{path.name}:{node.lineno}")
    assert not typed, f"section titles with a typed number: {typed}"
    assert not prefixes, f"sections looked up by a numbered title: {prefixes}"


def test_the_run_report_is_numbered_and_cites_its_indicators(run_report: Path) -> None:
    page = run_report.read_text(encoding="utf-8")
    numbers = dict(_sections(page))
    assert list(numbers.values()) == [str(n) for n in range(1, len(numbers) + 1)]
    assert f"主要输出为第{numbers['kpis']}节所列质效指标" in page
    assert f"indicators of section {numbers['kpis']}," in page
    model = page.split('<section id="model">')[1].split("</section>")[0]
    subtitles = re.findall(r"<h3>(\d+) ([^ <]+)", model)
    assert subtitles == [("1", "目标"), ("2", "模型逻辑"), ("3", "数据与来源"), ("4", "实验设计"), ("5", "实现")]
    # The parameter table follows the data part, whatever its number.
    data = model.split("数据与来源")[1].split("<h3>")[0]
    assert "<table>" in data
