"""The optional preview clip: short, silent, small, index first, and no container tags."""

from __future__ import annotations

import io

import av
import pytest
from PIL import ImageStat

from pipeline.media import DEFAULT_RENDITIONS, VideoPreview, render
from tests.media.media_videos import black_lead_in, rotated, with_audio_and_tags


def clip(data: bytes, preview: VideoPreview) -> tuple[av.container.InputContainer, bytes]:
    outputs = render(data, DEFAULT_RENDITIONS[:1], preview=preview)
    assert [r.format for r in outputs] == ["webp", "jpeg", "mp4"]
    last = outputs[-1]
    assert (last.spec_name, last.mime, last.fingerprint) == (
        "preview",
        "video/mp4",
        preview.fingerprint,
    )
    return av.open(io.BytesIO(last.data)), last.data


def test_no_preview_unless_asked() -> None:
    outputs = render(with_audio_and_tags(), DEFAULT_RENDITIONS)
    assert all(r.format != "mp4" for r in outputs)


def test_the_preview_is_silent_short_small_and_carries_no_tags() -> None:
    container, data = clip(with_audio_and_tags(), VideoPreview(seconds=1.0, width=160))
    assert [s.type for s in container.streams] == ["video"]
    stream = container.streams.video[0]
    assert stream.codec_context.name == "h264"
    assert max(stream.codec_context.width, stream.codec_context.height) == 160
    assert container.duration / av.time_base == pytest.approx(1.0, abs=0.1)
    tags = {k.lower() for k in container.metadata}
    assert not tags & {"location", "location-eng", "creation_time"}
    assert b"+48.8582" not in data
    assert data.index(b"moov") < data.index(b"mdat")  # plays before it has downloaded


def test_the_preview_is_turned_like_the_poster() -> None:
    container, _data = clip(rotated(90), VideoPreview(seconds=1.0))
    context = container.streams.video[0].codec_context
    assert (context.width, context.height) == (240, 320)


def test_the_preview_starts_at_the_poster_frame() -> None:
    container, _data = clip(black_lead_in(), VideoPreview(seconds=1.0, width=160))
    first = next(container.decode(video=0))
    luma = first.to_image().convert("L")
    assert ImageStat.Stat(luma).mean[0] > 60


def test_preview_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        VideoPreview(seconds=0)
    assert VideoPreview().fingerprint != VideoPreview(seconds=4).fingerprint
