"""The optional short preview of a video: a few silent seconds, small, H.264 in MP4.

Web pages play it with `<video autoplay muted loop playsinline>`; H.264 Main in MP4 with
the index first (`faststart`) plays in every browser and starts before it has downloaded.
It starts at the poster frame (so the clip opens on what the poster shows), or earlier when
fewer seconds remain. No audio track, and no container tags (creation time, location) are
copied: only pixels go in.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:  # FFmpeg loads only when a preview is encoded
    import av

    from pipeline.media.video_probe import OpenedVideo

PREVIEW_REVISION = "1"
PREVIEW_MIME = "video/mp4"


@dataclass(frozen=True)
class VideoPreview:
    """What preview to make; `None` in place of one means no preview (the default)."""

    seconds: float = 3.0
    width: int = 480  # the longer side of the displayed frame, never upscaled
    max_fps: int = 30
    crf: int = 28  # x264 constant quality: 23 is its default, higher is smaller
    name: str = "preview"

    def __post_init__(self) -> None:
        if not 0.5 <= self.seconds <= 30:
            raise ValueError("preview seconds must be from 0.5 to 30")
        if not 64 <= self.width <= 1920:
            raise ValueError("preview width must be from 64 to 1920")
        if not 1 <= self.max_fps <= 60 or not 0 <= self.crf <= 51:
            raise ValueError("preview max_fps must be 1-60 and crf 0-51")

    @property
    def fingerprint(self) -> str:
        payload = json.dumps([PREVIEW_REVISION, self.seconds, self.width, self.max_fps, self.crf])
        return hashlib.sha256(payload.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class PreviewClip:
    data: bytes
    width: int
    height: int


def encode_preview(opened: OpenedVideo, preview: VideoPreview, poster_s: float) -> PreviewClip:
    """Encode the clip of `preview.seconds` that starts at `poster_s` (or ends at the end)."""
    duration = opened.facts.duration_s or preview.seconds
    start = max(0.0, min(poster_s, duration - preview.seconds))
    fps = opened.facts.fps or 30.0
    step = max(1, round(fps / preview.max_fps)) if fps > preview.max_fps else 1
    rate = Fraction(round(fps * 1000), 1000 * step).limit_denominator(1001)
    wanted = max(1, round(preview.seconds * float(rate)))
    # faststart rewrites the file to move the index first: FFmpeg needs a real file for it.
    with tempfile.TemporaryDirectory(prefix="preview-") as folder:
        target = os.path.join(folder, "preview.mp4")
        size = _encode(opened, preview, start, step, rate, wanted, target)
        with open(target, "rb") as handle:
            data = handle.read()
    return PreviewClip(data, size[0], size[1])


def _encode(
    opened: OpenedVideo,
    preview: VideoPreview,
    start: float,
    step: int,
    rate: Fraction,
    wanted: int,
    target: str,
) -> tuple[int, int]:
    import av

    from pipeline.media.video_frames import frames_at

    written, size = 0, (0, 0)
    with av.open(target, "w", format="mp4", options={"movflags": "+faststart"}) as output:
        stream = None
        for index, frame in enumerate(frames_at(opened, start)):
            if index % step:
                continue
            image = _scaled(frame, opened.facts.sample_aspect, preview.width)
            if stream is None:
                size = image.size
                stream = output.add_stream("libx264", rate=rate)
                stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
                stream.options = {"crf": str(preview.crf), "preset": "veryfast",
                                  "profile": "main", "tune": "fastdecode"}  # fmt: skip
            out = av.VideoFrame.from_image(image).reformat(format="yuv420p")
            out.pts = written
            output.mux(stream.encode(out))
            written += 1
            opened.deadline.check("encoding the preview")
            if written >= wanted:
                break
        if stream is not None:
            output.mux(stream.encode(None))
    return size


def _scaled(frame: av.VideoFrame, sample_aspect: float, longest: int) -> Image.Image:
    from pipeline.media.video_frames import to_display_image

    # H.264 in 4:2:0 needs even sides; swscale scales before the conversion to RGB.
    image, _rotation = to_display_image(frame, sample_aspect, longest)
    return image
