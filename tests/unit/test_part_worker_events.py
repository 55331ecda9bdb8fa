"""Events are hints: every way `PartWorker.handle` refuses to act on an event, and the checks of
the stored object against its grant, on the in-memory catalog and object store.

A dropped event touches no record (compared whole, before and after), is counted once, and is
not raised (its message is deleted, never retried into the dead-letter queue).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pipeline import media
from pipeline.keys import upload_key
from pipeline.metrics import DroppedEvent
from pipeline.model import AssetState
from pipeline.settings import Settings
from pipeline.topology import PART_METADATA, PART_RENDITIONS
from pipeline.usecases import event_check
from pipeline.usecases.process_part import GONE_MESSAGE
from pipeline.usecases.source_work import Outcome
from tests.fakes.counting import CallLog
from tests.unit.test_part_worker import World, metadata

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 8  # sniffed as image/jpeg, 12 bytes


def ready(world: World) -> dict[str, Any]:
    """Make the world's asset READY through its own event; its stored item."""
    world.grant()
    for part in (PART_METADATA, PART_RENDITIONS):
        world.worker.part = part
        assert world.handle(delivery=part).status == "done"
    world.worker.part = PART_METADATA
    assert world.asset.state == AssetState.READY
    return dict(world.fake.items[world.asset_id])


def assert_dropped(world: World, outcome: Outcome, reason: str, before: Any) -> None:
    assert outcome == Outcome("", "dropped", reason)
    assert world.fake.items.get(world.asset_id) == before  # not a byte changed
    assert world.reports[-1] == DroppedEvent(PART_METADATA, reason)


def test_an_event_for_another_bucket_is_dropped_before_any_read() -> None:
    world = World()
    before = ready(world)
    outcome = world.handle(bucket="some-other-bucket")
    assert_dropped(world, outcome, event_check.FOREIGN_BUCKET, before)
    assert world.catalog.calls == []


def test_a_key_outside_the_upload_layout_is_dropped() -> None:
    world = World()
    world.store.put("up", "uploads/loose.jpg", b"source bytes", etag="e1")
    outcome = world.handle(key="uploads/loose.jpg")
    assert_dropped(world, outcome, event_check.NOT_AN_UPLOAD_KEY, None)
    assert world.fake.items == {}


def test_the_victims_asset_id_with_a_key_that_does_not_exist_is_dropped() -> None:
    world = World()
    before = ready(world)
    forged = upload_key("alice", world.asset_id, "gone.jpg")
    outcome = world.handle(key=forged)
    assert_dropped(world, outcome, event_check.UNEXPECTED_KEY, before)
    assert world.catalog.calls == ["get"]


def test_the_victims_asset_id_under_another_owners_prefix_is_dropped() -> None:
    world = World()
    before = ready(world)
    forged = upload_key("mallory", world.asset_id, "cat.jpg")
    world.store.put("up", forged, b"evil bytes!!", etag="e9")  # the object is really there
    outcome = world.handle(key=forged, etag="e9")
    assert_dropped(world, outcome, event_check.UNEXPECTED_KEY, before)
    assert world.asset.source_key == world.key


def test_a_key_other_than_the_grants_is_dropped_while_pending() -> None:
    world = World()
    world.grant()
    before = dict(world.fake.items[world.asset_id])
    other = upload_key("alice", world.asset_id, "other.jpg")
    world.store.put("up", other, b"source bytes", etag="e1")
    outcome = world.handle(key=other)
    assert_dropped(world, outcome, event_check.UNEXPECTED_KEY, before)


def test_an_asset_id_bound_by_an_import_keeps_its_key() -> None:
    world = World()
    assert world.handle().status == "done"  # imported straight into S3: no grant
    before = dict(world.fake.items[world.asset_id])
    other = upload_key("mallory", world.asset_id, "cat.jpg")
    world.store.put("up", other, b"source bytes", etag="e1")
    assert_dropped(world, world.handle(key=other), event_check.UNEXPECTED_KEY, before)


def test_a_key_bound_between_the_check_and_the_claim_is_dropped() -> None:
    world = World()
    assert world.handle().status == "done"  # imported: the asset id is bound to this key
    before = dict(world.fake.items[world.asset_id])
    other = upload_key("mallory", world.asset_id, "cat.jpg")
    world.store.put("up", other, b"source bytes", etag="e1")

    class ReadBeforeBinding(CallLog):
        def get(self, asset_id: str) -> None:
            return None

    world.worker.catalog = ReadBeforeBinding(world.fake)
    assert_dropped(world, world.handle(key=other), event_check.UNEXPECTED_KEY, before)


def test_a_stale_event_for_an_overwritten_object_is_dropped() -> None:
    world = World()
    before = ready(world)
    outcome = world.handle(etag="e0", when=50.0)  # the older object's event, arriving late
    assert_dropped(world, outcome, event_check.STALE, before)


def test_an_event_with_the_wrong_size_is_dropped() -> None:
    world = World()
    before = ready(world)
    outcome = world.handle(size=4096)
    assert_dropped(world, outcome, event_check.STALE, before)


def test_a_replayed_event_for_a_deleted_asset_is_dropped() -> None:
    world = World()
    ready(world)
    world.fake.mark_deleted(world.asset_id)
    before = dict(world.fake.items[world.asset_id])
    outcome = world.handle(delivery="replayed")
    assert_dropped(world, outcome, event_check.ASSET_DELETED, before)


def test_a_missing_object_without_a_pending_grant_is_dropped() -> None:
    world = World()
    before = ready(world)
    world.store.objects.clear()
    outcome = world.handle(delivery="late")
    assert_dropped(world, outcome, event_check.OBJECT_MISSING, before)


def test_a_missing_object_fails_the_part_the_asset_still_waits_for() -> None:
    world = World()
    world.grant()
    assert world.handle(delivery="m").status == "done"  # metadata read it, then it was deleted
    world.store.objects.clear()
    world.worker.part = PART_RENDITIONS
    assert world.handle(delivery="r").detail == GONE_MESSAGE
    assert world.asset.state == AssetState.FAILED and world.asset.failure.code == "gone"


def test_a_missing_object_with_no_record_creates_none() -> None:
    world = World()
    world.store.objects.clear()
    assert_dropped(world, world.handle(), event_check.OBJECT_MISSING, None)
    assert world.fake.items == {}


def test_the_upload_time_is_the_objects_not_the_events() -> None:
    world = World()
    world.store.put("up", world.key, b"source bytes", etag="e1", modified=90.0)
    assert world.handle(when=4_000_000_000.0).status == "done"  # a time far in the future
    assert world.asset.uploaded_at <= time.time()
    world = World()
    world.store.put("up", world.key, b"source bytes", etag="e1", modified=90.0)
    assert world.handle(when=10.0).status == "done"  # before the object existed
    assert world.asset.uploaded_at == 90.0


# -- the stored object against its grant ------------------------------------------------------
def both_parts(world: World, produce: Any = metadata, **body: Any) -> list[Outcome]:
    world.worker.produce = produce
    outcomes = []
    for part in (PART_METADATA, PART_RENDITIONS):
        world.worker.part = part
        outcomes.append(world.handle(delivery=part, **body))
    return outcomes


def test_a_size_other_than_declared_fails_the_asset_and_removes_the_object() -> None:
    world = World()
    world.grant(declared_size=100)
    world.worker.part = PART_METADATA
    first = world.handle(delivery="m")
    assert first.status == "failed" and "granted for 100 bytes" in first.detail
    assert world.store.keys("up") == [world.key]  # the renditions part may still read it
    world.worker.part = PART_RENDITIONS
    assert world.handle(delivery="r").status == "failed"
    asset = world.asset
    assert asset.state == AssetState.FAILED and asset.failure.code == "rejected"
    assert "the file is 12 bytes" in asset.failure.message
    assert world.store.keys("up") == []


def test_the_services_size_limit_is_checked_before_the_declared_size() -> None:
    world = World()
    world.grant(declared_size=1000)
    world.worker.settings = Settings(uploads_bucket="up", outputs_bucket="out", max_upload_bytes=4)
    outcome = world.handle()
    assert outcome.detail == "upload rejected: object is 12 bytes, over the limit of 4 bytes"


def test_an_empty_upload_is_rejected_and_removed() -> None:
    world = World()
    world.store.put("up", world.key, b"", etag="e1")
    outcomes = both_parts(world, size=0)
    assert [o.detail for o in outcomes] == ["upload rejected: the file is empty"] * 2
    assert world.store.keys("up") == []


def test_a_type_outside_the_allowlist_is_rejected_and_removed() -> None:
    world = World()
    world.store.put("up", world.key, JPEG, etag="e1")
    world.worker.settings = Settings(
        uploads_bucket="up", outputs_bucket="out", allowed_types=("image/png",)
    )
    outcomes = both_parts(world)
    assert {o.status for o in outcomes} == {"failed"}
    assert world.asset.failure.code == "rejected" and world.store.keys("up") == []


def test_unsupported_media_is_removed_but_corrupt_media_is_kept() -> None:
    def unsupported(path: Path, source: Any, upload: Any) -> dict[str, Any]:
        raise media.UnsupportedMedia("text, not an image")

    def corrupt(path: Path, source: Any, upload: Any) -> dict[str, Any]:
        raise media.CorruptMedia("truncated")

    world = World()
    both_parts(world, unsupported)
    assert world.store.keys("up") == []
    world = World()
    both_parts(world, corrupt)
    assert world.store.keys("up") == [world.key]


def test_a_rejected_source_replaced_by_a_newer_object_is_kept() -> None:
    world = World()
    world.grant(declared_size=100)
    world.worker.part = PART_METADATA
    world.handle(delivery="m")
    world.worker.part = PART_RENDITIONS

    def overwritten_meanwhile(*args: Any) -> None:
        world.store.put("up", world.key, b"x" * 100, etag="e2")

    world.worker.produce = overwritten_meanwhile  # never called: the size check comes first
    real_fail = world.fake.fail_part

    def fail_then_overwrite(*args: Any, **kwargs: Any) -> Any:
        state = real_fail(*args, **kwargs)
        overwritten_meanwhile()
        return state

    world.fake.fail_part = fail_then_overwrite  # type: ignore[method-assign]
    assert world.handle(delivery="r").status == "failed"
    assert world.store.keys("up") == [world.key]


@pytest.mark.parametrize("declared", [0, 12])
def test_an_undeclared_or_matching_size_is_processed(declared: int) -> None:
    world = World()
    world.grant(declared_size=declared)
    assert world.handle().status == "done"
    assert world.store.keys("up") == [world.key]
