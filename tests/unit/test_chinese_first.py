"""The terminal is Chinese first with English beside it, or English alone (issue 14 item 6).

``--lang zh|en`` (or ``COURTSIM_LANG``) chooses; tables pad by display width, so columns after a
Chinese name line up; ``run`` ends with the 45-day verdict line; progress is printed as lines
when stderr is not a terminal.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.commands.common import _progress_lines
from sim.commands.run import format_table, verdict_line
from sim.config.errors import Problem, ScenarioError
from sim.config.load import load_scenario
from sim.display import clip, ljust, rjust, width
from sim.experiments.types import ExperimentResult
from sim.lang import ENV, bi
from tests.conftest import ROOT


def test_display_width_counts_a_chinese_character_as_two_columns() -> None:
    assert width("终本 rate") == 9 and width("abc") == 3 and width("“三统一”") == 8
    assert ljust("快执", 6) == "快执  " and rjust("快执", 6) == "  快执"
    assert clip("快执团队", 5) == "快执" and width(ljust("利用率·快执团队", 20)) == 20


def _result(values: list[float], unstable: float = 0.0) -> ExperimentResult:
    scenario = load_scenario(ROOT / "scenarios" / "dengzhou_2022.toml")
    columns = {"fast45_rate": values, "util_fast_track_officer": [0.8, 0.82, 0.81], "unstable": [unstable] * 3}
    rows = [("dengzhou_2022", rep, kpi, v[rep]) for kpi, v in columns.items() for rep in range(3)]
    kpis = pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])
    return ExperimentResult(kpis, {"dengzhou_2022": scenario}, 7, 3, {})


def test_the_columns_line_up_after_chinese_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    lines = [x for x in format_table(_result([0.55, 0.58, 0.56]), "dengzhou_2022").splitlines() if "%" in x]
    rows = [x for x in lines if x.startswith("  ")]
    assert len(rows) == 2
    ends = {width(x[: x.index("%")]) for x in rows}
    assert len(ends) == 1, rows  # the means end in the same column after 简案… and 利用率·快执团队…
    assert rows[0].split()[0] == "简案45日内结案率"  # Chinese first


def test_run_prints_the_verdict_line_chinese_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    table = _result([0.55, 0.58, 0.56]).summary().set_index("kpi")
    zh, en = verdict_line(table)
    assert zh.startswith("结论：45日结案目标未能达到") and "目标 ≥ 90%" in zh
    assert en.startswith("Verdict: The 45-day target is not met") and "56.3%" in en
    held = _result([0.95, 0.96, 0.97]).summary().set_index("kpi")
    assert verdict_line(held)[0].startswith("结论：45日结案目标可以达到")
    text = format_table(_result([0.55, 0.58, 0.56], unstable=1.0), "dengzhou_2022")
    assert text.splitlines()[-2].startswith("结论：") and "积案仍在增长" in text.splitlines()[-2]
    monkeypatch.setenv(ENV, "en")
    assert verdict_line(table) == [en]
    assert "简案" not in format_table(_result([0.55, 0.58, 0.56]), "dengzhou_2022")
    assert bi("中", "en") == "en"


def _courtsim(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *argv], capture_output=True, text=True, env=env)


def test_help_and_errors_are_chinese_first_or_english_with_lang_en() -> None:
    zh = _courtsim("--help")
    assert zh.stdout.index("模拟一个情景") < zh.stdout.index("simulate a scenario and print")
    en = _courtsim("--lang", "en", "--help")
    assert "模拟一个情景" not in en.stdout and "simulate a scenario" in en.stdout
    run_help = _courtsim("run", "--help").stdout
    assert "重复次数" in run_help and "replications (default" in run_help
    bad = _courtsim("run", "/no/such/file.toml", "--no-save")
    assert bad.returncode == 2 and "问题" in bad.stderr and "problem(s)" in bad.stderr
    assert "expected a whole number" in _courtsim("run", "x.toml", "--reps", "two").stderr
    assert "应为整数" in _courtsim("run", "x.toml", "--reps", "two").stderr


def test_progress_is_a_line_per_tenth_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    show = _progress_lines(0.0)
    for done in range(1, 21):
        show(done, 20)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10 and "20/20 replications done" in lines[-1] and lines[0].startswith("进度")
    quiet = _progress_lines(3600.0)  # the first line waits an interval: a quick command prints none
    for done in range(1, 21):
        quiet(done, 20)
    assert capsys.readouterr().err == ""


def _problems(tmp_path: Path, body: str) -> list[Problem]:
    path = tmp_path / "s.toml"
    path.write_text(f'base = "{ROOT / "scenarios" / "dengzhou_2022.toml"}"\n{body}', encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value.problems


def test_a_chinese_team_or_role_name_is_refused_naming_the_id_to_write(tmp_path: Path) -> None:
    (quoted,) = _problems(tmp_path, 'name = "x"\n[staffing."快执团队"]\nofficers = 6\n')
    assert quoted.path == "staffing.快执团队" and "[staffing.fast_track]" in quoted.message
    assert quoted.zh is not None and quoted.zh.startswith("团队要写英文 id")
    assert quoted.expected is not None and "fast_track（快执团队）" in quoted.expected
    assert quoted.describe(True).index("团队") < quoted.describe(True).index("a team is named")
    assert quoted.describe(True).splitlines()[1].strip() == str(quoted)  # the English line below
    (bare,) = _problems(tmp_path, 'name = "x"\n[staffing.快执团队]\nofficers = 6\n')
    assert "not valid TOML" in bare.message and "[staffing.fast_track]" in bare.message
    assert bare.zh is not None and "键名不能直接写中文" in bare.zh
    (role,) = _problems(tmp_path, 'name = "x"\n[staffing.fast_track]\n"执行员" = 6\n')
    assert "write officers = … for 执行员" in role.message


def test_a_chinese_name_and_a_wrong_type_are_said_in_plain_words(tmp_path: Path) -> None:
    (name,) = _problems(tmp_path, 'name = "快执加人"\n')
    assert "put a Chinese name in title" in name.message and "pattern" not in name.message
    assert name.zh is not None and "title" in name.zh
    (count,) = _problems(tmp_path, 'name = "x"\n[staffing.fast_track]\nofficers = "six"\n')
    assert count.message == "must be a whole number" and count.zh == "应为整数"
    (low,) = _problems(tmp_path, 'name = "x"\n[staffing.fast_track]\njudges = -1\n')
    assert low.message == "must be 0 or more" and low.zh == "应不小于 0"
    assert str(low).startswith("staffing.fast_track.judges: must be 0 or more")  # English alone


def test_staff_prints_the_changed_posts_first_under_headed_columns() -> None:
    """``staff`` lists the posts that change before the others, each table with its headings
    (issue 14 item 7); a stand-in result with a change in the fifth post of the listing."""
    from types import SimpleNamespace

    from sim.commands.staff import format_staff
    from sim.experiments.types import parse_target

    table = pd.DataFrame(
        [("intake", "officer", 2, 2, 0), ("fast_track", "clerk", 4, 4, 0), ("complex_track", "officer", 11, 12, 1)],
        columns=["team", "role", "base", "proposed", "change"],
    )
    target = parse_target("fast45_rate>=0.5")
    path = pd.DataFrame(
        [
            {
                "step": 0,
                "change": "(as given)",
                "staff": 73,
                "fast45_rate_mean": 0.4,
                "fast45_rate_bound": 0.38,
                "all_hold": False,
                "means_meet": False,
                "n": 2,
            }
        ]
    )
    result = SimpleNamespace(
        targets=[target],
        mode="add",
        confidence=0.95,
        met=False,
        conclusion="no staffing meets",
        usage="",
        staffing_table=lambda: table,
        path=path,
        explored=path.iloc[0:0],
        checks=path.iloc[0:0],
        ceilings=[],
    )
    lines = format_staff(result, "x", 2, 4).splitlines()  # type: ignore[arg-type]
    head = next(i for i, line in enumerate(lines) if "proposed" in line and "team" in line)
    assert lines[head + 1].split()[:3] == ["精执团队·执行员", "complex_track", "officer"]
    assert lines[head + 1].endswith("+1") and lines[head + 2].split()[1] == "intake"
    step = next(line for line in lines if line.split()[:3] == ["step", "change", "staff"])
    assert "fast45_rate mean" in step and "≥ bound" in step
