"""Short synthetic videos encoded with the same FFmpeg libraries the engine decodes with.

They feed `sample_media/`, the tests and `pipeline bench video`: a moving scene over a
photo-like gradient, optionally opening on black frames, with a display rotation, container
tags (creation time, ISO 6709 location) and a stereo tone as audio. Deterministic for given
arguments (same frames, same encoder settings).
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass, field
from typing import cast

import av
from PIL import Image, ImageChops, ImageDraw

# Encoder name per codec (any other FFmpeg encoder name is taken as it is).
ENCODERS = {
    "h264": "libx264",
    "hevc": "libx265",
    "vp8": "libvpx",
    "vp9": "libvpx-vp9",
    "av1": "libsvtav1",
}
MUXERS = {"mp4": "mp4", "mov": "mov", "webm": "webm"}
AUDIO_CODECS = {"mp4": "aac", "mov": "aac", "webm": "libopus"}
AUDIO_RATE = 48_000


@dataclass(frozen=True)
class SynthVideo:
    """What to encode. `rotation` is the clockwise turn a player applies on display."""

    codec: str = "h264"
    container: str = "mp4"
    width: int = 320
    height: int = 240
    seconds: float = 2.0
    fps: int = 15
    black_seconds: float = 0.0
    rotation: int = 0
    audio: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    crf: int = 30
    grain: float = 0.0  # Gaussian noise sigma per frame: raises the bitrate towards a camera's


def synth_video(spec: SynthVideo) -> bytes:
    """The encoded file as bytes."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=MUXERS[spec.container]) as container:
        container.metadata.update(spec.tags)
        encoder = ENCODERS.get(spec.codec, spec.codec)
        video = cast(av.VideoStream, container.add_stream(encoder, rate=spec.fps))
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.options = dict(_encoder_options(spec))
        if spec.rotation:
            # FFmpeg's display matrix angle is counter-clockwise.
            video.set_display_rotation(-spec.rotation % 360)
        audio = _add_audio(container, spec) if spec.audio else None
        total = max(1, round(spec.seconds * spec.fps))
        black = round(spec.black_seconds * spec.fps)
        for index in range(total):
            image = _black(spec) if index < black else _scene(spec, index - black)
            if spec.grain:
                image = ImageChops.add(
                    image,
                    _noise(spec.width, spec.height, spec.grain, index % 8),
                    scale=1.0,
                    offset=-128,
                )
            frame = av.VideoFrame.from_image(image).reformat(format="yuv420p")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio is not None:
            _write_tone(container, audio, spec.seconds)
    return buffer.getvalue()


def _encoder_options(spec: SynthVideo) -> dict[str, object]:
    """Encoder settings, with a key frame every second as phones write them."""
    return {"g": str(spec.fps), **_codec_options(spec)}


def _codec_options(spec: SynthVideo) -> dict[str, object]:
    if spec.codec == "h264":
        return {"crf": str(spec.crf), "preset": "veryfast"}
    if spec.codec == "hevc":
        return {"crf": str(spec.crf), "preset": "ultrafast", "x265-params": "log-level=none"}
    if spec.codec in ("vp8", "vp9"):
        return {"crf": str(spec.crf), "b": "0", "deadline": "realtime", "cpu-used": "8"}
    if spec.codec == "av1":
        return {"crf": str(spec.crf + 10), "preset": "12", "svtav1-params": "log-level=0"}
    return {}


def _add_audio(container: av.container.OutputContainer, spec: SynthVideo) -> av.AudioStream:
    stream = cast(
        av.AudioStream, container.add_stream(AUDIO_CODECS[spec.container], rate=AUDIO_RATE)
    )
    stream.layout = "stereo"
    return stream


def _write_tone(
    container: av.container.OutputContainer, stream: av.AudioStream, seconds: float
) -> None:
    """A 440 Hz stereo tone, in 960-sample frames (what Opus needs at 48 kHz)."""
    samples, step = round(seconds * AUDIO_RATE), 960
    for start in range(0, samples, step):
        tone = [0.2 * math.sin(2 * math.pi * 440 * (start + i) / AUDIO_RATE) for i in range(step)]
        plane = _float_plane(tone)
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=step)
        frame.planes[0].update(plane)
        frame.planes[1].update(plane)
        frame.sample_rate, frame.pts = AUDIO_RATE, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _float_plane(values: list[float]) -> bytes:
    import array

    return array.array("f", values).tobytes()


def _black(spec: SynthVideo) -> Image.Image:
    return Image.new("RGB", (spec.width, spec.height), (0, 0, 0))


@functools.lru_cache(maxsize=8)
def _noise(width: int, height: int, sigma: float, phase: int) -> Image.Image:
    """One of eight grain patterns (cycled: generating one per frame would dominate)."""
    noise = Image.effect_noise((width + phase, height), sigma)
    return noise.crop((phase, 0, phase + width, height)).convert("RGB")


def sky_gradient(width: int, height: int) -> Image.Image:
    """A blue-to-green sky-to-ground gradient: smooth content that compresses like a photo."""
    sky = Image.linear_gradient("L").resize((width, height))
    return Image.merge(
        "RGB",
        (
            sky.point(lambda v: 40 + v // 2),
            sky.point(lambda v: 90 + v // 3),
            sky.point(lambda v: 200 - v // 3),
        ),
    )


@functools.lru_cache(maxsize=4)
def _background(width: int, height: int) -> Image.Image:
    """A sky-to-ground gradient with a few hills."""
    image = sky_gradient(width, height)
    draw = ImageDraw.Draw(image)
    for k in range(5):
        x = (k * 0.23 + 0.05) * width
        r = width * (0.12 + 0.03 * k)
        draw.ellipse((x - r, height * 0.7 - r / 2, x + r, height * 0.7 + r / 2), fill=(40, 120, 50))
    # A marker in the top-left corner of the stored frame, to check display rotation.
    draw.rectangle((0, 0, width // 8, height // 8), fill=(230, 30, 30))
    return image


def _scene(spec: SynthVideo, index: int) -> Image.Image:
    """The background with a sun crossing it."""
    width, height = spec.width, spec.height
    image = _background(width, height).copy()
    draw = ImageDraw.Draw(image)
    step = max(1, round(spec.seconds * spec.fps))
    cx = width * (0.1 + 0.8 * (index % step) / step)
    radius = min(width, height) * 0.1
    draw.ellipse((cx - radius, height * 0.25 - radius, cx + radius, height * 0.25 + radius),
                 fill=(250, 200, 40))  # fmt: skip
    return image
