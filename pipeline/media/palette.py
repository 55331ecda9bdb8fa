"""Dominant colours: median-cut quantisation of a small copy, opaque pixels only."""

from __future__ import annotations

from typing import Any

from PIL import Image

PALETTE_SIZE = 5
SAMPLE_SIDE = 64


def dominant_colours(image: Image.Image, count: int = PALETTE_SIZE) -> list[dict[str, Any]]:
    """Up to `count` colours as {"hex": "#rrggbb", "share": 0..1}, largest share first.
    Shares are of the opaque pixels (alpha >= 128) and add up to 1."""
    small = image.copy()
    small.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.BOX)
    rgba = small.convert("RGBA")
    data = rgba.tobytes()
    opaque = bytearray()
    for k in range(0, len(data), 4):
        if data[k + 3] >= 128:
            opaque += data[k : k + 3]
    pixels = len(opaque) // 3
    if pixels == 0:
        return []
    strip = Image.frombytes("RGB", (pixels, 1), bytes(opaque))
    quantised = strip.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette = quantised.getpalette() or []
    counts = quantised.getcolors(count) or []
    merged: dict[str, int] = {}
    for n, index in sorted(counts, reverse=True):
        assert isinstance(index, int)
        r, g, b = palette[3 * index : 3 * index + 3]
        key = f"#{r:02x}{g:02x}{b:02x}"
        merged[key] = merged.get(key, 0) + n
    ranked = sorted(merged.items(), key=lambda item: -item[1])
    return [{"hex": key, "share": round(n / pixels, 4)} for key, n in ranked]
