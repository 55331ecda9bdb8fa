"""Encoding renditions. Settings chosen by measurement (see `pipeline bench engine`)."""

from __future__ import annotations

import io

from PIL import Image

from pipeline.media.specs import OUTPUT_FORMATS

# WebP `method` trades encode time for size: on 12-24 MP photos to the default renditions,
# method 4 (libwebp's default) costs about twice method 2 for about 3% fewer bytes at equal
# quality; method 2 keeps WebP from dominating the engine's CPU time.
WEBP_METHOD = 2
# libavif speed 0 (slowest) - 10 (fastest); 8 keeps AVIF within a few times the WebP cost.
AVIF_SPEED = 8
JPEG_BACKGROUND = (255, 255, 255)


def encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    """Encode an sRGB image (RGB, RGBA or L) with no metadata at all: no EXIF, GPS, XMP,
    ICC or comments ever reach an output."""
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"unknown output format {fmt!r}")
    image.info = {}
    buffer = io.BytesIO()
    if fmt == "jpeg":
        flat = flatten(image)
        flat.save(buffer, format="JPEG", quality=quality, subsampling="4:2:0", optimize=False)
    elif fmt == "webp":
        out = image if image.mode in ("RGB", "RGBA") else image.convert("RGB")
        out.save(buffer, format="WEBP", quality=quality, method=WEBP_METHOD)
    else:
        out = image if image.mode in ("RGB", "RGBA") else image.convert("RGB")
        out.save(buffer, format="AVIF", quality=quality, speed=AVIF_SPEED)
    return buffer.getvalue()


def flatten(image: Image.Image) -> Image.Image:
    """Composite transparency onto white for formats without alpha."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, JPEG_BACKGROUND)
    background.paste(image, mask=image.getchannel("A"))
    return background
