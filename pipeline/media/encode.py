"""Encoding renditions. Settings chosen by measurement (see `pipeline bench engine`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from pipeline.media.limits import Deadline
from pipeline.media.specs import OUTPUT_FORMATS, RenditionSpec

# WebP `method` trades encode time for size. Measured on the default renditions of three
# 12-24 MP photos at quality 80 (total encode CPU, bytes, mean SSIM of decoded vs input):
#   method 0: 108 ms, 502 kB, 0.9595   method 2: 187 ms, 435 kB, 0.9597
#   method 3: 476 ms, 413 kB, 0.9612   method 4: 478 ms, 415 kB, 0.9612 (libwebp default)
#   method 6: 805 ms, 389 kB, 0.9585
# Method 2 is the knee: 13% smaller than 0 for 1.7x the time; 3+ cost 2.5x for 5% less.
WEBP_METHOD = 2
# JPEG Huffman optimisation is lossless: 4.6% fewer bytes for about 5 ms per photo.
JPEG_OPTIMIZE = True
# libavif speed 0 (slowest) - 10 (fastest); 8 keeps AVIF within a few times the WebP cost.
AVIF_SPEED = 8
JPEG_BACKGROUND = (255, 255, 255)


@dataclass(frozen=True)
class Rendition:
    spec_name: str
    fingerprint: str
    format: str
    mime: str
    width: int
    height: int
    data: bytes


def encode_renditions(
    sized: Sequence[tuple[RenditionSpec, Image.Image]], deadline: Deadline
) -> list[Rendition]:
    """Each sized image in every format of its spec."""
    out: list[Rendition] = []
    for spec, image in sized:
        for fmt in spec.formats:
            deadline.check("encoding")
            out.append(
                Rendition(
                    spec_name=spec.name,
                    fingerprint=spec.fingerprint,
                    format=fmt,
                    mime=OUTPUT_FORMATS[fmt],
                    width=image.width,
                    height=image.height,
                    data=encode(image, fmt, spec.quality),
                )
            )
    return out


def encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    """Encode an sRGB image (RGB, RGBA or L) with no metadata at all: no EXIF, GPS, XMP,
    ICC or comments ever reach an output."""
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"unknown output format {fmt!r}")
    image.info = {}
    buffer = io.BytesIO()
    if fmt == "jpeg":
        flat = flatten(image)
        flat.save(
            buffer, format="JPEG", quality=quality, subsampling="4:2:0", optimize=JPEG_OPTIMIZE
        )
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
