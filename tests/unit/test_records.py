"""Records read from and written to the catalog item in the table's own layout."""

from __future__ import annotations

from pipeline.model import AssetState, PartState
from pipeline.records import Asset, Part

ITEM = {
    "asset_id": "a1",
    "owner": "alice",
    "state": "READY",
    "version": 7,
    "created_at": "2026-01-01T00:00:00.000Z",
    "file_name": "cat.jpg",
    "content_type": "image/jpeg",
    "declared_size": 10,
    "source_key": "uploads/alice/a1/cat.jpg",
    "source_etag": "e1",
    "source_size": 10,
    "uploaded_at": 1767225600,  # integral numbers stay ints, as the API has always shown them
    "finished_at": 1767225601.5,
    "megapixels": 0.25,
    "metadata": {"width": 500, "height": 500, "palette": [{"hex": "#ff0000"}]},
    "renditions": [
        {
            "name": "thumb",
            "format": "webp",
            "mime": "image/webp",
            "width": 160,
            "height": 120,
            "bytes": 900,
            "key": "renditions/a1/x/thumb.f.webp",
            "fingerprint": "f",
        }
    ],
    "part_renditions": {
        "state": "DONE",
        "etag": "e1",
        "lease_until": 0,
        "started_at": 1767225600.2,
        "finished_at": 1767225601.4,
        "attempt": 1,
        "holder": "m1",
        "uploaded_at": 1767225600,
    },
    "part_metadata": {
        "state": "DONE",
        "etag": "e1",
        "lease_until": 0,
        "error": {"code": "error", "message": "flaky"},
        "redrivable": False,
    },
    "runs_renditions": 1,
    "runs_metadata": 2,
    "runs_backfill": 1,
    "reported_ready": {"etag": "e1", "at": 1767225601.5},
    "render_claim": {"token": "t", "etag": "e1", "want": "thumb@f", "lease_until": 1767229200},
    "backfilled": {"thumb": 1},
    "backfilled_at": 1767225700.0,
    "backfill_failure": {"want": "large@g", "code": "bad", "message": "no"},
}


def test_an_item_reads_and_writes_back_unchanged() -> None:
    asset = Asset.from_item(ITEM)
    assert asset.to_item() == ITEM
    assert Asset.from_item(asset.to_item()) == asset
    assert asset.runs_of("metadata") == 2 and asset.reported_for("READY") == "e1"
    assert asset.other == {
        "backfilled_at": 1767225700.0,
        "backfill_failure": {"want": "large@g", "code": "bad", "message": "no"},
    }


def test_a_projection_reads_what_it_has() -> None:
    asset = Asset.from_item({"asset_id": "a1", "state": "PENDING"})
    assert asset.state == AssetState.PENDING and asset.renditions is None
    assert asset.part("renditions") == Part() and not asset.part("renditions").exists
    assert asset.to_item() == {"asset_id": "a1", "state": "PENDING"}


def test_parts_know_their_source_and_lease() -> None:
    part = Part(PartState.PROCESSING, etag="e1", lease_until=100.0, holder="m1")
    assert part.processing_for("e1") and not part.processing_for("e2")
    assert part.lease_live(99.0) and part.lease_live(100.0) and not part.lease_live(100.5)
    assert part.in_flight and not part.done_for("e1")
    assert Part(PartState.DONE, etag="e1").done_for("e1")


def test_an_asset_answers_for_its_owner_state_and_work() -> None:
    asset = Asset.from_item(ITEM)
    assert asset.owned_by("alice") and asset.visible_to("alice") and not asset.owned_by("bob")
    assert asset.settled() and asset.derived_state() == AssetState.READY
    assert asset.is_backfillable and asset.rendered_etag == "e1"
    assert asset.rendition_keys == {"renditions/a1/x/thumb.f.webp"}
    assert asset.in_flight(now=1767225600)  # the render claim's lease is live
    assert not asset.in_flight(now=1767229201)
    deleted = Asset.from_item({**ITEM, "state": "DELETED"})
    assert deleted.is_deleted and deleted.owned_by("alice") and not deleted.visible_to("alice")
    behind = Asset.from_item({**ITEM, "state": "PROCESSING"})
    assert not behind.settled() and behind.derived_state() == AssetState.READY
