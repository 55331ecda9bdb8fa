"""Resource limits applied to every input before and while it is decoded."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pipeline.media.errors import (
    DecodeTimeout,
    TooLarge,
    TooLong,
    TooManyFrames,
    TooManyPixels,
)


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one input. Defaults suit camera photos and web graphics."""

    max_bytes: int = 100 * 1024 * 1024
    max_pixels: int = 100_000_000
    max_frames: int = 1000
    max_decode_seconds: float = 30.0
    # Videos: playing time, and pixels per frame (DCI 4K; 8K phone video is refused).
    max_video_seconds: float = 900.0
    max_video_pixels: int = 4096 * 2160

    def check_bytes(self, size: int) -> None:
        if size > self.max_bytes:
            raise TooLarge(
                f"The file is {_mib(size)} and the limit is {_mib(self.max_bytes)}; "
                "upload a smaller file."
            )

    def check_pixels(self, width: int, height: int, what: str = "image") -> None:
        if width * height > self.max_pixels:
            raise self.too_many_pixels(width * height, what, f"{width}x{height} = ")

    def too_many_pixels(self, pixels: int, what: str = "image", dims: str = "") -> TooManyPixels:
        return TooManyPixels(
            f"The {what} declares {dims}{pixels / 1e6:,.1f} megapixels and the limit is "
            f"{self.max_pixels / 1e6:,.1f} megapixels; it was refused before decoding. "
            "Resize it before uploading."
        )

    def check_frames(self, frames: int, what: str = "animation") -> None:
        if frames > self.max_frames:
            count = (
                f"more than {self.max_frames:,}" if frames == self.max_frames + 1 else f"{frames:,}"
            )
            raise TooManyFrames(
                f"The {what} has {count} frames and the limit is {self.max_frames:,}; "
                "shorten it or upload a still image."
            )

    def check_video(self, width: int, height: int, seconds: float | None) -> None:
        if width * height > self.max_video_pixels:
            raise TooManyPixels(
                f"The video's frames are {width}x{height} = {width * height / 1e6:,.1f} "
                f"megapixels and the limit is {self.max_video_pixels / 1e6:,.1f} megapixels "
                "per frame; export it at a lower resolution (4K or less) and upload again."
            )
        if seconds is not None and seconds > self.max_video_seconds:
            raise TooLong(
                f"The video lasts {seconds:,.1f} s and the limit is "
                f"{self.max_video_seconds:,g} s; trim it and upload again."
            )


DEFAULT_LIMITS = Limits()


class Deadline:
    """A wall-clock budget that long-running steps check cooperatively."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds

    def check(self, step: str = "decoding") -> None:
        if time.monotonic() > self.expires:
            raise DecodeTimeout(
                f"{step.capitalize()} took longer than the {self.seconds:g} s limit; the file is "
                "too complex to process. Simplify or resize it before uploading."
            )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"
