"""Held time: how long people wait, idle, for convened several-person work to gather.

Usage::

    .venv/bin/python bench/held.py [scenarios/dengzhou_2022.toml] [--seed 7] [--replication 0]

Runs one replication and prints, per team × role, the holds (``Pool.holds`` in
``sim/staffing.py``: a person held for a 终本合议, a detention or other several-person work
from the moment they came free until the work began), their working hours, and their share
of the post's working time over the whole run. Utilisation counts work only, so this is the
idle time it leaves out. Also the panel reviews done, their mean wait and those left waiting.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim.model as model  # noqa: E402
from sim.config.load import load_scenario  # noqa: E402
from sim.staffing import StaffOffice  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "dengzhou_2022.toml"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--replication", type=int, default=0)
    args = parser.parse_args()

    offices: list[StaffOffice] = []

    class Watched(StaffOffice):  # the run's office, kept to read its pools afterwards
        def __init__(self, *a: object, **k: object) -> None:
            super().__init__(*a, **k)  # type: ignore[arg-type]
            offices.append(self)

    setattr(model, "StaffOffice", Watched)  # noqa: B010 (the model builds its office by this name)
    scenario = load_scenario(args.scenario)
    result = model.run_replication(scenario, args.replication, args.seed)
    calendar = model.build_calendar(scenario)
    end = scenario.run.horizon_days + scenario.run.cooldown_days
    hours_each = calendar.working_hours_between(0.0, end)
    print(f"{scenario.name}, seed {args.seed}, replication {args.replication}, {end:g} days")
    for team, desk in offices[0].desks.items():
        by_role: dict[str, tuple[int, float, int]] = {}
        for (_, role), pool in desk.pools.items():
            n, hours, people = by_role.get(role.value, (0, 0.0, 0))
            held = sum(calendar.working_hours_between(a, b) for a, b in pool.holds)
            by_role[role.value] = (n + len(pool.holds), hours + held, people + len(pool.members))
        for name, (n, hours, people) in by_role.items():
            if n:
                share = hours / (people * hours_each)
                print(f"  {team.value:15s} {name:8s} {n:6d} holds {hours:9.1f} h held  {share:6.2%} of working time")
    steps = result.steps
    panels = steps[steps.step == "panel_review"]
    waiting = int((result.unfinished.step == "panel_review").sum()) if len(result.unfinished) else 0
    print(f"panel reviews done {len(panels)}, mean wait {(panels.start - panels.queued).mean():.2f} days,")
    print(f"still waiting at the end {waiting}")


if __name__ == "__main__":
    main()
