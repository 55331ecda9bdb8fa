"""What the part worker and the renditions request share about the work on one source object:
whose asset it is, the media limits it is held to, and how an attempt ended."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pipeline import media
from pipeline.events import SourceObject
from pipeline.keys import UploadKey, parse_upload_key
from pipeline.settings import Settings


@dataclass(frozen=True)
class Outcome:
    asset_id: str
    status: str  # "done" | "skipped" | "failed" | "dropped" (an event not acted on)
    detail: str = ""


def attribute(source: SourceObject) -> UploadKey:
    """The owner and asset id of a source key; keys outside our layout get a stable id."""
    parsed = parse_upload_key(source.key)
    if parsed is not None:
        return parsed
    derived = hashlib.sha256(f"{source.bucket}/{source.key}".encode()).hexdigest()[:32]
    return UploadKey(owner="unowned", asset_id=derived, file_name=source.key.rsplit("/", 1)[-1])


def media_limits(settings: Settings) -> media.Limits:
    return media.Limits(
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_pixels,
        max_frames=settings.max_frames,
        max_decode_seconds=settings.max_decode_seconds,
        max_video_seconds=settings.max_video_seconds,
        max_video_pixels=settings.max_video_pixels,
    )


def video_preview(settings: Settings) -> media.VideoPreview | None:
    """The preview clip configured for videos, or None (the default)."""
    if settings.video_preview_seconds <= 0:
        return None
    return media.VideoPreview(
        seconds=settings.video_preview_seconds, width=settings.video_preview_width
    )
