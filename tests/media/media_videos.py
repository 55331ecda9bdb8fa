"""Generated videos for the video tests, encoded once per test session."""

from __future__ import annotations

import functools
import io

from PIL import Image

from pipeline_dev.video_synth import SynthVideo, synth_video

PARIS = "+48.8582+002.2945/"
SHOT_AT = "2026-05-17T09:41:07Z"


@functools.cache
def video(**params: object) -> bytes:
    return synth_video(SynthVideo(**params))  # type: ignore[arg-type]


def plain() -> bytes:
    return video(seconds=2.0)


@functools.cache
def with_audio_and_tags() -> bytes:
    tags = {"creation_time": SHOT_AT, "location": PARIS}
    return synth_video(SynthVideo(audio=True, tags=tags, seconds=2.0))


def rotated(degrees: int) -> bytes:
    return video(container="mov", rotation=degrees, seconds=1.0)


def black_lead_in() -> bytes:
    return video(seconds=3.0, black_seconds=1.2)


def all_black() -> bytes:
    return video(seconds=2.0, black_seconds=2.0)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def is_red(pixel: tuple[int, ...]) -> bool:
    r, g, b = pixel[:3]
    return r > 170 and g < 90 and b < 90
