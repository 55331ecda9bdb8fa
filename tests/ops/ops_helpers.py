"""What the operations tests do to the embedded stack: upload, wait, look, run the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pipeline.aws.catalog import Catalog
from pipeline.aws.clients import client as aws
from pipeline.aws.queues import Queues
from pipeline.cli import main
from pipeline.keys import new_asset_id
from pipeline.local.stack import LocalStack

SAMPLE = Path(__file__).resolve().parents[2] / "sample_media" / "grayscale.jpg"


def catalog(stack: LocalStack) -> Catalog:
    return Catalog(stack.options.topology.table_name)


def stored_item(stack: LocalStack, asset_id: str) -> dict[str, Any] | None:
    """An asset's catalog record as the table stores it."""
    asset = catalog(stack).get(asset_id)
    return asset.to_item() if asset is not None else None


def upload(stack: LocalStack, name: str = "photo.jpg") -> str:
    """Put a photo straight into the uploads bucket (S3 emits the event); its asset id."""
    asset_id = new_asset_id()
    aws("s3").put_object(
        Bucket=stack.options.topology.uploads_bucket_name,
        Key=f"uploads/tester/{asset_id}/{name}",
        Body=SAMPLE.read_bytes(),
        ContentType="image/jpeg",
    )
    return asset_id


def wait_state(
    stack: LocalStack, asset_ids: list[str], state: str = "READY", timeout_s: float = 60
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    records: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        records = [stored_item(stack, a) or {} for a in asset_ids]
        if all(r.get("state") == state for r in records):
            return records
        time.sleep(0.2)
    raise AssertionError(
        f"not all {state}: {[(r.get('asset_id'), r.get('state')) for r in records]}"
    )


def wait_drained(stack: LocalStack, timeout_s: float = 60) -> None:
    urls = list(stack.resources.queue_urls.values())
    if not Queues().wait_empty(urls, timeout_s, quiet=3, poll_s=0.2):
        raise AssertionError("queues did not drain")


def outputs(stack: LocalStack, prefix: str = "renditions/") -> dict[str, str]:
    """Every output object: key -> ETag."""
    pages = (
        aws("s3")
        .get_paginator("list_objects_v2")
        .paginate(Bucket=stack.options.topology.outputs_bucket_name, Prefix=prefix)
    )
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def run_cli(stack: LocalStack, capsys: Any, *argv: str) -> tuple[int, dict[str, Any]]:
    """Run a `pipeline` command against the stack; its exit code and JSON report."""
    capsys.readouterr()
    code = main([*argv, "--endpoint", stack.endpoint_url, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]) if out else {}
