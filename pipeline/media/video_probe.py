"""Opening a video with every limit enforced, and the facts its container declares.

Order of checks, cheapest first: byte size -> magic number -> top-level structure against the
file size (truncation) -> demuxer on a format fixed by the magic number (FFmpeg never guesses)
-> a video track in an accepted codec -> pixels per frame and duration -> decoding, under the
same deadline as images (the reader checks it on every read, the decode loops on every frame).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av

from pipeline.media.errors import (
    CorruptMedia,
    MediaError,
    TooManyPixels,
    UnsupportedMedia,
    reason,
)
from pipeline.media.limits import Deadline, Limits
from pipeline.media.sniff import SNIFF_BYTES, Sniffed, sniff
from pipeline.media.source import GuardedReader, Source, open_source
from pipeline.media.video_container import truncation
from pipeline.media.video_sniff import VIDEO_FORMATS
from pipeline.media.video_tags import creation_time, gps

# The FFmpeg demuxer for each detected format: fixed, so a file is never probed as another.
DEMUXERS = {"mp4": "mov", "mov": "mov", "webm": "matroska"}
# Accepted video codecs (FFmpeg canonical names) and how people call them.
VIDEO_CODECS = {"h264": "H.264", "hevc": "HEVC", "vp8": "VP8", "vp9": "VP9", "av1": "AV1"}


@dataclass(frozen=True)
class AudioFacts:
    codec: str
    channels: int | None
    sample_rate: int | None
    bitrate: int | None


@dataclass(frozen=True)
class VideoFacts:
    """What the container and the stream headers declare, before any frame is decoded."""

    format: str  # mp4 | mov | webm
    codec: str  # h264 | hevc | vp8 | vp9 | av1
    profile: str | None
    pixel_format: str | None
    bit_depth: int | None
    stored_size: tuple[int, int]
    sample_aspect: float  # width of one stored pixel on screen, over its height
    fps: float | None
    frames: int | None
    duration_s: float | None
    bitrate: int | None  # the whole file, bits per second
    video_bitrate: int | None
    audio: AudioFacts | None
    creation_time: str | None
    gps: dict[str, Any] | None


@dataclass
class OpenedVideo:
    reader: GuardedReader
    container: av.container.InputContainer
    stream: av.VideoStream
    sniffed: Sniffed
    facts: VideoFacts
    deadline: Deadline


@contextlib.contextmanager
def open_video(
    source: Source, limits: Limits, deadline: Deadline | None = None
) -> Iterator[OpenedVideo]:
    """Open `source` as a video and check it against `limits`; raises only MediaError."""
    deadline = deadline or Deadline(limits.max_decode_seconds)
    with typed_video_errors("file"):
        reader = open_source(source, limits, deadline)
    with reader:
        with typed_video_errors("file"):
            sniffed = sniff(reader.read(SNIFF_BYTES))
            reader.seek(0)
            if sniffed.format not in VIDEO_FORMATS:
                raise UnsupportedMedia(
                    f"The file is not a video this engine handles ({sniffed.mime}).",
                    detected=sniffed.format,
                )
            cut = truncation(reader, reader.size, sniffed.format)
        what = sniffed.description
        if cut:
            raise CorruptMedia(f"The {what} is truncated: {cut}. Upload the whole file again.")
        with typed_video_errors(what):
            container = av.open(reader, mode="r", format=DEMUXERS[sniffed.format])
        try:
            with typed_video_errors(what):
                stream = _video_stream(container, what)
                facts = _facts(container, stream, sniffed)
                limits.check_video(*facts.stored_size, facts.duration_s)
                _tune_decoder(stream)
            yield OpenedVideo(reader, container, stream, sniffed, facts, deadline)
        finally:
            container.close()


def _video_stream(container: av.container.InputContainer, what: str) -> av.VideoStream:
    if not container.streams.video:
        raise UnsupportedMedia(
            f"The {what} has no video track (audio only?); upload a video or an image.",
            detected="audio",
        )
    stream = container.streams.video[0]
    codec = _codec_name(stream.codec_context)
    if codec not in VIDEO_CODECS:
        raise UnsupportedMedia(
            f"The {what} is encoded as {codec}, which this engine does not decode; export it "
            "as H.264, HEVC, VP8, VP9 or AV1.",
            detected=codec,
        )
    width, height = stream.codec_context.width, stream.codec_context.height
    if width <= 0 or height <= 0:
        raise CorruptMedia(f"The {what} declares an empty frame size {width}x{height}.")
    return stream


def _codec_name(context: Any) -> str:
    codec = context.codec
    return str(getattr(codec, "canonical_name", None) or codec.name)


def _tune_decoder(stream: av.VideoStream) -> None:
    # Slice threads only: frame threads would hold several frames back per decoder, which
    # costs memory and latency when a few frames are wanted after each seek.
    stream.codec_context.thread_type = "SLICE"


def _facts(
    container: av.container.InputContainer, stream: av.VideoStream, sniffed: Sniffed
) -> VideoFacts:
    context = stream.codec_context
    tags = {**dict(container.metadata), **dict(stream.metadata)}
    pix_fmt = context.pix_fmt
    return VideoFacts(
        format=sniffed.format,
        codec=_codec_name(context),
        profile=context.profile or None,
        pixel_format=pix_fmt,
        bit_depth=_bit_depth(pix_fmt),
        stored_size=(context.width, context.height),
        sample_aspect=_ratio(stream.sample_aspect_ratio) or 1.0,
        fps=_round(_ratio(stream.average_rate or stream.guessed_rate), 3),
        frames=stream.frames or None,
        duration_s=_duration(container, stream),
        bitrate=container.bit_rate or None,
        video_bitrate=context.bit_rate or None,
        audio=_audio(container),
        creation_time=creation_time(tags),
        gps=gps(tags),
    )


def _audio(container: av.container.InputContainer) -> AudioFacts | None:
    if not container.streams.audio:
        return None
    context = container.streams.audio[0].codec_context
    layout = getattr(context, "layout", None)
    channels = getattr(layout, "nb_channels", None) or getattr(context, "channels", None)
    return AudioFacts(
        codec=_codec_name(context),
        channels=channels or None,
        sample_rate=context.sample_rate or None,
        bitrate=context.bit_rate or None,
    )


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> float | None:
    if container.duration:
        return round(container.duration / av.time_base, 3)
    if stream.duration and stream.time_base:
        return round(float(stream.duration * stream.time_base), 3)
    return None


def _bit_depth(pix_fmt: str | None) -> int | None:
    if not pix_fmt:
        return None
    for depth in (16, 14, 12, 10, 9):
        if f"p{depth}" in pix_fmt:
            return depth
    return 8


def _ratio(value: Fraction | None) -> float | None:
    if value is None or value.denominator == 0 or value <= 0:
        return None
    return float(value)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@contextlib.contextmanager
def typed_video_errors(what: str) -> Iterator[None]:
    """Turn demuxer and decoder failures into typed MediaErrors a person can act on."""
    try:
        yield
    except MediaError:
        raise
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise  # a caller's mistake, not bad media
    except MemoryError as exc:
        raise TooManyPixels(
            f"The {what} needs more memory to decode than is available; export it smaller."
        ) from exc
    except (av.error.FFmpegError, OSError, ValueError, EOFError, IndexError, KeyError,
            TypeError, ZeroDivisionError, AttributeError, RuntimeError,
            OverflowError) as exc:  # fmt: skip
        raise CorruptMedia(
            f"The {what} cannot be decoded ({reason(exc)}); it is damaged or truncated. "
            "Export it again and upload it."
        ) from exc
