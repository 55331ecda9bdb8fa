"""Every branch of `PartWorker.handle`, on the in-memory catalog and object store.

Each test also says which catalog calls its path makes: the worker reads the record once to
check the event (`get`), then asks one question per step and reads nothing back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline import media
from pipeline.events import BadEvent, SourceObject, object_created_event, rendition_request
from pipeline.keys import UploadKey, new_asset_id, renditions_prefix, upload_key
from pipeline.metrics import PartReport
from pipeline.model import AssetState, PartState
from pipeline.ports import Completion, SourceGone
from pipeline.settings import Settings
from pipeline.topology import PART_METADATA, PART_RENDITIONS
from pipeline.usecases.process_part import GONE_MESSAGE, PartWorker
from pipeline.usecases.source_work import Outcome
from tests.fakes.catalog import FakeCatalog
from tests.fakes.counting import CallLog
from tests.fakes.object_store import FakeObjectStore

SETTINGS = Settings(uploads_bucket="up", outputs_bucket="out")
QUEUE = SETTINGS.topology.queue(PART_METADATA)
LAST = QUEUE.max_receive_count
Produce = Callable[[Path, SourceObject, UploadKey], dict[str, Any]]


def metadata(path: Path, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
    return {"metadata": {"bytes": source.size}, "megapixels": 0.5}


class World:
    """A worker with its catalog, object store and reports, and one uploaded source."""

    def __init__(
        self, produce: Produce = metadata, part: str = PART_METADATA, etag: str = "e1"
    ) -> None:
        self.asset_id = new_asset_id()
        self.key = upload_key("alice", self.asset_id, "cat.jpg")
        self.etag = etag
        self.fake = FakeCatalog()
        self.catalog = CallLog(self.fake)
        self.store = FakeObjectStore()
        self.store.put("up", self.key, b"source bytes", etag=etag)
        self.reports: list[PartReport] = []
        self.worker = PartWorker(
            SETTINGS.topology.queue(part),
            SETTINGS,
            self.store,
            self.catalog,
            produce,
            self.reports.append,
        )

    def body(
        self,
        etag: str | None = None,
        when: float = 100.0,
        key: str | None = None,
        bucket: str = "up",
        size: int = 12,
    ) -> str:
        event = object_created_event(
            bucket,
            key or self.key,
            etag=etag or self.etag,
            size=size,
            when=when,
            region="us-east-1",
            event_id="same-id",
        )
        return json.dumps(event)

    def handle(self, receive_count: int = 1, delivery: str = "m1", **body: Any) -> Outcome:
        self.catalog.calls.clear()
        return self.worker.handle(self.body(**body), receive_count, delivery)

    def claim(self, part: str = PART_METADATA, **kwargs: Any) -> None:
        options: dict[str, Any] = {
            "owner": "alice",
            "file_name": "cat.jpg",
            "source_key": self.key,
            "etag": self.etag,
            "size": 12,
            "uploaded_at": 100.0,
            "lease_s": 60,
            "attempt": 1,
            **kwargs,
        }
        assert self.fake.claim_part(self.asset_id, part, **options).claimed

    def grant(self, declared_size: int = 12) -> None:
        """The record an upload grant leaves: PENDING, bound to this key."""
        self.fake.create_pending(
            self.asset_id, "alice", "cat.jpg", "image/jpeg", declared_size, self.key
        )

    @property
    def asset(self) -> Any:
        return self.fake.get(self.asset_id)


def test_a_part_is_claimed_produced_and_completed() -> None:
    world = World()
    outcome = world.handle()
    assert outcome == Outcome(world.asset_id, "done")
    asset = world.asset
    assert asset.state == AssetState.PROCESSING  # the renditions part is still to come
    assert asset.part(PART_METADATA).done_for("e1") and asset.runs_of(PART_METADATA) == 1
    assert asset.metadata == {"bytes": 12} and asset.owner == "alice"
    assert world.catalog.calls == ["get", "claim_part", "complete_part"]
    assert [(r.status, r.asset_state, r.milestone_known) for r in world.reports] == [
        ("done", "PROCESSING", False)
    ]


def test_the_last_part_makes_the_asset_ready_and_knows_it_first() -> None:
    world = World(produce=lambda p, s, u: {"renditions": []}, part=PART_RENDITIONS)
    world.claim(PART_METADATA)
    world.fake.complete_part(world.asset_id, PART_METADATA, "e1", {})
    assert world.handle().status == "done"
    assert world.asset.state == AssetState.READY
    report = world.reports[0]
    assert report.asset_state == "READY" and report.milestone_known
    assert report.milestone is not None and report.milestone.uploaded_at == 100.0
    assert world.catalog.calls == ["get", "claim_part", "complete_part"]


def test_a_claim_lost_to_a_live_lease_does_nothing() -> None:
    produced: list[str] = []

    def produce(path: Path, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
        produced.append(source.key)
        return {}

    world = World(produce=produce)
    world.claim(holder="other")
    assert world.handle().detail == "in progress"
    assert produced == [] and world.reports == []
    assert world.catalog.calls == ["get", "claim_part"]


def test_an_expired_lease_is_taken_over() -> None:
    world = World()
    world.claim(holder="dead", lease_s=-1)
    assert world.handle().status == "done"
    assert world.asset.part(PART_METADATA).holder == "m1"


def test_the_same_delivery_again_takes_its_own_lease_over() -> None:
    world = World()
    world.claim(holder="m1")  # the earlier attempt of this message died holding the part
    assert world.handle(receive_count=2, delivery="m1").status == "done"
    assert world.catalog.calls == ["get", "claim_part", "complete_part"]


def test_a_source_gone_fails_the_part_for_good() -> None:
    world = World()
    world.store.fail_downloads = SourceGone(world.key)  # deleted between the check and the read
    outcome = world.handle()
    assert outcome == Outcome(world.asset_id, "failed", GONE_MESSAGE)
    asset = world.asset
    assert asset.state == AssetState.FAILED and asset.failure.code == "gone"
    assert world.reports[0].status == "failed" and world.reports[0].asset_state == "FAILED"
    assert world.catalog.calls == ["get", "claim_part", "is_deleted", "fail_part"]


def test_the_missing_object_of_a_pending_grant_fails_the_asset_as_deleted() -> None:
    world = World()
    world.grant()
    world.store.objects.clear()
    assert world.handle() == Outcome(world.asset_id, "failed", GONE_MESSAGE)
    assert world.asset.state == AssetState.FAILED and world.asset.failure.code == "gone"
    assert world.catalog.calls == ["get", "claim_part", "is_deleted", "fail_part"]


def test_a_source_gone_because_the_asset_was_deleted_is_skipped() -> None:
    world = World()

    def deleted_meanwhile(bucket: str, key: str, max_bytes: int) -> Any:
        world.fake.mark_deleted(world.asset_id)
        raise SourceGone(key)

    world.store.download_to_temp = deleted_meanwhile  # type: ignore[method-assign]
    assert world.handle() == Outcome(world.asset_id, "skipped", "deleted")
    assert world.asset.state == AssetState.DELETED and world.reports == []
    assert world.catalog.calls == ["get", "claim_part", "is_deleted"]


@pytest.mark.parametrize("first", ["done", "failed"])
def test_a_duplicate_delivery_of_an_ended_part_is_skipped(first: str) -> None:
    def produce(path: Path, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
        if first == "failed":
            raise media.RejectedMedia("not an image")
        return {}

    world = World(produce=produce)
    world.handle()
    assert world.handle(delivery="m2") == Outcome(world.asset_id, "skipped", first)
    assert world.catalog.calls == ["get", "claim_part"]  # the asset's state is up to date already
    assert len(world.reports) == 1


def test_a_duplicate_brings_a_state_left_behind_up_to_date() -> None:
    world = World()
    world.handle()
    world.fake.items[world.asset_id]["state"] = AssetState.PENDING.value  # a worker died
    assert world.handle(delivery="m2").detail == "done"
    assert world.asset.state == AssetState.PROCESSING
    assert world.catalog.calls == ["get", "claim_part", "refresh_state"]


def test_a_poison_message_is_a_bad_event() -> None:
    world = World()
    with pytest.raises(BadEvent):
        world.worker.handle("not json at all", 1, "m1")
    with pytest.raises(BadEvent):
        world.worker.handle(json.dumps({"detail": {}}), 1, "m1")
    assert world.fake.items == {}


def test_the_metadata_worker_takes_no_renditions_request() -> None:
    world = World()
    source = SourceObject("up", world.key, "e1", 12, None, 100.0)
    with pytest.raises(BadEvent, match="takes no renditions requests"):
        world.worker.handle(rendition_request(source, [{"name": "x"}]), 1, "m1")


def test_bad_media_fails_the_part_for_good() -> None:
    def produce(path: Path, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
        raise media.RejectedMedia("not an image")

    world = World(produce=produce)
    outcome = world.handle()
    assert outcome.status == "failed" and outcome.detail == "not an image"
    asset = world.asset
    assert asset.state == AssetState.FAILED
    assert asset.part(PART_METADATA).state == PartState.FAILED
    assert not asset.part(PART_METADATA).redrivable
    # A rejection then reads whether every part has ended (the source is removed only then).
    assert world.catalog.calls == ["get", "claim_part", "fail_part", "get"]
    assert world.store.keys("up") == [world.key]  # the renditions part has not ended


def test_an_oversized_source_is_rejected_media() -> None:
    world = World()
    world.worker.settings = Settings(uploads_bucket="up", outputs_bucket="out", max_upload_bytes=4)
    assert world.handle().status == "failed"
    assert world.asset.failure.message.startswith("upload rejected: object is")


def test_a_transient_error_is_retried_then_fails_redrivable_on_the_last_delivery() -> None:
    def produce(path: Path, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
        raise ConnectionError("S3 went away")

    world = World(produce=produce)
    with pytest.raises(ConnectionError):
        world.handle(receive_count=1)
    asset = world.asset
    assert asset.state == AssetState.PROCESSING
    assert asset.part(PART_METADATA).state == PartState.RETRY
    assert world.catalog.calls == ["get", "claim_part", "fail_part"]
    assert (world.reports[-1].status, world.reports[-1].final) == ("error", False)

    with pytest.raises(ConnectionError):
        world.handle(receive_count=LAST)
    asset = world.asset
    assert asset.state == AssetState.FAILED and asset.part(PART_METADATA).redrivable
    assert asset.failure.message == f"gave up after {LAST} attempts: ConnectionError: S3 went away"
    assert (world.reports[-1].final, world.reports[-1].asset_state) == (True, "FAILED")

    world.worker.produce = metadata  # the cause goes away; a redrive brings the message back
    assert world.handle(delivery="redriven").status == "done"


def test_outputs_of_an_asset_deleted_while_processing_are_removed() -> None:
    world = World(part=PART_RENDITIONS)

    def produce(path: Path, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
        world.store.put_rendition("out", renditions_prefix(upload.asset_id) + "x.jpg", b"", "")
        world.fake.mark_deleted(upload.asset_id)
        return {"renditions": []}

    world.worker.produce = produce
    assert world.handle() == Outcome(world.asset_id, "skipped", "deleted")
    assert world.store.keys("out") == []
    assert world.catalog.calls == ["get", "claim_part", "complete_part"]


def test_a_newer_upload_supersedes_the_result() -> None:
    world = World()

    def produce(path: Path, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
        world.claim(etag="e2", uploaded_at=200.0, holder="newer")
        return {"metadata": {"old": True}}

    world.worker.produce = produce
    assert world.handle() == Outcome(world.asset_id, "skipped", "superseded")
    asset = world.asset
    assert asset.part(PART_METADATA).processing_for("e2") and asset.metadata is None
    assert world.catalog.calls == ["get", "claim_part", "complete_part"]


def test_a_completion_whose_answer_was_lost_is_done() -> None:
    class LostAnswer(FakeCatalog):
        def complete_part(self, *args: Any, **kwargs: Any) -> Completion:
            super().complete_part(*args, **kwargs)  # took effect, the answer never came
            return super().complete_part(*args, **kwargs)  # the SDK's retry

    world = World()
    world.fake = LostAnswer()
    world.catalog = CallLog(world.fake)
    world.worker.catalog = world.catalog
    assert world.handle().status == "done"
    assert world.asset.runs_of(PART_METADATA) == 1
    assert (world.reports[0].status, world.reports[0].asset_state) == ("done", "PROCESSING")
    assert not world.reports[0].milestone_known  # metering asks the catalog instead
    assert world.catalog.calls == ["get", "claim_part", "complete_part"]
