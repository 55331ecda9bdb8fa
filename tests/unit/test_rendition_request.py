"""Every branch of `RenditionRequest.handle` (renditions asked for by a backfill), on the
in-memory catalog and object store, with the catalog calls each path makes."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from pipeline import media
from pipeline.events import SourceObject, parse_work, rendition_request
from pipeline.keys import new_asset_id, rendition_key, upload_key
from pipeline.metrics import DroppedEvent
from pipeline.ports import RenditionsClaim
from pipeline.records import Asset, Rendition
from pipeline.settings import Settings
from pipeline.topology import PART_RENDITIONS
from pipeline.usecases.process_part import PartWorker
from pipeline.usecases.render_request import AssetBusy, RenditionRequest
from pipeline.usecases.rendition_plan import want_of
from tests.fakes.catalog import FakeCatalog
from tests.fakes.counting import CallLog
from tests.fakes.object_store import FakeObjectStore

SETTINGS = Settings(uploads_bucket="up", outputs_bucket="out")
QUEUE = SETTINGS.topology.queue(PART_RENDITIONS)
THUMB = media.RenditionSpec("thumb", 8, formats=("jpeg",))
LARGE = media.RenditionSpec("large", 12, formats=("jpeg",))


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), "red").save(out, "JPEG")
    return out.getvalue()


def rendition(asset_id: str, spec: media.RenditionSpec, etag: str = "e1") -> Rendition:
    key = rendition_key(asset_id, etag, spec.name, spec.fingerprint, "jpeg")
    return Rendition(spec.name, "jpeg", "image/jpeg", spec.width, 6, 100, key, spec.fingerprint)


class World:
    """A READY asset whose renditions were made from source `e1`, and a request for it."""

    def __init__(self, state: str = "READY", rendered: tuple[media.RenditionSpec, ...] = ()):
        self.asset_id = new_asset_id()
        self.key = upload_key("alice", self.asset_id, "cat.jpg")
        self.fake = FakeCatalog(
            [
                Asset.from_item(
                    {
                        "asset_id": self.asset_id,
                        "owner": "alice",
                        "source_key": self.key,
                        "state": state,
                        "version": 4,
                        "part_renditions": {"state": "DONE", "etag": "e1"},
                        "part_metadata": {"state": "DONE", "etag": "e1"},
                        "renditions": [rendition(self.asset_id, s).to_item() for s in rendered],
                    }
                )
            ]
        )
        self.catalog = CallLog(self.fake)
        self.store = FakeObjectStore()
        self.store.put("up", self.key, jpeg())
        self.request = RenditionRequest(QUEUE, SETTINGS, self.store, self.catalog)

    def body(
        self, *specs: media.RenditionSpec, etag: str = "e1", key: str = "", bucket: str = "up"
    ) -> str:
        source = SourceObject(bucket, key or self.key, etag, 100, None, 100.0)
        return rendition_request(source, [s.to_dict() for s in specs])

    def handle(self, *specs: media.RenditionSpec, **source: Any) -> Any:
        return self.request.handle(parse_work(self.body(*specs, **source)), 1)

    def hold(self, want: str) -> None:
        held = self.fake.claim_renditions(self.asset_id, PART_RENDITIONS, "e1", want, 60)
        assert held.token is not None

    @property
    def asset(self) -> Asset:
        found = self.fake.get(self.asset_id)
        assert found is not None
        return found


def test_the_renditions_asked_for_are_rendered_and_recorded() -> None:
    world = World(rendered=(LARGE,))
    outcome = world.handle(THUMB)
    assert outcome.status == "done"
    asset = world.asset
    assert {r.name for r in asset.renditions or ()} == {"thumb", "large"}
    assert asset.backfilled == {"thumb": 1} and asset.runs_of("backfill") == 1
    assert asset.render_claim is None
    key = rendition_key(world.asset_id, "e1", "thumb", THUMB.fingerprint, "jpeg")
    assert world.store.keys("out") == [key]
    assert world.catalog.calls == ["get", "claim_renditions", "complete_renditions"]


def test_the_renditions_worker_hands_requests_over() -> None:
    world = World()
    worker = PartWorker(QUEUE, SETTINGS, world.store, world.catalog, lambda *a: {})
    assert worker.handle(world.body(THUMB), 1, "m1").status == "done"


def test_a_changed_spec_replaces_the_rendition_of_that_name() -> None:
    world = World(rendered=(THUMB, LARGE))
    wider = media.RenditionSpec("thumb", 10, formats=("jpeg",))
    assert world.handle(wider).status == "done"
    thumbs = [r for r in world.asset.renditions or () if r.name == "thumb"]
    assert [r.fingerprint for r in thumbs] == [wider.fingerprint]
    assert world.asset.backfilled == {"thumb": 1}


def test_an_unknown_asset_is_skipped() -> None:
    world = World()
    world.fake.items.clear()
    assert world.handle(THUMB).detail == "unknown asset"
    assert world.catalog.calls == ["get"]


@pytest.mark.parametrize(("state", "etag"), [("PROCESSING", "e1"), ("READY", "e0")])
def test_an_asset_not_ready_for_this_source_is_skipped(state: str, etag: str) -> None:
    world = World(state=state)
    assert world.handle(THUMB, etag=etag).detail == "not ready for this source"
    assert world.catalog.calls == ["get"]


def test_renditions_already_there_are_not_rendered_again() -> None:
    world = World(rendered=(THUMB,))
    assert world.handle(THUMB).detail == "done"
    assert world.store.keys("out") == [] and world.catalog.calls == ["get"]


def test_the_same_request_in_progress_is_skipped() -> None:
    world = World()
    world.hold(want_of([THUMB]))
    assert world.handle(THUMB).detail == "in progress"
    assert world.catalog.calls == ["get", "claim_renditions"]


def test_another_request_holding_the_asset_is_retried_later() -> None:
    world = World()
    world.hold(want_of([LARGE]))
    with pytest.raises(AssetBusy, match="large@"):
        world.handle(THUMB)
    assert world.catalog.calls == ["get", "claim_renditions"]


def test_a_claim_that_finds_the_work_done_releases_the_asset() -> None:
    world = World()

    class DoneMeanwhile(FakeCatalog):
        def claim_renditions(self, *args: Any, **kwargs: Any) -> RenditionsClaim:
            # Another request completed between our read and our claim.
            item = self.items[world.asset_id]
            item["renditions"] = [rendition(world.asset_id, THUMB).to_item()]
            return super().claim_renditions(*args, **kwargs)

    world.fake = DoneMeanwhile(list(world.fake.scan_all()))
    world.catalog = CallLog(world.fake)
    world.request.catalog = world.catalog
    assert world.handle(THUMB).detail == "done"
    assert world.asset.render_claim is None and world.store.keys("out") == []
    assert world.catalog.calls == ["get", "claim_renditions", "release_renditions"]


def test_bad_media_fails_the_request_and_releases_the_asset() -> None:
    world = World()
    world.store.put("up", world.key, b"not an image at all")
    outcome = world.handle(THUMB)
    assert outcome.status == "failed"
    asset = world.asset
    assert asset.render_claim is None
    failure = asset.other["backfill_failure"]
    assert failure["want"] == want_of([THUMB]) and failure["code"]
    assert world.catalog.calls == ["get", "claim_renditions", "release_renditions"]


def test_an_error_releases_the_asset_and_is_raised_for_a_retry() -> None:
    world = World()
    world.store.fail_downloads = ConnectionError("S3 went away")
    with pytest.raises(ConnectionError):
        world.handle(THUMB)
    assert world.asset.render_claim is None and "backfill_failure" not in world.asset.other


def test_a_completion_superseded_by_a_newer_upload_is_skipped() -> None:
    world = World()

    class ReuploadedMeanwhile(FakeObjectStore):
        def put_rendition(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
            super().put_rendition(bucket, key, data, content_type)
            world.fake.claim_part(
                world.asset_id,
                PART_RENDITIONS,
                owner="alice",
                file_name="cat.jpg",
                source_key=world.key,
                etag="e2",
                size=1,
                uploaded_at=200.0,
                lease_s=60,
                attempt=1,
            )

    store = ReuploadedMeanwhile()
    store.objects = world.store.objects
    world.request.store = store
    assert world.handle(THUMB).detail == "superseded"
    assert world.catalog.calls == ["get", "claim_renditions", "complete_renditions"]
    assert world.asset.backfilled is None


def test_a_request_naming_another_object_than_the_assets_source_renders_nothing() -> None:
    world = World()
    forged = upload_key("mallory", world.asset_id, "evil.jpg")
    world.store.put("up", forged, jpeg())
    outcome = world.handle(THUMB, key=forged)
    assert (outcome.status, outcome.detail) == ("dropped", "not this asset's source")
    assert world.store.keys("out") == [] and world.catalog.calls == ["get"]


def test_the_renditions_worker_counts_a_dropped_request() -> None:
    world = World()
    reports: list[Any] = []
    worker = PartWorker(QUEUE, SETTINGS, world.store, world.catalog, lambda *a: {}, reports.append)
    body = world.body(THUMB, bucket="some-other-bucket")
    assert worker.handle(body, 1, "m1").status == "dropped"
    assert reports == [DroppedEvent(PART_RENDITIONS, "foreign bucket")]


def test_a_request_naming_another_bucket_is_dropped_before_any_read() -> None:
    world = World()
    outcome = world.handle(THUMB, bucket="some-other-bucket")
    assert (outcome.status, outcome.detail) == ("dropped", "foreign bucket")
    assert world.store.keys("out") == [] and world.catalog.calls == []
