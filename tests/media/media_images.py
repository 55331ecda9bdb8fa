"""Small generated test images (no corpus needed)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def make_image(size: tuple[int, int], mode: str = "RGB", **save: object) -> Image.Image:
    """A picture with structure (gradient, shapes) so resizes and hashes are meaningful."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for x in range(width):
        draw.line([(x, 0), (x, height)], fill=(255 * x // max(1, width), 90, 160))
    draw.ellipse([width // 4, height // 4, 3 * width // 4, 3 * height // 4], fill=(240, 200, 40))
    draw.rectangle([0, 0, width // 5, height // 5], fill=(20, 20, 20))
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize(size))
    elif mode != "RGB":
        image = image.convert(mode)
    return image


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()
