"""Bad videos end with a typed, terminal error: the same from `render` and `extract_metadata`."""

from __future__ import annotations

import io
from collections.abc import Callable

import av
import pytest

from pipeline.media import (
    DEFAULT_RENDITIONS,
    CorruptMedia,
    DecodeTimeout,
    Limits,
    MediaError,
    TooLarge,
    TooLong,
    TooManyPixels,
    UnsupportedMedia,
    VideoPreview,
    render,
)
from tests.media.media_errors import both_raise
from tests.media.media_videos import plain, video


def faststart_mp4() -> bytes:
    """An MP4 with its index first (the preview encoder writes them so)."""
    (clip,) = render(plain(), [], preview=VideoPreview(seconds=2.0))
    return clip.data


def audio_only_mp4() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48000)
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate, frame.pts = 48000, 0
        container.mux(stream.encode(frame))  # type: ignore[union-attr]
        container.mux(stream.encode(None))  # type: ignore[union-attr]
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "fraction"),
    [
        (plain, 0.6),  # index (moov) at the end: cut off
        (faststart_mp4, 0.6),  # index first: frames cut off
        (lambda: video(codec="vp9", container="webm", seconds=2.0), 0.6),
        (plain, 0.02),
    ],
    ids=["mp4-index-last", "mp4-index-first", "webm", "mp4-header-only"],
)
def test_a_truncated_video_is_corrupt(make: Callable[[], bytes], fraction: float) -> None:
    whole = make()
    message = both_raise(whole[: int(len(whole) * fraction)], CorruptMedia)
    assert "truncated" in message


def test_garbage_behind_a_video_signature_is_corrupt() -> None:
    head = plain()[:32]
    both_raise(head + bytes(range(256)) * 20, CorruptMedia)


def test_damaged_frames_end_in_renditions_or_a_typed_error() -> None:
    data = bytearray(plain())
    middle = len(data) // 3
    data[middle : middle + 2000] = bytes(2000)
    try:
        outputs = render(bytes(data), DEFAULT_RENDITIONS)
    except MediaError as exc:
        assert exc.code == "corrupt"
    else:
        assert len(outputs) == 6


def test_a_video_over_the_duration_limit_is_refused() -> None:
    message = both_raise(plain(), TooLong, Limits(max_video_seconds=1.5))
    assert "lasts 2.0 s and the limit is 1.5 s" in message


def test_frames_over_the_pixel_limit_are_refused() -> None:
    message = both_raise(plain(), TooManyPixels, Limits(max_video_pixels=320 * 200))
    assert "320x240" in message


def test_a_file_over_the_byte_limit_is_refused_before_reading() -> None:
    both_raise(plain(), TooLarge, Limits(max_bytes=1000))


def test_the_time_limit_stops_decoding() -> None:
    message = both_raise(plain(), DecodeTimeout, Limits(max_decode_seconds=1e-9))
    assert "limit" in message


def test_a_codec_outside_the_accepted_ones_is_unsupported() -> None:
    message = both_raise(video(codec="mpeg4", seconds=1.0), UnsupportedMedia)
    assert "mpeg4" in message and "H.264" in message


def test_an_audio_only_mp4_is_unsupported() -> None:
    message = both_raise(audio_only_mp4(), UnsupportedMedia)
    assert "no video track" in message
