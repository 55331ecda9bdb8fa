"""Type detection from magic numbers, never from names; mismatches are recorded."""

from __future__ import annotations

import pytest

from pipeline.media import declared_matches, extract_metadata, sniff
from tests.media.media_images import encode, make_image

IMAGE = make_image((40, 30))


@pytest.mark.parametrize(
    ("fmt", "expected", "params"),
    [
        ("JPEG", "jpeg", {}),
        ("PNG", "png", {}),
        ("GIF", "gif", {}),
        ("WEBP", "webp", {}),
        ("TIFF", "tiff", {}),
        ("BMP", "bmp", {}),
        ("AVIF", "avif", {}),
    ],
)
def test_encoded_images_are_detected(fmt: str, expected: str, params: dict[str, object]) -> None:
    found = sniff(encode(IMAGE, fmt, **params)[:64])
    assert (found.format, found.supported) == (expected, True)
    assert found.mime.startswith("image/")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">', "svg"),
        (b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)>", "html"),
        (b"just some words in a text file\n", "text"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41", "mp4"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "avif"),
        (b"PK\x03\x04\x14\x00\x00\x00", "zip"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jp2"),
        (b"", "empty"),
        (b"\x00\x01\x02\x03\xfe\xff\x80\x81", "unknown"),
    ],
)
def test_other_types_are_named_and_refused(head: bytes, expected: str) -> None:
    found = sniff(head)
    assert found.format == expected
    assert found.supported is (expected in ("heic", "avif", "mp4"))  # mp4: video engine


def test_animated_png_is_told_from_a_still_one() -> None:
    frames = [make_image((20, 20)), make_image((20, 20)).rotate(90)]
    data = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert sniff(data[:64]).format == "apng"
    assert sniff(encode(frames[0], "PNG")[:64]).format == "png"


def test_declared_type_mismatch_is_recorded_not_trusted() -> None:
    png = encode(IMAGE, "PNG")
    record = extract_metadata(png, declared_mime="image/jpeg", filename="holiday.jpg")
    assert record["format"] == "png"
    assert record["declared"] == {"mime": "image/jpeg", "filename": "holiday.jpg", "mismatch": True}
    matching = extract_metadata(png, declared_mime="image/png", filename="holiday.PNG")
    assert matching["declared"]["mismatch"] is False
    assert extract_metadata(png)["declared"] is None


def test_declared_matches_accepts_aliases_and_generic_types() -> None:
    assert declared_matches("jpeg", "image/jpg", "a.jpeg")
    assert declared_matches("jpeg", "application/octet-stream", None)
    assert not declared_matches("gif", None, "a.png")
