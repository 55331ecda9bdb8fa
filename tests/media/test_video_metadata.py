"""The metadata record of a video: same shape as an image's, with the video's own facts."""

from __future__ import annotations

import json

import pytest

from pipeline.media import extract_metadata
from pipeline.media.video_tags import creation_time, gps
from tests.media.media_videos import SHOT_AT, plain, rotated, video, with_audio_and_tags

IMAGE_KEYS = {
    "format", "mime", "width", "height", "stored_width", "stored_height", "orientation",
    "frames", "duration_ms", "mode", "bit_depth", "has_alpha", "icc", "has_icc", "exif", "gps",
    "iptc_xmp", "xmp_orientation", "bytes", "sha256", "phash", "palette", "blurhash",
    "thumbhash", "declared", "warnings",
}  # fmt: skip


def test_the_record_has_every_image_field_plus_the_video_facts() -> None:
    record = extract_metadata(with_audio_and_tags(), declared_mime="video/mp4", filename="a.mp4")
    assert set(record) >= IMAGE_KEYS
    json.dumps(record)  # serialisable as it is
    assert record["kind"] == "video"
    assert (record["format"], record["mime"]) == ("mp4", "video/mp4")
    assert (record["width"], record["height"], record["rotation"]) == (320, 240, 0)
    assert record["duration_ms"] == pytest.approx(2000, abs=40)
    assert record["frames"] == 30
    assert record["bytes"] == len(with_audio_and_tags())
    assert record["declared"] == {"mime": "video/mp4", "filename": "a.mp4", "mismatch": False}
    video_fields = record["video"]
    assert video_fields["container"] == "mp4"
    assert (video_fields["codec"], video_fields["profile"]) == ("h264", "High")
    assert video_fields["fps"] == 15.0
    assert video_fields["bitrate"] > video_fields["video_bitrate"] > 0
    assert record["audio"]["codec"] == "aac"
    assert (record["audio"]["channels"], record["audio"]["sample_rate"]) == (2, 48000)


def test_creation_time_and_gps_come_from_the_container_tags_and_gps_is_sensitive() -> None:
    record = extract_metadata(with_audio_and_tags())
    assert record["creation_time"] == SHOT_AT
    assert record["gps"] == {"lat": 48.8582, "lon": 2.2945, "alt": None, "sensitive": True}


def test_a_video_without_audio_or_tags_has_nulls_there() -> None:
    record = extract_metadata(plain())
    assert record["audio"] is None
    assert record["gps"] is None and record["creation_time"] is None


def test_webm_with_opus_audio() -> None:
    record = extract_metadata(video(codec="vp9", container="webm", audio=True, seconds=1.0))
    assert (record["format"], record["mime"], record["video"]["codec"]) == (
        "webm",
        "video/webm",
        "vp9",
    )
    assert record["audio"]["codec"] == "opus" and record["audio"]["channels"] == 2


def test_displayed_size_follows_rotation_and_stored_size_does_not() -> None:
    record = extract_metadata(rotated(90))
    assert (record["width"], record["height"]) == (240, 320)
    assert (record["stored_width"], record["stored_height"]) == (320, 240)
    assert record["format"] == "mov" and record["mime"] == "video/quicktime"


def test_a_declared_image_type_is_reported_as_a_mismatch() -> None:
    record = extract_metadata(plain(), declared_mime="image/jpeg", filename="clip.jpg")
    assert record["declared"]["mismatch"] is True


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"location": "+48.8582+002.2945/"}, (48.8582, 2.2945, None)),
        ({"com.apple.quicktime.location.ISO6709": "+37.3318-122.0312+010.000/"},
         (37.3318, -122.0312, 10.0)),
        ({"location": "+4851.492+00217.670/"}, (48.8582, 2.29450, None)),
        ({"location": "-335126.4+1511239.6/"}, (-33.8573333, 151.2110, None)),
    ],
)  # fmt: skip
def test_iso6709_locations(tags: dict[str, str], expected: tuple[float, ...]) -> None:
    found = gps(tags)
    assert found is not None and found["sensitive"] is True
    assert (found["lat"], found["lon"]) == pytest.approx(expected[:2], abs=1e-4)
    assert found["alt"] == expected[2]


@pytest.mark.parametrize("value", ["", "garbage", "+91.0+000.0/", "+00.0+181.0/"])
def test_unusable_locations_are_ignored(value: str) -> None:
    assert gps({"location": value}) is None


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"creation_time": "2026-05-17T09:41:07.000000Z"}, "2026-05-17T09:41:07Z"),
        ({"com.apple.quicktime.creationdate": "2026-05-17T11:41:07+0200",
          "creation_time": "2026-05-17T09:41:07.000000Z"}, "2026-05-17T11:41:07+02:00"),
        ({"creation_time": "1904-01-01T00:00:00.000000Z"}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_creation_time(tags: dict[str, str], expected: str | None) -> None:
    assert creation_time(tags) == expected
