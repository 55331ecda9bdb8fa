"""`pipeline backfill` and `pipeline gc` on the embedded stack: a new rendition is rendered for
every asset and nothing else; a second run does nothing; a changed spec gets new keys, the
catalog moves to them, and gc removes the old objects."""

from __future__ import annotations

import json

import pytest

from pipeline import media
from pipeline.aws.clients import client as aws
from pipeline.events import SourceObject, rendition_request
from tests.ops.ops_helpers import (
    catalog,
    outputs,
    run_cli,
    stored_item,
    upload,
    wait_drained,
    wait_state,
)


def write_specs(path, *extra: media.RenditionSpec) -> str:
    specs = [s.to_dict() for s in (*media.DEFAULT_RENDITIONS, *extra)]
    path.write_text(json.dumps({"renditions": specs}))
    return str(path)


def ready_assets(stack) -> dict[str, dict]:
    return {r.asset_id: r.to_item() for r in catalog(stack).iter_records() if r.state == "READY"}


@pytest.fixture(scope="module")
def assets(stack) -> list[str]:
    ids = [upload(stack), upload(stack), upload(stack)]
    wait_state(stack, ids)
    wait_drained(stack)
    return ids


def test_backfill_renders_only_the_added_rendition_then_nothing(
    stack, assets, tmp_path, capsys
) -> None:
    before = ready_assets(stack)
    objects_before = outputs(stack)
    specs = write_specs(tmp_path / "specs.json", media.RenditionSpec("tiny", 64, formats=("webp",)))

    code, dry = run_cli(stack, capsys, "backfill", "--renditions-file", specs, "--dry-run")
    assert code == 0
    assert dry["assets"] == len(before) and dry["pairs"] == {"tiny": len(before)}
    assert dry["published"] == 0 and dry["estimated_cpu_s"] > 0 and dry["estimated_cost_usd"] > 0

    code, report = run_cli(stack, capsys, "backfill", "--renditions-file", specs)
    assert code == 0 and report["published"] == len(before)
    wait_drained(stack)

    after = ready_assets(stack)
    new_objects = sorted(set(outputs(stack)) - set(objects_before))
    assert len(new_objects) == len(before)  # one webp each ...
    assert all("/tiny." in key and key.endswith(".webp") for key in new_objects)  # ... tiny only
    assert {k: v for k, v in outputs(stack).items() if k in objects_before} == objects_before
    for asset_id, record in after.items():
        old = before[asset_id]
        assert record["runs_renditions"] == old["runs_renditions"]  # no full re-render
        assert record["runs_backfill"] == 1
        assert record["backfilled"] == {"tiny": 1}
        tiny = [r for r in record["renditions"] if r["name"] == "tiny"]
        assert len(tiny) == 1 and tiny[0]["width"] == 64 and tiny[0]["key"] in new_objects
        assert len(record["renditions"]) == len(old["renditions"]) + 1

    code, again = run_cli(stack, capsys, "backfill", "--renditions-file", specs)
    assert code == 0 and again["published"] == 0 and again["assets"] == 0
    assert again["up_to_date"] == len(before)
    wait_drained(stack)
    assert {a: r["version"] for a, r in ready_assets(stack).items()} == {
        a: r["version"] for a, r in after.items()
    }


def test_duplicate_rendition_requests_render_once(stack, assets, tmp_path) -> None:
    asset_id = assets[0]
    record = stored_item(stack, asset_id)
    assert record is not None
    spec = media.RenditionSpec("dup", 48, formats=("jpeg",))
    source = SourceObject(
        bucket=stack.options.topology.uploads_bucket_name,
        key=record["source_key"],
        etag=record["part_renditions"]["etag"],
        size=record["source_size"],
        version_id=None,
        event_time=record["uploaded_at"],
    )
    body = rendition_request(source, [spec.to_dict()])
    url = stack.resources.queue_urls["renditions"]
    aws("sqs").send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body} for i in range(3)]
    )
    wait_drained(stack)
    after = stored_item(stack, asset_id)
    assert after is not None
    assert after["backfilled"]["dup"] == 1
    assert after["runs_backfill"] == record.get("runs_backfill", 0) + 1
    dup_keys = [k for k in outputs(stack, f"renditions/{asset_id}/") if "/dup." in k]
    assert len(dup_keys) == 1


def test_changed_spec_gets_new_keys_and_gc_removes_the_old(stack, assets, tmp_path, capsys) -> None:
    first = write_specs(tmp_path / "v1.json", media.RenditionSpec("card", 120, formats=("webp",)))
    run_cli(stack, capsys, "backfill", "--renditions-file", first, "--rendition", "card")
    wait_drained(stack)
    old_keys = {
        a: next(r["key"] for r in rec["renditions"] if r["name"] == "card")
        for a, rec in ready_assets(stack).items()
    }

    changed = write_specs(tmp_path / "v2.json", media.RenditionSpec("card", 100, formats=("webp",)))
    code, report = run_cli(
        stack, capsys, "backfill", "--renditions-file", changed, "--rendition", "card"
    )
    assert code == 0 and report["pairs"] == {"card": len(old_keys)}
    wait_drained(stack)
    records = ready_assets(stack)
    referenced = {str(r["key"]) for rec in records.values() for r in rec["renditions"]}
    for asset_id, old_key in old_keys.items():
        card = [r for r in records[asset_id]["renditions"] if r["name"] == "card"]
        assert len(card) == 1 and card[0]["width"] == 100
        assert card[0]["key"] != old_key  # a new immutable key: no stale bytes behind a URL
        assert old_key in outputs(stack)  # the old object outlives the switch ...

    code, listed = run_cli(stack, capsys, "gc", "--dry-run", "--min-age", "0")
    assert code == 0
    garbage = set(listed["keys"])
    assert set(old_keys.values()) <= garbage  # ... until gc lists it
    assert not garbage & referenced  # and never lists what the catalog points at
    assert listed["deleted"] == 0 and set(old_keys.values()) <= set(outputs(stack))

    code, collected = run_cli(stack, capsys, "gc", "--min-age", "0")
    assert code == 0 and collected["deleted"] == len(garbage)
    remaining = set(outputs(stack))
    assert not remaining & garbage
    assert referenced <= remaining  # every rendition the catalog points at is still there
    code, again = run_cli(stack, capsys, "gc", "--dry-run", "--min-age", "0")
    assert again["garbage"] == 0


def test_gc_keeps_young_objects(stack, assets, capsys) -> None:
    key = f"renditions/{assets[0]}/orphan/unrecorded.00000000.webp"
    aws("s3").put_object(Bucket=stack.options.topology.outputs_bucket_name, Key=key, Body=b"x")
    code, report = run_cli(stack, capsys, "gc", "--dry-run")  # default minimum age: an hour
    assert code == 0 and key not in report["keys"] and report["too_young"] >= 1
    code, report = run_cli(stack, capsys, "gc", "--dry-run", "--min-age", "0")
    assert key in report["keys"]


def test_backfill_refuses_an_unknown_rendition(stack, capsys) -> None:
    capsys.readouterr()
    from pipeline.cli import main

    assert main(["backfill", "--rendition", "nope", "--endpoint", stack.endpoint_url]) == 2
    assert "no rendition named nope" in capsys.readouterr().err


def test_backfill_pages_through_the_catalog(stack, assets) -> None:
    from pipeline.aws.queues import Queues
    from pipeline.settings import Settings
    from pipeline.usecases.backfill import Backfill

    specs = (*media.DEFAULT_RENDITIONS, media.RenditionSpec("paged", 32, formats=("webp",)))
    settings = Settings.from_env()
    reports = [
        Backfill(settings, catalog(stack), Queues(), specs, page_size=size).run(dry_run=True)
        for size in (1, 500)
    ]
    one_by_one, whole = ({**r.to_dict(), "elapsed_s": 0} for r in reports)
    assert one_by_one == whole
    assert whole["scanned"] == len(list(catalog(stack).iter_records(["asset_id"])))
    assert whole["pairs"] == {"paged": len(ready_assets(stack))}
