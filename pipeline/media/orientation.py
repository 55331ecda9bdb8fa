"""EXIF orientation: the transpose that turns stored pixels into the displayed image."""

from __future__ import annotations

from PIL import Image

TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def displayed(image: Image.Image, orientation: int) -> Image.Image:
    """`image` as shown for an EXIF `orientation` (1 or unknown: unchanged, not copied)."""
    transpose = TRANSPOSE.get(orientation)
    return image.transpose(transpose) if transpose is not None else image
