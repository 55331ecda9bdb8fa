"""The `pipeline` command. Each command group lives in its own module with a `register()`."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Any

# Modules that add sub-commands; each exposes `register(subparsers)` and sets `func` on its parsers.
COMMAND_MODULES = (
    "pipeline.cli.stack_commands",
    "pipeline.cli.asset_commands",
    "pipeline.cli.media_commands",
    "pipeline.cli.ops_commands",
    "pipeline.cli.stats_commands",
    "pipeline.cli.reliability_commands",
)


def bench_group(subparsers: Any) -> Any:
    """The sub-commands of `pipeline bench WHAT`, shared by every module that adds a benchmark."""
    group = getattr(subparsers, "bench_group", None)
    if group is None:
        bench = subparsers.add_parser("bench", help="benchmarks that print figures")
        group = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
        subparsers.bench_group = group
    return group


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline",
        description="Event-driven media pipeline: run it on a laptop, deploy it to AWS.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result = args.func(args)
    return int(result or 0)
