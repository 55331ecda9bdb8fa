"""Applying a size plan to an image: crop to its box and resample to its size."""

from __future__ import annotations

from PIL import Image

from pipeline.media.geometry import Plan

# Let Pillow reduce() by an integer factor first while the remaining Lanczos step stays >= 2x.
REDUCING_GAP = 2.0


def resize_to_plan(
    image: Image.Image, p: Plan, scale_x: float = 1.0, scale_y: float = 1.0
) -> Image.Image:
    """`image` cut to the plan's box and sized to its size; `scale_x` and `scale_y` are the
    image's pixels per source pixel (below 1 for a smaller intermediate)."""
    left, top, right, bottom = p.box
    box = (left * scale_x, top * scale_y, right * scale_x, bottom * scale_y)
    if p.size == image.size and box == (0.0, 0.0, float(image.width), float(image.height)):
        return image.copy()
    return image.resize(p.size, Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP)
