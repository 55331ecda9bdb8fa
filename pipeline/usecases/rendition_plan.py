"""Which renditions an asset lacks: the comparison a backfill plans with and a worker re-checks.

A rendition is present when the asset's catalog record points at every key the current spec
gives it for the source its renditions were made from. The key holds the source's ETag tag and
the spec's fingerprint, so this is keyed on the source object and the spec, never on events.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline import media
from pipeline.keys import rendition_key
from pipeline.records import Asset


def expected_keys(asset_id: str, etag: str, spec: media.RenditionSpec) -> set[str]:
    return {rendition_key(asset_id, etag, spec.name, spec.fingerprint, f) for f in spec.formats}


def missing_specs(asset: Asset, specs: Sequence[media.RenditionSpec]) -> list[media.RenditionSpec]:
    """The specs whose outputs the record does not point at (all of them if not rendered)."""
    etag = asset.rendered_etag
    if etag is None:
        return list(specs)
    present = asset.rendition_keys
    return [s for s in specs if not expected_keys(asset.asset_id, etag, s) <= present]


def want_of(specs: Sequence[media.RenditionSpec]) -> str:
    """A stable label of a set of specs: `name@fingerprint,...`."""
    return ",".join(sorted(f"{s.name}@{s.fingerprint}" for s in specs))
