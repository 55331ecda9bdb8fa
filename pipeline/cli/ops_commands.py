"""Operations on a running pipeline: `pipeline replay`, `backfill`, `redrive`, `gc`, and
`pipeline bench backfill`.

They work against `pipeline up` and against a deployed stack; `pipeline.cli.target` chooses
which, with the same rule as every other command. Their use cases come from
`pipeline.composition`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from pipeline import composition, media
from pipeline.cli import bench_group
from pipeline.cli.progress_bar import ProgressBar
from pipeline.cli.target import Target, add_target_args, on_target
from pipeline.errors import InvalidInput
from pipeline.settings import get_settings

_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _target_args(parser: argparse.ArgumentParser) -> None:
    add_target_args(parser, "aws")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def parse_when(text: str, now: float | None = None) -> float:
    """`now`, `-90m` / `-2h` / `-1d` (before now), epoch seconds, or ISO 8601 (UTC if naive)."""
    now = time.time() if now is None else now
    value = text.strip()
    if value == "now":
        return now
    relative = _RELATIVE.match(value)
    if relative:
        return now - float(relative.group(1)) * _UNITS[relative.group(2)]
    try:
        return float(value)
    except ValueError:
        pass
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time (ISO 8601, epoch seconds, 'now' or '-2h', written --since=-2h)"
        ) from exc
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _print(args: argparse.Namespace, report: dict[str, Any], lines: list[str]) -> None:
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        print("\n".join(lines))


# -- commands ---------------------------------------------------------------------------------
def register(subparsers: Any) -> None:
    replay = subparsers.add_parser(
        "replay",
        help="replay the upload events of a time window from the EventBridge archive",
        description="Replays the archived upload events of [--since, --until) to the upload "
        "rule, follows the replay to its end, waits for the workers, and reports how many "
        "assets were touched. Work already done for the same source object is not redone.",
    )
    replay.add_argument("--since", required=True, type=parse_when, metavar="T")
    replay.add_argument("--until", default="now", type=parse_when, metavar="T")
    replay.add_argument("--dry-run", action="store_true", help="count the assets in the window")
    replay.add_argument("--timeout", type=float, default=3600, help="seconds to follow the replay")
    replay.add_argument(
        "--drain-timeout", type=float, default=600, help="seconds to wait for the workers"
    )
    _target_args(replay)
    replay.set_defaults(func=on_target(cmd_replay))

    backfill = subparsers.add_parser(
        "backfill",
        help="render missing renditions of existing assets (after a spec was added or changed)",
        description="Compares every asset in the catalog with the current rendition specs and "
        "asks the renditions worker for the missing (asset x rendition) pairs only.",
    )
    backfill.add_argument(
        "--rendition", action="append", metavar="NAME", help="only these renditions (repeatable)"
    )
    backfill.add_argument(
        "--renditions-file",
        default=None,
        metavar="FILE",
        help="rendition specs (default: $PIPELINE_RENDITIONS_FILE, else the built-in set)",
    )
    backfill.add_argument(
        "--dry-run", action="store_true", help="print counts, CPU time and cost; send nothing"
    )
    backfill.add_argument("--rate", type=float, default=None, help="at most N requests a second")
    _target_args(backfill)
    backfill.set_defaults(func=on_target(cmd_backfill))

    redrive = subparsers.add_parser(
        "redrive",
        help="move dead-lettered messages back to their queue",
        description="StartMessageMoveTask where the endpoint has it; otherwise (and with --max) "
        "a client-side move that sends each batch before deleting it.",
    )
    redrive.add_argument(
        "--queue",
        action="append",
        metavar="NAME",
        help="renditions, metadata (the default: both) or cdn-invalidations",
    )
    redrive.add_argument("--max", type=int, default=None, help="move at most N messages a queue")
    redrive.add_argument("--dry-run", action="store_true", help="count what waits; move nothing")
    _target_args(redrive)
    redrive.set_defaults(func=on_target(cmd_redrive))

    gc = subparsers.add_parser(
        "gc",
        help="delete rendition objects no catalog record points at (old spec versions)",
    )
    gc.add_argument("--dry-run", action="store_true", help="list them; delete nothing")
    gc.add_argument(
        "--min-age",
        type=float,
        default=3600,
        metavar="SECONDS",
        help="keep objects younger than this (a worker may not have recorded them yet)",
    )
    _target_args(gc)
    gc.set_defaults(func=on_target(cmd_gc))

    bench = bench_group(subparsers).add_parser(
        "backfill",
        help="time a backfill plan over N synthetic catalog records on an embedded AWS",
    )
    bench.add_argument("--records", type=int, action="append", help="catalog sizes (default: 2000)")
    bench.add_argument(
        "--no-send", action="store_true", help="plan only (moto's SQS slows as queues deepen)"
    )
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.set_defaults(func=cmd_bench_backfill)

    cdn = bench_group(subparsers).add_parser(
        "cdn-delete",
        help="time how long a deleted rendition stays reachable through the local CDN",
    )
    cdn.add_argument("--rounds", type=int, default=10, help="uploads deleted (default: 10)")
    cdn.add_argument("--json", metavar="FILE", help="write each round's figures to FILE")
    cdn.set_defaults(func=cmd_bench_cdn_delete)


def cmd_replay(args: argparse.Namespace, target: Target) -> int:
    use_case = composition.replay(get_settings())
    try:
        with ProgressBar("replay") as bar:
            report = use_case.run(
                args.since,
                args.until,
                dry_run=args.dry_run,
                timeout_s=args.timeout,
                drain_timeout_s=args.drain_timeout,
                on_progress=bar,
            )
    except InvalidInput as exc:
        print(f"pipeline replay: {exc}", file=sys.stderr)
        return 2
    r = report.to_dict()
    lines = [
        f"window            {r['since']} .. {r['until']}",
        f"replay            {r['replay'] or '(dry run: nothing replayed)'} {r['state']}",
        f"assets in window  {r['assets_in_window']}",
    ]
    if not args.dry_run:
        lines += [
            f"re-processed      {r['reprocessed']} (the others were already done)",
            f"workers caught up {'yes' if r['queues_drained'] else 'not yet'}",
        ]
    _print(args, r, lines)
    return 0 if args.dry_run or report.state == "COMPLETED" else 1


def rendition_specs(path: str | None) -> tuple[media.RenditionSpec, ...]:
    """The specs of `--renditions-file`, else those the workers use (the settings')."""
    return media.load_rendition_specs(path or get_settings().renditions_file)


def cmd_backfill(args: argparse.Namespace, target: Target) -> int:
    from pipeline.usecases.backfill import select_specs

    try:
        specs = select_specs(rendition_specs(args.renditions_file), args.rendition)
    except (ValueError, InvalidInput) as exc:  # an unreadable specs file, an unknown name
        print(f"pipeline backfill: {exc}", file=sys.stderr)
        return 2
    use_case = composition.backfill(get_settings(), specs)
    with ProgressBar("backfill") as bar:
        report = use_case.run(dry_run=args.dry_run, rate=args.rate, on_progress=bar)
    r = report.to_dict()
    pairs = ", ".join(f"{n} {c}" for n, c in r["pairs"].items()) or "none"
    lines = [
        f"specs              {', '.join(f'{s.name}@{s.fingerprint}' for s in specs)}",
        f"assets scanned     {r['scanned']} in {r['elapsed_s']} s",
        f"  up to date       {r['up_to_date']}",
        f"  not ready        {r['not_ready']} (in flight, failed or deleted)",
        f"  missing          {r['assets']} assets: {pairs}",
        f"estimated CPU      {r['estimated_cpu_s']} s",
        f"estimated cost     ${r['estimated_cost_usd']:.4f} (Lambda arm64, SQS, S3, DynamoDB)",
        f"requests sent      {r['published']}" + (" (dry run)" if args.dry_run else ""),
    ]
    _print(args, r, lines)
    return 0


def cmd_redrive(args: argparse.Namespace, target: Target) -> int:
    settings = get_settings()
    topology = settings.topology
    specs = {q.name: q for q in (*topology.queues, topology.invalidations)}
    names = args.queue or [q.name for q in topology.queues]
    unknown = sorted(set(names) - set(specs))
    if unknown:
        print(f"pipeline redrive: unknown queue {', '.join(unknown)}", file=sys.stderr)
        return 2
    use_case = composition.redrive(settings)
    queues = use_case.queues
    # The embedded AWS has no StartMessageMoveTask: do not even ask it.
    try_move_task = not os.environ.get("AWS_ENDPOINT_URL")
    reports = []
    for name in names:
        spec = specs[name]
        with ProgressBar(f"redrive {name}") as bar:
            report = use_case.run(
                name,
                queues.url(topology.name(spec.dlq_name)),
                queues.url(topology.name(spec.name)),
                max_messages=args.max,
                dry_run=args.dry_run,
                try_move_task=try_move_task,
                on_progress=bar,
            )
        reports.append(report.to_dict())
    lines = [
        f"{r['queue']:<11} waiting {r['waiting']:>6}  moved {r['moved']:>6}  ({r['method']})"
        for r in reports
    ]
    lines.append(f"moved in all: {sum(r['moved'] for r in reports)}")
    _print(args, {"queues": reports, "moved": sum(r["moved"] for r in reports)}, lines)
    return 0


def cmd_gc(args: argparse.Namespace, target: Target) -> int:
    from pipeline.ports import StoredObject

    listed: list[str] = []

    def show(obj: StoredObject) -> None:
        if args.json:
            listed.append(obj.key)
        else:
            print(f"{'would delete' if args.dry_run else 'delete'} {obj.key} ({obj.size} B)")

    use_case = composition.garbage_collector(get_settings())
    with ProgressBar("gc") as bar:
        report = use_case.run(
            dry_run=args.dry_run, min_age_s=args.min_age, on_garbage=show, on_progress=bar
        )
    r = report.to_dict()
    lines = [
        f"objects {r['objects']}: kept {r['kept']}, garbage {r['garbage']} "
        f"({r['garbage_bytes']} B), deleted {r['deleted']}",
        f"skipped: {r['assets_busy']} assets with work in flight, "
        f"{r['too_young']} objects younger than {args.min_age:g} s",
    ]
    _print(args, {**r, "keys": listed} if args.json else r, lines)
    return 0


def cmd_bench_cdn_delete(args: argparse.Namespace) -> int:
    from pipeline_dev.cdn_delete_bench import run_bench

    return run_bench(rounds=args.rounds, json_path=args.json)


def cmd_bench_backfill(args: argparse.Namespace) -> int:
    from pipeline_dev.backfill_bench import run_bench

    results = [run_bench(n, send=not args.no_send) for n in (args.records or [2000])]
    if args.json:
        print(json.dumps(results, sort_keys=True))
        return 0
    print(
        f"{'records':>8} {'pairs':>6} {'plan s':>7} {'rec/s':>6} {'sent':>6} {'send s':>7} "
        f"{'peak MB':>8} {'RSS MB':>7}"
    )
    for r in results:
        print(
            f"{r['records']:>8} {r['missing_pairs']:>6} {r['plan_seconds']:>7.2f} "
            f"{r['plan_records_per_s']:>6.0f} {r.get('published', '-'):>6} "
            f"{r.get('send_seconds', '-'):>7} {r['peak_traced_mb']:>8.2f} {r['max_rss_mb']:>7.0f}"
        )
    return 0
