"""Use cases: read, list and delete an owner's assets."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pipeline.delivery import UrlBuilder
from pipeline.errors import InvalidInput, UnknownAsset
from pipeline.json_input import parse_json
from pipeline.keys import is_asset_id, renditions_prefix, source_prefix
from pipeline.model import AssetState
from pipeline.ports import Catalog, InvalidationRequests, ObjectStore
from pipeline.records import Asset
from pipeline.settings import Settings
from pipeline.topology import PARTS, TOPOLOGY

MAX_PAGE = 100


def asset_view(asset: Asset, urls: UrlBuilder) -> dict[str, Any]:
    renditions = [
        {**{k: v for k, v in r.to_item().items() if k != "key"}, "url": urls.url(r.key)}
        for r in asset.renditions or ()
    ]
    metadata = dict(asset.metadata or {})
    return {
        "asset_id": asset.asset_id,
        "state": asset.state,
        "parts": {p: asset.part(p).state or "PENDING" for p in PARTS},
        "failure": asset.failure.to_item() if asset.failure else None,
        "file_name": asset.file_name,
        "content_type": asset.content_type,
        "created_at": asset.created_at,
        "uploaded_at": asset.uploaded_at,
        "finished_at": asset.finished_at,
        "bytes": asset.source_size,
        "megapixels": asset.megapixels,
        "placeholders": {
            "blurhash": metadata.get("blurhash"),
            "thumbhash": metadata.get("thumbhash"),
            "color": (metadata.get("palette") or [{}])[0].get("hex"),
        },
        "metadata": metadata or None,
        "renditions": renditions,
    }


def owned_record(asset_id: str, owner: str, catalog: Catalog) -> Asset:
    asset = catalog.get(asset_id) if is_asset_id(asset_id) else None
    if asset is None or not asset.visible_to(owner):
        raise UnknownAsset(asset_id)
    return asset


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


# The attributes of a page's last key on the owner index: the table's key and the index's.
_CURSOR_ATTRIBUTES = frozenset(
    {
        TOPOLOGY.table.partition_key,
        TOPOLOGY.table.owner_index_partition_key,
        TOPOLOGY.table.owner_index_sort_key,
    }
)


def decode_cursor(cursor: str | None, owner: str) -> dict[str, Any] | None:
    """The key a cursor continues from. It comes back from the caller, so it is checked to be
    exactly the shape DynamoDB gave out (anything else fails its validation, a server error)
    and to continue the caller's own listing."""
    if not cursor:
        return None
    refused = InvalidInput("cursor is not one this API returned")
    try:
        raw = base64.urlsafe_b64decode(cursor.encode())
    except (ValueError, binascii.Error):
        raise refused from None
    key = parse_json(raw, "cursor")
    if not isinstance(key, dict) or set(key) != _CURSOR_ATTRIBUTES:
        raise refused
    values: dict[str, str] = {}
    for name, value in key.items():
        if not (isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str)):
            raise refused
        values[name] = value["S"]
    # A cursor only continues the caller's own listing.
    table = TOPOLOGY.table
    if (
        values[table.owner_index_partition_key] != owner
        or not is_asset_id(values[table.partition_key])
        or not values[table.owner_index_sort_key]  # DynamoDB refuses an empty key value
    ):
        raise refused
    return key


def list_assets(
    owner: str,
    state: str | None,
    limit: str | None,
    cursor: str | None,
    catalog: Catalog,
    urls: UrlBuilder,
) -> dict[str, Any]:
    if state is not None and state not in {s.value for s in AssetState} - {"DELETED"}:
        raise InvalidInput(f"state must be one of PENDING, PROCESSING, READY, FAILED (got {state})")
    try:
        size = int(limit) if limit is not None else 25
    except ValueError:
        raise InvalidInput("limit must be an integer") from None
    if not 1 <= size <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}")
    items, next_key = catalog.list_by_owner(owner, state, size, decode_cursor(cursor, owner))
    return {
        "items": [asset_view(r, urls) for r in items],
        "next_cursor": encode_cursor(next_key),
    }


def delete_asset(
    asset_id: str,
    owner: str,
    settings: Settings,
    store: ObjectStore,
    catalog: Catalog,
    invalidations: InvalidationRequests,
) -> None:
    """Remove the source, the renditions and the record, then the CDN's copies of the
    renditions (requested once the objects are gone, so the CDN cannot fetch them again).
    Deleting twice is harmless."""
    asset = catalog.get(asset_id) if is_asset_id(asset_id) else None
    if asset is None or not asset.owned_by(owner):
        raise UnknownAsset(asset_id)
    if not asset.is_deleted:
        catalog.mark_deleted(asset_id)
    store.delete_prefix(settings.uploads_bucket, source_prefix(owner, asset_id))
    store.delete_prefix(settings.outputs_bucket, renditions_prefix(asset_id))
    invalidations.request([renditions_prefix(asset_id)])
