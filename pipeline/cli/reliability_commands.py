"""Reliability commands: `pipeline chaos` (the fault suite), `pipeline fuzz` (mutated files
through the engine), `pipeline bench pipeline` and `pipeline bench api` (the stack under load)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from pipeline.cli import bench_group


def register(subparsers: Any) -> None:
    register_bench(bench_group(subparsers))
    chaos = subparsers.add_parser(
        "chaos",
        help="the fault suite on an embedded stack: nothing lost, nothing duplicated",
        description="Uploads images through the API of an embedded stack while faults are "
        "injected (worker kills, S3/DynamoDB/SNS/SQS throttling, errors and timeouts, repeated "
        "and reordered events, deleted sources, failing output writes), then audits the catalog, "
        "the outputs bucket and the dead-letter queues. Exit 1 if any scenario fails.",
    )
    chaos.add_argument("--uploads", type=int, default=40, help="uploads per scenario")
    chaos.add_argument("--scenario", action="append", help="only these (repeatable)")
    chaos.add_argument("--workers", type=int, default=2, help="worker processes")
    chaos.add_argument("--json", metavar="FILE", type=Path, help="also write results as JSON")
    chaos.set_defaults(func=cmd_chaos)

    fuzz = subparsers.add_parser(
        "fuzz",
        help="mutated media files through inspect and render, bounded in time",
        description="Mutates seed files (bit flips, truncation, chunk splices, header "
        "overwrites) and runs each through extract_metadata and render in a child process "
        "with a memory cap: any exception other than MediaError, a crash or a hang is a "
        "finding. Exit 1 on findings.",
    )
    fuzz.add_argument("seeds", nargs="*", type=Path, help="seed files or folders")
    fuzz.add_argument("--seconds", type=float, default=60.0, help="time budget")
    fuzz.add_argument("--seed", type=int, default=1, help="random seed")
    fuzz.add_argument("--memory-mb", type=int, default=1024, help="address-space cap per file")
    fuzz.add_argument("--json", metavar="FILE", type=Path, help="also write results as JSON")
    fuzz.set_defaults(func=cmd_fuzz)


def register_bench(bench_sub: Any) -> None:
    pipeline = bench_sub.add_parser(
        "pipeline",
        help="end-to-end throughput and latency of the embedded stack, against the engine alone",
        description="Uploads N images through the API with C concurrent clients on an embedded "
        "stack; prints throughput, upload->ready latency p50/p95/p99, the engine-only "
        "throughput of the same files on the same cores, their ratio (efficiency) and where "
        "the rest of the time goes.",
    )
    pipeline.add_argument("--assets", type=int, default=40)
    pipeline.add_argument("--concurrency", type=int, default=4)
    pipeline.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    pipeline.add_argument(
        "--input",
        metavar="DIR",
        type=Path,
        help="upload the JPEG, PNG and WebP images of DIR (default: a mix of sample_media/)",
    )
    pipeline.add_argument("--json", metavar="FILE", type=Path, help="also write results as JSON")
    pipeline.set_defaults(func=cmd_bench_pipeline)

    api = bench_sub.add_parser(
        "api",
        help="the upload and asset routes under concurrent clients on loopback",
        description="Upload grants, asset reads and listings from C clients against an "
        "embedded stack on 127.0.0.1, bounded by --requests and --seconds.",
    )
    api.add_argument("--requests", type=int, default=2000)
    api.add_argument("--concurrency", type=int, default=8)
    api.add_argument("--seconds", type=float, default=60.0)
    api.add_argument("--json", metavar="FILE", type=Path, help="also write results as JSON")
    api.set_defaults(func=cmd_bench_api)


def cmd_chaos(args: argparse.Namespace) -> int:
    from pipeline.local.stack import LocalStack
    from pipeline_dev import chaos

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stack = LocalStack(chaos.stack_options(folder, args.workers))
        with stack:
            run = chaos.Run(stack, folder / "faults.json", args.uploads, clients=4)
            run.good = chaos.GOOD_LONG
            for scenario in chaos.scenarios(run.queue_urls):
                if args.scenario and scenario.name not in args.scenario:
                    continue
                result = run.run(scenario, timeout_s=max(120.0, args.uploads * 3.0))
                results.append(result)
                print(chaos.table_row(result), flush=True)
                for problem in result.problems:
                    print(f"    {problem}", flush=True)
    print(chaos.table(results))
    if args.json:
        args.json.write_text(json.dumps([r.to_dict() for r in results], indent=2))
    return 0 if all(r.ok for r in results) else 1


def cmd_fuzz(args: argparse.Namespace) -> int:
    from pipeline_dev.fuzz import default_seeds, run_fuzz

    seeds = args.seeds or default_seeds()
    report = run_fuzz(seeds, seconds=args.seconds, seed=args.seed, memory_mb=args.memory_mb)
    print(report.summary())
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=2))
    return 0 if not report.findings else 1


def cmd_bench_pipeline(args: argparse.Namespace) -> int:
    from pipeline_dev.load_bench import run_pipeline_bench

    result = run_pipeline_bench(
        assets=args.assets,
        concurrency=args.concurrency,
        workers=args.workers,
        json_path=str(args.json) if args.json else None,
        input_dir=args.input,
    )
    return 0 if result["pipeline"]["not_terminal"] == 0 else 1


def cmd_bench_api(args: argparse.Namespace) -> int:
    from pipeline_dev.load_bench import run_api_bench

    result = run_api_bench(
        requests=args.requests,
        concurrency=args.concurrency,
        max_seconds=args.seconds,
        json_path=str(args.json) if args.json else None,
    )
    if result["errors"]:
        print("\n".join(result["error_samples"]), file=sys.stderr)
    return 0 if result["errors"] == 0 else 1
