"""The fields of a metadata record computed from a small copy of the displayed image
(images and video posters alike): perceptual hash, palette and placeholders."""

from __future__ import annotations

from typing import Any

from PIL import Image

from pipeline.media.hashes import phash
from pipeline.media.palette import dominant_colours
from pipeline.media.placeholders import blurhash, thumbhash

PREVIEW_SIDE = 100  # the hashes, placeholders and palette all work from this small copy


def shrink_to_preview(image: Image.Image) -> None:
    """Shrink `image` in place to at most PREVIEW_SIDE on its long side."""
    image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)


def visual_fields(preview: Image.Image) -> dict[str, Any]:
    """phash, palette, blurhash and thumbhash of a preview-sized sRGB image."""
    return {
        "phash": phash(preview),
        "palette": dominant_colours(preview),
        "blurhash": blurhash(preview),
        "thumbhash": thumbhash(preview),
    }
