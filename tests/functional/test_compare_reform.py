"""``courtsim compare`` of the court before the reform against the reform, as an evaluator runs it.

The shipped scenarios, shortened to a few weeks: a KPI that only the reform defines (the
fast track's rates) is reported as not defined in the other organisation instead of
stopping the command, the would-be simple cases are compared on the same cases, the
per-head denominators are stated for both, and ``--attribute`` takes the difference
apart into the scenario's parts, in the terminal, the results folder and the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from tests.conftest import SCENARIOS

TINY = "[run]\nwarmup_days = 10\nhorizon_days = 60\ncooldown_days = 20\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("scenarios")
    paths = {}
    for name in ("dengzhou_2022", "pre_reform"):
        path = folder / f"{name}.toml"
        path.write_text(f'base = "{(SCENARIOS / f"{name}.toml").as_posix()}"\n{TINY}', encoding="utf-8")
        paths[name] = str(path)
    return paths


def test_compare_of_the_two_organisations_runs_and_says_what_is_not_defined(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["compare", files["dengzhou_2022"], files["pre_reform"], "--reps", "2", "--jobs", "2"]
    argv += ["--cache", str(tmp_path / "cache"), "-q"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    fast45 = next(line for line in text.splitlines() if "fast-track 45-day closure rate" in line)
    assert "n/a" in fast45 and "only in base" in fast45
    assert "fast45_rate is not defined in pre_reform" in text  # the precision advice, not an error
    simple = next(line for line in text.splitlines() if "45-day rate from filing, cases simple" in line)
    assert "n/a" not in simple  # the would-be simple cases exist in both organisations
    assert "handling_officers 15 (fast_track 4 + complex_track 11)" in text
    assert "handling_officers 20 (complex_track 20)" in text
    assert main([*argv, "--json"]) == 0  # from the cache
    data = json.loads(capsys.readouterr().out)
    row = data["comparisons"]["pre_reform"]["fast45_rate"]
    assert row["verdict"] == "only in base" and row["n"] == 0 and row["mean_diff"] is None
    shares = data["comparisons"]["pre_reform"]["simple_rules_share"]
    assert shares["mean_diff"] == 0.0  # the same cases are simple by the rules in both (CRN)
    assert {d["id"] for d in data["denominators"]["pre_reform"]} >= {"judges", "court_officers", "handling_officers"}


def test_attribute_takes_the_difference_apart_in_terminal_folder_and_report(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["compare", files["dengzhou_2022"], files["pre_reform"], "--reps", "2", "--jobs", "2"]
    argv += ["--cache", str(tmp_path / "cache"), "--attribute", "--report", "--out", str(out), "-q"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "attribution of pre_reform − dengzhou_2022: 2 paired replications" in text
    assert "interaction remainder" in text
    effects = pd.read_csv(out / "attribution.csv")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (design,) = manifest["attribution"]
    parts = [p["name"] for p in design["parts"]]
    assert len(parts) >= 2
    # Every differing field is in exactly one part.
    paths = [path for p in design["parts"] for path in p["paths"]]
    assert len(paths) == len(set(paths))
    assert any(path.startswith("staffing.") for path in paths) and "policy.triage" in paths
    # The waterfall's steps add up to the total for every KPI both ends define.
    rows = effects.loc[effects["kpi"] == "mean_days_to_close"]
    total = float(rows.loc[rows["method"] == "total", "mean"].iloc[0])
    assert rows.loc[rows["method"] == "waterfall", "mean"].sum() == pytest.approx(total)
    assert set(rows.loc[rows["method"] == "waterfall", "part"]) == set(parts)
    html = (out / "report.html").read_text(encoding="utf-8")
    for heading in ("差异归因", "Attribution of the difference", "瀑布图", "人均指标的分母", "结语", "Closing note"):
        assert heading in html, heading
    assert "承办执行员" in html and "complex_track 20" in html


def test_the_api_attributes_the_difference_and_its_waterfall_adds_up() -> None:
    import sim
    from sim.config.load import load_scenario, with_overrides

    window = {"run.warmup_days": 5, "run.horizon_days": 20, "run.cooldown_days": 5}
    base = with_overrides(load_scenario(SCENARIOS / "dengzhou_2022.toml"), window)
    other = with_overrides(load_scenario(SCENARIOS / "pre_reform.toml"), window)
    result = sim.attribute(base, other, reps=2, jobs=1)
    mechanisms = [f"reform.{m}" for m in ("specialisation", "centralised_intake", "electronic_service")]
    mechanisms += ["reform.scanned_files", "reform.rework"]  # each [reform] sub-table is a part of its own
    names = [*mechanisms, "policy", "organisation", "staffing"]
    assert result.design.names == names  # the scenario format's order
    staffing = result.design.parts[-1]
    assert not staffing.alone and "needs 1 officer(s)" in staffing.alone_problem  # the validation's words
    steps = result.waterfall("mean_days_to_close")
    total = result.effects.query("kpi == 'mean_days_to_close' and method == 'total'")["mean"].iloc[0]
    assert steps["mean"].sum() == pytest.approx(total)
    ends = result.kpis.query("kpi == 'mean_days_to_close'").groupby("scenario")["value"].mean()
    assert steps["level_after"].iloc[-1] == pytest.approx(ends[other.name])
    assert set(result.kpis["scenario"]) == set(result.design.labels.values())
    parts = result.parts_table()
    assert list(parts["part"]) == names
