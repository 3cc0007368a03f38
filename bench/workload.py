"""The workload check: work asked for against working hours, and per-head throughput
against the published workload figures (issue 13 §5, docs/workload.md).

Usage::

    .venv/bin/python bench/workload.py [SCENARIO ...] [--reps N] [--set PATH=VALUE ...]

Runs ``--reps`` replications of each scenario (default: the baseline and pre_reform, one
each) and prints, per scenario, the load of every team × role (the counted cases' work
and the side streams' per year ÷ the head-count's working hours; 1 or more cannot be
carried) and the check's lines: cases closed per handling officer and per judge a year,
handling-officer hours per case, the published ranges beside them, and a WARNING naming
every post asked for 95% or more of its hours.
"""

from __future__ import annotations

import argparse
import tomllib

import pandas as pd

from sim.config.load import load_scenario, with_overrides
from sim.metrics import run_view
from sim.metrics.effort import check_workload, task_demand
from sim.model import build_calendar, run_replication


def _value(text: str) -> object:
    return tomllib.loads(f"v = {text}")["v"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=["scenarios/dengzhou_2022.toml", "scenarios/pre_reform.toml"])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--tasks", action="store_true", help="also print the demand per task (first replication)")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="an override (TOML value)")
    args = parser.parse_args()
    overrides = {path: _value(value) for path, value in (item.split("=", 1) for item in args.set)}
    for path in args.scenarios:
        scenario = with_overrides(load_scenario(path), overrides)
        calendar = build_calendar(scenario)
        loads, lines = [], []
        for rep in range(args.reps):
            result = run_replication(scenario, rep)
            view = run_view(result, scenario, calendar)
            if args.tasks and rep == 0:
                print(f"\n{scenario.name}: work asked for per task (replication 0)")
                print(task_demand(view, result.unfinished).round(2).to_string(index=False))
            check = check_workload(view, result.unfinished)
            loads.append(check.load.assign(rep=rep))
            lines = check.lines()  # the last replication's; the table below averages them
        table = pd.concat(loads).groupby(["team", "role"])[["headcount", "demand_hours", "capacity_hours", "load"]]
        print(f"\n{scenario.name}: {args.reps} replication(s)")
        print(table.mean().round({"demand_hours": 0, "capacity_hours": 0, "load": 2}).to_string())
        print("\n".join(lines))


if __name__ == "__main__":
    main()
