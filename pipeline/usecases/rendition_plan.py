"""Which renditions an asset lacks: the comparison a backfill plans with and a worker re-checks.

A rendition is present when the asset's catalog record points at every key the current spec
gives it for the source its renditions were made from. The key holds the source's ETag tag and
the spec's fingerprint, so this is keyed on the source object and the spec, never on events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline import media
from pipeline.aws.catalog import part_attr
from pipeline.keys import rendition_key
from pipeline.model import AssetState, PartState
from pipeline.topology import PART_RENDITIONS


def expected_keys(asset_id: str, etag: str, spec: media.RenditionSpec) -> set[str]:
    return {rendition_key(asset_id, etag, spec.name, spec.fingerprint, f) for f in spec.formats}


def rendered_etag(record: dict[str, Any]) -> str | None:
    """The source ETag an asset's renditions were made from, if its renditions are done."""
    part = record.get(part_attr(PART_RENDITIONS)) or {}
    if part.get("state") != PartState.DONE.value or not part.get("etag"):
        return None
    return str(part["etag"])


def is_backfillable(record: dict[str, Any]) -> bool:
    """READY assets only: others are in flight (their own event renders them), failed or gone."""
    return record.get("state") == AssetState.READY.value and rendered_etag(record) is not None


def missing_specs(
    record: dict[str, Any], specs: Sequence[media.RenditionSpec]
) -> list[media.RenditionSpec]:
    """The specs whose outputs the record does not point at (all of them if not rendered)."""
    etag = rendered_etag(record)
    if etag is None:
        return list(specs)
    present = {str(r.get("key")) for r in record.get("renditions") or []}
    asset_id = str(record["asset_id"])
    return [s for s in specs if not expected_keys(asset_id, etag, s) <= present]


def want_of(specs: Sequence[media.RenditionSpec]) -> str:
    """A stable label of a set of specs: `name@fingerprint,...`."""
    return ",".join(sorted(f"{s.name}@{s.fingerprint}" for s in specs))
