"""Whether a source is a video: decided from its first bytes, without loading FFmpeg.

Kept apart from the modules that import PyAV, so that image-only work never pays for it.
"""

from __future__ import annotations

from pipeline.media.sniff import SNIFF_BYTES, sniff
from pipeline.media.source import Source

VIDEO_FORMATS = frozenset({"mp4", "mov", "webm"})


def is_video(source: Source) -> bool:
    """Whether `source` starts like a video container this engine handles. Unreadable
    sources answer False, so that the image path reports them as it always has."""
    if isinstance(source, bytes | bytearray | memoryview):
        head = bytes(source[:SNIFF_BYTES])
    else:
        try:
            with open(source, "rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            return False
    return sniff(head).format in VIDEO_FORMATS
