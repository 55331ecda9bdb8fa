"""Limits: bytes, pixels (refused before decoding), frames, decode time; typed errors."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from PIL import Image

from pipeline.media import (
    DEFAULT_RENDITIONS,
    CorruptMedia,
    DecodeTimeout,
    Limits,
    MediaError,
    TooLarge,
    TooManyFrames,
    TooManyPixels,
    UnsupportedMedia,
    extract_metadata,
    render,
)
from tests.media.media_errors import both_raise
from tests.media.media_images import encode, make_image


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height RGBA, followed by a tiny IDAT."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_too_many_bytes_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(encode(make_image((64, 64)), "JPEG"))
    limits = Limits(max_bytes=100)
    for call in (lambda: extract_metadata(path, limits), lambda: render(path, [], limits)):
        try:
            call()
        except TooLarge as exc:
            assert exc.code == "too_large" and "limit" in exc.message
        else:
            assert call is not None and render(path, [], limits) == []  # empty spec list


def test_decompression_bomb_is_refused_before_any_pixel_is_decoded() -> None:
    bomb = _png_header_only(60_000, 60_000)  # 3.6 Gpx, 14 GB as RGBA
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(TooManyPixels) as caught:
        render(bomb, DEFAULT_RENDITIONS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.monotonic() - started < 1.0
    assert peak < 5 * 1024 * 1024
    assert "3,600.0 megapixels" in caught.value.message
    assert "limit is 100.0 megapixels" in caught.value.message


def test_pixel_limit_is_exact_and_configurable() -> None:
    data = encode(make_image((100, 50)), "PNG")
    assert extract_metadata(data, Limits(max_pixels=5000))["width"] == 100
    with pytest.raises(TooManyPixels):
        extract_metadata(data, Limits(max_pixels=4999))
    # a limit above Pillow's own backstop (2x its MAX_IMAGE_PIXELS) is honoured too
    huge_ok = Limits(max_pixels=5_000_000_000)
    with pytest.raises(CorruptMedia):  # passes the pixel check, then the data is missing
        render(_png_header_only(60_000, 60_000), DEFAULT_RENDITIONS, huge_ok)


def test_too_many_frames_is_refused_without_decoding_them() -> None:
    frames = [Image.new("RGB", (4, 4), (8 * i, 255 - 8 * i, 0)) for i in range(30)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=10)
    assert extract_metadata(data, Limits(max_frames=30))["frames"] == 30
    for call in (extract_metadata, lambda d, lim: render(d, DEFAULT_RENDITIONS, lim)):
        with pytest.raises(TooManyFrames) as caught:
            call(data, Limits(max_frames=29))
        assert "limit is 29" in caught.value.message


def test_decode_time_limit_gives_a_typed_timeout() -> None:
    data = encode(make_image((400, 300)), "JPEG")
    with pytest.raises(DecodeTimeout) as caught:
        render(data, DEFAULT_RENDITIONS, Limits(max_decode_seconds=0.0))
    assert caught.value.code == "timeout" and "0 s limit" in caught.value.message


def test_unsupported_names_the_detected_type() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for call in (extract_metadata, lambda d: render(d, DEFAULT_RENDITIONS)):
        with pytest.raises(UnsupportedMedia) as caught:
            call(svg)
        assert "SVG" in caught.value.message and caught.value.detected == "svg"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
        b"GIF89a\x10\x00\x10\x00" + b"\xff" * 30,
        b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20,
        b"II*\x00\x08\x00\x00\x00" + b"\x01" * 40,
    ],
)
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the bad TIFF tags
def test_garbage_behind_a_magic_number_is_corrupt_for_both_entry_points(data: bytes) -> None:
    both_raise(data, MediaError, code="corrupt")


def test_truncated_files_are_corrupt_not_partial() -> None:
    whole = encode(make_image((300, 200)), "JPEG")
    with pytest.raises(CorruptMedia) as caught:
        render(whole[: len(whole) // 2], DEFAULT_RENDITIONS)
    assert "truncated" in caught.value.message
