"""``courtsim app``: bad input is refused before Streamlit starts; the server is local and quiet."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pytest

from sim.cli import main
from sim.commands import app as app_command

ROOT = Path(__file__).resolve().parents[2]


def test_a_bad_scenario_is_refused_with_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'base = "{ROOT / "scenarios" / "dengzhou_2022.toml"}"\nname = "bad"\n[staffing.fast_track]\nbailiffs = 0\n'
    )
    assert main(["app", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "staffing.fast_track.bailiffs" in err and "Traceback" not in err


def test_a_bad_port_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["app", str(ROOT / "tests" / "data" / "app_short.toml"), "--port", "70000"]) == 2
    assert "--port must be between 1 and 65535" in capsys.readouterr().err


def test_without_streamlit_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "streamlit" else real(name, *a))
    assert main(["app", str(ROOT / "tests" / "data" / "app_short.toml")]) == 2
    assert "pip install 'courtsim[app]'" in capsys.readouterr().err


def test_the_server_is_headless_local_and_sends_no_statistics(tmp_path: Path) -> None:
    args = argparse.Namespace(
        scenario="scenarios/dengzhou_2022.toml",
        port=8600,
        address="127.0.0.1",
        results=str(tmp_path),
        jobs=2,
        cache=str(tmp_path / "cache"),
        no_cache=False,
    )
    command = app_command.streamlit_command(args)
    assert command[1:4] == ["-m", "streamlit", "run"]
    for option in ("--server.headless=true", "--browser.gatherUsageStats=false", "--server.address=127.0.0.1"):
        assert option in command
    env = app_command.page_environment(args)
    assert env["COURTSIM_APP_SCENARIO"].endswith("dengzhou_2022.toml") and env["COURTSIM_APP_JOBS"] == "2"
    assert env["COURTSIM_APP_CACHE"] == str((tmp_path / "cache").resolve())  # the command line's cache, shared
    assert (
        app_command.page_environment(argparse.Namespace(**{**vars(args), "no_cache": True}))["COURTSIM_APP_CACHE"] == ""
    )
