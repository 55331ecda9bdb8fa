"""Rejected uploads leave the uploads bucket: deleted, not quarantined.

A source is removed when a worker rejects it for what it is, not for how it went: a size other
than its grant declared, a type the service does not take (unsupported, or outside the
allowlist), an empty file. Why delete rather than quarantine with an expiry:

- no later run can accept those bytes: the remedy is a new upload (a new grant and key), and
  the record keeps what a person needs (the reason, the file name, size and ETag);
- a quarantine would keep hostile bytes (HTML, SVG, executables) in a bucket the workers read
  for its whole expiry, would need a lifecycle rule the embedded stack cannot enforce (moto
  never expires objects), and a copy per rejection.

Nothing a user uploaded legitimately goes with it: only the rejected bytes are removed (the
ETag is compared first, so a newer object at the key stays), only once every part of the asset
has ended for good (no part still reading the object, none failed in a way a redrive would take
up again), and never for an error that was not the media's (retries and redrives need it).
"""

from __future__ import annotations

from pipeline import media, ports
from pipeline.events import SourceObject
from pipeline.model import PartState
from pipeline.records import Asset
from pipeline.topology import PARTS

# Failure codes that reject the bytes themselves.
REJECTION_CODES = frozenset({media.RejectedMedia.code, media.UnsupportedMedia.code})


def ended_for_good(asset: Asset) -> bool:
    """Every part done or failed, and none waiting for a redrive."""
    return all(
        asset.part(p).state in (PartState.DONE, PartState.FAILED) and not asset.part(p).redrivable
        for p in PARTS
    )


def remove_rejected(
    store: ports.ObjectStore, catalog: ports.Catalog, source: SourceObject, asset_id: str
) -> bool:
    """Delete a rejected source once its asset is done with it; whether it was deleted. The
    part whose failure ends the asset's last part does it (the record is read after that
    failure was written, so of two parts ending together at least one sees both ended)."""
    asset = catalog.get(asset_id)
    if asset is None or asset.source_etag != source.etag or not ended_for_good(asset):
        return False
    return store.remove(source.bucket, source.key, source.etag)
