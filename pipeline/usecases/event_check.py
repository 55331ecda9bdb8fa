"""Events are hints: what a worker checks before it acts on an S3 "Object Created" event.

Anyone who can publish to the fan-out topic, a misrouted rule, a replay or a late redelivery
can hand a worker an event, and asset ids are public (they are in every CDN URL). So nothing
an event says is taken on its word. A worker acts only when:

- the event names the configured uploads bucket;
- its key has the upload layout (`uploads/<owner>/<asset id>/<file>`) and is the key the
  catalog expects for that asset: the `source_key` its upload grant (or its first import)
  recorded, with its owner; an asset id with no record yet may be bound by an object
  imported straight into S3;
- the object is there, with the ETag and size the event names (HeadObject): the event of an
  overwritten object's older version is stale, and the newer object's own event wins.

Anything else is dropped without a write to any record. One exception keeps an upload from
waiting for ever: when the expected object is gone while the asset still waits for this part
(PENDING or PROCESSING, the part neither done nor failed), the part fails as deleted, as it did
before these checks. A finished asset is never failed by an event for a missing object.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline import ports
from pipeline.events import SourceObject
from pipeline.keys import UploadKey, parse_upload_key
from pipeline.model import AssetState, PartState
from pipeline.records import Asset

# Why an event was dropped (the log's `reason`; a small, fixed set).
FOREIGN_BUCKET = "foreign bucket"
NOT_AN_UPLOAD_KEY = "not an upload key"
UNEXPECTED_KEY = "key not expected for this asset"
ASSET_DELETED = "asset deleted"
OBJECT_MISSING = "object missing"
STALE = "object changed since the event"  # another ETag or size: stale, or forged


@dataclass(frozen=True)
class Dropped:
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Checked:
    """An event to act on, as the store has it: the object's own ETag and size, and an upload
    time no earlier than the object's and no later than now."""

    source: SourceObject
    upload: UploadKey
    asset: Asset | None  # the record as read before the claim (None: an import, not bound yet)
    gone: bool = False  # the object is not there, and the asset waits for this part


def expected_key(asset: Asset | None, key: str, upload: UploadKey) -> bool:
    """The key is the one the record is bound to (or could be bound to: no record yet, or a
    record with no source and the same owner)."""
    if asset is None:
        return True
    if asset.source_key is not None:
        return asset.source_key == key
    return asset.owner in (None, upload.owner)


def awaits_part(asset: Asset | None, part: str) -> bool:
    """The asset is still in the making and this part of it has not ended."""
    return (
        asset is not None
        and asset.state in (AssetState.PENDING, AssetState.PROCESSING)
        and asset.part(part).state not in (PartState.DONE, PartState.FAILED)
    )


def check_event(
    source: SourceObject,
    part: str,
    uploads_bucket: str,
    store: ports.ObjectStore,
    catalog: ports.Catalog,
    now: float,
) -> Checked | Dropped:
    if source.bucket != uploads_bucket:
        return Dropped(FOREIGN_BUCKET, source.bucket)
    upload = parse_upload_key(source.key)
    if upload is None:
        return Dropped(NOT_AN_UPLOAD_KEY)
    asset = catalog.get(upload.asset_id)
    if asset is not None and asset.is_deleted:
        return Dropped(ASSET_DELETED)
    if not expected_key(asset, source.key, upload):
        return Dropped(UNEXPECTED_KEY)
    head = store.head(source.bucket, source.key)
    if head is None:
        if awaits_part(asset, part):
            gone = replace(source, event_time=min(source.event_time, now))
            return Checked(gone, upload, asset, gone=True)
        return Dropped(OBJECT_MISSING)
    if (head.etag, head.size) != (source.etag, source.size):
        return Dropped(STALE, f"event {source.etag}/{source.size}, object {head.etag}/{head.size}")
    uploaded_at = min(max(source.event_time, head.last_modified), now)
    return Checked(replace(source, event_time=uploaded_at), upload, asset)
