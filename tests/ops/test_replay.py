"""`pipeline replay` on the embedded stack: the window is honoured, work is never redone."""

from __future__ import annotations

import time

from pipeline.aws.clients import client as aws
from tests.ops.ops_helpers import (
    catalog,
    outputs,
    run_cli,
    stored_item,
    upload,
    wait_drained,
    wait_state,
)


def test_replay_reprocesses_exactly_the_assets_uploaded_in_the_window(stack, capsys) -> None:
    before_window = upload(stack)
    wait_state(stack, [before_window])
    time.sleep(0.3)
    since = time.time()
    time.sleep(0.05)
    in_window = [upload(stack), upload(stack)]
    wait_state(stack, in_window)
    time.sleep(0.05)
    until = time.time()
    time.sleep(0.3)
    after_window = upload(stack)
    wait_state(stack, [after_window])
    wait_drained(stack)

    # Lose the catalog records of all four: only a replay can bring them back.
    everyone = [before_window, *in_window, after_window]
    for asset_id in everyone:
        aws("dynamodb").delete_item(
            TableName=stack.options.topology.table_name, Key={"asset_id": {"S": asset_id}}
        )
    assert stack.runtime is not None
    received = stack.runtime.stats["received"]

    code, report = run_cli(stack, capsys, "replay", "--since", str(since), "--until", str(until))

    assert code == 0, report
    assert report["state"] == "COMPLETED"
    assert report["queues_drained"] is True
    assert report["assets_in_window"] == 2
    assert report["reprocessed"] == 2
    # Only the window's two uploads reached the workers: one message each on both queues.
    assert stack.runtime.stats["received"] - received == 4
    records = wait_state(stack, in_window)
    for record in records:
        assert record["runs_renditions"] == 1 and record["runs_metadata"] == 1
        assert len(record["renditions"]) == 6
    assert catalog(stack).get(before_window) is None
    assert catalog(stack).get(after_window) is None


def test_replaying_a_processed_window_does_no_work(stack, capsys) -> None:
    since = time.time()
    time.sleep(0.05)
    assets = [upload(stack), upload(stack)]
    records = wait_state(stack, assets)
    time.sleep(0.05)
    until = time.time()
    wait_drained(stack)
    objects = outputs(stack)
    assert stack.runtime is not None
    received = stack.runtime.stats["received"]

    for _ in range(2):  # the same window twice: every event arrives three times in all
        code, report = run_cli(
            stack, capsys, "replay", "--since", str(since), "--until", str(until)
        )
        assert code == 0 and report["assets_in_window"] == 2
        assert report["reprocessed"] == 0

    assert stack.runtime.stats["received"] - received == 8  # delivered ...
    after = [stored_item(stack, a) for a in assets]
    for old, new in zip(records, after, strict=True):
        assert new is not None
        assert new["version"] == old["version"]  # ... and not a single write
        assert new["runs_renditions"] == 1 and new["runs_metadata"] == 1
    assert outputs(stack) == objects  # no object rewritten


def test_replay_dry_run_counts_without_replaying(stack, capsys) -> None:
    assert stack.runtime is not None
    received = stack.runtime.stats["received"]
    code, report = run_cli(stack, capsys, "replay", "--since=-1h", "--dry-run")
    assert code == 0
    assert report["replay"] == "" and report["assets_in_window"] >= 4
    time.sleep(1.5)
    assert stack.runtime.stats["received"] == received
