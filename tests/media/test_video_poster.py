"""Poster frames: not blindly frame 0, turned as players show them, through the still specs."""

from __future__ import annotations

import io

import av
import pytest
from PIL import ImageStat

from pipeline.media import DEFAULT_RENDITIONS, RenditionSpec, extract_metadata, render
from pipeline.media.poster import candidate_times
from tests.media.media_videos import (
    all_black,
    black_lead_in,
    decoded,
    is_red,
    plain,
    rotated,
    video,
)


def _mean_luma(data: bytes) -> float:
    return ImageStat.Stat(decoded(data).convert("L")).mean[0]


def test_a_black_lead_in_is_skipped_for_the_first_frame_that_shows_something() -> None:
    outputs = render(black_lead_in(), DEFAULT_RENDITIONS)
    assert [(r.spec_name, r.format) for r in outputs] == [
        (s.name, f) for s in DEFAULT_RENDITIONS for f in s.formats
    ]
    assert all(_mean_luma(r.data) > 60 for r in outputs)
    record = extract_metadata(black_lead_in())
    assert record["video"]["poster_time_s"] >= 1.2
    assert record["video"]["poster_blank"] is False
    assert record["warnings"] == []


def test_frame_zero_is_kept_when_it_shows_something() -> None:
    record = extract_metadata(plain())
    assert record["video"]["poster_time_s"] == 0.0


def test_an_all_black_video_still_gets_a_poster_and_a_warning() -> None:
    outputs = render(all_black(), DEFAULT_RENDITIONS[:1])
    assert len(outputs) == 2 and _mean_luma(outputs[0].data) < 5
    record = extract_metadata(all_black())
    assert record["video"]["poster_blank"] is True
    assert any("blank" in w for w in record["warnings"])


def test_candidate_times_are_in_order_and_inside_the_video() -> None:
    assert candidate_times(None) == [0.0, 1.0, 2.0, 5.0]
    assert candidate_times(0.5) == [0.0, 0.05, 0.125, 0.25, 0.375]
    times = candidate_times(60.0)
    assert times == sorted(times) and times[:2] == [0.0, 1.0] and max(times) < 60.0


@pytest.mark.parametrize(
    ("degrees", "corner"),
    [(0, "top-left"), (90, "top-right"), (180, "bottom-right"), (270, "bottom-left")],
)
def test_the_container_rotation_is_applied(degrees: int, corner: str) -> None:
    # The stored frames are 320x240 with a red marker in their top-left corner.
    spec = RenditionSpec("full", 400, formats=("jpeg",), quality=95)
    (poster,) = render(rotated(degrees), [spec])
    image = decoded(poster.data)
    expected_size = (240, 320) if degrees in (90, 270) else (320, 240)
    assert (poster.width, poster.height) == image.size == expected_size
    w, h = image.size
    corners = {
        "top-left": (3, 3),
        "top-right": (w - 4, 3),
        "bottom-right": (w - 4, h - 4),
        "bottom-left": (3, h - 4),
    }
    assert {name for name, xy in corners.items() if is_red(image.getpixel(xy))} == {corner}
    assert extract_metadata(rotated(degrees))["rotation"] == degrees


@pytest.mark.parametrize(
    ("codec", "container"),
    [
        ("h264", "mp4"),
        ("hevc", "mp4"),
        ("h264", "mov"),
        ("vp8", "webm"),
        ("vp9", "webm"),
        ("av1", "webm"),
    ],
)
def test_every_accepted_codec_gives_the_default_renditions(codec: str, container: str) -> None:
    data = video(codec=codec, container=container, width=480, height=270, seconds=1.0)
    outputs = render(data, DEFAULT_RENDITIONS)
    sizes = {(r.spec_name, r.width, r.height) for r in outputs}
    assert sizes == {("thumb", 256, 256), ("medium", 480, 270), ("large", 480, 270)}
    assert {r.mime for r in outputs} == {"image/webp", "image/jpeg"}
    record = extract_metadata(data)
    assert (record["format"], record["video"]["codec"]) == (container, codec)
    assert all(_mean_luma(r.data) > 60 for r in outputs)


def live_webm(black_seconds: float) -> bytes:
    """A WebM as written live (by a browser's MediaRecorder): no duration, no cues."""
    recorded = video(codec="vp9", container="webm", seconds=2.0, black_seconds=black_seconds)
    source = av.open(io.BytesIO(recorded))
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm", options={"live": "1"}) as output:
        stream = output.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(video=0):
            if packet.dts is not None:
                packet.stream = stream
                output.mux(packet)
    return buffer.getvalue()


def test_a_webm_without_a_duration_still_skips_a_black_lead_in() -> None:
    record = extract_metadata(live_webm(0.8))
    assert record["duration_ms"] is None
    assert record["video"]["poster_time_s"] == 1.0
    assert record["video"]["poster_blank"] is False
    assert all(_mean_luma(r.data) > 60 for r in render(live_webm(0.8), DEFAULT_RENDITIONS[:1]))
