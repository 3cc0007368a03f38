"""Every notebook runs top to bottom (small replication counts, short periods), so none rots.

The notebooks read ``COURTSIM_NOTEBOOK_SMOKE=1`` and then use 2 replications and a
100-day counted period. They are stored without outputs; a test checks that too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
EXPECTED = {"01_quickstart", "02_staffing_comparison", "03_calibration", "04_reform_evaluation", "05_sensitivity"}


def test_every_notebook_is_there() -> None:
    assert {p.stem for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: clear the outputs"
            assert cell.execution_count is None, f"{path.name}: clear the outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURTSIM_NOTEBOOK_SMOKE", "1")
    # The kernel is a separate process: pytest's warnings-as-errors does not reach it, so a
    # notebook that warns still passes; its errors fail the test (CellExecutionError).
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert os.environ["COURTSIM_NOTEBOOK_SMOKE"] == "1"
    CONCLUSIONS.get(path.stem, lambda outputs: None)(_outputs(book))


# --- the printed conclusions agree with the numbers printed beside them ----------------------


def _outputs(book: nbformat.NotebookNode) -> list[str]:
    """Each code cell's printed text and displayed tables (text form), in order."""
    texts = []
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for output in cell.outputs:
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                parts.append(output.get("data", {}).get("text/plain", ""))
        texts.append("".join(parts))
    return texts


NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?"


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def check_staffing(outputs: list[str]) -> None:
    """02: a search that meets no target shows the best staffing tried, never a 'proposed' one."""
    cell = next(o for o in outputs if "best_tried" in o or "proposed" in o)
    if "no staffing" in cell.lower() or "not met" in cell.lower():
        assert "proposed" not in cell.split("\n", 1)[1], cell
    else:
        assert "best_tried" not in cell, cell


def check_calibration(outputs: list[str]) -> None:
    """03: 'covers' is said exactly when the printed interval holds the printed truth; check-fit counts."""
    text = "\n".join(outputs)
    found = re.search(
        rf"fitted ({NUMBER}) a year \[({NUMBER}), ({NUMBER})\]; true ({NUMBER}): the interval (covers|does not cover)",
        text,
    )
    assert found, text
    low, high, true = (_number(found.group(i)) for i in (2, 3, 4))
    assert (found.group(5) == "covers") == (low <= true <= high)
    counted = re.search(r"(\d+) of (\d+) statistics within their chance level(?:; outside: (.*))?", text)
    assert counted, text
    passed, judged = int(counted.group(1)), int(counted.group(2))
    outside = [] if counted.group(3) is None else counted.group(3).split(", ")
    assert judged - passed == len(outside)


def check_reform(outputs: list[str]) -> None:
    """04: each sentence's difference is the difference of its two means, and never prints as 0 when significant."""
    lines = [line for o in outputs for line in o.splitlines() if line.startswith("- ") and " → " in line]
    assert len(lines) == 4, lines
    for line in lines:
        found = re.search(rf": ({NUMBER}) → ({NUMBER}) \(({NUMBER})", line)
        assert found, line
        before, after, diff = (_number(found.group(i)) for i in (1, 2, 3))
        decimals = len(found.group(3).split(".")[1]) if "." in found.group(3) else 0
        assert abs((after - before) - diff) <= 1.5 * 10**-decimals, line
        if ", significant;" in line:
            assert diff != 0, line
            assert "no significant difference" not in line


def check_sensitivity(outputs: list[str]) -> None:
    """05: 'met in M of N sets (P%)' agrees with itself, and the tornado's table has the KPI's rows."""
    text = "\n".join(outputs)
    found = re.search(r"met in (\d+) of (\d+) parameter sets \((\d+)%\)", text)
    assert found, text
    met, sets, percent = (int(found.group(i)) for i in (1, 2, 3))
    assert 0 <= met <= sets and sets > 0
    assert abs(100 * met / sets - percent) <= 0.5 + 1e-9, found.group(0)
    assert "mu_star" in text and "S1" in text and "ST" in text


CONCLUSIONS = {
    "02_staffing_comparison": check_staffing,
    "03_calibration": check_calibration,
    "04_reform_evaluation": check_reform,
    "05_sensitivity": check_sensitivity,
}


def test_the_conclusion_checks_catch_a_false_sentence() -> None:
    with pytest.raises(AssertionError):
        check_reform(["- rate: 100.0 → 100.0 (-0.0 points, 95% CI -0.0 to -0.0, significant; worse)\n" * 4])
    with pytest.raises(AssertionError):
        check_calibration(["fitted 6,635 a year [6,539, 6,732]; true 6,500: the interval covers\n"])
    with pytest.raises(AssertionError):
        check_staffing(["no staffing meets every target\n   team role base proposed change\n"])
    with pytest.raises(AssertionError):
        check_sensitivity(["45-day rate >= 90%: met in 3 of 16 parameter sets (25%)\nmu_star S1 ST\n"])
    check_sensitivity(["45-day rate >= 90%: met in 4 of 16 parameter sets (25%)\nmu_star S1 ST\n"])
    check_reform(
        ["- rate: 99.99960 → 100.00000 (+0.00040 points, 95% CI +0.0001 to +0.0007, significant; better)\n" * 4]
    )
