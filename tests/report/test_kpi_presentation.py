"""A new KPI is one ``@register(...)``: the tables and reports pick it up with no other edit.

The test registers a KPI the code has never heard of, recomputes the KPIs of the
session's kept runs (as every replication does, through ``kpi_values``), and looks
for it where its fields say it belongs: the ``courtsim run`` table, the order of
``courtsim compare``, and the run report's indicator table with its target and source.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.commands.compare import kpi_order
from sim.commands.run import format_table
from sim.experiments.results import write_results
from sim.experiments.types import ExperimentResult
from sim.metrics import KPIS, Group, Level, RunView, View, headline, in_order, kpi_values
from sim.metrics.registry import register
from sim.model import build_calendar
from sim.report import write_run_report

NEW = "appeal_free_rate"


def _appeal_free_rate(view: RunView) -> float:
    """A made-up share: counted cases closed by the end of the log."""
    return len(view.closed) / len(view.counted) if len(view.counted) else float("nan")


@pytest.fixture
def new_kpi() -> Iterator[str]:
    """``appeal_free_rate`` registered as a headline KPI with a target; unregistered afterwards."""
    register(
        NEW,
        "无异议结案率",
        "closure without objection",
        "share",
        "higher",
        "A test KPI: closed counted cases ÷ counted cases.",
        group=Group.OUTCOME,
        position=5,
        headline=True,
        level=Level("target", 0.1, None, "a source the test invented"),  # well below: judged met
    )(_appeal_free_rate)
    try:
        yield NEW
    finally:
        KPIS.pop(NEW)


def _recomputed(experiment: ExperimentResult, label: str) -> ExperimentResult:
    """The experiment's KPIs of ``label`` computed anew from its kept runs, by the register."""
    scenario = experiment.scenarios[label]
    rows = [
        (label, rep, kpi, value)
        for (lab, rep), run in sorted(experiment.runs.items())
        if lab == label
        for kpi, value in kpi_values(run, scenario, build_calendar(scenario)).items()
    ]
    kpis = pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])
    runs = {key: run for key, run in experiment.runs.items() if key[0] == label}
    return ExperimentResult(kpis, {label: scenario}, experiment.seed, experiment.reps, runs)


def test_a_new_headline_kpi_is_printed_and_reported(new_kpi: str, experiment: ExperimentResult, tmp_path: Path) -> None:
    label = "dengzhou_2022"
    result = _recomputed(experiment, label)
    old = experiment.kpis.loc[experiment.kpis["scenario"] == label]
    assert set(result.kpis["kpi"]) - set(old["kpi"]) == {new_kpi}
    same = result.kpis.loc[result.kpis["kpi"] != new_kpi].reset_index(drop=True)
    pd.testing.assert_frame_equal(same, old.reset_index(drop=True))  # the others did not move

    # The terminal table: after the outcome group's four, before the days to close.
    lines = format_table(result, label).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{label}:")) + 2  # after any warning
    rows = lines[start : lines.index("", start)]  # the KPI rows end where the verdict line begins
    printed = [line.split()[0] for line in rows]  # the Chinese name comes first
    at = printed.index("无异议结案率")
    assert printed[at - 1] == KPIS["recovery_rate"].zh and printed[at + 1] == KPIS["mean_days_to_close"].zh
    assert "closure without objection" in rows[at]
    assert kpi_order(list(dict.fromkeys(result.kpis["kpi"])))[: len(headline(View.TERMINAL))] == headline(View.TERMINAL)
    assert new_kpi in headline(View.TERMINAL)

    # The run report: a row of the indicator table, judged against its target, with the source.
    folder = write_results(tmp_path / "results", result, sources={label: "scenarios/dengzhou_2022.toml"})
    page = write_run_report(folder).read_text(encoding="utf-8")
    table = page.split('<section id="kpis">')[1].split("</section>")[0]
    row = table.split("无异议结案率")[1].split("</tr>")[0]
    assert "≥ 10%" in row and "目标 target" in row and 'class="badge met"' in row
    assert "a source the test invented" in table and "A test KPI: closed counted cases" in table
    rows = [k for k in in_order(result.kpis["kpi"]) if KPIS[k].group is not Group.UTILISATION]
    shown = [table.index(f"<td>{KPIS[k].zh}<br>") for k in rows]
    assert shown == sorted(shown), "the indicator table is not in the register's order"
