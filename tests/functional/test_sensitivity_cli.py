"""``courtsim sensitivity``: bad input is a plain error; a tiny screening writes a folder, a report, and resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from tests.conftest import SCENARIOS


def _tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    base = (SCENARIOS / "dengzhou_2022.toml").resolve()
    path.write_text(
        f'base = "{base}"\nname = "tiny"\n[run]\nwarmup_days = 10\nhorizon_days = 45\ncooldown_days = 10\n',
        encoding="utf-8",
    )
    return path


def test_a_budget_too_small_is_a_plain_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sensitivity", str(_tiny(tmp_path)), "--budget", "5", "--no-cache", "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "too small to screen" in err and "Traceback" not in err


def test_an_unknown_kpi_is_a_plain_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sensitivity", str(_tiny(tmp_path)), "--kpi", "fast46_rate", "--no-cache", "-q"])
    assert code == 2
    assert "unknown --kpi fast46_rate" in capsys.readouterr().err


def test_a_bad_range_names_its_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _tiny(tmp_path)
    path.write_text(path.read_text() + '[uncertainty]\n"tasks.scan.hourz" = { low = 0.5, high = 2 }\n')
    assert main(["sensitivity", str(path), "--no-cache", "-q"]) == 2
    assert "uncertainty.tasks.scan.hourz: no scenario field" in capsys.readouterr().err


@pytest.mark.slow
def test_a_tiny_screening_writes_its_folder_and_report_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out, cache = _tiny(tmp_path), tmp_path / "out", tmp_path / "cache"
    args = ["sensitivity", str(scenario), "--groups", "table", "--budget", "16", "--jobs", "2", "--cache", str(cache)]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "what drives fast45_rate" in printed.out and "simulated 16 replication(s), 0 from the cache" in printed.err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "sensitivity" and manifest["runs"] == 16
    indices = pd.read_csv(out / "groups_indices.csv")
    assert set(indices["parameter"]) == {
        "tasks",
        "probabilities",
        "delays",
        "amounts",
        "arrivals",
        "side_streams",
        "reform",
    }
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(indices.columns)
    assert (indices["mu_star"] >= 0).all()
    robustness = pd.read_csv(out / "robustness.csv").set_index("kpi")
    assert 0 <= robustness.loc["fast45_rate", "share"] <= 1
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "结论的稳健性" in html and "Measure these first" in html and "data:image/svg+xml" in html
    # The same command again: every replication comes from the cache, the same indices.
    assert main([*args, "--out", str(tmp_path / "again")]) == 0
    assert "simulated 0 replication(s), 16 from the cache" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / "groups_indices.csv"), indices)
