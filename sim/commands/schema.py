"""``courtsim schema``: the JSON Schema of scenario files, for editors' completion."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sim.commands import SUMMARIES
from sim.config.schema import Scenario
from sim.io import write_text


def scenario_json_schema() -> dict[str, object]:
    """The JSON Schema of a scenario file (``base`` included, as files may name one)."""
    schema = Scenario.model_json_schema()
    schema["properties"] = {
        "base": {"type": "string", "description": "a scenario file this one overrides"},
        **schema["properties"],
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "courtsim scenario"
    return schema


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``schema`` subcommand."""
    parser = subparsers.add_parser("schema", help=SUMMARIES["schema"])
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print or write the schema."""
    text = json.dumps(scenario_json_schema(), ensure_ascii=False, indent=2)
    if args.output:
        write_text(Path(args.output), text + "\n")
    else:
        print(text)
    return 0
