"""Every Python snippet of the README, ``docs/`` and ``scenarios/README.md`` runs, in quick mode.

Each document's ``python`` blocks run in order, in one fresh interpreter (as a reader would
paste them into a notebook), from the repository's root. Quick mode shortens every loaded
scenario (:data:`QUICK`) and caps replications at 2; the code of the snippets is untouched.
A bare expression that gives a table must give a non-empty one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "scenarios" / "README.md"]

PRELUDE = """
import ast, sys
import pandas as pd
import sim.api
import sim.experiments.running as running
from sim.config.load import load_scenario, with_overrides

QUICK = {"run.warmup_days": 0, "run.horizon_days": 45, "run.cooldown_days": 15}
sim.api.load_scenario = lambda path: with_overrides(load_scenario(path), QUICK)
_run_experiment = running.run_experiment

def _quick(scenarios, reps, *args, **kwargs):
    return _run_experiment(scenarios, min(reps, 2), *args, **kwargs)

running.run_experiment = sim.api.run_experiment = _quick

namespace = {"__name__": "__main__"}
for number, block in enumerate(BLOCKS, 1):
    for node in ast.parse(block).body:
        if isinstance(node, ast.Expr):
            value = eval(compile(ast.Expression(node.value), f"<block {number}>", "eval"), namespace)
            if isinstance(value, pd.DataFrame) and value.empty:
                sys.exit(f"block {number}, line {node.lineno}: {ast.unparse(node)} gave an empty table")
        else:
            exec(compile(ast.Module([node], []), f"<block {number}>", "exec"), namespace)
print("ran", len(BLOCKS), "blocks")
"""


def python_blocks(text: str) -> list[str]:
    """The document's fenced ``python`` blocks (a block inside a list item is dedented)."""
    return [textwrap.dedent(b) for b in re.findall(r"^[ \t]*```python\n(.*?)^[ \t]*```", text, flags=re.S | re.M)]


def test_the_documents_have_snippets() -> None:
    assert len(python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))) >= 1
    assert python_blocks("text\n\n   ```python\n   x = 1\n   ```\n") == ["x = 1\n"]


@pytest.mark.parametrize(
    "path",
    [p for p in DOCUMENTS if python_blocks(p.read_text(encoding="utf-8"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_snippets_run(path: Path) -> None:
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    script = f"BLOCKS = {blocks!r}\n{PRELUDE}"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{path.name}:\n{done.stdout}\n{done.stderr[-3000:]}"
    assert f"ran {len(blocks)} blocks" in done.stdout
