"""``courtsim schema``: the JSON Schema of scenario files, for editors' completion."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sim.commands import SUMMARIES
from sim.config.schema import Scenario
from sim.io import write_text
from sim.lang import bi


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
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=bi(
            "写入 FILE（所在文件夹须已存在），不输出到屏幕", "write to FILE (in an existing folder) instead of stdout"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print or write the schema."""
    text = json.dumps(scenario_json_schema(), ensure_ascii=False, indent=2)
    if args.output:
        folder = Path(args.output).parent
        if not folder.is_dir():  # not created silently: a mistyped folder would hide the file
            print(
                bi(
                    f"错误：-o {args.output}：文件夹 {folder} 不存在；请先建好它（mkdir -p {folder}）",
                    f"error: -o {args.output}: the folder {folder} does not exist; create it first (mkdir -p {folder}) "
                    "or choose an existing folder",
                ),
                file=sys.stderr,
            )
            return 2
        write_text(Path(args.output), text + "\n")
    else:
        print(text)
    return 0
