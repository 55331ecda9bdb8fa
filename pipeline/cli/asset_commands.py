"""`pipeline upload`, `status`, `ls` and `rm`: the asset API from the terminal.

Where they point is chosen by `pipeline.cli.target` (the same rule for every command)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from pipeline.cli.target import Target, add_target_args, on_target
from pipeline.client import MULTIPART_THRESHOLD, ApiError, PipelineClient, largest_url
from pipeline.media.sniff import SUPPORTED_FORMATS

IMAGE_SUFFIXES = {f".{s}" for s in SUPPORTED_FORMATS} | {".jpg", ".tif", ".heif"}


def register(subparsers: Any) -> None:
    upload = subparsers.add_parser("upload", help="upload files or folders through the API")
    upload.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR")
    upload.add_argument("--wait", action="store_true", help="wait and print each final state")
    upload.add_argument("--timeout", type=float, default=300.0, help="seconds to wait per asset")
    upload.add_argument(
        "--multipart-threshold",
        type=int,
        default=MULTIPART_THRESHOLD,
        help=f"bytes above which files go up in parts (default {MULTIPART_THRESHOLD})",
    )
    add_target_args(upload, "api")
    upload.set_defaults(func=on_target(cmd_upload))

    status = subparsers.add_parser("status", help="one asset: state, failure, renditions")
    status.add_argument("asset_id")
    status.add_argument("--json", action="store_true", help="print the API's JSON")
    add_target_args(status, "api")
    status.set_defaults(func=on_target(cmd_status))

    ls = subparsers.add_parser("ls", help="list your assets, newest first")
    ls.add_argument("--state", choices=["PENDING", "PROCESSING", "READY", "FAILED"])
    ls.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    add_target_args(ls, "api")
    ls.set_defaults(func=on_target(cmd_ls))

    rm = subparsers.add_parser("rm", help="delete assets: source, renditions and record")
    rm.add_argument("asset_ids", nargs="+")
    add_target_args(rm, "api")
    rm.set_defaults(func=on_target(cmd_rm))


def _client(target: Target) -> PipelineClient:
    return PipelineClient(target.api_url, target.token)


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def _bar(name: str) -> Any:
    tty = sys.stderr.isatty()

    def show(sent: int, total: int) -> None:
        if not tty and sent < total:
            return
        filled = int(30 * sent / total) if total else 30
        percent = 100 * sent // max(total, 1)
        sys.stderr.write(f"\r{name[:32]:<32} [{'#' * filled}{'.' * (30 - filled)}] {percent:3d}%")
        if sent >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _line(asset: dict[str, Any]) -> str:
    reason = (asset.get("failure") or {}).get("message", "")
    count = len(asset.get("renditions") or [])
    return (
        f"{asset['asset_id']}  {asset.get('state', ''):<10} {count:>2} renditions  "
        f"{asset.get('file_name') or ''}  {largest_url(asset) or reason}"
    )


def cmd_upload(args: argparse.Namespace, target: Target) -> int:
    client = _client(target)
    try:
        files = _files(args.paths)
    except FileNotFoundError as exc:
        print(f"pipeline upload: {exc}", file=sys.stderr)
        return 2
    failed = 0
    grants: list[tuple[Path, dict[str, Any]]] = []
    for path in files:
        try:
            grant = client.upload_file(
                path, progress=_bar(path.name), multipart_threshold=args.multipart_threshold
            )
        except ApiError as exc:
            print(f"{path}: refused: {exc}", file=sys.stderr)
            failed += 1
            continue
        grants.append((path, grant))
        print(f"{grant['asset_id']}  {path}")
    if args.wait:
        start = time.monotonic()
        for _path, grant in grants:
            remaining = max(1.0, args.timeout - (time.monotonic() - start))
            asset = client.wait(grant["asset_id"], timeout_s=remaining)
            print(_line(asset))
            failed += asset.get("state") != "READY"
    return 1 if failed else 0


def cmd_status(args: argparse.Namespace, target: Target) -> int:
    try:
        asset = _client(target).get_asset(args.asset_id)
    except ApiError as exc:
        print(f"pipeline status: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(asset, indent=2))
        return 0
    print(_line(asset))
    print(f"  parts: {', '.join(f'{k} {v}' for k, v in asset['parts'].items())}")
    for r in asset.get("renditions") or []:
        size = f"{r['width']:>5}x{r['height']:<5}"
        print(f"  {r['name']:<8} {r['format']:<5} {size} {r['bytes']:>8} B  {r['url']}")
    return 0


def cmd_ls(args: argparse.Namespace, target: Target) -> int:
    client = _client(target)
    try:
        shown, cursor = 0, None
        while shown < args.limit:
            page = client.list_assets(args.state, min(100, args.limit - shown), cursor)
            for asset in page["items"]:
                print(_line(asset))
            shown += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
    except ApiError as exc:
        print(f"pipeline ls: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_rm(args: argparse.Namespace, target: Target) -> int:
    client = _client(target)
    try:
        for asset_id in args.asset_ids:
            client.delete_asset(asset_id)
            print(f"deleted {asset_id}")
    except ApiError as exc:
        print(f"pipeline rm: {exc}", file=sys.stderr)
        return 2
    return 0
