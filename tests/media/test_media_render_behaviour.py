"""Renditions: orientation, colour management, CMYK, animations, and no metadata out."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageStat

from pipeline.media import DEFAULT_RENDITIONS, RenditionSpec, extract_metadata, render
from tests.media.media_images import encode, make_image

ONE = [RenditionSpec("one", 400, formats=("webp", "jpeg", "avif"))]


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x0110] = "Model X"
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.0)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.0)
    return exif


def test_outputs_carry_no_exif_gps_icc_or_xmp() -> None:
    source = make_image((300, 200))
    data = encode(source, "JPEG", exif=_exif_with_gps(), icc_profile=_srgb_icc(),
                  xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret</x:xmpmeta>")  # fmt: skip
    for out in render(data, ONE):
        assert b"SERIAL-123456" not in out.data and b"CameraMaker" not in out.data
        assert b"secret" not in out.data
        decoded = Image.open(io.BytesIO(out.data))
        assert not decoded.getexif()
        assert "icc_profile" not in decoded.info and "xmp" not in decoded.info


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Stored landscape with orientation 6 (rotate 90 CW to display): displayed portrait.
    stored = Image.new("RGB", (200, 100), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 20, 100))  # red strip on the stored left edge
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(stored, "JPEG", exif=exif, quality=95)
    out = render(data, [RenditionSpec("r", 100, formats=("webp",))])[0]
    assert (out.width, out.height) == (100, 200)
    shown = Image.open(io.BytesIO(out.data)).convert("RGB")
    r, _, b = shown.getpixel((50, 5))  # type: ignore[misc]
    assert r > 200 and b < 60  # the left edge is now on top


def test_embedded_profile_is_converted_to_srgb(corpus: Path) -> None:
    # A red patch tagged with the Adobe RGB (1998) profile of a corpus photo: the rendition
    # must hold the sRGB value ImageCms computes, not the stored one.
    with Image.open(corpus / "formats" / "pil_xmp_test.jpg") as photo:
        icc = photo.info["icc_profile"]
    stored = (200, 40, 40)
    patch = Image.new("RGB", (64, 64), stored)
    converted = ImageCms.profileToProfile(
        patch, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB")
    )
    assert converted is not None
    expected = converted.getpixel((0, 0))
    assert isinstance(expected, tuple)
    assert max(abs(a - b) for a, b in zip(expected, stored, strict=True)) > 10  # a real shift
    data = encode(patch, "PNG", icc_profile=icc)
    out = render(data, [RenditionSpec("r", 64, formats=("webp",), quality=100)])[0]
    ours = ImageStat.Stat(Image.open(io.BytesIO(out.data)).convert("RGB")).mean
    assert max(abs(a - b) for a, b in zip(ours, expected, strict=True)) < 4


def test_cmyk_jpeg_becomes_rgb(corpus: Path) -> None:
    path = corpus / "formats" / "pil_pil_sample_cmyk.jpg"
    for out in render(path, DEFAULT_RENDITIONS):
        assert Image.open(io.BytesIO(out.data)).mode == "RGB"
    out = render(path, [RenditionSpec("r", 100, formats=("webp",), quality=100)])[0]
    with Image.open(path) as source:
        reference = source.convert("RGB")
    ours = ImageStat.Stat(Image.open(io.BytesIO(out.data)).convert("RGB")).mean
    naive = ImageStat.Stat(reference).mean
    assert max(abs(a - b) for a, b in zip(ours, naive, strict=True)) < 40  # same picture


def test_animation_gives_a_still_of_the_first_frame() -> None:
    red, blue = Image.new("RGB", (60, 40), (255, 0, 0)), Image.new("RGB", (60, 40), (0, 0, 255))
    for fmt in ("GIF", "WEBP", "PNG"):
        data = encode(red, fmt, save_all=True, append_images=[blue], duration=100, loop=0)
        for out in render(data, [RenditionSpec("r", 60, formats=("webp",))]):
            still = Image.open(io.BytesIO(out.data))
            assert getattr(still, "n_frames", 1) == 1
            r, _, b = still.convert("RGB").getpixel((30, 20))  # type: ignore[misc]
            assert r > 200 and b < 60, fmt


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    grey = Image.new("I;16", (64, 64), 32768)  # mid grey in 16 bits
    out = render(encode(grey, "PNG"), [RenditionSpec("r", 64, formats=("webp",), quality=100)])[0]
    value = Image.open(io.BytesIO(out.data)).convert("L").getpixel((32, 32))
    assert 120 <= value <= 136  # type: ignore[operator]


def test_avif_output_is_available_by_configuration() -> None:
    outputs = render(encode(make_image((320, 240)), "PNG"), ONE)
    avif = next(o for o in outputs if o.format == "avif")
    assert avif.mime == "image/avif"
    assert Image.open(io.BytesIO(avif.data)).size == (320, 240)


def test_render_accepts_bytes_and_paths_alike(tmp_path: Path) -> None:
    data = encode(make_image((500, 300)), "JPEG")
    path = tmp_path / "photo.bin"
    path.write_bytes(data)
    from_bytes = render(data, DEFAULT_RENDITIONS)
    from_path = render(path, DEFAULT_RENDITIONS)
    assert [(o.spec_name, o.format, o.width, o.height) for o in from_bytes] == [
        (o.spec_name, o.format, o.width, o.height) for o in from_path
    ]
    assert [o.fingerprint for o in from_path] == [
        s.fingerprint for s in DEFAULT_RENDITIONS for _ in s.formats
    ]


def test_heic_is_read_and_oriented_once() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    stored = Image.new("RGB", (200, 100), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 20, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(stored, "HEIF", exif=exif.tobytes(), quality=90)
    record = extract_metadata(data)
    assert (record["format"], record["mime"]) == ("heic", "image/heic")
    assert (record["width"], record["height"], record["orientation"]) == (100, 200, 6)
    assert (record["stored_width"], record["stored_height"]) == (200, 100)
    out = render(data, [RenditionSpec("r", 100, formats=("webp",))])[0]
    shown = Image.open(io.BytesIO(out.data)).convert("RGB")
    assert shown.size == (100, 200)
    r, _, b = shown.getpixel((50, 5))  # type: ignore[misc]
    assert r > 200 and b < 60
