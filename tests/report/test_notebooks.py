"""Every notebook runs top to bottom (small replication counts, short periods), so none rots.

The notebooks read ``COURTSIM_NOTEBOOK_SMOKE=1`` and then use 2 replications and a
100-day counted period. They are stored without outputs; a test checks that too.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
EXPECTED = {"01_quickstart", "02_staffing_comparison", "03_calibration", "04_reform_evaluation"}


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
