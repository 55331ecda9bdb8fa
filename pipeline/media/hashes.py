"""Perceptual hash (pHash, DCT based), compatible with the `imagehash` library's `phash`.

Pure Python: the DCT runs on a 32x32 grey image and only the 8x8 lowest frequencies are
needed, so it costs well under a millisecond and needs no numpy at run time.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from typing import Protocol

from PIL import Image

HASH_SIDE = 8
SAMPLE_SIDE = 32


@lru_cache(maxsize=1)
def _cosines() -> tuple[tuple[float, ...], ...]:
    n = SAMPLE_SIDE
    return tuple(
        tuple(math.cos(math.pi * k * (2 * i + 1) / (2 * n)) for i in range(n))
        for k in range(HASH_SIDE)
    )


def phash(image: Image.Image) -> str:
    """64-bit perceptual hash as 16 hex digits (row-major bits of the 8x8 low frequencies
    compared with their median, as `imagehash.phash`)."""
    grey = image.convert("L").resize((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.LANCZOS)
    data = grey.tobytes()
    rows = [data[r * SAMPLE_SIDE : (r + 1) * SAMPLE_SIDE] for r in range(SAMPLE_SIDE)]
    cos = _cosines()
    # DCT-II along x for every row, keeping the lowest HASH_SIDE coefficients.
    row_dct = [[sum(v * c for v, c in zip(row, cos[k], strict=True)) for k in range(HASH_SIDE)]
               for row in rows]  # fmt: skip
    # Then along y for those columns.
    low = [
        [sum(row_dct[y][v] * cos[u][y] for y in range(SAMPLE_SIDE)) for v in range(HASH_SIDE)]
        for u in range(HASH_SIDE)
    ]
    flat = [value for row in low for value in row]
    median = sorted(flat)[len(flat) // 2 - 1 : len(flat) // 2 + 1]
    threshold = (median[0] + median[1]) / 2
    bits = 0
    for value in flat:
        bits = (bits << 1) | (value > threshold)
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex hashes."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


class SeekableReader(Protocol):
    def tell(self) -> int: ...
    def seek(self, offset: int, whence: int = 0) -> int: ...
    def read(self, size: int = -1) -> bytes: ...


def sha256_of(reader: SeekableReader) -> str:
    """SHA-256 of a whole seekable input, leaving its position where it was."""
    position = reader.tell()
    reader.seek(0)
    digest = hashlib.sha256()
    while chunk := reader.read(1 << 20):
        digest.update(chunk)
    reader.seek(position)
    return digest.hexdigest()
