"""`pipeline stats`: the dashboard's figures in the terminal; `pipeline bench coldstart`."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from pipeline.cli import bench_group
from pipeline.cli.target import Target, add_target_args, on_target


def register(subparsers: Any) -> None:
    stats = subparsers.add_parser(
        "stats", help="throughput, latency, failures, queues: the dashboard in the terminal"
    )
    add_target_args(stats, "aws")
    stats.add_argument("--minutes", type=float, default=10, help="window to summarise (default 10)")
    stats.add_argument(
        "--period", type=int, default=10, help="seconds per chart period (default 10)"
    )
    stats.add_argument("--watch", type=float, default=0, help="redraw every N seconds")
    stats.set_defaults(func=on_target(cmd_stats))

    bench = bench_group(subparsers).add_parser(
        "coldstart",
        help="cold-start import time of each handler, with and without tracing",
    )
    bench.add_argument("--runs", type=int, default=5, help="fresh interpreters per figure")
    bench.add_argument("--json", default=None, help="also write the runs to this file")
    bench.set_defaults(func=cmd_bench_coldstart)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "Bytes":
        for suffix in ("B", "KB", "MB", "GB"):
            if abs(value) < 1024 or suffix == "GB":
                return f"{value:.0f} {suffix}" if suffix == "B" else f"{value:.1f} {suffix}"
            value /= 1024
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")


def _sparkline(points: list[list[float]], start: int, end: int, period_s: int) -> str:
    bars = " ▁▂▃▄▅▆▇█"
    slots = max(1, (end - start) // (period_s * 1000))
    values: list[float | None] = [None] * slots
    for stamp, value in points:
        i = int((stamp - start) // (period_s * 1000))
        if 0 <= i < slots:
            values[i] = value
    top = max((v for v in values if v is not None), default=0) or 1
    return "".join(" " if v is None else bars[round(v / top * (len(bars) - 1))] for v in values)


def render(snapshot: dict[str, Any], width: int = 30) -> str:
    lines = []
    start, end, period = snapshot["start"], snapshot["end"], snapshot["period_s"]
    for widget in snapshot["widgets"]:
        if not widget["series"]:
            continue
        lines.append(f"{widget['title']}")
        for series in widget["series"]:
            spark = _sparkline(series["points"], start, end, period)[-width:]
            figure = _fmt(series["window"], widget["unit"])
            lines.append(f"  {series['label']:32} {figure:>10}  {spark}")
    return "\n".join(lines)


def cmd_stats(args: argparse.Namespace, target: Target) -> int:
    from pipeline.local.dashboard_data import deployed_dimensions, snapshot
    from pipeline.settings import get_settings

    settings = get_settings()
    # An embedded stack (its endpoint in the environment) has every metric under local names.
    local = bool(os.environ.get("AWS_ENDPOINT_URL"))
    resolver = None if local else deployed_dimensions(settings.topology)
    while True:
        figures = snapshot(
            settings.topology,
            settings.region,
            minutes=args.minutes,
            period_s=args.period,
            resolve=resolver,
        )
        header = (
            f"{target.description}: last {args.minutes:g} min "
            f"(figures: sum, maximum or percentile over the window; bars per {args.period} s)"
        )
        if not local:
            header += "\nfunctions, API and CDN: see the CloudWatch dashboard"
        output = header + "\n\n" + render(figures)
        if not args.watch:
            print(output)
            return 0
        print("\x1b[2J\x1b[H" + output, flush=True)
        time.sleep(args.watch)


def cmd_bench_coldstart(args: argparse.Namespace) -> int:
    from pipeline_dev.coldstart import run_coldstart_bench

    return run_coldstart_bench(runs=args.runs, json_path=args.json)
