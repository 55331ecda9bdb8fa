"""`pipeline up` and `pipeline demo`: the embedded stack on a laptop."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pipeline.cli.target import STATE_FILE, write_state
from pipeline.local.access import RemoteBindRefused, is_loopback, parse_origin
from pipeline.local.stack import DEFAULT_PORT, LocalStack, StackOptions, default_log_path

STATE_DIR = STATE_FILE.parent


def _origin(value: str) -> str:
    try:
        return parse_origin(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _stack_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; beyond loopback needs --allow-remote)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow --host beyond loopback: other machines then reach the embedded AWS, "
        "which has no authentication",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        type=_origin,
        metavar="ORIGIN",
        help="another origin (scheme://host:port) whose pages may call the API and upload "
        "(repeatable; the stack's own page always may)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"embedded AWS port; the API takes port+1, the CDN port+2 "
        f"(default {DEFAULT_PORT}, 0 = any free)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per core)"
    )
    parser.add_argument(
        "--retry-delay",
        type=float,
        default=None,
        help="seconds before a failed message is retried (default: its queue's visibility timeout)",
    )


def register(subparsers: Any) -> None:
    up = subparsers.add_parser(
        "up", help="start the embedded AWS, the workers, the API and the CDN"
    )
    _stack_args(up)
    up.add_argument(
        "--log-file", default=None, help="write worker logs to this file instead of the console"
    )
    up.set_defaults(func=cmd_up)

    demo = subparsers.add_parser(
        "demo", help="start the stack, push sample_media/ through the whole path, report"
    )
    _stack_args(demo)
    # A transient error should not stall the demo for a whole visibility timeout.
    demo.set_defaults(port=0, retry_delay=2.0)
    demo.add_argument(
        "--samples", type=Path, default=Path("sample_media"), help="folder with manifest.json"
    )
    demo.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for each asset")
    demo.add_argument(
        "--keep", action="store_true", help="keep the stack up after the report (Ctrl-C stops)"
    )
    demo.set_defaults(func=cmd_demo)


def _options(args: argparse.Namespace, log_path: str | None) -> StackOptions:
    return StackOptions(
        host=args.host,
        allow_remote=args.allow_remote,
        cors_origins=tuple(args.cors_origin),
        port=args.port,
        workers=args.workers,
        retry_delay_s=args.retry_delay,
        log_path=log_path,
    )


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _print_stack(stack: LocalStack) -> None:
    for name, value in stack.describe().items():
        print(f"  {name:<15} {value}")
    print(f"  {'dev token':<15} {stack.dev_token()}")


def remote_warning(stack: LocalStack) -> str:
    """What other machines can reach when the stack listens beyond loopback."""
    bar = "!" * 78
    return "\n".join(
        [
            bar,
            f"WARNING: --allow-remote: listening on {stack.options.host}. Every machine that can "
            f"reach this one",
            "can now use, WITHOUT authentication:",
            f"  - the embedded AWS at {stack.endpoint_url}: read, change and delete every bucket,",
            "    object, queue, topic, table, event archive and metric of the stack (its",
            "    /moto-api/ admin endpoints still answer only this machine);",
            f"  - the CDN at {stack.cdn_url}: every rendition in the outputs bucket;",
            f"and, with a token, the API at {stack.api_url} (its web page gives the token only",
            "to browsers on this machine). Other machines must use this one's IP address: names",
            "other than localhost are refused (DNS rebinding). Use it on a network you trust;",
            "Ctrl-C stops it.",
            bar,
        ]
    )


def _start(stack: LocalStack) -> bool:
    """Start the stack, or say why it may not listen where it was asked to."""
    try:
        stack.start()  # refuses before it binds anything
    except RemoteBindRefused as exc:
        print(f"pipeline: {exc}", file=sys.stderr)
        return False
    if not is_loopback(stack.options.host):
        print(remote_warning(stack), file=sys.stderr, flush=True)
    return True


def cmd_up(args: argparse.Namespace) -> int:
    stack = LocalStack(_options(args, args.log_file))
    print("starting the embedded stack ...", flush=True)
    if not _start(stack):
        return 2
    write_state(STATE_FILE, stack.api_url, stack.dev_token(), stack.env())
    try:
        print("media-pipeline is up:")
        _print_stack(stack)
        print(f"\nexport PIPELINE_API_URL={stack.api_url} PIPELINE_TOKEN={stack.dev_token()}")
        print("Ctrl-C stops everything.", flush=True)
        _wait_for_interrupt()
    finally:
        print("\nstopping ...", flush=True)
        STATE_FILE.unlink(missing_ok=True)
        stack.stop()
        print("stopped.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.client import PipelineClient
    from pipeline_dev import demo

    samples = demo.load_samples(args.samples)
    stack = LocalStack(_options(args, default_log_path(STATE_DIR)))
    started = time.monotonic()
    if not _start(stack):
        return 2
    try:
        print(f"embedded stack up in {time.monotonic() - started:.1f} s:")
        _print_stack(stack)
        print(
            f"\nuploading {len(samples)} files from {args.samples}/ through the API ...\n",
            flush=True,
        )
        client = PipelineClient(stack.api_url, stack.dev_token())
        results = demo.run(client, samples, timeout_s=args.timeout)
        text, ok = demo.report(results, client)
        print(text)
        print(
            "\nevery sample reached its expected terminal state"
            if ok
            else f"\nSOME SAMPLES DID NOT END AS EXPECTED (worker logs: {stack.options.log_path})",
            flush=True,
        )
        if args.keep:
            print("the stack stays up; Ctrl-C stops it.", flush=True)
            _wait_for_interrupt()
        return 0 if ok else 1
    finally:
        stack.stop()
        sys.stdout.flush()
