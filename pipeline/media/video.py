"""Videos through the engine's two entry points: a poster frame run through the still
rendition specs (plus an optional preview clip), and a metadata record of the same shape as
an image's, with the video's own facts added."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from pipeline.media.colour import drop_opaque_alpha
from pipeline.media.encode import Rendition, encode_renditions
from pipeline.media.geometry import plan
from pipeline.media.hashes import sha256_of
from pipeline.media.limits import DEFAULT_LIMITS, Limits
from pipeline.media.poster import Poster, choose_poster
from pipeline.media.resize import resize_to_plan
from pipeline.media.sniff import MIME_TYPES, declared_record
from pipeline.media.source import Source
from pipeline.media.specs import RenditionSpec
from pipeline.media.video_preview import PREVIEW_MIME, VideoPreview, encode_preview
from pipeline.media.video_probe import OpenedVideo, VideoFacts, open_video, typed_video_errors
from pipeline.media.visual import shrink_to_preview, visual_fields


def render_video(
    source: Source,
    specs: Sequence[RenditionSpec],
    limits: Limits = DEFAULT_LIMITS,
    preview: VideoPreview | None = None,
) -> list[Rendition]:
    """The poster frame through every spec (in order, one per format), then the preview."""
    with open_video(source, limits) as opened:
        poster = choose_poster(opened)
        out = poster_renditions(opened, poster.image, specs)
        if preview is not None:
            with typed_video_errors(opened.sniffed.description):
                clip = encode_preview(opened, preview, poster.time_s)
            out.append(
                Rendition(
                    spec_name=preview.name,
                    fingerprint=preview.fingerprint,
                    format="mp4",
                    mime=PREVIEW_MIME,
                    width=clip.width,
                    height=clip.height,
                    data=clip.data,
                )
            )
        return out


def poster_renditions(
    opened: OpenedVideo, image: Image.Image, specs: Sequence[RenditionSpec]
) -> list[Rendition]:
    sized: list[tuple[RenditionSpec, Image.Image]] = []
    for spec in specs:
        opened.deadline.check("resizing")
        resized = resize_to_plan(image, plan(spec, image.width, image.height))
        sized.append((spec, drop_opaque_alpha(resized)))
    return encode_renditions(sized, opened.deadline)


def video_metadata(
    source: Source,
    limits: Limits = DEFAULT_LIMITS,
    *,
    declared_mime: str | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    """The metadata record of a video. Raises only MediaError subclasses."""
    with open_video(source, limits) as opened:
        poster = choose_poster(opened)
        return _record(opened, poster, declared_mime, filename)


def _record(
    opened: OpenedVideo, poster: Poster, declared_mime: str | None, filename: str | None
) -> dict[str, Any]:
    facts = opened.facts
    small = poster.image.copy()
    shrink_to_preview(small)
    width, height = poster.image.size
    warnings = []
    if poster.all_blank:
        warnings.append("every candidate poster frame is blank (dark, washed out or flat)")
    return {
        "format": facts.format,
        "mime": MIME_TYPES[facts.format],
        "kind": "video",
        "width": width,
        "height": height,
        "stored_width": facts.stored_size[0],
        "stored_height": facts.stored_size[1],
        "orientation": None,
        "rotation": poster.rotation,
        "frames": facts.frames,
        "duration_ms": round(facts.duration_s * 1000) if facts.duration_s is not None else None,
        "mode": "RGB",
        "bit_depth": facts.bit_depth,
        "has_alpha": False,
        "icc": None,
        "has_icc": False,
        "exif": None,
        "gps": facts.gps,
        "iptc_xmp": None,
        "xmp_orientation": None,
        "video": _video_fields(facts, poster),
        "audio": _audio_fields(facts),
        "creation_time": facts.creation_time,
        "bytes": opened.reader.size,
        "sha256": sha256_of(opened.reader),
        **visual_fields(small),
        "declared": declared_record(facts.format, declared_mime, filename),
        "warnings": warnings,
    }


def _video_fields(facts: VideoFacts, poster: Poster) -> dict[str, Any]:
    return {
        "container": facts.format,
        "codec": facts.codec,
        "profile": facts.profile,
        "pixel_format": facts.pixel_format,
        "fps": facts.fps,
        "bitrate": facts.bitrate,
        "video_bitrate": facts.video_bitrate,
        "duration_s": facts.duration_s,
        "sample_aspect": round(facts.sample_aspect, 4),
        "poster_time_s": poster.time_s,
        "poster_blank": poster.all_blank,
    }


def _audio_fields(facts: VideoFacts) -> dict[str, Any] | None:
    audio = facts.audio
    if audio is None:
        return None
    return {
        "codec": audio.codec,
        "channels": audio.channels,
        "sample_rate": audio.sample_rate,
        "bitrate": audio.bitrate,
    }
