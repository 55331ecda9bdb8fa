"""The metadata record of one image: what the catalog stores and the API returns."""

from __future__ import annotations

import math
from typing import Any

from PIL import Image

from pipeline.media.colour import profile_description, to_srgb, to_working_mode
from pipeline.media.decode import Opened, decode_first_frame, open_image
from pipeline.media.exif import read_exif
from pipeline.media.hashes import sha256_of
from pipeline.media.iptc_xmp import XmpFacts, read_iptc_xmp
from pipeline.media.limits import DEFAULT_LIMITS, Limits
from pipeline.media.orientation import displayed
from pipeline.media.sniff import MIME_TYPES, declared_record
from pipeline.media.source import Source
from pipeline.media.video_sniff import is_video
from pipeline.media.visual import PREVIEW_SIDE, shrink_to_preview, visual_fields

_BIT_DEPTH = {
    "1": 1, "L": 8, "P": 8, "RGB": 8, "RGBA": 8, "CMYK": 8, "YCbCr": 8, "LA": 8, "PA": 8,
    "RGBa": 8, "La": 8, "LAB": 8, "HSV": 8, "RGBX": 8, "I;16": 16, "I;16B": 16, "I;16L": 16,
    "I;16N": 16, "I": 32, "F": 32,
}  # fmt: skip


def extract_metadata(
    source: Source,
    limits: Limits = DEFAULT_LIMITS,
    *,
    declared_mime: str | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    """The JSON-serialisable metadata record of `source`. Raises only MediaError subclasses."""
    if is_video(source):
        from pipeline.media.video import video_metadata  # loads FFmpeg: only for videos

        return video_metadata(source, limits, declared_mime=declared_mime, filename=filename)
    with open_image(source, limits) as opened:
        return _record(opened, declared_mime=declared_mime, filename=filename)


def _record(opened: Opened, *, declared_mime: str | None, filename: str | None) -> dict[str, Any]:
    image = opened.image
    warnings: list[str] = []
    icc = image.info.get("icc_profile")
    mode, bit_depth, alpha = image.mode, _bit_depth(opened), _has_alpha(image)
    # Decode first: some readers (PNG) decode on their own to find EXIF stored after the
    # pixels, and a decode failure must surface as a typed error, not as missing EXIF.
    preview = _preview(opened, icc if isinstance(icc, bytes) else None)
    exif, gps, iptc_xmp, xmp, header_warnings = descriptive_fields(image)
    warnings += header_warnings
    width, height = opened.display_size
    record: dict[str, Any] = {
        "format": opened.format,
        "mime": _mime(opened),
        "width": width,
        "height": height,
        "stored_width": opened.stored_size[0],
        "stored_height": opened.stored_size[1],
        "orientation": opened.orientation,
        "frames": opened.frames,
        "duration_ms": opened.duration_ms,
        "mode": mode,
        "bit_depth": bit_depth,
        "has_alpha": alpha,
        "icc": profile_description(icc) if isinstance(icc, bytes) and icc else None,
        "has_icc": bool(icc),
        "exif": exif,
        "gps": gps,
        "iptc_xmp": iptc_xmp,
        "xmp_orientation": xmp.orientation,
        "bytes": opened.reader.size,
        "sha256": sha256_of(opened.reader),
    }
    record.update(visual_fields(preview))
    record["declared"] = declared_record(opened.format, declared_mime, filename)
    record["warnings"] = warnings
    return record


Fields = dict[str, Any] | None


def descriptive_fields(image: Image.Image) -> tuple[Fields, Fields, Fields, XmpFacts, list[str]]:
    """(exif, gps, iptc_xmp, xmp facts, warnings) from the headers, without decoding pixels
    (except PNG, whose EXIF may follow the pixel data)."""
    iptc_xmp, xmp = read_iptc_xmp(image)
    exif, gps, warnings = read_exif(image, xmp.datetime_original)
    return exif, gps, iptc_xmp, xmp, warnings


def _preview(opened: Opened, icc: bytes | None) -> Image.Image:
    """Frame 0 at most PREVIEW_SIDE on its long side, sRGB, displayed orientation."""
    width, height = opened.size
    ratio = min(1.0, PREVIEW_SIDE / max(width, height))
    draft = (max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio)))
    image = to_working_mode(decode_first_frame(opened, draft))
    image = image.copy() if image is opened.image else image
    shrink_to_preview(image)
    image, _warning = to_srgb(image, icc)
    return displayed(image, opened.pending_transform)


def _mime(opened: Opened) -> str:
    return MIME_TYPES.get(opened.format, opened.sniffed.mime)


def _bit_depth(opened: Opened) -> int:
    """Bits per sample as stored in the file (Pillow reduces 16-bit RGB PNG to 8 bits)."""
    image, reader = opened.image, opened.reader
    stored: int | None = None
    position = reader.tell()
    try:
        if opened.sniffed.format in ("png", "apng"):
            reader.seek(24)
            depth = reader.read(1)
            stored = depth[0] if depth else None
        elif opened.format == "tiff":
            value = getattr(image, "tag_v2", {}).get(258)
            first = value[0] if isinstance(value, tuple) and value else value
            stored = first if isinstance(first, int) else None
    finally:
        reader.seek(position)
    if isinstance(stored, int) and 0 < stored <= 32:
        return stored
    return _BIT_DEPTH.get(image.mode, 8)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or image.has_transparency_data
