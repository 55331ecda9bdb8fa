"""The two producers: renditions into the outputs bucket, metadata into the catalog."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline import media
from pipeline.events import SourceObject
from pipeline.keys import UploadKey, rendition_key
from pipeline.ports import ObjectStore
from pipeline.records import Rendition


def write_renditions(
    store: ObjectStore,
    outputs_bucket: str,
    path: Path,
    source: SourceObject,
    upload: UploadKey,
    specs: Sequence[media.RenditionSpec],
    limits: media.Limits,
    preview: media.VideoPreview | None = None,
) -> list[Rendition]:
    """Render `specs` (only those, plus a video's `preview` clip if given) and store them at
    their immutable keys; their records."""
    written = []
    for rendition in media.render(path, specs, limits, preview=preview):
        key = rendition_key(
            upload.asset_id,
            source.etag,
            rendition.spec_name,
            rendition.fingerprint,
            rendition.format,
        )
        store.put_rendition(outputs_bucket, key, rendition.data, rendition.mime)
        written.append(
            Rendition(
                name=rendition.spec_name,
                format=rendition.format,
                mime=rendition.mime,
                width=rendition.width,
                height=rendition.height,
                bytes=len(rendition.data),
                key=key,
                fingerprint=rendition.fingerprint,
            )
        )
    return written


def rendition_producer(
    store: ObjectStore,
    outputs_bucket: str,
    specs: Sequence[media.RenditionSpec],
    limits: media.Limits,
    preview: media.VideoPreview | None = None,
) -> Any:
    def produce(path: Path, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
        written = write_renditions(
            store, outputs_bucket, path, source, upload, specs, limits, preview
        )
        return {"renditions": [r.to_item() for r in written]}

    return produce


def _finite(value: Any) -> Any:
    """Drop NaN/inf that DynamoDB cannot store."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def metadata_producer(limits: media.Limits) -> Any:
    def produce(path: Path, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
        record = dict(media.extract_metadata(path, limits))
        record.setdefault("bytes", source.size)
        width, height = record.get("width") or 0, record.get("height") or 0
        return {"metadata": _finite(record), "megapixels": round(width * height / 1e6, 3)}

    return produce
