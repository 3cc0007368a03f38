"""``courtsim synth-records SCENARIO --years N --out FILE``: synthetic case records from a simulation."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.calibration.synth import SYNTHETIC_MARK, simulate_records, write_records
from sim.commands import SUMMARIES, common
from sim.config.load import load_scenario

_MAX_YEARS = 20.0


def _years(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of years, got {text!r}") from None
    if not 0 < value <= _MAX_YEARS:
        raise argparse.ArgumentTypeError(f"expected years in (0, {_MAX_YEARS:g}], got {text}")
    if round(365.0 * value) < 1:  # the run is a whole number of days (sim.calibration.synth)
        raise argparse.ArgumentTypeError(
            f"expected at least one day of records (--years {1 / 365:.4f} or more), got {text}"
        )
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``synth-records`` subcommand."""
    parser = subparsers.add_parser(
        "synth-records",
        help=SUMMARIES["synth-records"],
        description="Simulate N years from an empty court and write the cases as a court's system would export "
        "them on the last day: 案号 like （2023）豫1381执123号, Chinese headers, dates, amounts in 元, outcomes "
        f"in Chinese, open cases with an empty 结案日期. The file is marked '{SYNTHETIC_MARK}' in its first "
        "line and a 'synthetic' column.",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    parser.add_argument(
        "--years",
        type=_years,
        required=True,
        metavar="N",
        help="years to simulate, in whole days (e.g. 1, 0.5; at least 1/365)",
    )
    parser.add_argument("--out", required=True, metavar="FILE.csv", help="records file to write")
    parser.add_argument("--seed", type=int, metavar="S", help="base seed (default: the scenario's run.seed)")
    parser.add_argument("--court", default="豫1381", help="court code in the case numbers (default 豫1381)")
    parser.add_argument(
        "--steps",
        action="store_true",
        help="also date the first wait of seven outside delays per case (送达_发出 / 送达_回复 …; "
        "the answer empty while still awaited), for calibrating delays; the run goes on a year past "
        "the extraction date to know them, so the draws differ from a run without --steps",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    parser.set_defaults(func=run)


@common.guarded
def run(args: argparse.Namespace) -> int:
    """Simulate and write the records."""
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise common.CommandError(f"{out} exists; choose another --out or pass --overwrite")
    scenario = load_scenario(args.scenario)
    seed = scenario.run.seed if args.seed is None else args.seed
    records, extraction, _ = simulate_records(scenario, args.years, seed, court=args.court, steps=args.steps)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_records(records, out, scenario=scenario.name, seed=seed, extraction=extraction)
    n_open = int((records["结案日期"] == "").sum())
    print(
        f"wrote {len(records)} synthetic records ({n_open} open) to {out}: filed "
        f"{records['立案日期'].min()} to {records['立案日期'].max()}, extraction date {extraction}"
        + (f"; {sum(c.endswith('_发出') for c in records.columns)} dated delays" if args.steps else "")
    )
    return 0
